package main

// The scale figures of issue 15, measured in one run against one `renoflow dev`, each
// beside a raw Temporal baseline run on the same server in the same minute and printed
// as a ratio: the machine is shared, so absolute times mean little.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/internal/apiclient"
	"github.com/renoflow/renoflow/workflows"
	"github.com/uptrace/bun/driver/pgdriver"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	tclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// scaleOpts scales each part of the run; quick shrinks them all.
type scaleOpts struct {
	rounds, perRound, clients int // throughput: interleaved rounds of raw starts and filings
	timers                    int // customers (and raw timer workflows) per timer round
	timerDelay                time.Duration
	seed                      int   // customers seeded in PostgreSQL for the API latency
	apiCalls                  int   // calls per API figure
	open                      []int // open customers at which worker RSS is read
	lifecycle                 int   // customers driven through a shrunk lifecycle
	lifecycleWait             time.Duration
	// profile, when set, is where the dev process's CPU profiles of the throughput rounds
	// (after the first) are written; the dev process then serves PPROF_ADDR.
	profile string
	// filingOnly stops after the throughput figures.
	filingOnly bool
}

const rawQueue = "renoflow-bench-raw"

// rawOpen is the raw baseline of a filing: a workflow that starts and waits on a timer.
func rawOpen(ctx workflow.Context) error { return workflow.Sleep(ctx, 30*24*time.Hour) }

// rawFiled is the like-for-like baseline of a filing: a workflow started together with an
// update ("filed") that it answers in its first workflow task, then waiting on a timer.
func rawFiled(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandler(ctx, "filed", func(ctx workflow.Context) (string, error) { return "ok", nil }); err != nil {
		return err
	}
	return workflow.Sleep(ctx, 30*24*time.Hour)
}

// rawWritten is the like-for-like baseline of a filing as renoflow answers it: a workflow
// started eagerly whose first workflow task runs a local activity (rawWrite) telling the
// starter it ran, as the filing's persist announces its commit; then it waits on a timer.
func rawWritten(ctx workflow.Context, id string) error {
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: time.Minute})
	if err := workflow.ExecuteLocalActivity(lctx, rawWrite, id).Get(ctx, nil); err != nil {
		return err
	}
	return workflow.Sleep(ctx, 30*24*time.Hour)
}

// rawWrites hands rawWrite's announcements to the starters waiting for them.
var rawWrites sync.Map // workflow ID → chan struct{}

func rawWrite(_ context.Context, id string) error {
	if ch, ok := rawWrites.LoadAndDelete(id); ok {
		close(ch.(chan struct{}))
	}
	return nil
}

