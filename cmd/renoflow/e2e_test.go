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
	"time"

	"github.com/renoflow/renoflow/internal/apiclient"
	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/renoflow/renoflow/worker"
	"github.com/renoflow/renoflow/workflows"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
)

// workflowsByPhone lists the customer workflows Temporal finds by the phone search attribute.
func workflowsByPhone(t *testing.T, c client.Client, phone, extra string) []string {
	t.Helper()
	q := fmt.Sprintf("%s = %q", workflows.SearchPhone.GetName(), phone)
	if extra != "" {
		q += " AND " + extra
	}
	resp, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: q})
	require.NoError(t, err)
	var ids []string
	for _, e := range resp.GetExecutions() {
		ids = append(ids, e.GetExecution().GetWorkflowId())
	}
	return ids
}

// The foundation end to end: the run command starts everything, a customer filed over
// HTTP is a row in PostgreSQL and a running workflow Temporal finds by search attribute.
func TestDevFilesCustomer(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})

	status, health := (&apiClient{t: t, api: apiclient.New(d.Web)}).call(http.MethodGet, "/healthz", nil)
	require.Equal(t, http.StatusOK, status)
	for k, want := range map[string]any{"status": "ok", "database": "ok", "temporal": "ok"} {
		require.Equal(t, want, health[k], "healthz %s (a calendar coverage warning may stand beside them)", k)
	}

	resp, err := http.Get(d.UI)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "the Temporal Web UI answers")

	cm := d.login(t, "cm1")
	status, body := cm.call(http.MethodPost, "/customers", filing("138 1234 5678"))
	require.Equal(t, http.StatusCreated, status, "%v", body)
	id := body["customer_id"].(string)

	db := d.db(t)
	var row struct {
		Stage, OwnerID, Phone string
	}
	require.NoError(t, db.NewSelect().Table("customers").Column("stage", "owner_id", "phone").Where("id = ?", id).
		Scan(context.Background(), &row.Stage, &row.OwnerID, &row.Phone))
	require.Equal(t, "filed", row.Stage)
	require.Equal(t, "cm1", row.OwnerID)
	require.Equal(t, "13812345678", row.Phone)
	n, err := db.NewSelect().Table("timeline").Where("customer_id = ?", id).Where("kind = 'filed'").Count(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 1, n)

	status, detail := cm.call(http.MethodGet, "/customers/"+id, nil)
	require.Equal(t, http.StatusOK, status, "%v", detail)
	require.Equal(t, "filed", detail["customer"].(map[string]any)["stage"])
	require.NotEmpty(t, detail["timeline"])
	status, list := cm.call(http.MethodGet, "/customers?q=1381234", nil)
	require.Equal(t, http.StatusOK, status, "%v", list)
	require.Len(t, list["customers"], 1)

	tc := d.temporal(t)
	eventually(t, "the workflow is found by phone and stage", func() bool {
		ids := workflowsByPhone(t, tc, "13812345678", `CustomerStage = "filed" AND CustomerOwner = "cm1" AND CustomerStore = "s1"`)
		return len(ids) == 1 && ids[0] == workflows.CustomerWorkflowID(id)
	})
	desc, err := tc.DescribeWorkflowExecution(context.Background(), workflows.CustomerWorkflowID(id), "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.GetWorkflowExecutionInfo().GetStatus(), "the workflow stays open")

	sas, err := tc.OperatorService().ListSearchAttributes(context.Background(), &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	require.NoError(t, err)
	for name := range worker.SearchAttributes() {
		require.Contains(t, sas.GetCustomAttributes(), name)
	}
}

// Ctrl-C stops everything cleanly; a second start (also after a kill -9) on the same data
// directory recovers every customer and pending timer, with the program's own cluster.
func TestDevRestartAndKill9(t *testing.T) {
	data := tempDir(t)
	env := map[string]string{"RENOFLOW_DATA": data}
	d := startDev(t, env)
	cm := d.login(t, "cm1")
	status, body := cm.call(http.MethodPost, "/customers", filing("13900001111"))
	require.Equal(t, http.StatusCreated, status, "%v", body)
	id := body["customer_id"].(string)
	d.stop(t)

	// Second start after a clean stop.
	d2 := startDev(t, env)
	var stage string
	require.NoError(t, d2.db(t).NewSelect().Table("customers").Column("stage").Where("id = ?", id).Scan(context.Background(), &stage))
	require.Equal(t, "filed", stage)
	requirePendingClaimTimer(t, d2.temporal(t), d2.db(t), id)
	d2.stop(t)

	// A start killed with SIGKILL, then a start on the same directory.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", "RENOFLOW_DATA="+data, "HTTP_ADDR=127.0.0.1:0",
		"TEMPORAL_PORT=0", "TEMPORAL_UI_PORT=0", "PG_PORT=0", "DATABASE_URL=", "TEMPORAL_ADDRESS=")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	eventually(t, "the helper dev is ready", func() bool { return strings.Contains(out.String(), "Press Ctrl-C") })
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()

	d3 := startDev(t, env)
	require.NoError(t, d3.db(t).NewSelect().Table("customers").Column("stage").Where("id = ?", id).Scan(context.Background(), &stage))
	require.Equal(t, "filed", stage)
	requirePendingClaimTimer(t, d3.temporal(t), d3.db(t), id)
	// The recovered stack still works: a second customer can be filed.
	status, body = d3.login(t, "cm1").call(http.MethodPost, "/customers", filing("13900002222"))
	require.Equal(t, http.StatusCreated, status, "%v", body)
}

