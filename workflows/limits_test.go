package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/activities"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"io"
	"log/slog"
)

// A limit the persist refuses (here 库容 at reassignment) refuses the update with the
// domain's message and rolls the state back: the next transition starts from the state
// before the refused one.
func TestLimitRefusedAtPersistRollsBack(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(t0)
	env.RegisterWorkflow(CustomerWorkflow)
	env.RegisterActivity(&activities.Activities{})
	pol := renoflow.DefaultPolicy()
	env.OnActivity("LoadPolicy", mock.Anything).Return(activities.PolicySnapshot{Policy: pol, Version: 7, Calendar: renoflow.DefaultCalendar()}, nil)
	env.OnActivity("LoadPolicySince", mock.Anything, mock.Anything).Return(activities.PolicyUpdate{Policy: 7, Calendar: renoflow.DefaultCalendar().Version,
		Snapshot: &activities.PolicySnapshot{Policy: pol, Version: 7, Calendar: renoflow.DefaultCalendar()}}, nil)
	full := true
	var batches []activities.Batch
	env.OnActivity("Persist", mock.Anything, mock.Anything).Return(func(_ context.Context, b activities.Batch) error {
		for _, l := range b.Effects.Limits {
			if full && l.Limit == renoflow.LimitOwnerCapacity {
				return activities.Refusal(l.Check(l.Max))
			}
		}
		batches = append(batches, b)
		return nil
	})
	results := map[string]error{}
	update := func(id, name string, arg any) {
		env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { results[id] = err },
			OnComplete: func(_ any, err error) { results[id] = err },
		}, arg)
	}
	two := renoflow.Person{ID: "cm2", Name: "王经理"}
	env.RegisterDelayedCallback(func() {
		update("r1", UpdateReassign, PersonInput{Action: Action{Actor: manager}, Person: two})
	}, time.Minute)
	env.RegisterDelayedCallback(func() {
		update("v1", UpdateVerify, Action{Actor: cs})
	}, 2*time.Minute)
	env.RegisterDelayedCallback(func() {
		full = false
		update("r2", UpdateReassign, PersonInput{Action: Action{Actor: manager}, Person: two})
	}, 3*time.Minute)
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)
	env.ExecuteWorkflow(CustomerWorkflow, CustomerInput{CustomerID: "c1", Record: testRecord(), Filer: filer})

	require.Len(t, batches, 3, "filing, verification, the second reassignment")
	de, ok := DomainError(results["r1"]).(*renoflow.Error)
	require.True(t, ok, "%v", results["r1"])
	require.Equal(t, renoflow.CodeConflict, de.Code)
	require.Equal(t, "王经理名下已有200位有效客户，达到库容上限200位", de.Message)
	verified := batches[1].Customer
	require.Equal(t, "cm1", verified.Owner.ID, "the refused reassignment left no trace in the state")
	require.EqualValues(t, 2, verified.Revision)
	require.NoError(t, results["v1"])
	require.NoError(t, results["r2"], "once the limit has room the reassignment is applied")
	require.Equal(t, "cm2", batches[2].Customer.Owner.ID)
	require.EqualValues(t, 3, batches[2].Customer.Revision)
}
