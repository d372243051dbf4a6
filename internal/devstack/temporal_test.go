package devstack

import (
	"context"
	"database/sql"
	"encoding/json"
	renoworker "github.com/renoflow/renoflow/worker"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

func startForTest(t *testing.T, opts TemporalOptions) *Temporal {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	began := time.Now()
	tp, err := StartTemporal(ctx, opts)
	require.NoError(t, err)
	t.Logf("StartTemporal(DataDir=%q) took %s; RSS %s", opts.DataDir, time.Since(began).Round(time.Millisecond), rss())
	t.Cleanup(func() { _ = tp.Stop() })
	return tp
}

func dial(t *testing.T, tp *Temporal) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:  tp.Address(),
		Namespace: tp.Namespace(),
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func customSearchAttributes(t *testing.T, c client.Client, ns string) map[string]enumspb.IndexedValueType {
	t.Helper()
	resp, err := c.OperatorService().ListSearchAttributes(context.Background(), &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	require.NoError(t, err)
	return resp.GetCustomAttributes()
}

// rss reports the resident set size of this process.
func rss() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func httpGet(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

func TestInMemoryWithUI(t *testing.T) {
	attrs := map[string]enumspb.IndexedValueType{
		"RenoflowStage": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"RenoflowDueAt": enumspb.INDEXED_VALUE_TYPE_DATETIME,
	}
	tp := startForTest(t, TemporalOptions{Namespace: "renoflow-test", SearchAttributes: attrs})
	require.Equal(t, "renoflow-test", tp.Namespace())
	require.True(t, strings.HasPrefix(tp.UIURL(), "http://127.0.0.1:"), tp.UIURL())
	c := dial(t, tp)
	ctx := context.Background()

	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "renoflow-test"})
	require.NoError(t, err)
	require.Equal(t, enumspb.NAMESPACE_STATE_REGISTERED, ns.GetNamespaceInfo().GetState())

	got := customSearchAttributes(t, c, tp.Namespace())
	for name, typ := range attrs {
		require.Equal(t, typ, got[name], "search attribute %s", name)
	}
	// Idempotent; a type clash is reported.
	require.NoError(t, renoworker.EnsureSearchAttributes(ctx, c, tp.Namespace(), attrs))
	require.ErrorContains(t, renoworker.EnsureSearchAttributes(ctx, c, tp.Namespace(),
		map[string]enumspb.IndexedValueType{"RenoflowStage": enumspb.INDEXED_VALUE_TYPE_INT}), "has type")

	status, ctype, body := httpGet(t, tp.UIURL()+UIPublicPath+"/")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, ctype, "text/html")
	require.Contains(t, strings.ToLower(body), "<html")

	// A workflow started without any worker shows up in the UI's list.
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "ui-visible", TaskQueue: "nobody"}, "Nothing")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		status, ctype, body := httpGet(t, tp.UIURL()+UIPublicPath+"/api/v1/namespaces/renoflow-test/workflows")
		return status == http.StatusOK && strings.Contains(ctype, "application/json") &&
			json.Valid([]byte(body)) && strings.Contains(body, run.GetID())
	}, 20*time.Second, 50*time.Millisecond)

	// Read-only: the UI server itself refuses to terminate (or change) a workflow, and its
	// settings tell the UI to offer none of it.
	resp, err := http.Post(tp.UIURL()+UIPublicPath+"/api/v1/namespaces/renoflow-test/workflows/ui-visible/terminate",
		"application/json", strings.NewReader(`{"reason":"x"}`))
	require.NoError(t, err)
	resp.Body.Close()
	// Refused before it reaches the frontend: 405 from the read-only route table, or 400
	// from the UI server's CSRF check, whichever answers first.
	require.True(t, resp.StatusCode == http.StatusMethodNotAllowed || resp.StatusCode == http.StatusBadRequest,
		"terminate through the UI answered %d", resp.StatusCode)
	_, _, settings := httpGet(t, tp.UIURL()+UIPublicPath+"/api/v1/settings")
	for _, key := range []string{"DisableWriteActions", "WorkflowTerminateDisabled", "WorkflowCancelDisabled", "WorkflowResetDisabled"} {
		require.Regexp(t, `"`+key+`":\s*true`, settings)
	}
	desc, err := c.DescribeWorkflowExecution(ctx, run.GetID(), "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.GetWorkflowExecutionInfo().GetStatus())

	began := time.Now()
	require.NoError(t, tp.Stop())
	t.Logf("stop took %s", time.Since(began))
	require.NoError(t, tp.Stop(), "second Stop")
}

func TestUIPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	_, err = StartTemporal(context.Background(), TemporalOptions{UIPort: l.Addr().(*net.TCPAddr).Port})
	require.ErrorContains(t, err, "not available")
}

// waitAnHour waits on a one-hour timer, or until signalled "finish".
func waitAnHour(ctx workflow.Context) error {
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(workflow.NewTimer(ctx, time.Hour), func(workflow.Future) {})
	sel.AddReceive(workflow.GetSignalChannel(ctx, "finish"), func(ch workflow.ReceiveChannel, _ bool) {
		ch.Receive(ctx, nil)
	})
	sel.Select(ctx)
	return nil
}

func startWorker(t *testing.T, c client.Client) {
	t.Helper()
	w := worker.New(c, "persist", worker.Options{})
	w.RegisterWorkflowWithOptions(waitAnHour, workflow.RegisterOptions{Name: "WaitAnHour"})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
}

func TestPersistenceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	first := map[string]enumspb.IndexedValueType{"RenoflowStage": enumspb.INDEXED_VALUE_TYPE_KEYWORD}
	tp := startForTest(t, TemporalOptions{DataDir: dir, UIPort: -1, SearchAttributes: first})
	require.Empty(t, tp.UIURL())
	require.FileExists(t, filepath.Join(dir, DBFileName))
	require.FileExists(t, filepath.Join(dir, LogFileName))

	c := dial(t, tp)
	startWorker(t, c)
	ctx := context.Background()
	stage := temporal.NewSearchAttributeKeyKeyword("RenoflowStage")
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "wait-an-hour", TaskQueue: "persist",
		TypedSearchAttributes: temporal.NewSearchAttributes(stage.ValueSet("filed"))}, "WaitAnHour")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		started, _ := timerEvents(t, c, run.GetID())
		return started
	}, 20*time.Second, 50*time.Millisecond, "timer never started")
	began := time.Now()
	require.NoError(t, tp.Stop())
	t.Logf("Stop took %s", time.Since(began).Round(time.Millisecond))

	second := map[string]enumspb.IndexedValueType{
		"RenoflowStage":  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"RenoflowClaim":  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"RenoflowVisits": enumspb.INDEXED_VALUE_TYPE_INT,
	}
	tp = startForTest(t, TemporalOptions{DataDir: dir, UIPort: -1, SearchAttributes: second})
	c = dial(t, tp)
	desc, err := c.DescribeWorkflowExecution(ctx, run.GetID(), "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.GetWorkflowExecutionInfo().GetStatus())
	started, fired := timerEvents(t, c, run.GetID())
	require.True(t, started, "TimerStarted lost")
	require.False(t, fired, "timer fired early")

	got := customSearchAttributes(t, c, tp.Namespace())
	for name, typ := range second {
		require.Equal(t, typ, got[name], "search attribute %s", name)
	}

	// The visibility table keeps only the indexes a dev server reads through (issue 15), and
	// a search by a custom attribute still finds the workflow.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBFileName)+"?mode=ro")
	require.NoError(t, err)
	defer db.Close()
	var kept []string
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'executions_visibility'
		AND sql IS NOT NULL ORDER BY name`)
	require.NoError(t, err)
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		kept = append(kept, name)
	}
	require.NoError(t, rows.Err())
	require.ElementsMatch(t, VisibilityIndexes, kept)
	require.Eventually(t, func() bool {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: "RenoflowStage = 'filed'"})
		return err == nil && len(resp.GetExecutions()) == 1 && resp.GetExecutions()[0].GetExecution().GetWorkflowId() == run.GetID()
	}, 20*time.Second, 50*time.Millisecond, "search by a custom attribute")

	// The restarted server dispatches tasks again (matching joined the ring
	// despite the previous run's membership rows): the workflow resumes.
	startWorker(t, c)
	require.NoError(t, c.SignalWorkflow(ctx, run.GetID(), "", "finish", nil))
	getCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	require.NoError(t, c.GetWorkflow(ctx, run.GetID(), "").Get(getCtx, nil))
}

// timerEvents reports whether the workflow's history holds TimerStarted and TimerFired.
func timerEvents(t *testing.T, c client.Client, workflowID string) (started, fired bool) {
	t.Helper()
	it := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			started = true
		case enumspb.EVENT_TYPE_TIMER_FIRED:
			fired = true
		}
	}
	return started, fired
}