// rawTimer is the raw baseline of a clock: a timer, then an activity marking its firing.
func rawTimer(ctx workflow.Context, id string, due time.Time) error {
	if d := due.Sub(workflow.Now(ctx)); d > 0 {
		if err := workflow.Sleep(ctx, d); err != nil {
			return err
		}
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	return workflow.ExecuteActivity(actx, "RawMark", id, due).Get(ctx, nil)
}

type marks struct {
	mu   sync.Mutex
	late []time.Duration
}

func (m *marks) RawMark(ctx context.Context, id string, due time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.late = append(m.late, time.Since(due))
	_ = activity.GetInfo(ctx)
	return nil
}

func scale(bin string, o scaleOpts) error {
	work, err := os.MkdirTemp("", "renoflow-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	// Traversable, so a dev run as root keeps its PostgreSQL cluster inside the data
	// directory, where procs finds it (not under /var/lib/renoflow).
	if err := os.Chmod(work, 0o755); err != nil {
		return err
	}
	data := filepath.Join(work, "data")
	d, err := startDev(bin, data, o.profile != "")
	if err != nil {
		return err
	}
	defer d.stop() //nolint:errcheck
	fmt.Printf("renoflow scale benchmark — %s (dev ready in %.1f s)\n", time.Now().UTC().Format(time.RFC3339), d.ready.Seconds())
	tc, err := tclient.Dial(tclient.Options{HostPort: d.temporal, Logger: quietLogger{}})
	if err != nil {
		return fmt.Errorf("dial Temporal %s: %w", d.temporal, err)
	}
	defer tc.Close()
	mk := &marks{}
	// The raw worker polls and executes like renoflow's worker with its defaults
	// (renoflow help: WORKER_WORKFLOW_POLLERS, WORKER_WORKFLOW_TASKS, WORKER_STICKY_TIMEOUT),
	// so the baselines are not held back by the SDK's two pollers.
	w := worker.New(tc, rawQueue, worker.Options{MaxConcurrentWorkflowTaskPollers: 4, MaxConcurrentActivityTaskPollers: 4,
		MaxConcurrentWorkflowTaskExecutionSize: 64, StickyScheduleToStartTimeout: 15 * time.Second})
	w.RegisterWorkflow(rawOpen)
	w.RegisterWorkflow(rawTimer)
	w.RegisterWorkflow(rawFiled)
	w.RegisterWorkflow(rawWritten)
	w.RegisterActivity(mk)
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(d.pgURL)))
	defer db.Close()

	ctx := context.Background()
	var cm, sm, admin *apiclient.Client
	for _, c := range []struct {
		c    **apiclient.Client
		name string
	}{{&cm, "cm1"}, {&sm, "sm1"}, {&admin, "admin"}} {
		if *c.c, err = login(ctx, d.web, c.name); err != nil {
			return err
		}
	}
	// The filings come from many staff of many stores in a real company; the demo's store
	// manager files the customers of the later figures, so the owner capacity (库容) is
	// lifted for the run.
	if err := putPolicy(ctx, admin, map[string]any{"owner_capacity": 100000}); err != nil {
		return err
	}
	// The throughput rounds' clients are as many customer managers: one person's filings
	// are counted against their 库容 one after another (a lock per person), which sixteen
	// people filing at once never queue on.
	filers, err := benchFilers(ctx, d.web, admin, o.clients)
	if err != nil {
		return err
	}
	// Filings call it from many goroutines at once: a repeated number would be a 撞单.
	var phone atomic.Int64
	nextPhone := func() string { return fmt.Sprintf("139%08d", phone.Add(1)) }
	pids := procs{dev: d.cmd.Process.Pid, data: data}

	// 1. Filing throughput and CPU per filing, interleaved with raw starts and with raw
	// update-with-starts (an empty workflow answering an update in its first task).
	var rawRates, sustainedRates, uwsRates, eagerRates, fileRates, rawCPU, uwsCPU, eagerCPU, fileCPU, fileBenchCPU, filePGCPU []float64
	fileErrs, newConns, connFilings := 0, 0, 0
	for r := 0; r < o.rounds; r++ {
		profiled := o.profile != "" && (r > 0 || o.rounds == 1)
		var rawProf *profiling
		if profiled {
			rawProf = startProfile(d.pprof)
		}
		c0 := pids.cpu()
		ids := make([]string, o.perRound)
		for i := range ids {
			ids[i] = "raw-" + uuid.NewString()
		}
		t0 := time.Now()
		rate, _ := concurrently(o.perRound, o.clients, func(i int) error {
			_, err := tc.ExecuteWorkflow(ctx, tclient.StartWorkflowOptions{ID: ids[i], TaskQueue: rawQueue}, rawOpen)
			return err
		})
		// The rate is of starts; the CPU is of the starts and their first workflow tasks,
		// which must not run on into the filing round and slow it down. The sustained rate
		// counts the time until those first tasks are done too: a burst of starts answers
		// before its workflows have run, a steady stream of them cannot.
		if err := firstTasksDone(ctx, tc, ids); err != nil {
			return err
		}
		sustainedRates = append(sustainedRates, float64(o.perRound)/time.Since(t0).Seconds())
		c1 := pids.cpu()
		if err := rawProf.stop(o.profile+".raw", r); err != nil {
			return err
		}
		rawRates = append(rawRates, rate)
		rawCPU = append(rawCPU, (c1.dev+c1.pg+c1.self-c0.dev-c0.pg-c0.self).Seconds()*1000/float64(o.perRound))
		// The like-for-like baseline: a workflow started with an update it answers in its
		// first workflow task, waited for until answered — what a filing does, without
		// anything of renoflow's.
		uwsRate, _ := concurrently(o.perRound, o.clients, func(i int) error {
			id := "rawfiled-" + uuid.NewString()
			op := tc.NewWithStartWorkflowOperation(tclient.StartWorkflowOptions{ID: id, TaskQueue: rawQueue,
				WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL}, rawFiled)
			h, err := tc.UpdateWithStartWorkflow(ctx, tclient.UpdateWithStartWorkflowOptions{StartWorkflowOperation: op,
				UpdateOptions: tclient.UpdateWorkflowOptions{WorkflowID: id, UpdateName: "filed", WaitForStage: tclient.WorkflowUpdateStageCompleted}})
			if err != nil {
				return err
			}
			return h.Get(ctx, nil)
		})
		cu := pids.cpu()
		uwsRates = append(uwsRates, uwsRate)
		uwsCPU = append(uwsCPU, (cu.dev+cu.pg+cu.self-c1.dev-c1.pg-c1.self).Seconds()*1000/float64(o.perRound))
		// The filing's own shape on Temporal alone: an eager start, answered when its first
		// task's local activity has run.
		var eagerProf *profiling
		if profiled {
			eagerProf = startProfile(d.pprof)
		}
		eagerRate, _ := concurrently(o.perRound, o.clients, func(i int) error {
			id := "rawwritten-" + uuid.NewString()
			ch := make(chan struct{})
			rawWrites.Store(id, ch)
			defer rawWrites.Delete(id)
			if _, err := tc.ExecuteWorkflow(ctx, tclient.StartWorkflowOptions{ID: id, TaskQueue: rawQueue, EnableEagerStart: true}, rawWritten, id); err != nil {
				return err
			}
			select {
			case <-ch:
				return nil
			case <-time.After(time.Minute):
				return fmt.Errorf("raw workflow %s: its local activity did not run in a minute", id)
			}
		})
		ce := pids.cpu()
		if err := eagerProf.stop(o.profile+".eager", r); err != nil {
			return err
		}
		eagerRates = append(eagerRates, eagerRate)
		eagerCPU = append(eagerCPU, (ce.dev+ce.pg+ce.self-cu.dev-cu.pg-cu.self).Seconds()*1000/float64(o.perRound))
		c1 = ce
		s0 := pgSessions(ctx, db)
		var prof *profiling
		if profiled {
			prof = startProfile(d.pprof)
		}
		rate, errs := concurrently(o.perRound, o.clients, func(i int) error {
			_, err := file(ctx, filers[i%len(filers)], nextPhone())
			return err
		})
		c2 := pids.cpu()
		if err := prof.stop(o.profile, r); err != nil {
			return err
		}
		if r > 0 || o.rounds == 1 { // the app's pool fills during the first round
			newConns += pgSessions(ctx, db) - s0
			connFilings += o.perRound
		}
		fileErrs += errs
		fileRates = append(fileRates, rate)
		fileCPU = append(fileCPU, (c2.dev+c2.pg-c1.dev-c1.pg).Seconds()*1000/float64(o.perRound))
		filePGCPU = append(filePGCPU, (c2.pg-c1.pg).Seconds()*1000/float64(o.perRound))
		fileBenchCPU = append(fileBenchCPU, (c2.self-c1.self).Seconds()*1000/float64(o.perRound))
	}
	fmt.Printf("\n%-46s %10s %10s %7s %s\n", "figure", "renoflow", "raw", "ratio", "target")
	row := func(what string, got, raw float64, target string) {
		ratio := 0.0
		if raw > 0 {
			ratio = got / raw
		}
		fmt.Printf("%-46s %10.1f %10.1f %7.2f %s\n", what, got, raw, ratio, target)
	}
	row(fmt.Sprintf("filings/s, %d clients (median of %d rounds)", o.clients, o.rounds), median(fileRates), median(rawRates), "≥ 0.5")
	row("filings/s against raw starts sustained", median(fileRates), median(sustainedRates), "(raw: starts until their first tasks are done)")
	row("filings/s against raw update-with-start", median(fileRates), median(uwsRates), "(raw: an empty workflow answering an update in its first task)")
	row("raw update-with-start/s against raw start/s", median(uwsRates), median(rawRates), "(the ceiling of the ratio above: Temporal alone)")
	row("filings/s against raw eager start, first task run", median(fileRates), median(eagerRates), "(raw: the filing's shape, an eager start answered from its first task's local activity)")
	row("raw eager start, first task run/s against raw start/s", median(eagerRates), median(rawRates), "(the ceiling of the filing's design: Temporal alone)")
	row("CPU ms per filing (dev process + PostgreSQL)", median(fileCPU), median(rawCPU), "(raw: start + its first task)")
	row("CPU ms per filing against raw update-with-start", median(fileCPU), median(uwsCPU), "")
	row("CPU ms per filing against raw eager start, first task run", median(fileCPU), median(eagerCPU), "")
	fmt.Printf("  (of which PostgreSQL %.1f ms; filing errors: %d; HTTP client CPU in the bench %.1f ms per filing, not counted)\n",
		median(filePGCPU), fileErrs, median(fileBenchCPU))
	if connFilings > 0 {
		row("new PostgreSQL connections per filing", float64(newConns)/float64(connFilings), 0, "0 (raw: a pooled connection; rounds after the first)")
	}
	if o.filingOnly {
		return nil
	}

	// 2. Timer lateness: the claim reminder (报备即将到期) fires timerDelay after filing, and
	// raw timer workflows started beside them fire at the same moments; filings go on
	// meanwhile, as on a working day.
	if o.timers > 0 {
		if err := putPolicy(ctx, admin, map[string]any{"claim_window": "3600s", "claim_reminder_before": fmt.Sprintf("%ds", 3600-int(o.timerDelay.Seconds()))}); err != nil {
			return err
		}
		seen := map[string]time.Time{}
		var mine []string
		start := time.Now()
		_, _ = concurrently(o.timers, o.clients, func(i int) error {
			due := time.Now().Add(o.timerDelay)
			if _, err := tc.ExecuteWorkflow(ctx, tclient.StartWorkflowOptions{ID: "rawtimer-" + uuid.NewString(), TaskQueue: rawQueue}, rawTimer, "", due); err != nil {
				return err
			}
			id, err := file(ctx, sm, nextPhone())
			if err == nil {
				mk.mu.Lock()
				mine = append(mine, id)
				mk.mu.Unlock()
			}
			return err
		})
		deadline := start.Add(o.timerDelay + 3*time.Minute)
		rawDone := func() bool { mk.mu.Lock(); defer mk.mu.Unlock(); return len(mk.late) >= o.timers }
		for (len(seen) < len(mine) || !rawDone()) && time.Now().Before(deadline) {
			rows, err := db.QueryContext(ctx, `SELECT customer_id FROM tasks WHERE rule = 'claim.reminder' AND customer_id = ANY($1::text[])`, pgArray(mine))
			if err != nil {
				return err
			}
			now := time.Now()
			for rows.Next() {
				var id string
				if rows.Scan(&id) == nil {
					if _, ok := seen[id]; !ok {
						seen[id] = now
					}
				}
			}
			rows.Close()
			time.Sleep(100 * time.Millisecond)
		}
		var late []time.Duration
		for id, at := range seen {
			var due time.Time
			if err := db.QueryRowContext(ctx, `SELECT due_at FROM timeline WHERE customer_id = $1 AND rule = 'claim.reminder' AND key LIKE 'clock:%' LIMIT 1`, id).Scan(&due); err == nil {
				late = append(late, at.Sub(due))
			}
		}
		if err := putPolicy(ctx, admin, map[string]any{"claim_window": "7d", "claim_reminder_before": "1d"}); err != nil {
			return err
		}
		mk.mu.Lock()
		raw := append([]time.Duration(nil), mk.late...)
		mk.mu.Unlock()
		row(fmt.Sprintf("timer fire → task row p50 ms (%d/%d seen)", len(late), len(mine)), pct(late, 0.5), pct(raw, 0.5), "")
		row(fmt.Sprintf("timer fire → task row p99 ms (raw: %d timers)", len(raw)), pct(late, 0.99), pct(raw, 0.99), "≤ 2")
	}

	// 3. API latency at o.seed customers seeded directly in PostgreSQL (one store; 50
	// owners; two open tasks each). Each call alternates with its raw baseline: one SQL
	// query straight to PostgreSQL reading the same rows (no HTTP, no session, no JSON),
	// so both see the same load. The dev process's CPU per call is the server's own cost.
	if o.seed > 0 {
		if _, err := db.ExecContext(ctx, seedSQL, o.seed); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		// A bulk load leaves the search indexes' pending lists full and the tables
		// unanalysed until autovacuum passes, a state a company's database is in for
		// a minute; measure after it, as a day's use would.
		for _, t := range []string{"customers", "tasks"} {
			if _, err := db.ExecContext(ctx, "VACUUM ANALYZE "+t); err != nil {
				return fmt.Errorf("vacuum %s: %w", t, err)
			}
		}
		for _, q := range []struct {
			what, path string
			c          *apiclient.Client
			raw        string
		}{
			{"GET /api/tasks?view=open (cm1)", "/api/tasks?view=open", cm,
				`SELECT t.*, c.name, c.phone FROM tasks t JOIN customers c ON c.id = t.customer_id
				WHERE t.assignee_id = 'cm1' AND t.status = 'open' ORDER BY t.due_at, t.id LIMIT 500`},
			{"GET /api/customers?q=1390 (sm1)", "/api/customers?q=" + url.QueryEscape("1390"), sm,
				`SELECT * FROM customers WHERE store_id = 's1' AND NOT invalid AND (phone LIKE '%1390%' OR name LIKE '%1390%'
				OR community LIKE '%1390%') ORDER BY filed_at DESC, id DESC LIMIT 50`},
			{"GET /api/customers?q=客户77 (sm1)", "/api/customers?q=" + url.QueryEscape("客户77"), sm,
				`SELECT * FROM customers WHERE store_id = 's1' AND NOT invalid AND (phone LIKE '%客户77%' OR name LIKE '%客户77%'
				OR community LIKE '%客户77%') ORDER BY filed_at DESC, id DESC LIMIT 50`},
		} {
			var lat, raw []time.Duration
			var devCPU time.Duration
			for i := 0; i < o.apiCalls; i++ {
				c0, t := procCPU(pids.dev, false), time.Now()
				if _, err := q.c.Call(ctx, http.MethodGet, q.path, nil, nil); err != nil { // the answer is read, not decoded
					return err
				}
				lat = append(lat, time.Since(t))
				devCPU += procCPU(pids.dev, false) - c0
				t = time.Now()
				rows, err := db.QueryContext(ctx, q.raw)
				if err != nil {
					return fmt.Errorf("raw baseline of %s: %w", q.what, err)
				}
				for rows.Next() {
				}
				rows.Close()
				raw = append(raw, time.Since(t))
			}
			row(q.what+" p50 ms", pct(lat, 0.5), pct(raw, 0.5), "(raw: the same rows by one SQL query)")
			row(q.what+" p99 ms", pct(lat, 0.99), pct(raw, 0.99), fmt.Sprintf("≤ 50 ms at %d customers", o.seed))
			fmt.Printf("  (dev process CPU %.2f ms per call, %d calls)\n", devCPU.Seconds()*1000/float64(o.apiCalls), o.apiCalls)
		}
	}

	// 4. Worker RSS with open customers (filed, waiting on their clocks). The customers
	// beyond those filed above are started directly with the Temporal client, many at once
	// (startOpen): the same CustomerWorkflow whose first transition the worker writes to
	// PostgreSQL, without the HTTP request and the phone reservation, whose round trip
	// would take the better part of an hour for 10,000 on this machine.
	countOpen := func() int {
		var n int
		_ = db.QueryRowContext(ctx, `SELECT count(*) FROM customers WHERE id NOT LIKE 'seed-%'`).Scan(&n)
		return n
	}
	var rss []float64
	for _, n := range o.open {
		if have := countOpen(); n > have {
			t0 := time.Now()
			rate, errs := startOpen(ctx, tc, n-have, o.clients, nextPhone)
			// Wait until the worker has written them all, or nothing moved for a minute.
			for last, still := countOpen(), 0; last < n-errs && still < 60; still++ {
				time.Sleep(time.Second)
				if c := countOpen(); c != last {
					last, still = c, 0
				}
			}
			fmt.Printf("  (%d customers started directly at %.0f/s, %d errors; all %d written after %.0f s)\n",
				n-have, rate, errs, countOpen(), time.Since(t0).Seconds())
			time.Sleep(30 * time.Second) // the last tasks; the Go runtime returns the burst's memory
		}
		rss = append(rss, rssMB(d.cmd.Process.Pid))
		fmt.Printf("%-46s %10.0f %10s %7.2f flat ±20%%\n", fmt.Sprintf("dev RSS MB at %d open customers", n), rss[len(rss)-1], "", rss[len(rss)-1]/rss[0])
		// What the dev server's trimmed visibility indexes cost (devstack.VisibilityIndexes): a
		// supervisor's search by 手机号 in the Temporal UI reads the table; the UI's first
		// page, by the index kept, is the baseline.
		var search, page []time.Duration
		for i := 0; i < 20; i++ {
			for _, q := range []struct {
				query string
				lat   *[]time.Duration
			}{{fmt.Sprintf("%s = '139%08d'", workflows.SearchPhone.GetName(), phone.Load()), &search}, {"", &page}} {
				t := time.Now()
				if _, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: q.query, PageSize: 20}); err != nil {
					return fmt.Errorf("Temporal visibility query %q: %w", q.query, err)
				}
				*q.lat = append(*q.lat, time.Since(t))
			}
		}
		row(fmt.Sprintf("Temporal UI search by 手机号 p50 ms at %d open", n), pct(search, 0.5), pct(page, 0.5), "(raw: the UI's first page, indexed)")
		row(fmt.Sprintf("Temporal UI search by 手机号 p99 ms at %d open", n), pct(search, 0.99), pct(page, 0.99), "")
	}

	// 5. Customers driven concurrently through a shrunk lifecycle.
	if o.lifecycle > 0 {
		if err := lifecycle(ctx, d, admin, db, o, nextPhone); err != nil {
			return err
		}
	}
	open := countOpen()
	t0 := time.Now()
	err = d.stop()
	fmt.Printf("dev stopped (SIGINT) in %.1f s with %d open customers\n", time.Since(t0).Seconds(), open)
	return err
}

