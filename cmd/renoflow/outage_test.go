package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/renoflow/renoflow/internal/apiclient"
	"github.com/renoflow/renoflow/internal/devstack"
	"github.com/renoflow/renoflow/internal/pgcluster"
	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/renoflow/renoflow/worker"
	"github.com/renoflow/renoflow/workflows"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"go.temporal.io/api/workflowservice/v1"
)

// Fault injection on the real stack (issue 9 "Outages"): PostgreSQL or the Temporal
// server stopped in the middle of a burst of filings and due timers, then started again
// on the same data. The policy is shrunk to seconds and each outage lasts outageFor: long
// enough to exceed every timeout the old code gave up at (the LoadPolicy local activity
// failed the workflow after 10 s), and it exercises the same mechanism as a 5-minute
// outage — unlimited retries with a backoff capped at 10 s (workflows/options.go), so a
// longer outage only adds attempts, not new code paths.
const outageFor = 15 * time.Second

// shrunkLadder is the policy of these tests: verification is due 3 s after the filing and
// its escalation ladder climbs every 3 s, so three timers per customer fall due at once.
var shrunkLadder = map[string]any{
	"verify_within": "3s", "escalate_copy_after": "3s", "escalate_flag_after": "3s", "owner_capacity": 1000,
}

// errorMessage is the message of an API error answer.
func errorMessage(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

// filingResult is the answer to one filing of a burst.
type filingResult struct {
	phone  string
	status int
	id     string
	body   map[string]any
	err    error
}

// fileBurst files n customers concurrently (phones prefix+i) and returns a channel that
// yields all the answers once every filing has answered.
func fileBurst(c *apiClient, prefix string, n int) <-chan []filingResult {
	out := make(chan []filingResult, 1)
	results := make([]filingResult, n)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			phone := fmt.Sprintf("%s%04d", prefix, i)
			status, body, err := c.try(http.MethodPost, "/customers", filing(phone))
			r := filingResult{phone: phone, status: status, body: body, err: err}
			if id, ok := body["customer_id"].(string); ok {
				r.id = id
			}
			results[i] = r
		}(i)
	}
	go func() { wg.Wait(); out <- results }()
	return out
}

// freeTCPPort is a port nobody listens on now, to start a server on and restart it on.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ownedPostgres is a PostgreSQL cluster the test stops and starts on the same data.
type ownedPostgres struct {
	opts pgcluster.Options
	c    *pgcluster.Cluster
}

func startOwnedPostgres(t *testing.T) *ownedPostgres {
	t.Helper()
	p := &ownedPostgres{opts: pgcluster.Options{Dir: filepath.Join(tempDir(t), "pg"), Port: freeTCPPort(t), Fast: true}}
	p.start(t)
	t.Cleanup(func() { _ = p.c.Stop() })
	require.NoError(t, p.c.CreateDatabase(context.Background(), "renoflow"))
	return p
}

func (p *ownedPostgres) start(t *testing.T) {
	t.Helper()
	c, err := pgcluster.Start(context.Background(), p.opts)
	require.NoError(t, err)
	p.c = c
}

func (p *ownedPostgres) stop(t *testing.T) { t.Helper(); require.NoError(t, p.c.Stop()) }

// ownedTemporal is an embedded Temporal server the test stops and starts again on the same
// SQLite file and port.
type ownedTemporal struct {
	opts devstack.TemporalOptions
	t    *devstack.Temporal
}

func startOwnedTemporal(t *testing.T) *ownedTemporal {
	t.Helper()
	o := &ownedTemporal{opts: devstack.TemporalOptions{DataDir: tempDir(t), Port: freeTCPPort(t), UIPort: -1,
		Namespace: "default", SearchAttributes: worker.SearchAttributes()}}
	o.start(t)
	t.Cleanup(func() { _ = o.t.Stop() })
	return o
}

func (o *ownedTemporal) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv, err := devstack.StartTemporal(ctx, o.opts)
	require.NoError(t, err)
	o.t = srv
}

func (o *ownedTemporal) stop(t *testing.T) { t.Helper(); require.NoError(t, o.t.Stop()) }

// during runs check every half second until d has passed since from: the outage, spent
// checking what the API answers meanwhile.
func during(t *testing.T, from time.Time, d time.Duration, check func()) {
	t.Helper()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for time.Since(from) < d {
		check()
		<-tick.C
	}
}

