package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/renoflow/renoflow/workflows"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// onceCounts are the three records of a customer's follow-ups and complaints: the
// workflow's state (which feeds the scorecard), the timeline and the task rows.
type onceCounts struct {
	StateFollowUps, TimelineFollowUps        int
	StateComplaints, TimelineComplaints      int
	ComplaintTasks, StateRevision, Timelines int
}

func countOnce(t *testing.T, tc client.Client, db *bun.DB, id string) onceCounts {
	t.Helper()
	ctx := context.Background()
	q, err := tc.QueryWorkflow(ctx, workflows.CustomerWorkflowID(id), "", workflows.QueryState)
	require.NoError(t, err)
	var c renoflow.Customer
	require.NoError(t, q.Get(&c))
	var out onceCounts
	if c.FollowUp != nil {
		out.StateFollowUps = c.FollowUp.Done
	}
	for _, s := range c.Scores {
		out.StateFollowUps += s.Done
	}
	out.StateComplaints, out.StateRevision = len(c.Complaints), int(c.Revision)
	count := func(q *bun.SelectQuery) int {
		n, err := q.Count(ctx)
		require.NoError(t, err)
		return int(n)
	}
	out.TimelineFollowUps = count(db.NewSelect().Table("timeline").Where("customer_id = ? AND kind = 'follow_up'", id))
	out.TimelineComplaints = count(db.NewSelect().Table("timeline").Where("customer_id = ? AND kind = 'complaint'", id))
	out.ComplaintTasks = count(db.NewSelect().Table("tasks").Where("customer_id = ? AND rule = ?", id, string(renoflow.RuleComplaintAnswer)))
	out.Timelines = count(db.NewSelect().Table("timeline").Where("customer_id = ?", id))
	return out
}

func followUp(i int) map[string]any {
	return map[string]any{"channel": "phone", "note": fmt.Sprint("跟进", i)}
}

var complaint = map[string]any{"category": "schedule", "note": "工期拖延"}

// A repeated Idempotency-Key returns the first answer and changes nothing, also after
// the workflow continued as new (issue 10 §2): the state's counts stay equal to the
// timeline's and the task rows'.
func TestIdempotencyKeyAcrossContinueAsNew(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t),
		"RENOFLOW_CONTINUE_AS_NEW_AFTER": "4"})
	cm := d.login(t, "cm1")
	body := ok(t, http.StatusCreated, cm.do(http.MethodPost, "/customers", filing("13755556666"), map[string]string{"Idempotency-Key": "file-1"}))
	id := body["customer_id"].(string)
	ok(t, http.StatusOK, cm.do(http.MethodPost, "/customers/"+id+"/store-visit", map[string]any{}, nil))
	first := ok(t, http.StatusOK, cm.do(http.MethodPost, "/customers/"+id+"/complaint-open", complaint, map[string]string{"Idempotency-Key": "k1"}))
	for i := 0; i < 6; i++ {
		ok(t, http.StatusOK, cm.do(http.MethodPost, "/customers/"+id+"/follow-up", followUp(i), map[string]string{"Idempotency-Key": fmt.Sprint("f", i)}))
	}
	tc, db := d.temporal(t), d.db(t)
	before := countOnce(t, tc, db, id)
	require.Equal(t, onceCounts{StateFollowUps: 6, TimelineFollowUps: 6, StateComplaints: 1, TimelineComplaints: 1,
		ComplaintTasks: 1, StateRevision: before.StateRevision, Timelines: before.Timelines}, before)

	// The same requests again, after at least one Continue-As-New.
	again := ok(t, http.StatusOK, cm.do(http.MethodPost, "/customers/"+id+"/complaint-open", complaint, map[string]string{"Idempotency-Key": "k1"}))
	require.Len(t, again["state"].(map[string]any)["complaints"], 1, "no second complaint")
	require.Equal(t, first["state"].(map[string]any)["complaints"], again["state"].(map[string]any)["complaints"], "the first answer's complaint")
	for i := 0; i < 6; i++ {
		ok(t, http.StatusOK, cm.do(http.MethodPost, "/customers/"+id+"/follow-up", followUp(i), map[string]string{"Idempotency-Key": fmt.Sprint("f", i)}))
	}
	// The filing again: the first customer, not a duplicate-filing refusal.
	refile := ok(t, http.StatusCreated, cm.do(http.MethodPost, "/customers", filing("13755556666"), map[string]string{"Idempotency-Key": "file-1"}))
	require.Equal(t, id, refile["customer_id"])
	require.Equal(t, before, countOnce(t, tc, db, id), "the repeats changed nothing")
	runs, err := tc.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowId = %q", workflows.CustomerWorkflowID(id))})
	require.NoError(t, err)
	require.Greater(t, len(runs.GetExecutions()), 1, "the workflow continued as new")
}