// seedSQL writes $1 customers of store s1 and two open tasks each, owners spread over 50
// consultants (cm1 among them), as a company's database holds them.
const seedSQL = `
INSERT INTO customers (id, revision, phone, name, gender, channel, store_id, stage, owner_id, owner_name,
	filed_by, filed_at, record, updated_at)
SELECT 'seed-' || i, 1, '137' || lpad(i::text, 8, '0'), '客户' || i, 'female', 'walk_in', 's1', 'filed',
	CASE WHEN i % 50 = 0 THEN 'cm1' ELSE 'seedowner' || (i % 50) END, '顾问', 'cm1', now() - (i || ' minutes')::interval,
	jsonb_build_object('name', '客户' || i, 'phone', '137' || lpad(i::text, 8, '0'), 'gender', 'female', 'channel', 'walk_in', 'store_id', 's1'),
	now()
FROM generate_series(1, $1) AS i ON CONFLICT DO NOTHING;
INSERT INTO tasks (customer_id, rule, subject, title, assignee_id, store_id, due_at, created_at)
SELECT c.id, r.rule, '', '压测任务', c.owner_id, 's1', now() + interval '1 day', now()
FROM customers c, (VALUES ('verify'), ('neglect')) AS r(rule) WHERE c.id LIKE 'seed-%' ON CONFLICT DO NOTHING`

