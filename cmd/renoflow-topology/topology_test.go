package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/renoflow/renoflow/internal/apiclient"
	"github.com/renoflow/renoflow/internal/pgcluster"
	"github.com/renoflow/renoflow/workflows"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
)

// helperEnv makes the test binary act as the Temporal server process of the topology.
const helperEnv = "RENOFLOW_TOPOLOGY_TEMPORAL"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" && len(os.Args) > 1 && os.Args[1] == "temporal" {
		ctx, stop := signalContext()
		defer stop()
		if err := runTemporal(ctx, os.Args[2:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// customers is how many customers the topology test files.
const customers = 200

// The production shape run for real, every piece its own process: PostgreSQL, Temporal on
// PostgreSQL with its UI, two concurrent migrations, 2 workers and 2 API servers of the
// production build. 200 customers are filed and driven through both servers alternately
// while one worker is killed with SIGKILL (and started again later) and both servers are
// restarted one after the other. Every request succeeds (clients retry with their
// Idempotency-Key), every clock fires once, every task exists once, the sessions outlive
// the restarts, and both workers did work.
func TestTopology(t *testing.T) {
	if err := pgcluster.Available(); err != nil {
		t.Skipf("skipped: the topology needs the PostgreSQL server programs: %v", err)
	}
	started := time.Now()
	dir, err := os.MkdirTemp("", "renoflow-topology-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	t.Cleanup(func() { os.RemoveAll(dir) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	topo, err := Start(ctx, Options{Dir: dir, Temporal: []string{os.Args[0], "temporal"}, TemporalEnv: []string{helperEnv + "=1"},
		FastPostgres: true, Progress: testWriter{t}})
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			for _, name := range []string{"temporal", "worker-1", "worker-2", "server-1", "server-2"} {
				t.Logf("--- %s.log\n%s", name, tailFile(filepath.Join(dir, "logs", name+".log"), 3000))
			}
		}
		topo.Stop()
	})
	t.Logf("topology up in %.1fs", time.Since(started).Seconds())

	// The Temporal Web UI answers.
	resp, err := http.Get(topo.UIURL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	servers := []string{topo.Servers[0].URL, topo.Servers[1].URL}
	login := func(base, who string) *apiclient.Client {
		c := apiclient.New(base)
		_, err := c.Login(context.Background(), who, "renoflow")
		require.NoError(t, err, "login %s", who)
		return c
	}
	admin, cm := login(servers[1], "admin"), login(servers[0], "cm1").Token
	_, err = admin.SetPolicy(context.Background(), map[string]any{
		"verify_within": "3s", "escalate_copy_after": "2s", "escalate_flag_after": "2s", "owner_capacity": 10000,
		"claim_window": "1h", "claim_reminder_before": "30min", "first_callback_within": "1h", "presale_protection": "1h", "neglect_after": "1h",
	})
	require.NoError(t, err)

	c := &retryClient{servers: servers, token: cm}
	ids := make([]string, customers)
	var done atomic.Int64
	var failures []string
	var fmu sync.Mutex
	fail := func(format string, args ...any) {
		fmu.Lock()
		failures = append(failures, fmt.Sprintf(format, args...))
		fmu.Unlock()
	}
	// Each customer: filing (consultation at the store, so its verification clock runs),
	// then the first call-back and a follow-up; alternately through each server.
	drive := func(i int) {
		phone := fmt.Sprintf("139%08d", i)
		status, body, err := c.call(i, http.MethodPost, "/api/customers", fmt.Sprintf("file-%d", i), map[string]any{
			"name": "客户" + strconv.Itoa(i), "gender": "female", "phone": phone, "situation": "朋友介绍，想做现代简约",
			"house":   map[string]any{"community": "翠湖苑", "building": "3栋", "layout": "三室两厅", "area_m2": 120},
			"channel": "referral", "store_id": "s1", "focus_points": []string{"design"}, "consultation": "visit",
		})
		if err != nil || (status != http.StatusCreated && status != http.StatusAccepted) {
			fail("file %d: %d %v %v", i, status, body, err)
			return
		}
		id := body["customer_id"].(string)
		ids[i] = id
		for _, a := range []struct {
			action string
			in     map[string]any
		}{{"callback", map[string]any{"reached": true}}, {"follow-up", map[string]any{"channel": "phone", "note": "约量房"}}} {
			status, body, err := c.call(i+1, http.MethodPost, "/api/customers/"+id+"/"+a.action, fmt.Sprintf("%s-%d", a.action, i), a.in)
			if err != nil || status != http.StatusOK {
				fail("%s %d: %d %v %v", a.action, i, status, body, err)
				return
			}
		}
		done.Add(1)
	}

	work := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				drive(i)
			}
		}()
	}
	killedPid := topo.Workers[0].Pid()
	var restartedPid int
	for i := range customers {
		switch i {
		case customers / 4: // a worker dies mid-way, running tasks and all
			require.NoError(t, topo.Workers[0].Kill())
			t.Logf("killed worker-1 (pid %d) with SIGKILL after %d customers", killedPid, i)
		case customers / 2: // the API servers restart one after the other while requests flow
			for _, s := range topo.Servers {
				require.NoError(t, s.Restart(ctx))
				t.Logf("restarted %s", s.Name)
			}
		case 3 * customers / 4:
			require.NoError(t, topo.Workers[0].Start(ctx))
			restartedPid = topo.Workers[0].Pid()
			t.Logf("worker-1 started again (pid %d)", restartedPid)
		}
		work <- i
	}
	close(work)
	wg.Wait()
	require.Empty(t, failures, "every request succeeds, retried with its idempotency key")
	require.EqualValues(t, customers, done.Load())
	require.Zero(t, c.unauthorized.Load(), "no session was lost across the server restarts")
	t.Logf("%d customers driven in %.1fs; %d requests retried", customers, time.Since(started).Seconds(), c.retries.Load())

	// Sessions are rows in PostgreSQL: the tokens from before the restarts still work on both.
	for _, s := range servers {
		status, body, err := do(s, cm, http.MethodGet, "/api/me", "", nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status, "%v", body)
	}

	db := bun.NewDB(sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(topo.DBURL))), pgdialect.New())
	t.Cleanup(func() { db.Close() })
	count := func(q string, args ...any) int {
		var n int
		require.NoError(t, db.NewRaw(q, args...).Scan(ctx, &n))
		return n
	}
	// Every verification clock climbs its three rungs (reminder, copy, flag): 3 per customer.
	require.Eventually(t, func() bool {
		return count(`SELECT count(*) FROM timeline WHERE kind = 'timer' AND rule = 'verify'`) >= 3*customers
	}, 3*time.Minute, 500*time.Millisecond, "every verification clock fires")
	require.Zero(t, count(`SELECT count(*) FROM (SELECT 1 FROM bun_migrations GROUP BY name HAVING count(*) > 1) d`),
		"the two concurrent migrations applied each migration once")
	require.Equal(t, customers, count(`SELECT count(*) FROM customers`))
	require.Equal(t, customers, count(`SELECT count(*) FROM phone_claims`))
	require.Equal(t, 3*customers, count(`SELECT count(*) FROM timeline WHERE kind = 'timer' AND rule = 'verify'`), "each clock fired once")
	require.Zero(t, count(`SELECT count(*) FROM (SELECT 1 FROM timeline GROUP BY customer_id, key HAVING count(*) > 1) d`), "one timeline entry per key")
	require.Zero(t, count(`SELECT count(*) FROM (SELECT 1 FROM tasks GROUP BY customer_id, rule, subject, seq HAVING count(*) > 1) d`), "one task per business key")
	for _, want := range []struct {
		what, q string
		n       int
	}{
		{"verification task and its three rungs", `SELECT count(*) FROM tasks WHERE rule = 'verify' AND seq BETWEEN 0 AND 3`, 4 * customers},
		{"first call-back done once", `SELECT count(*) FROM tasks WHERE rule = 'callback' AND subject = '1' AND seq = 0 AND status = 'done'`, customers},
		{"one follow-up each", `SELECT count(*) FROM timeline WHERE kind = 'follow_up'`, customers},
		{"the follow-up counted once in the state", `SELECT count(*) FROM timeline WHERE kind = 'follow_up' AND summary LIKE '%本月第1次%'`, customers},
		{"filed once", `SELECT count(*) FROM timeline WHERE kind = 'filed'`, customers},
	} {
		require.Equal(t, want.n, count(want.q), want.what)
	}

	// Both workers took work: their identities (pid@host) in the histories, and the
	// activities each running worker executed in its metrics.
	tc, err := client.Dial(client.Options{HostPort: topo.TemporalAddr, Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	require.NoError(t, err)
	defer tc.Close()
	identities := map[int]int{}
	idRE := regexp.MustCompile(`^(\d+)@`)
	for _, id := range ids {
		it := tc.GetWorkflowHistory(ctx, workflows.CustomerWorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			require.NoError(t, err)
			var who string
			if a := ev.GetActivityTaskStartedEventAttributes(); a != nil {
				who = a.GetIdentity()
			} else if w := ev.GetWorkflowTaskCompletedEventAttributes(); w != nil {
				who = w.GetIdentity()
			}
			if m := idRE.FindStringSubmatch(who); m != nil {
				pid, _ := strconv.Atoi(m[1])
				identities[pid]++
			}
		}
	}
	t.Logf("work per worker pid: %v (worker-1 killed %d, restarted %d; worker-2 %d)", identities, killedPid, restartedPid, topo.Workers[1].Pid())
	for _, pid := range []int{killedPid, topo.Workers[1].Pid(), restartedPid} {
		require.Positive(t, identities[pid], "worker pid %d took work", pid)
	}
	var lateness float64
	for _, w := range topo.Workers {
		scrape := get(t, w.MetricsURL)
		// Persist is a local activity: the worker's writes count there.
		n := sumMetric(scrape, `temporal_activity_execution_latency_seconds_count`) +
			sumMetric(scrape, `temporal_local_activity_execution_latency_seconds_count`)
		require.Positive(t, n, "%s executed activities (its /metrics)", w.Name)
		lateness += sumMetric(scrape, `renoflow_timer_lateness_seconds_count{rule="verify"}`)
	}
	require.Positive(t, lateness, "the workers observed the clocks' lateness")
	for _, s := range topo.Servers {
		scrape := get(t, s.MetricsURL)
		require.Positive(t, sumMetric(scrape, `renoflow_http_requests_total{method="POST",route="/api/customers/:id/follow-up",status="200"}`), s.Name)
		require.Contains(t, scrape, `renoflow_open_tasks{store="s1"}`)
	}
	t.Logf("whole run %.1fs", time.Since(started).Seconds())
}

// retryClient sends each request to one server, and again with the same Idempotency-Key
// to the next when the answer is lost (connection refused or reset while a server
// restarts), the service is unavailable (503) or the customer is still being written (409
// 正在建档).
type retryClient struct {
	servers      []string
	token        string
	retries      atomic.Int64
	unauthorized atomic.Int64
}

func (c *retryClient) call(i int, method, path, key string, in map[string]any) (int, map[string]any, error) {
	var status int
	var body map[string]any
	var err error
	for attempt := 0; attempt < 400; attempt++ {
		if attempt > 0 {
			c.retries.Add(1)
		}
		status, body, err = do(c.servers[(i+attempt)%len(c.servers)], c.token, method, path, key, in)
		if status == http.StatusUnauthorized {
			c.unauthorized.Add(1)
		}
		if err == nil && status != http.StatusServiceUnavailable && status != http.StatusBadGateway &&
			!(status == http.StatusConflict && strings.Contains(fmt.Sprint(body), "正在建档")) {
			return status, body, nil
		}
	}
	return status, body, err
}

// do sends one JSON request through the typed client (internal/apiclient) to the server
// at base with the session token, and decodes the JSON answer.
func do(base, token, method, path, key string, in map[string]any) (int, map[string]any, error) {
	c := apiclient.New(base)
	c.HTTP.Timeout, c.Token = 60*time.Second, token
	var body any
	if in != nil {
		body = in
	}
	resp, err := c.Do(context.Background(), method, path, body, apiclient.IdempotencyKey(key))
	if err != nil {
		return 0, nil, err
	}
	out, err := resp.Map()
	return resp.Status, out, err
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return string(b)
}

// sumMetric adds up every sample of a scrape whose series starts with prefix (a name, or
// a name with its first labels).
func sumMetric(scrape, prefix string) float64 {
	var sum float64
	open := strings.TrimSuffix(prefix, "}")
	for _, line := range strings.Split(scrape, "\n") {
		if !strings.HasPrefix(line, open) {
			continue
		}
		rest := line[len(open):]
		if open == prefix && !(strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, "{")) {
			continue // another metric whose name starts with prefix
		}
		f := strings.Fields(line)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			sum += v
		}
	}
	return sum
}

// testWriter logs the topology's progress lines in the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
