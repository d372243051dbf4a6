package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow/activities"
	"github.com/renoflow/renoflow/internal/metrics"
	"github.com/renoflow/renoflow/internal/notify"
	"github.com/renoflow/renoflow/postgres"
	"github.com/renoflow/renoflow/schema"
	"github.com/renoflow/renoflow/server"
	"github.com/renoflow/renoflow/worker"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
)

func newLogger(cfg config, w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: cfg.LogLevel}))
}

// openDB connects to PostgreSQL and checks the connection.
func openDB(ctx context.Context, url string) (*bun.DB, error) {
	if url == "" {
		return nil, errors.New("DATABASE_URL is not set")
	}
	var conn *pgdriver.Connector
	if err := func() (err error) {
		defer func() {
			if r := recover(); r != nil { // pgdriver panics on a malformed DSN
				err = fmt.Errorf("DATABASE_URL is malformed: %v", r)
			}
		}()
		conn = pgdriver.NewConnector(pgdriver.WithDSN(url))
		return nil
	}(); err != nil {
		return nil, err
	}
	db := bun.NewDB(sql.OpenDB(conn), pgdialect.New())
	var err error
	for i := 0; i < 30; i++ { // the database may still be starting (containers)
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = db.PingContext(pctx)
		cancel()
		if err == nil {
			return db, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	db.Close()
	return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
}

// sizePool sizes db's connection pool from the settings: at most DB_MAX_OPEN_CONNS
// connections, DB_MAX_IDLE_CONNS of them kept open between bursts (database/sql's
// default of 2 idle made every concurrent request open a new PostgreSQL session), and
// idle ones closed after 5 minutes.
func sizePool(db *bun.DB, cfg config) {
	db.SetMaxOpenConns(cfg.DBMaxOpenConns)
	db.SetMaxIdleConns(cfg.DBMaxIdleConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
}

// dialTemporal connects to Temporal, waiting for it to answer (it may be starting).
func dialTemporal(ctx context.Context, address, namespace string, log *slog.Logger, m *metrics.Set) (client.Client, error) {
	if address == "" {
		return nil, errors.New("TEMPORAL_ADDRESS is not set")
	}
	quiet := slog.New(log.Handler().WithGroup("temporal"))
	var last error
	for i := 0; i < 60; i++ {
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		c, err := client.DialContext(dctx, client.Options{HostPort: address, Namespace: namespace,
			Logger: tlog.NewStructuredLogger(slog.New(levelFilter{quiet.Handler(), slog.LevelWarn})), MetricsHandler: m.SDK()})
		cancel()
		if err == nil {
			return c, nil
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return nil, fmt.Errorf("connect to Temporal at %s: %w", address, last)
}

// levelFilter drops records below a level (the SDK logs every poll at info).
type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

// prepareDB applies migrations and stores the default policy and calendar.
func prepareDB(ctx context.Context, db *bun.DB) error {
	if err := schema.Migrate(ctx, db); err != nil {
		return err
	}
	return postgres.EnsureDefaults(ctx, db)
}

// startWorker starts a worker on the task queue, sized by the WORKER_* settings
// (workerOptions); it sets the process's sticky workflow cache first.
func startWorker(cfg config, c client.Client, db *bun.DB, m *metrics.Set, log *slog.Logger) (sdkworker.Worker, error) {
	sdkworker.SetStickyWorkflowCacheSize(cfg.WorkerStickyCache)
	opts := workerOptions(cfg)
	opts.Interceptors = []interceptor.WorkerInterceptor{worker.Observe(m, log)}
	w := worker.New(c, &activities.Activities{DB: db}, opts)
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	return w, nil
}

// startSender runs the outbox sender (issue 14) in the worker process until ctx ends:
// the providers come from the stored notification settings (admin page 通知设置), read on
// every pass; with nothing configured the messages stay queued (the 发件箱 viewer).
func startSender(ctx context.Context, cfg config, db *bun.DB, log *slog.Logger) {
	go notify.NewFromDB(db, notify.Config{Log: log, SendTimeout: cfg.NotifySendTimeout}).Run(ctx, cfg.NotifyPoll)
}

// workerOptions are the worker's pollers, slots and sticky timeout from the settings
// (issue 15). The SDK's defaults — 2 workflow pollers (1 on the sticky queue), 1,000
// slots of each kind and a 5 s sticky schedule-to-start timeout — let a loaded worker
// take far more activities than the database pool serves, while the single sticky
// poller fell behind: workflow tasks then timed out on the sticky queue after 5 s and
// were dispatched again on the shared queue with their whole history, late by 10-20 s
// more (timer lateness). The sticky cache size is process-wide and set by startWorker.
func workerOptions(cfg config) sdkworker.Options {
	return sdkworker.Options{
		MaxConcurrentWorkflowTaskPollers:        cfg.WorkerWorkflowPolls,
		MaxConcurrentActivityTaskPollers:        cfg.WorkerActivityPolls,
		MaxConcurrentWorkflowTaskExecutionSize:  cfg.WorkerWorkflowTasks,
		MaxConcurrentActivityExecutionSize:      cfg.WorkerActivities,
		MaxConcurrentLocalActivityExecutionSize: cfg.WorkerLocalActs,
		StickyScheduleToStartTimeout:            cfg.WorkerStickyTimeout,
	}
}

// servePprof serves Go's profiles (net/http/pprof) on addr when it is set (PPROF_ADDR),
// for profiling a process under load (issue 15); it answers on its own listener only.
func servePprof(addr string, log *slog.Logger) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on PPROF_ADDR %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() {
		if err := http.Serve(ln, mux); err != nil {
			log.Error("pprof server stopped", "err", err)
		}
	}()
	return nil
}

// serveHTTP starts the fiber app on addr and returns its bound address.
func serveHTTP(app *fiber.App, addr string, log *slog.Logger) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen on %s: %w", addr, err)
	}
	go func() {
		if err := app.Listener(ln); err != nil {
			log.Error("http server stopped", "err", err)
		}
	}()
	return ln.Addr().String(), nil
}

// httpURL turns a listen address into a URL people can open.
func httpURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// backends opens what every command needs: the database (migrated, default policy and
// calendar stored) and the Temporal client (search attributes registered on the
// namespace). close releases both.
func backends(ctx context.Context, log *slog.Logger, dbURL, temporalAddr, namespace string, m *metrics.Set) (*bun.DB, client.Client, func(), error) {
	db, err := openDB(ctx, dbURL)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := prepareDB(ctx, db); err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	c, err := dialTemporal(ctx, temporalAddr, namespace, log, m)
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	if err := worker.EnsureSearchAttributes(ctx, c, namespace, worker.SearchAttributes()); err != nil {
		c.Close()
		db.Close()
		return nil, nil, nil, err
	}
	return db, c, func() { c.Close(); db.Close() }, nil
}

func serverConfig(cfg config, uiURL string) server.Config {
	return server.Config{Namespace: cfg.Namespace, TemporalUIURL: uiURL, ContinueAsNewAfter: cfg.ContinueAsNewAfter, FiledNotices: true,
		SecureCookies: cfg.SecureCookies, TrustedProxies: cfg.TrustedProxies,
		LoginThrottle: server.LoginThrottle{Window: cfg.LoginThrottleWindow, PerAccount: cfg.LoginFailsAccount, PerIP: cfg.LoginFailsIP}}
}

func runWorker(ctx context.Context, cfg config, stdout io.Writer) error {
	log, m := newLogger(cfg, os.Stderr), metrics.New()
	db, c, closeAll, err := backends(ctx, log, cfg.DatabaseURL, cfg.TemporalAddress, cfg.Namespace, m)
	if err != nil {
		return err
	}
	defer closeAll()
	if _, err := serveMetrics(ctx, m, cfg.MetricsAddr, log, stdout); err != nil {
		return err
	}
	sizePool(db, cfg)
	if err := servePprof(cfg.PprofAddr, log); err != nil {
		return err
	}
	w, err := startWorker(cfg, c, db, m, log)
	if err != nil {
		return err
	}
	startSender(ctx, cfg, db, log)
	fmt.Fprintf(stdout, "renoflow worker polling task queue on %s (namespace %s)\n", cfg.TemporalAddress, cfg.Namespace)
	<-ctx.Done()
	w.Stop()
	return nil
}

func runServer(ctx context.Context, cfg config, stdout io.Writer) error {
	log, m := newLogger(cfg, os.Stderr), metrics.New()
	db, c, closeAll, err := backends(ctx, log, cfg.DatabaseURL, cfg.TemporalAddress, cfg.Namespace, m)
	if err != nil {
		return err
	}
	defer closeAll()
	sizePool(db, cfg)
	m.WatchTasks(db)
	if _, err := serveMetrics(ctx, m, cfg.MetricsAddr, log, stdout); err != nil {
		return err
	}
	scfg := serverConfig(cfg, cfg.TemporalUIURL)
	scfg.Metrics = m
	app := server.NewServer(c, db, log, scfg)
	addr, err := serveHTTP(app, cfg.HTTPAddr, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "renoflow server listening on %s\n", httpURL(addr))
	<-ctx.Done()
	return app.ShutdownWithTimeout(10 * time.Second)
}

func runMigrate(ctx context.Context, cfg config, stdout io.Writer) error {
	db, err := openDB(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := prepareDB(ctx, db); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

func runHealthcheck(ctx context.Context, cfg config) error {
	addr := cfg.HTTPAddr
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("unhealthy: %s", resp.Status)
	}
	return nil
}
