//go:build !nodev

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/renoflow/renoflow/internal/devstack"
	"github.com/renoflow/renoflow/internal/metrics"
	"github.com/renoflow/renoflow/internal/pgcluster"
	"github.com/renoflow/renoflow/server"
	"github.com/renoflow/renoflow/worker"
	sdkworker "go.temporal.io/sdk/worker"
)

// runDev starts everything in one process and blocks until ctx ends, then stops it all
// in reverse order. State lives under cfg.DataDir, so a restart (also after kill -9)
// loses no customer, workflow or pending timer.
func runDev(ctx context.Context, cfg config, stdout io.Writer) (err error) {
	started := time.Now()
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	logFile, err := os.OpenFile(filepath.Join(cfg.DataDir, "renoflow.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	defer logFile.Close()
	log := newLogger(cfg, logFile)
	var stops []func()
	defer func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}()

	dbURL := cfg.DatabaseURL
	if dbURL == "" {
		dir, err := pgDir(cfg.DataDir)
		if err != nil {
			return err
		}
		pg, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir, Port: cfg.PGPort})
		if err != nil {
			return fmt.Errorf("start PostgreSQL: %w", err)
		}
		stops = append(stops, func() { _ = pg.Stop() })
		if err := pg.CreateDatabase(ctx, "renoflow"); err != nil {
			return err
		}
		dbURL = pg.URL("renoflow")
	}

	// The SDK's sticky workflow cache is one per process, sized when the process's first
	// worker starts — here the embedded Temporal server's own system workers, before ours
	// (issue 15): set it first, or it keeps the SDK's 10,000 and the process's memory grows
	// with every open customer up to that many.
	sdkworker.SetStickyWorkflowCacheSize(cfg.WorkerStickyCache)
	temporalAddr, uiURL := cfg.TemporalAddress, cfg.TemporalUIURL
	if temporalAddr == "" {
		t, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{
			DataDir: filepath.Join(cfg.DataDir, "temporal"), Port: cfg.TemporalPort, UIPort: cfg.TemporalUIPort,
			Namespace: cfg.Namespace, SearchAttributes: worker.SearchAttributes(), MaxConns: cfg.TemporalDBConns,
		})
		if err != nil {
			return err
		}
		stops = append(stops, func() { _ = t.Stop() })
		temporalAddr, uiURL = t.Address(), t.UIURL()
	}

	m := metrics.New()
	db, c, closeAll, err := backends(ctx, log, dbURL, temporalAddr, cfg.Namespace, m)
	if err != nil {
		return err
	}
	stops = append(stops, closeAll)
	sizePool(db, cfg)
	if err := server.SeedDemo(ctx, db); err != nil {
		return err
	}
	m.WatchTasks(db)
	metricsURL, err := serveMetrics(ctx, m, cfg.MetricsAddr, log, io.Discard)
	if err != nil {
		return err
	}
	if err := servePprof(cfg.PprofAddr, log); err != nil {
		return err
	}
	w, err := startWorker(cfg, c, db, m, log)
	if err != nil {
		return err
	}
	stops = append(stops, w.Stop)
	startSender(ctx, cfg, db, log)
	scfg := serverConfig(cfg, uiURL)
	scfg.Metrics, scfg.MetricsOnApp = m, cfg.MetricsAddr == ""
	scfg.DemoLogins = true // the dev command seeds the demo company: its login page lists the accounts
	app := server.NewServer(c, db, log, scfg)
	addr, err := serveHTTP(app, cfg.HTTPAddr, log)
	if err != nil {
		return err
	}
	stops = append(stops, func() { _ = app.ShutdownWithTimeout(5 * time.Second) })

	web := httpURL(addr)
	if metricsURL == "" {
		metricsURL = web + "/metrics"
	}
	fmt.Fprintf(stdout, `renoflow ready in %.2fs
  web app      %s   (demo logins: admin, sup1, sm1, cm1, sa1, cs1, d1 — password %q)
  API          %s/api   (health: %s/healthz)
  metrics      %s
  Temporal UI  %s
  Temporal     %s   (namespace %s)
  PostgreSQL   %s
  data         %s   (log: %s)
Press Ctrl-C to stop.
`, time.Since(started).Seconds(), web, server.DemoPassword, web, web, metricsURL, uiLine(web, uiURL), temporalAddr, cfg.Namespace,
		redact(dbURL), cfg.DataDir, filepath.Join(cfg.DataDir, "renoflow.log"))
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping…")
	return nil
}

// uiLine says where the Temporal Web UI is: under the app, for supervisors and admins
// (the UI itself listens on loopback only).
func uiLine(web, uiURL string) string {
	if uiURL == "" {
		return "(not started: TEMPORAL_ADDRESS given)"
	}
	return web + server.TemporalUIPath + "   (supervisors and admins, read-only; the UI itself listens on " + uiURL + ")"
}

// pgDir is where the managed cluster keeps its data: inside the data directory, unless
// the program runs as root and the PostgreSQL server (which runs as the postgres user)
// cannot reach it — then under /var/lib/renoflow, keyed by the data directory's path.
func pgDir(dataDir string) (string, error) {
	abs, err := filepath.Abs(filepath.Join(dataDir, "pg"))
	if err != nil {
		return "", err
	}
	if os.Geteuid() != 0 || traversable(filepath.Dir(abs)) {
		return abs, nil
	}
	sum := sha256.Sum256([]byte(abs))
	alt := filepath.Join("/var/lib/renoflow", hex.EncodeToString(sum[:6]), "pg")
	if err := os.MkdirAll(filepath.Dir(alt), 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", alt, err)
	}
	for _, d := range []string{"/var/lib/renoflow", filepath.Dir(alt)} {
		if err := os.Chmod(d, 0o755); err != nil {
			return "", err
		}
	}
	return alt, nil
}

// traversable reports whether every directory from / down to dir lets others pass.
func traversable(dir string) bool {
	for d := dir; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// redact hides a password in a database URL.
func redact(url string) string {
	return passwordRE.ReplaceAllString(url, "$1:***@")
}
