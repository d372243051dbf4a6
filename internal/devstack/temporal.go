// Package devstack runs the development stack inside our own process: an
// embedded Temporal server persisted in SQLite, with its Web UI.
//
// It is meant for `renoflow dev` and integration tests only; it is the one
// package that imports the Temporal server.
package devstack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/renoflow/renoflow/worker"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	persistencesql "go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/common/resolver"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	_ "modernc.org/sqlite" // the SQLite driver Temporal's plugin uses, for trimVisibilityIndexes
)

const (
	// DBFileName is the name of the SQLite database file inside TemporalOptions.DataDir.
	DBFileName = "temporal.db"
	// LogFileName is the name of the server log file inside TemporalOptions.DataDir.
	LogFileName = "temporal.log"

	clusterName      = "active"
	broadcastAddress = "127.0.0.1"
)

// TemporalOptions configure the embedded Temporal server.
type TemporalOptions struct {
	// DataDir is the directory of the SQLite file (temporal.db) and the log; "" keeps everything in memory (tests).
	DataDir string
	// IP is the bind address of the frontend, 127.0.0.1 by default.
	IP string
	// Port is the frontend gRPC port; 0 picks a free one.
	Port int
	// UIPort is the Web UI HTTP port; 0 picks a free one and -1 disables the UI.
	UIPort int
	// Namespace is created when missing ("default" by default).
	Namespace string
	// SearchAttributes are the custom search attributes ensured in the namespace at every start.
	SearchAttributes map[string]enumspb.IndexedValueType
	// MaxConns is the size of the SQLite connection pool, kept open while idle (0 means
	// 1). On the file (WAL mode) more connections let reads run in parallel, but writers
	// then wait on each other through SQLite's sleeping busy handler: driving 100
	// customers concurrently took 29 s with 1 and 41 s with 4 on a loaded 2-core machine.
	// An in-memory database always has 1 (shared-cache connections lock whole tables).
	MaxConns int
	// LogLevel is the server log level, "warn" by default; logs go to DataDir/temporal.log, or nowhere when in memory.
	LogLevel string
	// Postgres, when set, holds the persistence and visibility stores instead of SQLite
	// (DataDir then keeps only the log): the schemas are set up or upgraded with the
	// server's schema tool and the namespace is registered through the frontend.
	Postgres *Postgres
}

// Temporal is a running embedded Temporal server.
type Temporal struct {
	server    temporal.Server
	ui        *webUI
	logger    log.Logger
	address   string
	namespace string

	stopOnce sync.Once
	stopErr  error
}