// kill -9 of the whole program during 10 concurrent follow-ups, then a restart and the
// client's resend with the same keys: each follow-up is applied exactly once, and a
// further resend changes nothing.
func TestIdempotencyKeyAfterKill9(t *testing.T) {
	data, dbURL := tempDir(t), testdb.URL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "RENOFLOW_DATA": data, "RENOFLOW_CONTINUE_AS_NEW_AFTER": "4"}
	d := startDev(t, env)
	cm := d.login(t, "cm1")
	id := ok(t, http.StatusCreated, cm.do(http.MethodPost, "/customers", filing("13766667777"), nil))["customer_id"].(string)
	ok(t, http.StatusOK, cm.do(http.MethodPost, "/customers/"+id+"/store-visit", map[string]any{}, nil))
	d.stop(t)

	// The same program in a child process, killed with SIGKILL during the burst.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", "RENOFLOW_DATA="+data, "DATABASE_URL="+dbURL, "HTTP_ADDR=127.0.0.1:0",
		"TEMPORAL_PORT=0", "TEMPORAL_UI_PORT=0", "PG_PORT=0", "TEMPORAL_ADDRESS=", "RENOFLOW_CONTINUE_AS_NEW_AFTER=4")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	eventually(t, "the helper is ready", func() bool { return strings.Contains(out.String(), "Press Ctrl-C") })
	var web string
	for _, m := range readyURL.FindAllStringSubmatch(out.String(), -1) {
		if m[1] == "web app" {
			web = m[2]
		}
	}
	require.NotEmpty(t, web, out.String())
	child := loginAt(t, web, "cm1", "renoflow")
	keys := make([]string, 10)
	for i := range keys {
		keys[i] = fmt.Sprint("kill-f", i)
	}
	var wg sync.WaitGroup
	answered := make(chan struct{}, 10)
	for i := range keys {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			child.do(http.MethodPost, "/customers/"+id+"/follow-up", followUp(i), map[string]string{"Idempotency-Key": keys[i]})
			answered <- struct{}{}
		}(i)
	}
	<-answered // some follow-ups are through, others in flight
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	wg.Wait()

	d2 := startDev(t, env)
	cm2 := d2.login(t, "cm1")
	// The client resends every key until it is answered: right after the restart the
	// follow-up the killed worker was persisting holds the customer until its activity
	// times out, so a resend may first hear 503 (try again later).
	resend := func() {
		pending := make([]int, len(keys))
		for i := range pending {
			pending[i] = i
		}
		for round := 0; len(pending) > 0; round++ {
			require.Less(t, round, 6, "resends still unanswered: %v", pending)
			got := burst(t, len(pending), func(j int) answer {
				i := pending[j]
				return cm2.do(http.MethodPost, "/customers/"+id+"/follow-up", followUp(i), map[string]string{"Idempotency-Key": keys[i]})
			})
			var again []int
			for j, a := range got {
				if a.status == http.StatusServiceUnavailable {
					again = append(again, pending[j])
					continue
				}
				require.Equal(t, http.StatusOK, a.status, "resend %d: %v", pending[j], a.body)
			}
			pending = again
		}
	}
	resend()
	tc, db := d2.temporal(t), d2.db(t)
	after := countOnce(t, tc, db, id)
	require.Equal(t, 10, after.StateFollowUps, "each follow-up applied once: %+v", after)
	require.Equal(t, 10, after.TimelineFollowUps, "%+v", after)
	resend()
	require.Equal(t, after, countOnce(t, tc, db, id), "a second resend changes nothing")
}