// outageChecks are the assertions after an outage, on the database dev uses: every
// accepted filing has its row and no phone is reserved without one, each customer's
// verification ladder fired each rung exactly once and counted from the due times, and
// no customer workflow failed.
func outageChecks(t *testing.T, d *dev, ids []string) {
	t.Helper()
	ctx := context.Background()
	db := d.db(t)
	require.Eventually(t, func() bool {
		var n int
		err := db.NewRaw(`SELECT count(*) FROM customers c WHERE c.id IN (?) AND
			(SELECT count(*) FROM tasks k WHERE k.customer_id = c.id AND k.rule = 'verify' AND k.seq BETWEEN 1 AND 3) = 3`,
			bun.In(ids)).Scan(ctx, &n)
		return err == nil && n == len(ids)
	}, 2*time.Minute, 100*time.Millisecond, "every accepted filing is written and its three ladder rungs fired")
	var orphans int
	require.NoError(t, db.NewRaw(`SELECT count(*) FROM phone_claims pc LEFT JOIN customers c ON c.id = pc.customer_id
		WHERE c.id IS NULL`).Scan(ctx, &orphans))
	require.Zero(t, orphans, "no phone stays reserved without its customer")
	// Each rung fired once: one timeline entry per clock key, one persisted firing of it.
	var fired []struct {
		CustomerID string `bun:"customer_id"`
		Key        string `bun:"key"`
		N          int    `bun:"n"`
	}
	require.NoError(t, db.NewRaw(`SELECT customer_id, key, count(*) AS n FROM timeline
		WHERE customer_id IN (?) AND kind = 'timer' GROUP BY customer_id, key`, bun.In(ids)).Scan(ctx, &fired))
	perCustomer := map[string]int{}
	for _, f := range fired {
		require.Equal(t, 1, f.N, "%s fired %d times", f.Key, f.N)
		perCustomer[f.CustomerID]++
	}
	for _, id := range ids {
		require.Equal(t, 3, perCustomer[id], "customer %s: one firing per rung", id)
	}
	// The ladder counts from the due times, not from the late firing (rules version 2).
	var offsets []float64
	require.NoError(t, db.NewRaw(`SELECT extract(epoch FROM k2.due_at - k1.due_at) FROM tasks k1
		JOIN tasks k2 ON k2.customer_id = k1.customer_id AND k2.rule = k1.rule AND k2.seq = k1.seq + 1
		WHERE k1.customer_id IN (?) AND k1.rule = 'verify' AND k1.seq >= 1`, bun.In(ids)).Scan(ctx, &offsets))
	require.Len(t, offsets, 2*len(ids))
	for _, o := range offsets {
		require.InDelta(t, 3, o, 0.001, "each rung is due 3 s after the previous one's due time")
	}
	// No customer workflow failed: all still running.
	tc := d.temporal(t)
	resp, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: "WorkflowType = 'CustomerWorkflow' AND ExecutionStatus != 'Running'"})
	require.NoError(t, err)
	require.Empty(t, resp.GetExecutions(), "customer workflows that ended")
	for _, id := range ids {
		desc, err := tc.DescribeWorkflowExecution(ctx, workflows.CustomerWorkflowID(id), "")
		require.NoError(t, err)
		require.Equal(t, "Running", desc.GetWorkflowExecutionInfo().GetStatus().String())
	}
}

// PostgreSQL stopped for outageFor while filings are in flight and every customer's
// timers fall due, then started again: no workflow fails, every filing that was accepted
// (201 or 202) is written, a filing refused meanwhile (503, with a clear Chinese message)
// holds no phone, every timer fires exactly once, and every customer then takes actions.
// The old code failed the workflows whose LoadPolicy could not reach PostgreSQL for 10 s.
func TestPostgresOutage(t *testing.T) {
	t.Parallel() // its own cluster and stack; the outage overlaps TestTemporalOutage's
	pg := startOwnedPostgres(t)
	d := startDev(t, map[string]string{"DATABASE_URL": pg.c.URL("renoflow"), "RENOFLOW_DATA": tempDir(t)})
	admin, cm, cs := d.login(t, "admin"), d.login(t, "cm1"), d.login(t, "cs1")
	admin.setPolicy(shrunkLadder)

	// Ten customers filed before the outage: their three rungs fall due during it.
	var ids []string
	for _, r := range <-fileBurst(cm, "1370000", 10) {
		require.NoError(t, r.err)
		require.Equal(t, http.StatusCreated, r.status, "%v", r.body)
		ids = append(ids, r.id)
	}
	// Twenty more filed concurrently with the stop: PostgreSQL stops once a few of them
	// have reserved their phone, so some are caught between the reservation, the start of
	// their workflow and its first write.
	db := d.db(t)
	burst := fileBurst(cm, "1371111", 20)
	eventually(t, "filings of the burst are under way", func() bool {
		n, err := db.NewSelect().Table("phone_claims").Where("phone LIKE '1371111%'").Count(context.Background())
		return err == nil && n >= 3
	})
	pg.stop(t)
	stopped := time.Now()
	during(t, stopped, outageFor, func() {
		for _, path := range []string{"/customers", "/tasks", "/customers/" + ids[0]} {
			status, body, err := cm.try(http.MethodGet, path, nil)
			require.NoError(t, err)
			require.Equal(t, http.StatusServiceUnavailable, status, "GET %s while PostgreSQL is down: %v", path, body)
			require.Contains(t, errorMessage(body), "数据库暂时无法连接")
		}
		status, body, err := cs.try(http.MethodPost, "/customers/"+ids[0]+"/verify", map[string]any{})
		require.NoError(t, err)
		require.Equal(t, http.StatusServiceUnavailable, status, "an action while PostgreSQL is down: %v", body)
	})
	pg.start(t)

	refused := 0
	for _, r := range <-burst {
		require.NoError(t, r.err)
		switch r.status {
		case http.StatusCreated, http.StatusAccepted: // written, or durable and being written
			ids = append(ids, r.id)
		case http.StatusServiceUnavailable: // refused before anything was reserved or started
			require.Contains(t, errorMessage(r.body), "数据库暂时无法连接", "%v", r.body)
			refused++
			status, body := cm.call(http.MethodPost, "/customers", filing(r.phone))
			require.Equal(t, http.StatusCreated, status, "a refused filing holds no phone: %v", body)
			ids = append(ids, body["customer_id"].(string))
		default:
			t.Fatalf("filing %s answered %d: %v", r.phone, r.status, r.body)
		}
	}
	t.Logf("burst during the stop: %d accepted, %d refused with 503", 20-refused, refused)
	outageChecks(t, d, ids)
	for _, id := range ids { // pending work done, the customers serve staff again
		status, body := cs.call(http.MethodPost, "/customers/"+id+"/verify", map[string]any{})
		require.Equal(t, http.StatusOK, status, "%v", body)
	}
}