// StartTemporal starts an embedded Temporal server (and its Web UI unless disabled) and returns once the frontend describes the namespace and the UI answers HTTP.
//
// ctx bounds the wait for readiness; the caller must Stop the result.
func StartTemporal(ctx context.Context, opts TemporalOptions) (_ *Temporal, err error) {
	if opts.IP == "" {
		opts.IP = "127.0.0.1"
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.LogLevel == "" {
		opts.LogLevel = "warn"
	}
	bindIP := net.ParseIP(opts.IP)
	if bindIP == nil {
		return nil, fmt.Errorf("start Temporal: invalid IP %q", opts.IP)
	}
	if opts.Port < 0 || opts.Port > 65535 || opts.UIPort < -1 || opts.UIPort > 65535 {
		return nil, fmt.Errorf("start Temporal: invalid port (frontend %d, UI %d)", opts.Port, opts.UIPort)
	}
	// Where clients reach the frontend: the bind IP, or loopback for a wildcard bind.
	host := opts.IP
	if bindIP.IsUnspecified() {
		host = broadcastAddress
	}

	ports, err := allocatePorts(opts)
	if err != nil {
		return nil, fmt.Errorf("start Temporal: %w", err)
	}
	address := net.JoinHostPort(host, strconv.Itoa(ports.frontend))

	logger, err := newServerLogger(opts)
	if err != nil {
		return nil, err
	}

	var cfg *config.Config
	if opts.Postgres != nil {
		pg := opts.Postgres.withDefaults()
		if err := SetupPostgresSchema(pg, logger); err != nil {
			return nil, err
		}
		if err := forgetMembership(pg.sql(pg.Database)); err != nil {
			return nil, err
		}
		cfg = serverConfig(opts, ports, address, nil)
		cfg.Persistence = config.Persistence{
			DefaultStore: "default", VisibilityStore: "visibility", NumHistoryShards: 4,
			DataStores: map[string]config.DataStore{"default": {SQL: pg.sql(pg.Database)}, "visibility": {SQL: pg.sql(pg.VisibilityDatabase)}},
		}
	} else {
		sqlCfg, err := prepareDatabase(opts)
		if err != nil {
			return nil, err
		}
		cfg = serverConfig(opts, ports, address, sqlCfg)
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(devDynamicConfig()),
	)
	if err != nil {
		return nil, fmt.Errorf("create Temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start Temporal server: %w", err)
	}
	t := &Temporal{server: srv, logger: logger, address: address, namespace: opts.Namespace}
	defer func() {
		if err != nil {
			_ = t.Stop()
		}
	}()

	if opts.Postgres != nil {
		if err := registerNamespace(ctx, address, opts.Namespace); err != nil {
			return nil, err
		}
	}
	c, err := waitForFrontend(ctx, address, opts.Namespace)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := worker.EnsureSearchAttributes(ctx, c, opts.Namespace, opts.SearchAttributes); err != nil {
		return nil, fmt.Errorf("start Temporal: %w", err)
	}

	if opts.UIPort >= 0 {
		if t.ui, err = startUI(ctx, address, ports.ui, opts.Namespace); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Address returns the host:port of the frontend gRPC service.
func (t *Temporal) Address() string { return t.address }

// UIURL returns the base URL of the Web UI, or "" when the UI is disabled.
func (t *Temporal) UIURL() string {
	if t.ui == nil {
		return ""
	}
	return t.ui.url
}

// Namespace returns the namespace the server was started with.
func (t *Temporal) Namespace() string { return t.namespace }

// Stop stops the Web UI and then the Temporal server; later calls return the first result.
func (t *Temporal) Stop() error {
	t.stopOnce.Do(func() {
		if t.ui != nil {
			t.ui.stop()
		}
		if err := t.server.Stop(); err != nil {
			t.stopErr = fmt.Errorf("stop Temporal server: %w", err)
		}
		if zl, ok := t.logger.(interface{ Sync() error }); ok {
			_ = zl.Sync()
		}
	})
	return t.stopErr
}

// ports holds the TCP ports of one embedded server.
type ports struct {
	frontend, ui              int
	history, matching, worker int
	membership                [4]int // frontend, history, matching, worker
}

// allocatePorts reserves the requested ports and picks free ones for the rest.
func allocatePorts(opts TemporalOptions) (_ ports, err error) {
	var p ports
	var pp portPicker
	defer pp.close()
	if opts.Postgres != nil {
		pp.below = 32768
	}
	if opts.Port == 0 {
		p.frontend, err = pp.pick(opts.IP)
	} else {
		p.frontend, err = pp.reserve(opts.IP, opts.Port)
	}
	if err != nil {
		return p, fmt.Errorf("frontend: %w", err)
	}
	if opts.UIPort >= 0 {
		if p.ui, err = pp.reserve(uiHost, opts.UIPort); err != nil {
			return p, fmt.Errorf("web UI: %w", err)
		}
	}
	for _, port := range []*int{&p.history, &p.matching, &p.worker, &p.membership[0], &p.membership[1], &p.membership[2], &p.membership[3]} {
		if *port, err = pp.pick(broadcastAddress); err != nil {
			return p, err
		}
	}
	return p, nil
}

// newServerLogger returns a zap logger writing to DataDir/temporal.log, or a
// no-op logger for an in-memory server.
func newServerLogger(opts TemporalOptions) (log.Logger, error) {
	if opts.DataDir == "" {
		return log.NewNoopLogger(), nil
	}
	if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create Temporal data directory: %w", err)
	}
	path := filepath.Join(opts.DataDir, LogFileName)
	// BuildZapLogger ignores errors opening the file (and returns nil): check first.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open Temporal log file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("close Temporal log file: %w", err)
	}
	zl := log.BuildZapLogger(log.Config{Level: opts.LogLevel, OutputFile: path})
	if zl == nil {
		return nil, fmt.Errorf("build Temporal logger for %s", path)
	}
	return log.NewZapLogger(zl), nil
}

// prepareDatabase returns the SQLite persistence config, creating the schema
// in a new database file and the namespace when missing.
func prepareDatabase(opts TemporalOptions) (*config.SQL, error) {
	sqlCfg := &config.SQL{PluginName: sqliteplugin.PluginName, ConnectAttributes: map[string]string{}}
	if opts.DataDir == "" {
		// The plugin creates the schema itself for an in-memory database. The
		// name must be unique: the plugin shares connections by DSN.
		sqlCfg.DatabaseName = fmt.Sprintf("temporal-mem-%d", rand.Int64())
		sqlCfg.ConnectAttributes["mode"] = "memory"
		sqlCfg.ConnectAttributes["cache"] = "shared"
	} else {
		path, err := filepath.Abs(filepath.Join(opts.DataDir, DBFileName))
		if err != nil {
			return nil, fmt.Errorf("resolve Temporal database path: %w", err)
		}
		sqlCfg.DatabaseName = path
		sqlCfg.ConnectAttributes["mode"] = "rwc"
		// WAL: one fsync per commit at most, readers never block the writer;
		// synchronous=NORMAL keeps every commit across a process crash.
		sqlCfg.ConnectAttributes["journal_mode"] = "wal"
		sqlCfg.ConnectAttributes["synchronous"] = "NORMAL"
		sqlCfg.ConnectAttributes["busy_timeout"] = "10000"
		sqlCfg.MaxConns = max(opts.MaxConns, 1)
		sqlCfg.MaxIdleConns = sqlCfg.MaxConns

		_, statErr := os.Stat(path)
		switch {
		case errors.Is(statErr, fs.ErrNotExist):
			if err := sqlite.SetupSchema(sqlCfg); err != nil {
				// Do not leave a half-made database that later starts would trust.
				for _, suffix := range []string{"", "-wal", "-shm"} {
					_ = os.Remove(path + suffix)
				}
				return nil, fmt.Errorf("set up Temporal schema in %s: %w", path, err)
			}
		case statErr != nil:
			return nil, fmt.Errorf("check Temporal database: %w", statErr)
		default:
			if err := forgetMembership(sqlCfg); err != nil {
				return nil, err
			}
		}
		if err := trimVisibilityIndexes(path); err != nil {
			return nil, err
		}
	}

	ns, err := sqlite.NewNamespaceConfig(clusterName, opts.Namespace, false, opts.SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("configure namespace %q: %w", opts.Namespace, err)
	}
	if err := sqlite.CreateNamespaces(sqlCfg, ns); err != nil {
		return nil, fmt.Errorf("create namespace %q: %w", opts.Namespace, err)
	}
	return sqlCfg, nil
}

// trimVisibilityIndexes drops the indexes of Temporal's SQLite visibility table that
// nothing in a dev server reads through (issue 15), on every start, so a database made by
// an older dev server is trimmed too. The schema indexes every column and every custom
// search attribute slot (58 indexes); each visibility write — a workflow started, its
// search attributes upserted, its first workflow task recording the worker's build ID —
// then updates all 58, and that was about a quarter of the dev process's CPU per filing.
// What stays (VisibilityIndexes) serves the Temporal UI's list (default_idx), its filters
// by workflow ID, type and status, and a supervisor's search by a customer's attributes
// (手机号, 姓名, 阶段…: the Keyword slots they occupy). A production Temporal keeps its
// own schema.
func trimVisibilityIndexes(path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("open Temporal visibility database: %w", err)
	}
	defer func() { _ = db.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master
		WHERE type = 'index' AND tbl_name = 'executions_visibility' AND sql IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("list visibility indexes: %w", err)
	}
	var drop []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fmt.Errorf("list visibility indexes: %w", err)
		}
		if !slices.Contains(VisibilityIndexes, name) {
			drop = append(drop, name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list visibility indexes: %w", err)
	}
	for _, name := range drop {
		if _, err := db.ExecContext(ctx, `DROP INDEX IF EXISTS "`+name+`"`); err != nil {
			return fmt.Errorf("drop visibility index %s: %w", name, err)
		}
	}
	return nil
}