// lifecycle drives o.lifecycle customers concurrently through every stage with a policy
// shrunk to seconds and waits until all are archived.
func lifecycle(ctx context.Context, d *dev, admin *apiclient.Client, db *sql.DB, o scaleOpts, nextPhone func() string) error {
	if err := putPolicy(ctx, admin, map[string]any{
		"verify_within": "1h", "claim_window": "1h", "claim_reminder_before": "30min", "first_callback_within": "1h", "presale_protection": "1h",
		"neglect_after": "1h", "dispatch_confirm_within": "1h", "dispatch_accept_within": "1h",
		"post_deposit_visit_within": "1h", "weekly_check_every": "1h", "inspection_visit_within": "1h",
		"complaint_answer_within": "1h", "complaint_resolve_within": "1h",
		"after_sales_every": "4s", "warranty": "16s", "after_sales_notice_before": "1s",
		"living_experience_after": "2s", "house_check_after": "8s", "visit_window": "1h",
		"contract_visit_within": "1h",
		// One designer (d1) takes every customer of the run: the designer's limit of
		// deposit-paid customers (设计师交定金客户上限) is lifted as the owner capacity is.
		"max_deposit_customers": 100000,
	}); err != nil {
		return err
	}
	logins := map[string]*apiclient.Client{}
	for _, l := range []string{"cm1", "cs1", "sm1", "d1"} {
		c, err := login(ctx, d.web, l)
		if err != nil {
			return err
		}
		logins[l] = c
	}
	cm, cs, sm, dz := logins["cm1"], logins["cs1"], logins["sm1"], logins["d1"]
	start := time.Now()
	var mu sync.Mutex
	var ids []string
	_, errs := concurrently(o.lifecycle, o.lifecycle, func(i int) error {
		id, err := file(ctx, sm, nextPhone())
		if err != nil {
			return err
		}
		mu.Lock()
		ids = append(ids, id)
		mu.Unlock()
		steps := []struct {
			c    *apiclient.Client
			path string
			in   map[string]any
		}{
			{cs, "verify", map[string]any{"note": "已核实"}}, {sm, "store-visit", map[string]any{}}, {sm, "grade", map[string]any{"grade": "B"}},
			{sm, "callback", map[string]any{"reached": true}}, {sm, "dispatch-propose", map[string]any{"designer_id": "d1"}},
			{sm, "dispatch-confirm", map[string]any{}}, {dz, "dispatch-accept", map[string]any{}}, {dz, "measure", map[string]any{}},
			{sm, "deposit", map[string]any{"amount_yuan": 20000}}, {sm, "contract", map[string]any{"amount_yuan": 300000}},
		}
		// doVisits does the customer's open deposit, contract (seed 004) and inspection
		// visits (customer service): a visit left open keeps its clock, and a customer with
		// a clock is never archived (renoflow.Customer.settle).
		doVisits := func() error {
			tasks, err := taskIDs(ctx, db, `SELECT id FROM tasks WHERE customer_id = $1 AND status = 'open'
				AND rule IN ('deposit.visit', 'contract.visit', 'inspection.visit')`, id)
			if err != nil {
				return err
			}
			for _, t := range tasks {
				if _, err := cs.CompleteTask(ctx, t, apiclient.TaskDone{Note: "已回访"}); err != nil {
					return err
				}
			}
			return nil
		}
		for n, s := range steps {
			_, err := s.c.Act(ctx, id, s.path, s.in)
			for try := 0; err != nil && n == 0 && try < 60; try++ { // a filing accepted (202) is still being written
				time.Sleep(500 * time.Millisecond)
				_, err = s.c.Act(ctx, id, s.path, s.in)
			}
			if err != nil {
				return err
			}
			if s.path == "deposit" || s.path == "contract" {
				if err := doVisits(); err != nil {
					return err
				}
			}
		}
		for _, m := range []string{"material", "concealed", "mid", "completion"} {
			if _, err := sm.Act(ctx, id, "milestone", map[string]any{"milestone": m}); err != nil {
				return err
			}
			if err := doVisits(); err != nil {
				return err
			}
		}
		// seed 004: the after-sales visits wait for the move-in (实际入住).
		_, err = cs.Act(ctx, id, "moved-in", map[string]any{})
		return err
	})
	_ = cm
	// Customer service does every due visit (after-sales fire by themselves) until all are
	// archived or lifecycleWait passes.
	deadline := start.Add(o.lifecycleWait)
	archived := 0
	for time.Now().Before(deadline) {
		_ = db.QueryRowContext(ctx, `SELECT count(*) FROM customers WHERE stage = 'archived' AND id = ANY($1::text[])`, pgArray(ids)).Scan(&archived)
		if archived == len(ids) {
			break
		}
		tasks, err := taskIDs(ctx, db, `SELECT id FROM tasks WHERE status = 'open' AND customer_id = ANY($1::text[])
			AND ((rule LIKE 'aftersales.%' AND rule <> 'aftersales.notice') OR rule IN ('deposit.visit', 'contract.visit', 'inspection.visit'))`, pgArray(ids))
		if err != nil {
			return err
		}
		_, _ = concurrently(len(tasks), 4, func(i int) error {
			_, err := cs.CompleteTask(ctx, tasks[i], apiclient.TaskDone{Note: "已回访"})
			return err
		})
		time.Sleep(500 * time.Millisecond)
	}
	fmt.Printf("%-46s %10.1f %10s %7s %d/%d archived (%d drive errors)\n", fmt.Sprintf("lifecycle: %d customers at once, wall s", o.lifecycle),
		time.Since(start).Seconds(), "", "", archived, o.lifecycle, errs)
	if archived < o.lifecycle {
		// Where the others stand: stage and open tasks, so a short count says why.
		rows, err := db.QueryContext(ctx, `SELECT c.stage, coalesce(string_agg(DISTINCT t.rule, ','), ''), count(DISTINCT c.id)
			FROM customers c LEFT JOIN tasks t ON t.customer_id = c.id AND t.status = 'open'
			WHERE c.id = ANY($1::text[]) AND c.stage <> 'archived' GROUP BY c.stage`, pgArray(ids))
		if err == nil {
			for rows.Next() {
				var stage, rules string
				var n int
				if rows.Scan(&stage, &rules, &n) == nil {
					fmt.Printf("  not archived: %d at %s, open tasks: %s\n", n, stage, rules)
				}
			}
			rows.Close()
		}
	}
	return nil
}