// The Temporal server stopped for outageFor while timers fall due, then started again on
// the same SQLite file: meanwhile filings and actions answer 503 with a clear Chinese
// message, a refused filing holds no phone and lists still answer; afterwards every
// timer fires exactly once and every customer serves staff again.
func TestTemporalOutage(t *testing.T) {
	t.Parallel() // its own server and stack; the outage overlaps TestPostgresOutage's
	tmp := startOwnedTemporal(t)
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t),
		"TEMPORAL_ADDRESS": tmp.t.Address()})
	admin, cm, cs := d.login(t, "admin"), d.login(t, "cm1"), d.login(t, "cs1")
	admin.setPolicy(shrunkLadder)
	var ids []string
	for _, r := range <-fileBurst(cm, "1372222", 10) {
		require.NoError(t, r.err)
		require.Equal(t, http.StatusCreated, r.status, "%v", r.body)
		ids = append(ids, r.id)
	}
	tmp.stop(t)
	stopped := time.Now()
	down := func(what string, status int, body map[string]any) {
		require.Equal(t, http.StatusServiceUnavailable, status, "%s while Temporal is down: %v", what, body)
		require.Contains(t, []string{"流程服务暂时无法连接，请稍后重试（已提交的报备和操作不会丢失）",
			"处理超时：系统繁忙或后台服务暂不可用，请稍后刷新查看是否已生效，再决定是否重试"}, errorMessage(body), what)
	}
	checked := 0
	during(t, stopped, outageFor, func() {
		status, body, err := cm.try(http.MethodPost, "/customers", filing(fmt.Sprintf("1373333%04d", checked)))
		require.NoError(t, err)
		down("a filing", status, body)
		status, body, err = cs.try(http.MethodPost, "/customers/"+ids[0]+"/verify", map[string]any{})
		require.NoError(t, err)
		down("an action", status, body)
		status, body, err = cm.try(http.MethodGet, "/customers", nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status, "lists read PostgreSQL: %v", body)
		checked++
	})
	tmp.start(t)
	t.Logf("%d rounds of requests answered 503 during the outage", checked)
	// The app's Temporal client reconnects with a backoff of its own: until it has, a
	// filing still answers 503 (and reserves nothing), as a client that retries sees.
	eventually(t, "the app reaches the restarted Temporal server", func() bool {
		status, health := (&apiClient{t: t, api: apiclient.New(d.Web)}).call(http.MethodGet, "/healthz", nil)
		return status == http.StatusOK && health["temporal"] == "ok"
	})
	for i := 0; i < checked; i++ { // the refused filings hold no phone
		var status int
		var body map[string]any
		eventually(t, "a refused filing files once Temporal is back", func() bool {
			status, body = cm.call(http.MethodPost, "/customers", filing(fmt.Sprintf("1373333%04d", i)))
			return status != http.StatusServiceUnavailable
		})
		require.Equal(t, http.StatusCreated, status, "%v", body)
	}
	outageChecks(t, d, ids)
	for _, id := range ids {
		status, body := cs.call(http.MethodPost, "/customers/"+id+"/verify", map[string]any{})
		require.Equal(t, http.StatusOK, status, "%v", body)
	}
}