// VisibilityIndexes are the indexes a dev server keeps on its visibility table
// (trimVisibilityIndexes). The Keyword slots hold the customer search attributes
// (workflows.SearchAttributeNames): without their indexes a search by 手机号 read the
// whole table, 250 ms at 100,000 rows on the server's one SQLite connection, holding up
// every filing meanwhile; keeping them costs no CPU per filing that the bench can tell.
var VisibilityIndexes = []string{"default_idx", "by_workflow_id", "by_workflow_type", "by_status",
	"by_keyword_01", "by_keyword_02", "by_keyword_03", "by_keyword_04", "by_keyword_05", "by_keyword_06", "by_keyword_07", "by_keyword_08", "by_keyword_09", "by_keyword_10"}

// forgetMembership deletes the cluster membership rows left by earlier runs.
//
// Each service heartbeats its ringpop address into the database; after a
// restart within 20 s, the new services would try to join those dead
// addresses, and matching then stays out of the ring for MaxJoinDuration
// (every task dispatch failing with "Not enough hosts to serve the request").
// This server is the database's only user, so no row is still valid.
func forgetMembership(sqlCfg *config.SQL) error {
	db, err := persistencesql.NewSQLDB(sqlplugin.DbKindMain, sqlCfg, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		return fmt.Errorf("open Temporal database to reset membership: %w", err)
	}
	defer func() { _ = db.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Rows expire 48 h after their last heartbeat: a later cutoff matches them all.
	filter := &sqlplugin.PruneClusterMembershipFilter{PruneRecordsBefore: time.Now().Add(24 * 365 * time.Hour)}
	if _, err := db.PruneClusterMembership(ctx, filter); err != nil {
		return fmt.Errorf("reset Temporal cluster membership: %w", err)
	}
	return nil
}

// serverConfig builds the static server configuration: one process, one
// history shard, SQLite for persistence and visibility, no archival, and no
// metrics or pprof listeners.
func serverConfig(opts TemporalOptions, p ports, frontendAddr string, sqlCfg *config.SQL) *config.Config {
	service := func(grpcPort, membershipPort int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: grpcPort, MembershipPort: membershipPort, BindOnLocalHost: true}}
	}
	frontend := service(p.frontend, p.membership[0])
	if opts.IP != broadcastAddress {
		frontend.RPC.BindOnLocalHost = false
		frontend.RPC.BindOnIP = opts.IP
	}

	return &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: broadcastAddress},
			// Metrics nil: no Prometheus listener; PProf.Port 0: no pprof listener.
		},
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {
					Enabled:                true,
					InitialFailoverVersion: 1,
					RPCAddress:             frontendAddr,
					ClusterID:              primitives.NewUUID().String(), // used only when the DB is new
				},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": frontend,
			"history":  service(p.history, p.membership[1]),
			"matching": service(p.matching, p.membership[2]),
			"worker":   service(p.worker, p.membership[3]),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{
			Archival: config.ArchivalNamespaceDefaults{
				History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
				Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
			},
		},
		// The server's own worker service dials the frontend through this.
		PublicClient: config.PublicClient{HostPort: frontendAddr},
	}
}

