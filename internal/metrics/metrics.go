// Package metrics holds renoflow's Prometheus metrics: one Set per process with its own
// registry, the Temporal SDK's metrics (through SDKHandler), HTTP request counts and
// latency per route and status, activity failures, timer lateness, and the open and
// overdue task gauges per store. Served on /metrics (see cmd/renoflow: METRICS_ADDR).
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/renoflow/renoflow/postgres"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uptrace/bun"
)

// Set is one process's metrics and the registry that serves them.
type Set struct {
	Registry *prometheus.Registry

	// HTTPRequests counts answered requests by method, route pattern and status.
	HTTPRequests *prometheus.CounterVec
	// HTTPDuration is the request latency in seconds by method, route pattern and status.
	HTTPDuration *prometheus.HistogramVec
	// ActivityFailures counts failed activity attempts by activity type (a failed
	// Persist is a write of the customer's outbox of effects that will be retried).
	ActivityFailures *prometheus.CounterVec
	// TimerLateness is fire time minus due time of a customer clock, in seconds, by rule.
	TimerLateness *prometheus.HistogramVec

	sdk *sdkCollector
}

// New returns a Set with the Go runtime and process collectors registered.
func New() *Set {
	s := &Set{
		Registry: prometheus.NewRegistry(),
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "renoflow_http_requests_total", Help: "HTTP requests answered, by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "renoflow_http_request_duration_seconds", Help: "HTTP request latency in seconds, by method, route pattern and status.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route", "status"}),
		ActivityFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "renoflow_activity_failures_total", Help: "Failed activity attempts (each is retried unless refused for good), by activity.",
		}, []string{"activity"}),
		TimerLateness: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "renoflow_timer_lateness_seconds", Help: "How late a customer clock fired: fire time minus due time, in seconds, by rule.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 300, 900, 3600},
		}, []string{"rule"}),
		sdk: newSDKCollector(),
	}
	s.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		s.HTTPRequests, s.HTTPDuration, s.ActivityFailures, s.TimerLateness, s.sdk)
	return s
}

// Handler serves the registry in the Prometheus text format.
func (s *Set) Handler() http.Handler {
	return promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{})
}

// WatchTasks registers the gauges renoflow_open_tasks and renoflow_overdue_tasks per
// store, read from the tasks table at each scrape (one query, bounded to 5 s).
func (s *Set) WatchTasks(db bun.IDB) {
	s.Registry.MustRegister(&taskCollector{db: db})
}

var (
	openTasksDesc = prometheus.NewDesc("renoflow_open_tasks", "Open tasks per store.", []string{"store"}, nil)
	overdueDesc   = prometheus.NewDesc("renoflow_overdue_tasks", "Open work past its due time per store (a notice is never overdue: renoflow.TaskOverdue).", []string{"store"}, nil)
	scrapeErrDesc = prometheus.NewDesc("renoflow_task_gauges_error", "1 when the task gauges could not be read at this scrape.", nil, nil)
)

// taskCollector reads the task gauges at scrape time.
type taskCollector struct{ db bun.IDB }

func (t *taskCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- openTasksDesc
	ch <- overdueDesc
	ch <- scrapeErrDesc
}

func (t *taskCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := postgres.StoreTaskCounts(ctx, t.db)
	failed := 0.0
	if err != nil {
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, failed)
	for _, r := range rows {
		ch <- prometheus.MustNewConstMetric(openTasksDesc, prometheus.GaugeValue, float64(r.Open), r.Store)
		ch <- prometheus.MustNewConstMetric(overdueDesc, prometheus.GaugeValue, float64(r.Overdue), r.Store)
	}
}