// requirePendingClaimTimer checks the customer's workflow is running with its timer armed,
// and that its filing was written once.
//
// A filing is answered 201 when its persist transaction commits, inside the workflow's first
// task. A stop (or kill -9) right after that answer loses the task's completion: the SDK drops
// a local activity's result once the worker is stopping. Temporal then retries the first task
// when its start-to-close timeout (10 s) passes, and the idempotent persist finds the row
// already written. So the timer is armed within that timeout of the restart, not at once.
func requirePendingClaimTimer(t *testing.T, c client.Client, db *bun.DB, id string) {
	t.Helper()
	desc, err := c.DescribeWorkflowExecution(context.Background(), workflows.CustomerWorkflowID(id), "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.GetWorkflowExecutionInfo().GetStatus())
	pending := func() bool {
		started, fired := 0, 0
		iter := c.GetWorkflowHistory(context.Background(), workflows.CustomerWorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			ev, err := iter.Next()
			require.NoError(t, err)
			switch ev.GetEventType() {
			case enumspb.EVENT_TYPE_TIMER_STARTED:
				started++
			case enumspb.EVENT_TYPE_TIMER_FIRED, enumspb.EVENT_TYPE_TIMER_CANCELED:
				fired++
			}
		}
		return started > fired
	}
	eventually(t, "a timer is pending", pending)
	n, err := db.NewSelect().Table("timeline").Where("customer_id = ?", id).Where("kind = 'filed'").Count(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 1, n, "the filing is written once, however often its first task ran")
}

// Fifty concurrent filings of one number in different spellings: exactly one succeeds,
// the others are told who owns the customer; one row, one reservation, one workflow.
func TestConcurrentDuplicateFilings(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	clients := []*apiClient{d.login(t, "cm1"), d.login(t, "sa1"), d.login(t, "sm1")}
	spellings := []string{"13712345678", "137 1234 5678", "137-1234-5678", "+86 137 1234 5678", "0086 13712345678",
		"+86-137-1234-5678", "8613712345678", "（+86）137.1234.5678", "１３７１２３４５６７８", " 137 1234-5678 "}
	type result struct {
		status int
		body   map[string]any
	}
	results := make([]result, 50)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			s, b := clients[i%len(clients)].call(http.MethodPost, "/customers", filing(spellings[i%len(spellings)]))
			results[i] = result{s, b}
		}(i)
	}
	close(start)
	wg.Wait()
	created, refused := 0, 0
	for _, r := range results {
		switch r.status {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
			refused++
			e := r.body["error"].(map[string]any)
			require.Contains(t, e["message"], "撞单")
			data := e["data"].(map[string]any)
			require.NotEmpty(t, data["owner"], "the refusal names the owner")
			require.NotEmpty(t, data["since"], "and since when")
		default:
			t.Fatalf("unexpected answer %d: %v", r.status, r.body)
		}
	}
	require.Equal(t, 1, created)
	require.Equal(t, 49, refused)
	db := d.db(t)
	ctx := context.Background()
	n, err := db.NewSelect().Table("customers").Where("phone = '13712345678'").Count(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	n, err = db.NewSelect().Table("phone_claims").Where("phone = '13712345678'").Count(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	tc := d.temporal(t)
	eventually(t, "exactly one workflow for the number", func() bool { return len(workflowsByPhone(t, tc, "13712345678", "")) == 1 })
}

// Bad input is refused naming each field, and leaves no row, reservation or workflow.
func TestBadFilingChangesNothing(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	cm := d.login(t, "cm1")
	bad := filing("010-1234567")
	delete(bad, "situation")
	status, body := cm.call(http.MethodPost, "/customers", bad)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	e := body["error"].(map[string]any)
	require.Contains(t, e["message"], "客情说明")
	var fields []string
	for _, f := range e["fields"].([]any) {
		fields = append(fields, f.(map[string]any)["field"].(string))
	}
	require.Equal(t, []string{"phone", "situation"}, fields)

	status, _ = cm.call(http.MethodPost, "/customers", map[string]any{"name": "陈", "house": map[string]any{"area_m2": "大"}})
	require.Equal(t, http.StatusUnprocessableEntity, status, "a wrong type names the field")
	status, _ = apiAt(t, d.Web).raw(http.MethodPost, "/customers", "application/json", "{")
	require.Equal(t, http.StatusUnauthorized, status, "no session, no filing")

	sa := d.login(t, "d1")
	status, _ = sa.call(http.MethodPost, "/customers", filing("13800000000"))
	require.Equal(t, http.StatusForbidden, status, "a designer may not file")

	db := d.db(t)
	for _, table := range []string{"customers", "phone_claims", "timeline", "tasks"} {
		n, err := db.NewSelect().Table(table).Count(context.Background())
		require.NoError(t, err)
		require.Zero(t, n, "table %s", table)
	}
	tc := d.temporal(t)
	resp2, err := tc.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{})
	require.NoError(t, err)
	require.Empty(t, resp2.GetExecutions(), "no workflow started")
}