// devHistoryCache bounds the dev server's history cache, like the worker's sticky cache
// (WORKER_STICKY_CACHE, 1,000 by default).
const devHistoryCache = 1000

// devDynamicConfig returns the dynamic config of a dev server.
func devDynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		dynamicconfig.FrontendEnableUpdateWorkflowExecution.Key():              true,
		dynamicconfig.FrontendEnableUpdateWorkflowExecutionAsyncAccepted.Key(): true,
		// New search attributes are visible at once, not after a cache refresh.
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,
		dynamicconfig.FrontendEnableWorkerVersioningDataAPIs.Key():  true,
		dynamicconfig.FrontendEnableWorkerVersioningRuleAPIs.Key():  true,
		// A namespace registered at start (PostgreSQL) is known to every service at once.
		dynamicconfig.NamespaceCacheRefreshInterval.Key(): time.Second,
		// Tasks are written to one partition per task queue (issue 15): with the default
		// four, a task written to a partition without a waiting poller waited to be
		// forwarded — hundreds of milliseconds before a filing's first workflow task
		// started, on a server with one worker process and a handful of pollers. The four
		// read partitions stay, so a backlog an older dev server left in any of them is
		// still served.
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
		// The history service keeps at most devHistoryCache workflows' mutable state in
		// memory (issue 15; default 128,000 for an hour): the dev process's memory then no
		// longer grows with the open customers; others are read from SQLite on their next
		// event.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): devHistoryCache,
	}
}

// waitForFrontend dials the frontend until it answers and describes namespace.
func waitForFrontend(ctx context.Context, address, namespace string) (client.Client, error) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var c client.Client
	var lastErr error
	for {
		if c == nil {
			c, lastErr = client.DialContext(ctx, client.Options{
				HostPort:  address,
				Namespace: namespace,
				Logger:    sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
			})
		}
		if c != nil {
			_, lastErr = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
			if lastErr == nil {
				return c, nil
			}
		}
		select {
		case <-ctx.Done():
			if c != nil {
				c.Close()
			}
			return nil, fmt.Errorf("wait for Temporal frontend at %s to describe namespace %q: %w", address, namespace, errors.Join(ctx.Err(), lastErr))
		case <-tick.C:
		}
	}
}