// pgSessions is the number of sessions ever opened on the app's database
// (pg_stat_database.sessions, PostgreSQL 14+; -1 when unknown), to count the
// connections a phase opens. A backend reports its start within a second: it waits that.
func pgSessions(ctx context.Context, db *sql.DB) int {
	time.Sleep(1100 * time.Millisecond)
	n := -1
	_ = db.QueryRowContext(ctx, `SELECT sessions FROM pg_stat_database WHERE datname = current_database()`).Scan(&n)
	return n
}

func putPolicy(ctx context.Context, admin *apiclient.Client, p map[string]any) error {
	_, err := admin.SetPolicy(ctx, p)
	return err
}

// benchFilers creates n customer managers of store s1 (bench-cm-01 …) through the
// admin API and logs each in.
func benchFilers(ctx context.Context, web string, admin *apiclient.Client, n int) ([]*apiclient.Client, error) {
	const password = "renoflow-bench-filer"
	filers := make([]*apiclient.Client, n)
	for i := range filers {
		login := fmt.Sprintf("bench-cm-%02d", i+1)
		if _, err := admin.AddStaff(ctx, map[string]any{"id": login, "login": login, "name": fmt.Sprintf("压测客户经理%02d", i+1),
			"role": "customer_manager", "store_id": "s1", "password": password}); err != nil {
			return nil, fmt.Errorf("add filer %s: %w", login, err)
		}
		filers[i] = apiclient.New(web)
		if _, err := filers[i].Login(ctx, login, password); err != nil {
			return nil, fmt.Errorf("log in as %s: %w", login, err)
		}
	}
	return filers, nil
}

