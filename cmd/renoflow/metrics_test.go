package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/stretchr/testify/require"
)

// metricValue returns the value of the first sample of the scrape matching the pattern
// (a regexp over the series name and labels), and whether there was one.
func metricValue(scrape, series string) (float64, bool) {
	m := regexp.MustCompile(`(?m)^` + series + ` (\S+)$`).FindStringSubmatch(scrape)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}

func getMetrics(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	return string(b)
}

// dev serves Prometheus metrics on its own loopback address: the Temporal SDK's, HTTP
// requests per route and status, open and overdue tasks per store, and the lateness of
// fired clocks; its log names the customer and workflow of each request.
func TestDevMetrics(t *testing.T) {
	data := tempDir(t)
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": data})
	admin := d.login(t, "admin")
	admin.setPolicy(map[string]any{"claim_window": "3s", "claim_reminder_before": "1s", "verify_within": "1h"})
	cm := d.login(t, "cm1")
	status, body := cm.call(http.MethodPost, "/customers", filing("13522223333"))
	require.Equal(t, http.StatusCreated, status, "%v", body)
	id := body["customer_id"].(string)
	status, _ = cm.call(http.MethodGet, "/customers/"+id, nil)
	require.Equal(t, http.StatusOK, status)

	var scrape string
	eventually(t, "both clocks fired and were observed", func() bool {
		scrape = getMetrics(t, d.Web+"/metrics")
		n, _ := metricValue(scrape, `renoflow_timer_lateness_seconds_count\{rule="claim.expiry"\}`)
		return n == 1
	})
	for _, series := range []string{
		`renoflow_http_requests_total\{method="POST",route="/api/customers",status="201"\}`,
		`renoflow_http_requests_total\{method="GET",route="/api/customers/:id",status="200"\}`,
		`renoflow_http_request_duration_seconds_count\{method="PUT",route="/api/policy",status="200"\}`,
		`renoflow_timer_lateness_seconds_count\{rule="claim.reminder"\}`,
		`renoflow_open_tasks\{store="s1"\}`,
		`renoflow_overdue_tasks\{store="s1"\}`,
		`temporal_workflow_task_execution_latency_seconds_count\{[^}]*workflow_type="CustomerWorkflow"[^}]*\}`,
		// Persist runs as a local activity (GetVersion local-persist) and a filing is one
		// start request (an eager start where the worker is in the process), its answer
		// waited for on PostgreSQL (Config.FiledNotices).
		`temporal_local_activity_execution_latency_seconds_count\{[^}]*activity_type="Persist"[^}]*\}`,
		`temporal_request_latency_seconds_count\{[^}]*operation="StartWorkflowExecution"[^}]*\}`,
	} {
		v, ok := metricValue(scrape, series)
		require.True(t, ok, "metrics lack %s:\n%s", series, grepLines(scrape, "temporal_request"))
		if !strings.Contains(series, "overdue") {
			require.Positive(t, v, series)
		}
	}
	late, _ := metricValue(scrape, `renoflow_timer_lateness_seconds_sum\{rule="claim.expiry"\}`)
	require.GreaterOrEqual(t, late, 0.0, "a clock never fires before it is due")
	require.Less(t, late, 30.0)

	log, err := os.ReadFile(filepath.Join(data, "renoflow.log"))
	require.NoError(t, err)
	require.Regexp(t, `msg=request method=POST route=/api/customers .*status=201 .*customer_id=`+id+` workflow_id=customer-`+id, string(log))
	require.Regexp(t, `msg=request method=GET route=/api/customers/:id .*status=200 .*customer_id=`+id+` workflow_id=customer-`+id, string(log))
}

// grepLines keeps the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range lines(s) {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
