package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/renoflow/renoflow/workflows"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// TestTransitionCost counts, from a real customer's history, what a filing, a staff
// action and a timer firing cost Temporal (issue 15 "Per transition cost"), and holds
// the figures: each is one workflow task, with the policy read and the write as local
// activities in it, no activity task, and no timer started or cancelled when the earliest
// clock does not move; a filing records no version marker and upserts no search
// attribute (its start sets them). Before (keep-timer, policy-since on main): a staff action cost 2
// workflow tasks, 1 local activity and 1 activity; a timer firing 2 workflow tasks, 1
// local activity, 1 activity and the next timer.
func TestTransitionCost(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	admin := d.login(t, "admin")
	// The claim reminder (报备即将到期) is the customer's earliest clock: it fires 4 s after
	// the filing; the verification a staff action does moves a later clock only.
	status, body := admin.call(http.MethodPut, "/policy", map[string]any{"claim_window": "3600s", "claim_reminder_before": "3596s"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	cm, cs := d.login(t, "cm1"), d.login(t, "cs1")
	tc := d.temporal(t)

	status, body = cm.call(http.MethodPost, "/customers", filing("13600000015"))
	require.Equal(t, http.StatusCreated, status, "%v", body)
	wid := workflows.CustomerWorkflowID(body["customer_id"].(string))
	filed := restingCost(t, tc, wid)
	t.Logf("filing: %+v", filed)
	require.Equal(t, 1, filed.WorkflowTasks, "a filing is one workflow task (update-with-start)")
	require.Zero(t, filed.Activities, "the filing is written by a local activity")
	require.Equal(t, 1, filed.TimersStarted)
	require.Zero(t, filed.VersionMarkers, "a filing pins its versions in its input (workflows.FilingVersions)")
	require.Zero(t, filed.SearchUpserts, "a filing's search attributes are set by its start")

	status, body = cs.call(http.MethodPost, "/customers/"+workflows.CustomerIDFromWorkflowID(wid)+"/verify", map[string]any{"note": "核实无误"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	acted := restingCost(t, tc, wid)
	action := acted.Sub(filed)
	t.Logf("staff action: %+v", action)
	require.Equal(t, 1, action.Updates)
	require.Zero(t, action.TimersFired, "the action ran before the clock fired")
	require.Equal(t, 1, action.WorkflowTasks, "a staff action is one workflow task")
	require.Equal(t, 2, action.LocalActivities, "the policy read and the write")
	require.Zero(t, action.Activities)
	require.Zero(t, action.TimersStarted+action.TimersCancelled, "the earliest clock did not move: the timer is kept")

	var fired workflows.Cost
	require.Eventually(t, func() bool {
		fired = restingCost(t, tc, wid).Sub(acted)
		return fired.TimersFired == 1
	}, 60*time.Second, 200*time.Millisecond, "the claim reminder fires")
	fired = restingCost(t, tc, wid).Sub(acted)
	t.Logf("timer firing: %+v", fired)
	require.Equal(t, 1, fired.WorkflowTasks, "a timer firing is one workflow task")
	require.Equal(t, 2, fired.LocalActivities, "the policy read and the write")
	require.Zero(t, fired.Activities)
	require.Zero(t, fired.TimersCancelled)
	require.LessOrEqual(t, fired.TimersStarted, 1, "at most the next clock's timer")
}

// restingCost waits until the workflow has no workflow task or activity pending and
// counts its whole history.
func restingCost(t *testing.T, tc client.Client, wid string) workflows.Cost {
	t.Helper()
	ctx := context.Background()
	require.Eventually(t, func() bool {
		desc, err := tc.DescribeWorkflowExecution(ctx, wid, "")
		return err == nil && desc.GetPendingWorkflowTask() == nil && len(desc.GetPendingActivities()) == 0
	}, 60*time.Second, 50*time.Millisecond, "workflow %s at rest", wid)
	h := collectHistory(t, tc.GetWorkflowHistory(ctx, wid, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT))
	return workflows.CostOf(h.Events)
}
