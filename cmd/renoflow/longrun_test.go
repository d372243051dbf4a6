package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/renoflow/renoflow/workflows"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// A customer's workflow continues as new (here after every 3 transitions) while staff
// keep acting: no update sent around the switches is lost, and the state carries over.
func TestContinueAsNewLosesNoUpdate(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t),
		"RENOFLOW_CONTINUE_AS_NEW_AFTER": "3"})
	cm := d.login(t, "cm1")
	status, body := cm.call(http.MethodPost, "/customers", filing("13922223333"))
	require.Equal(t, http.StatusCreated, status, "%v", body)
	id := body["customer_id"].(string)
	status, body = cm.call(http.MethodPost, "/customers/"+id+"/store-visit", map[string]any{})
	require.Equal(t, http.StatusOK, status, "%v", body)

	tc := d.temporal(t)
	actor := renoflow.Actor{ID: "cm1", Name: "张经理", Role: renoflow.RoleCustomerManager, StoreID: "s1"}
	send := func(i int) error {
		h, err := tc.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{
			WorkflowID: workflows.CustomerWorkflowID(id), UpdateID: fmt.Sprintf("fu-%d", i),
			UpdateName: workflows.UpdateFollowUp, WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{workflows.FollowUpInput{Action: workflows.Action{Actor: actor, Note: fmt.Sprint("跟进", i)}, Channel: "phone"}},
		})
		if err == nil {
			err = h.Get(context.Background(), nil)
		}
		return err
	}
	// One after another: a switch every three transitions.
	const n = 24
	for i := 0; i < n/2; i++ {
		require.NoError(t, send(i), "update %d", i)
	}
	// Then a burst: updates arrive while a switch is pending.
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := n / 2; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = send(i)
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "update %d", i)
	}
	db := d.db(t)
	n2, err := db.NewSelect().Table("timeline").Where("customer_id = ? AND kind = 'follow_up'", id).Count(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, n, n2, "every follow-up is on the timeline once")

	resp, err := tc.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowId = %q", workflows.CustomerWorkflowID(id))})
	require.NoError(t, err)
	continued := 0
	for _, e := range resp.GetExecutions() {
		if e.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW {
			continued++
		}
	}
	require.GreaterOrEqual(t, continued, 3, "the workflow continued as new several times")

	// The carried state is whole: the store visit's claim stays kept and the pre-sale
	// clocks are still armed in the current run.
	q, err := tc.QueryWorkflow(context.Background(), workflows.CustomerWorkflowID(id), "", workflows.QueryState)
	require.NoError(t, err)
	var state renoflow.Customer
	require.NoError(t, q.Get(&state))
	require.Equal(t, renoflow.StagePresale, state.Stage)
	require.True(t, state.Clocks.Has(renoflow.RuleFollowUpMonth))
	require.True(t, state.Clocks.Has(renoflow.RuleNeglect))
}