// concurrently runs n calls of f on k goroutines and returns the successful calls per
// second and the number of errors (the first is printed).
func concurrently(n, k int, f func(i int) error) (float64, int) {
	if n <= 0 {
		return 0, 0
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next, ok, errs := 0, 0, 0
	start := time.Now()
	for g := 0; g < k; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				err := f(i)
				mu.Lock()
				if err != nil {
					if errs == 0 {
						fmt.Fprintln(os.Stderr, "  error:", err)
					}
					errs++
				} else {
					ok++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return float64(ok) / time.Since(start).Seconds(), errs
}

// firstTasksDone waits until the raw workflows ids (started in this order) have all
// completed their first workflow task (history: started, task scheduled, started,
// completed, timer started). Tasks run about in start order, so it watches the last 32
// started (describing them all would cost more CPU than the tasks).
func firstTasksDone(ctx context.Context, tc tclient.Client, ids []string) error {
	deadline := time.Now().Add(2 * time.Minute)
	if len(ids) > 32 {
		ids = ids[len(ids)-32:]
	}
	done := func(id string) bool {
		d, err := tc.DescribeWorkflowExecution(ctx, id, "")
		return err == nil && d.WorkflowExecutionInfo.GetHistoryLength() >= 5 && d.PendingWorkflowTask == nil
	}
	for i := len(ids) - 1; i >= 0; i-- {
		for !done(ids[i]) {
			if time.Now().After(deadline) {
				return fmt.Errorf("raw workflow %s: first workflow task not done in 2 minutes", ids[i])
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// pct is the p-th quantile of lat in milliseconds.
func pct(lat []time.Duration, p float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[int(p*float64(len(s)-1)+0.5)].Microseconds()) / 1000
}

func pgArray(ids []string) string { return "{" + strings.Join(ids, ",") + "}" }

// procs reads the CPU time of the dev process (web app, worker and embedded Temporal),
// of the PostgreSQL processes serving its data (with their reaped children), and of the
// bench itself (the raw workers, the HTTP clients).
type procs struct {
	dev  int
	data string
}

type cpuTimes struct{ dev, pg, self time.Duration }

func (p procs) cpu() cpuTimes {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	self := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	out := cpuTimes{dev: procCPU(p.dev, false), self: self}
	pgdir, _ := filepath.Abs(filepath.Join(p.data, "pg"))
	all, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	postmaster := ""
	for _, f := range all {
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), pgdir) {
			postmaster = strings.Split(f, "/")[2]
		}
	}
	if postmaster == "" {
		return out
	}
	for _, f := range all {
		pid := strings.Split(f, "/")[2]
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			continue
		}
		fs := statFields(string(stat))
		n, _ := strconv.Atoi(pid)
		if pid == postmaster {
			out.pg += procCPU(n, true)
		} else if len(fs) > 1 && fs[1] == postmaster {
			out.pg += procCPU(n, false)
		}
	}
	return out
}

// statFields are the fields of /proc/PID/stat after the command name: [0] state,
// [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime.
func statFields(stat string) []string {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(stat[i+1:])
}

func procCPU(pid int, children bool) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := statFields(string(b))
	if len(f) < 15 {
		return 0
	}
	var ticks int64
	idx := []int{11, 12}
	if children {
		idx = append(idx, 13, 14)
	}
	for _, i := range idx {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

type quietLogger struct{}

func (quietLogger) Debug(string, ...interface{}) {}
func (quietLogger) Info(string, ...interface{})  {}
func (quietLogger) Warn(string, ...interface{})  {}
func (quietLogger) Error(string, ...interface{}) {}

// taskIDs runs a query that selects task ids and returns them.
func taskIDs(ctx context.Context, db *sql.DB, query string, args ...any) ([]int64, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// startOpen starts n customer workflows directly, k at a time, as the filing API starts
// them (update-with-start aside) for demo store manager sm1 in store s1, and returns the
// starts per second and the number of errors.
func startOpen(ctx context.Context, tc tclient.Client, n, k int, nextPhone func() string) (float64, int) {
	filer := renoflow.Actor{ID: "sm1", Name: "赵店长", Role: renoflow.RoleStoreManager, StoreID: "s1"}
	return concurrently(n, k, func(int) error {
		phone := nextPhone()
		raw, _ := json.Marshal(map[string]any{"name": "陈", "gender": "female", "phone": phone, "situation": "压测客户",
			"house": map[string]any{"layout": "三室两厅", "area_m2": 120}, "channel": "walk_in", "store_id": "s1"})
		var in renoflow.FilingInput
		if err := json.Unmarshal(raw, &in); err != nil {
			return err
		}
		rec, err := renoflow.ParseFiling(in)
		if err != nil {
			return err
		}
		id := uuid.NewString()
		for try := 0; try < 3; try++ { // a start that timed out may have happened: the same ID again says so
			_, err = tc.ExecuteWorkflow(ctx, tclient.StartWorkflowOptions{ID: workflows.CustomerWorkflowID(id), TaskQueue: workflows.TaskQueue,
				TypedSearchAttributes: workflows.FilingSearchAttributes(rec, filer)},
				workflows.CustomerWorkflow, workflows.CustomerInput{CustomerID: id, Record: rec, Filer: filer, Versions: workflows.FilingVersions()})
			var started *serviceerror.WorkflowExecutionAlreadyStarted
			if err == nil || errors.As(err, &started) {
				return nil
			}
		}
		return err
	})
}

// profiling is a CPU profile of the dev process being taken (PPROF_ADDR) while a round of
// raw starts or of filings runs: the profile covers profileSeconds from the round's start, so a round must
// last that long (-per-round).
type profiling struct {
	done chan []byte
	err  error
}

// profileSeconds is the length of each CPU profile taken with -profile.
var profileSeconds = 8

func startProfile(addr string) *profiling {
	p := &profiling{done: make(chan []byte, 1)}
	go func() {
		resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, profileSeconds))
		if err != nil {
			p.err = err
			p.done <- nil
			return
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		p.err = err
		p.done <- data
	}()
	return p
}

// stop waits for the profile and writes it to path with the round's number appended.
func (p *profiling) stop(path string, round int) error {
	if p == nil {
		return nil
	}
	data := <-p.done
	if p.err != nil {
		return fmt.Errorf("CPU profile: %w", p.err)
	}
	name := fmt.Sprintf("%s.%d", path, round)
	fmt.Printf("CPU profile of round %d (%d s): %s\n", round, profileSeconds, name)
	return os.WriteFile(name, data, 0o644)
}