// With a shrunken policy the claim lapses for real: the task row, the timeline entry, the
// pool record, the customer in the pool, and the timer in the workflow history — whose
// replay is deterministic.
func TestClaimLapsesIntegration(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	admin := d.login(t, "admin")
	version := admin.setPolicy(map[string]any{
		"claim_window": "4s", "claim_reminder_before": "2s", "verify_within": "1h"})
	require.Greater(t, version, 1)

	cm := d.login(t, "cm1")
	status, body := cm.call(http.MethodPost, "/customers", filing("13611112222"))
	require.Equal(t, http.StatusCreated, status, "%v", body)
	id := body["customer_id"].(string)

	db := d.db(t)
	ctx := context.Background()
	eventually(t, "the claim lapses", func() bool {
		var stage string
		return db.NewSelect().Table("customers").Column("stage").Where("id = ?", id).Scan(ctx, &stage) == nil && stage == "pool"
	})
	var task struct {
		AssigneeID    string    `bun:"assignee_id"`
		PolicyVersion int       `bun:"policy_version"`
		DueAt         time.Time `bun:"due_at"`
		Status        string    `bun:"status"`
	}
	require.NoError(t, db.NewSelect().Table("tasks").Column("assignee_id", "policy_version", "due_at", "status").
		Where("customer_id = ? AND rule = 'claim.expiry'", id).Scan(ctx, &task))
	require.Equal(t, "cm1", task.AssigneeID)
	require.Equal(t, version, task.PolicyVersion)
	var entry struct {
		Kind          string    `bun:"kind"`
		PolicyVersion int       `bun:"policy_version"`
		DueAt         time.Time `bun:"due_at"`
	}
	require.NoError(t, db.NewSelect().Table("timeline").Column("kind", "policy_version", "due_at").
		Where("customer_id = ? AND rule = 'claim.expiry' AND kind = 'timer'", id).Scan(ctx, &entry))
	require.Equal(t, version, entry.PolicyVersion)
	require.WithinDuration(t, task.DueAt, entry.DueAt, 0, "task and timeline name the same due point")
	n, err := db.NewSelect().Table("pool_events").Where("customer_id = ? AND kind = 'lapse' AND from_owner = 'cm1'", id).Count(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	n, err = db.NewSelect().Table("tasks").Where("customer_id = ? AND rule = 'claim.reminder'", id).Count(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, n, "the owner was reminded once")

	tc := d.temporal(t)
	wid := workflows.CustomerWorkflowID(id)
	eventually(t, "Temporal shows the customer in the pool", func() bool {
		return len(workflowsByPhone(t, tc, "13611112222", `CustomerStage = "pool"`)) == 1
	})
	hist := tc.GetWorkflowHistory(ctx, wid, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var firedTimers int
	var events int
	for hist.HasNext() {
		ev, err := hist.Next()
		require.NoError(t, err)
		events++
		if ev.GetEventType() == enumspb.EVENT_TYPE_TIMER_FIRED {
			firedTimers++
		}
	}
	require.GreaterOrEqual(t, firedTimers, 2, "the reminder and the lapse fired as timers")

	// Replaying the recorded history reproduces the same decisions.
	replayer := sdkworker.NewWorkflowReplayer()
	replayer.RegisterWorkflow(workflows.CustomerWorkflow)
	h := collectHistory(t, tc.GetWorkflowHistory(ctx, wid, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT))
	require.NoError(t, replayer.ReplayWorkflowHistory(nil, h))
	if dir := os.Getenv("RENOFLOW_RECORD_HISTORY"); dir != "" {
		writeHistory(t, dir, "v1-claim-lapse.json", h)
	}
}
