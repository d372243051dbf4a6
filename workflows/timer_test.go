package workflows

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/activities"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
)

// A staff action that leaves the earliest clock where it was costs no timer commands
// (issue 15 "per transition cost"): the main loop keeps its timer instead of cancelling
// it and starting it again on every transition. The timer still fires.
func TestTimerKeptWhenEarliestClockUnchanged(t *testing.T) {
	h := newHarness(t, nil)
	var scheduled, cancelled, fired int
	h.env.SetOnTimerScheduledListener(func(string, time.Duration) { scheduled++ })
	h.env.SetOnTimerCanceledListener(func(string) { cancelled++ })
	h.env.SetOnTimerFiredListener(func(string) { fired++ })
	h.at(time.Minute, func() { h.update("visit", UpdateStoreVisit, Action{Actor: filer, Note: "看样板间"}) })
	var before, after, firedBefore int
	h.at(2*time.Minute, func() { before, firedBefore = scheduled+cancelled, fired })
	grades := []renoflow.Grade{renoflow.GradeC, renoflow.GradeB, renoflow.GradeC}
	for i, g := range grades {
		h.at(2*time.Minute+time.Duration(i+1)*time.Second, func() {
			h.update(fmt.Sprint("grade", i), UpdateGrade, GradeInput{Action: Action{Actor: filer}, Grade: g})
		})
	}
	h.at(3*time.Minute, func() { after = scheduled + cancelled })
	h.run(8*24*time.Hour, CustomerInput{})
	require.NoError(t, h.results["visit"])
	for i := range grades {
		require.NoError(t, h.results[fmt.Sprint("grade", i)])
	}
	t.Logf("timer commands: %d before the gradings, %d after", before, after)
	require.Equal(t, before, after, "gradings that do not move the earliest clock start or cancel no timer")
	require.Greater(t, fired, firedBefore, "the kept timer fires")
}

// The policy is read whole only when it changed (issue 15): every transition asks
// LoadPolicySince with the versions it holds, and the answer carries the policy only for
// the first transition and after a new version was saved. The filing's ask names the
// versions the API read (CustomerInput.Policy); later asks do not.
func TestPolicyReadOnlyWhenChanged(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(t0)
	env.RegisterWorkflow(CustomerWorkflow)
	env.RegisterActivity(&activities.Activities{})
	version, pol := 7, renoflow.DefaultPolicy()
	calls, snapshots := 0, 0
	var seen []*activities.PolicyVersions
	env.OnActivity("LoadPolicySince", mock.Anything, mock.Anything).Return(func(_ context.Context, have activities.PolicyHave) (activities.PolicyUpdate, error) {
		calls++
		seen = append(seen, have.Seen)
		up := activities.PolicyUpdate{Policy: version, Calendar: renoflow.DefaultCalendar().Version}
		if have.Policy != version || have.Calendar != up.Calendar {
			snapshots++
			up.Snapshot = &activities.PolicySnapshot{Policy: pol, Version: version, Calendar: renoflow.DefaultCalendar()}
		}
		return up, nil
	})
	env.OnActivity("Persist", mock.Anything, mock.Anything).Return(nil)
	update := func(id, name string, arg any) {
		env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{OnAccept: func() {}, OnReject: func(err error) { t.Errorf("%s: %v", id, err) },
			OnComplete: func(_ any, err error) { require.NoError(t, err, id) }}, arg)
	}
	env.RegisterDelayedCallback(func() { update("visit", UpdateStoreVisit, Action{Actor: filer}) }, time.Minute)
	env.RegisterDelayedCallback(func() {
		update("grade-c", UpdateGrade, GradeInput{Action: Action{Actor: filer}, Grade: renoflow.GradeC})
	}, 2*time.Minute)
	env.RegisterDelayedCallback(func() { version = 8 }, 3*time.Minute)
	env.RegisterDelayedCallback(func() {
		update("grade-b", UpdateGrade, GradeInput{Action: Action{Actor: filer}, Grade: renoflow.GradeB})
	}, 4*time.Minute)
	env.RegisterDelayedCallback(env.CancelWorkflow, 5*time.Minute)
	read := &activities.PolicyVersions{Policy: 7, Calendar: renoflow.DefaultCalendar().Version}
	env.ExecuteWorkflow(CustomerWorkflow, CustomerInput{CustomerID: "c1", Record: testRecord(), Filer: filer, Policy: read})
	require.Equal(t, 4, calls, "filing, visit and two gradings each ask")
	require.Equal(t, 2, snapshots, "the policy came whole at the filing and after version 8 was saved")
	require.Equal(t, []*activities.PolicyVersions{read, nil, nil, nil}, seen, "only the filing names the versions the API read")
}

// A run whose input pins the versions (a filing since issue 15: no version markers, no
// search attribute upserts for them) behaves as a run that asks workflow.GetVersion:
// the same transitions write the same batches.
func TestPinnedVersionsRunAsNewest(t *testing.T) {
	run := func(versions map[string]int) []activities.Batch {
		h := newHarness(t, nil)
		h.at(time.Minute, func() { h.update("visit", UpdateStoreVisit, Action{Actor: filer, Note: "看样板间"}) })
		h.at(2*time.Minute, func() {
			h.update("grade", UpdateGrade, GradeInput{Action: Action{Actor: filer}, Grade: renoflow.GradeB})
		})
		h.run(8*24*time.Hour, CustomerInput{CustomerID: "c1", Record: testRecord(), Filer: filer, Versions: versions})
		require.NoError(t, h.results["visit"])
		require.NoError(t, h.results["grade"])
		return h.batches
	}
	asked, pinned := run(nil), run(FilingVersions())
	require.NotEmpty(t, asked)
	require.Equal(t, asked, pinned)
}
