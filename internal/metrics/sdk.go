package metrics

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// SDK returns the Temporal SDK metrics handler of the set (client.Options.MetricsHandler):
// counters keep the SDK's names (temporal_request, temporal_workflow_completed, …), gauges
// too, and timers become histograms in seconds named <name>_seconds — the names the
// tally Prometheus reporter gives them (go.temporal.io/sdk/contrib/tally is not served by
// our module proxy, so the handler is implemented here over client_golang).
//
// The SDK tags one metric name with different tag sets (e.g. with and without
// activity_type); each family is exposed with the union of its tag names, a missing tag
// as the empty value.
func (s *Set) SDK() client.MetricsHandler {
	return sdkHandler{c: s.sdk}
}

// timerBuckets are the histogram buckets of SDK timers, in seconds.
var timerBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

const (
	kindCounter = iota
	kindGauge
	kindTimer
)

type sdkCollector struct {
	mu       sync.Mutex
	families map[string]*sdkFamily
}

type sdkFamily struct {
	kind   int
	series map[string]*sdkSeries
}

type sdkSeries struct {
	labels  map[string]string
	value   float64  // counter or gauge
	count   uint64   // timer
	sum     float64  // timer, seconds
	buckets []uint64 // timer, cumulative per upper bound
}

func newSDKCollector() *sdkCollector {
	return &sdkCollector{families: map[string]*sdkFamily{}}
}

// series returns the series of name with tags, creating it (and its family) when new.
func (c *sdkCollector) series(name string, kind int, tags map[string]string) *sdkSeries {
	name = sanitize(name)
	if kind == kindTimer {
		name += "_seconds"
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var id strings.Builder
	labels := make(map[string]string, len(tags))
	for _, k := range keys {
		labels[sanitize(k)] = tags[k]
		id.WriteString(k)
		id.WriteByte(0)
		id.WriteString(tags[k])
		id.WriteByte(0)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.families[name]
	if f == nil {
		f = &sdkFamily{kind: kind, series: map[string]*sdkSeries{}}
		c.families[name] = f
	}
	s := f.series[id.String()]
	if s == nil {
		s = &sdkSeries{labels: labels}
		if kind == kindTimer {
			s.buckets = make([]uint64, len(timerBuckets))
		}
		f.series[id.String()] = s
	}
	return s
}

// sanitize makes a Prometheus metric or label name.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}

// Describe sends nothing: the collector is unchecked (its families appear as the SDK emits them).
func (c *sdkCollector) Describe(chan<- *prometheus.Desc) {}

func (c *sdkCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, f := range c.families {
		var labelNames []string
		seen := map[string]bool{}
		for _, s := range f.series {
			for k := range s.labels {
				if !seen[k] {
					seen[k] = true
					labelNames = append(labelNames, k)
				}
			}
		}
		sort.Strings(labelNames)
		desc := prometheus.NewDesc(name, "Temporal SDK metric "+name+".", labelNames, nil)
		for _, s := range f.series {
			values := make([]string, len(labelNames))
			for i, k := range labelNames {
				values[i] = s.labels[k]
			}
			var m prometheus.Metric
			var err error
			switch f.kind {
			case kindCounter:
				m, err = prometheus.NewConstMetric(desc, prometheus.CounterValue, s.value, values...)
			case kindGauge:
				m, err = prometheus.NewConstMetric(desc, prometheus.GaugeValue, s.value, values...)
			default:
				b := make(map[float64]uint64, len(timerBuckets))
				for i, ub := range timerBuckets {
					b[ub] = s.buckets[i]
				}
				m, err = prometheus.NewConstHistogram(desc, s.count, s.sum, b, values...)
			}
			if err == nil {
				ch <- m
			}
		}
	}
}

type sdkHandler struct {
	c    *sdkCollector
	tags map[string]string
}

func (h sdkHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	for k, v := range h.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[k] = v
	}
	return sdkHandler{c: h.c, tags: merged}
}

func (h sdkHandler) Counter(name string) client.MetricsCounter {
	s := h.c.series(name, kindCounter, h.tags)
	return counterFunc(func(d int64) {
		h.c.mu.Lock()
		s.value += float64(d)
		h.c.mu.Unlock()
	})
}

func (h sdkHandler) Gauge(name string) client.MetricsGauge {
	s := h.c.series(name, kindGauge, h.tags)
	return gaugeFunc(func(v float64) {
		h.c.mu.Lock()
		s.value = v
		h.c.mu.Unlock()
	})
}

func (h sdkHandler) Timer(name string) client.MetricsTimer {
	s := h.c.series(name, kindTimer, h.tags)
	return timerFunc(func(d time.Duration) {
		sec := d.Seconds()
		h.c.mu.Lock()
		s.count++
		s.sum += sec
		for i, ub := range timerBuckets {
			if sec <= ub {
				s.buckets[i]++
			}
		}
		h.c.mu.Unlock()
	})
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }
