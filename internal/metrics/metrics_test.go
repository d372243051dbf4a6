package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func scrape(t *testing.T, s *Set) string {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Code != 200 {
		t.Fatalf("scrape: %d %s", rec.Code, b)
	}
	return string(b)
}

// The SDK handler exposes counters, gauges and timers (as second histograms), also when
// one name is emitted with different tag sets, and the scrape stays valid.
func TestSDKHandler(t *testing.T) {
	s := New()
	h := s.SDK().WithTags(map[string]string{"namespace": "default"})
	h.Counter("temporal_request").Inc(2)
	h.WithTags(map[string]string{"operation": "StartWorkflowExecution"}).Counter("temporal_request").Inc(1)
	h.Gauge("temporal_num_pollers").Update(3)
	tm := h.WithTags(map[string]string{"activity_type": "Persist"}).Timer("temporal_activity_execution_latency")
	tm.Record(30 * time.Millisecond)
	tm.Record(2 * time.Second)
	out := scrape(t, s)
	for _, want := range []string{
		`temporal_request{namespace="default",operation=""} 2`,
		`temporal_request{namespace="default",operation="StartWorkflowExecution"} 1`,
		`temporal_num_pollers{namespace="default"} 3`,
		`temporal_activity_execution_latency_seconds_bucket{activity_type="Persist",namespace="default",le="0.05"} 1`,
		`temporal_activity_execution_latency_seconds_bucket{activity_type="Persist",namespace="default",le="2.5"} 2`,
		`temporal_activity_execution_latency_seconds_count{activity_type="Persist",namespace="default"} 2`,
		`go_goroutines`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s:\n%s", want, out)
		}
	}
}

func TestOwnMetrics(t *testing.T) {
	s := New()
	s.HTTPRequests.WithLabelValues("GET", "/api/customers/:id", "200").Inc()
	s.HTTPDuration.WithLabelValues("GET", "/api/customers/:id", "200").Observe(0.02)
	s.ActivityFailures.WithLabelValues("Persist").Inc()
	s.TimerLateness.WithLabelValues("verify").Observe(0.3)
	out := scrape(t, s)
	for _, want := range []string{
		`renoflow_http_requests_total{method="GET",route="/api/customers/:id",status="200"} 1`,
		`renoflow_http_request_duration_seconds_count{method="GET",route="/api/customers/:id",status="200"} 1`,
		`renoflow_activity_failures_total{activity="Persist"} 1`,
		`renoflow_timer_lateness_seconds_bucket{rule="verify",le="0.5"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
}
