package worker

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/activities"
	"github.com/renoflow/renoflow/internal/metrics"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"
)

// A failed attempt is counted and logged with the customer and workflow id; a Persist that
// writes clock firings observes each firing's lateness (fire time minus due time).
func TestObserveActivities(t *testing.T) {
	m := metrics.New()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.SetTestTimeout(10 * time.Second)
	env.SetWorkerOptions(sdkworker.Options{Interceptors: []interceptor.WorkerInterceptor{Observe(m, log)}})
	env.RegisterActivityWithOptions(func(ctx context.Context, b activities.Batch) error { return nil }, activity.RegisterOptions{Name: "Persist"})
	env.RegisterActivityWithOptions(func(ctx context.Context) error { return errors.New("connection refused") }, activity.RegisterOptions{Name: "Boom"})

	due := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	_, err := env.ExecuteActivity("Persist", activities.Batch{Effects: renoflow.Effects{Timeline: []renoflow.Entry{
		{Kind: "timer", Rule: renoflow.RuleVerify, Due: due, At: due.Add(1500 * time.Millisecond)},
		{Kind: "filed", At: due},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(m.TimerLateness); n != 1 {
		t.Fatalf("lateness series = %d, want 1", n)
	}
	if err := testutil.CollectAndCompare(m.TimerLateness, strings.NewReader(`
# HELP renoflow_timer_lateness_seconds How late a customer clock fired: fire time minus due time, in seconds, by rule.
# TYPE renoflow_timer_lateness_seconds histogram
renoflow_timer_lateness_seconds_bucket{rule="verify",le="0.05"} 0
renoflow_timer_lateness_seconds_bucket{rule="verify",le="0.1"} 0
renoflow_timer_lateness_seconds_bucket{rule="verify",le="0.25"} 0
renoflow_timer_lateness_seconds_bucket{rule="verify",le="0.5"} 0
renoflow_timer_lateness_seconds_bucket{rule="verify",le="1"} 0
renoflow_timer_lateness_seconds_bucket{rule="verify",le="2"} 1
renoflow_timer_lateness_seconds_bucket{rule="verify",le="5"} 1
renoflow_timer_lateness_seconds_bucket{rule="verify",le="10"} 1
renoflow_timer_lateness_seconds_bucket{rule="verify",le="30"} 1
renoflow_timer_lateness_seconds_bucket{rule="verify",le="60"} 1
renoflow_timer_lateness_seconds_bucket{rule="verify",le="300"} 1
renoflow_timer_lateness_seconds_bucket{rule="verify",le="900"} 1
renoflow_timer_lateness_seconds_bucket{rule="verify",le="3600"} 1
renoflow_timer_lateness_seconds_bucket{rule="verify",le="+Inf"} 1
renoflow_timer_lateness_seconds_sum{rule="verify"} 1.5
renoflow_timer_lateness_seconds_count{rule="verify"} 1
`)); err != nil {
		t.Error(err)
	}

	if _, err := env.ExecuteActivity("Boom"); err == nil {
		t.Fatal("Boom succeeded")
	}
	if v := testutil.ToFloat64(m.ActivityFailures.WithLabelValues("Boom")); v != 1 {
		t.Errorf("failures = %v, want 1", v)
	}
	if !strings.Contains(logs.String(), "activity failed") || !strings.Contains(logs.String(), "workflow_id=") || !strings.Contains(logs.String(), "customer_id=") {
		t.Errorf("log: %s", logs.String())
	}
}
