package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/caarlos0/env/v11"
)

// config is the program's configuration, read from the environment by
// github.com/caarlos0/env. Each field declares its variable, its default and its help
// line; `renoflow help` prints the settings from these same declarations, and a value
// that does not parse stops the start with a message naming the variable.
type config struct {
	DatabaseURL     string     `env:"DATABASE_URL" help:"PostgreSQL URL (dev: a cluster of its own when unset)"`
	TemporalAddress string     `env:"TEMPORAL_ADDRESS" help:"Temporal frontend host:port (dev: an embedded server when unset)"`
	Namespace       string     `env:"TEMPORAL_NAMESPACE" envDefault:"default" help:"Temporal namespace"`
	TemporalUIURL   string     `env:"TEMPORAL_UI_URL" help:"Temporal Web UI address linked from the app"`
	HTTPAddr        string     `env:"HTTP_ADDR" envDefault:":8080" help:"address the web app and API listen on"`
	DataDir         string     `env:"RENOFLOW_DATA" envDefault:".renoflow" help:"dev: directory for the embedded Temporal and PostgreSQL data"`
	TemporalPort    int        `env:"TEMPORAL_PORT" envDefault:"7233" help:"dev: embedded Temporal frontend port (0 picks a free one)"`
	TemporalUIPort  int        `env:"TEMPORAL_UI_PORT" envDefault:"8233" help:"dev: embedded Temporal Web UI port (0 picks a free one)"`
	PGPort          int        `env:"PG_PORT" envDefault:"55432" help:"dev: managed PostgreSQL port (0 picks a free one)"`
	LogLevel        slog.Level `env:"LOG_LEVEL" envDefault:"info" help:"debug, info, warn or error"`
	PprofAddr       string     `env:"PPROF_ADDR" help:"host:port serving Go's /debug/pprof/ profiles of the process (off when unset; for performance work, never public)"`
	MetricsAddr     string     `env:"METRICS_ADDR" help:"host:port of Prometheus /metrics for worker and server (dev: on the app's address, loopback clients, when unset)"`
	// Pools (issue 9 "Load"): database/sql keeps only 2 idle connections by default, so
	// any concurrency opened and closed a PostgreSQL session per request.
	DBMaxOpenConns  int `env:"DB_MAX_OPEN_CONNS" envDefault:"20" help:"PostgreSQL connections per process at most (server, worker; dev shares one pool)"`
	DBMaxIdleConns  int `env:"DB_MAX_IDLE_CONNS" envDefault:"20" help:"PostgreSQL connections kept open while idle (at most DB_MAX_OPEN_CONNS)"`
	TemporalDBConns int `env:"TEMPORAL_DB_CONNS" envDefault:"1" help:"dev: SQLite connections of the embedded Temporal server (more lets reads run in parallel, but writers then busy-wait: 1 measured fastest)"`
	// Hostile requests (issue 9): cookies, proxies and the login throttle.
	SecureCookies       bool          `env:"SECURE_COOKIES" envDefault:"false" help:"mark cookies Secure always (they are anyway when a request comes over HTTPS)"`
	TrustedProxies      []string      `env:"TRUSTED_PROXIES" envSeparator:"," help:"reverse proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-Proto/-For are believed"`
	LoginThrottleWindow time.Duration `env:"LOGIN_THROTTLE_WINDOW" envDefault:"15m" help:"failed logins count for this long"`
	LoginFailsAccount   int           `env:"LOGIN_FAILS_PER_ACCOUNT" envDefault:"10" help:"failed logins of one account within the window before it must wait (429)"`
	LoginFailsIP        int           `env:"LOGIN_FAILS_PER_IP" envDefault:"50" help:"failed logins from one address within the window before it must wait (429)"`
	// ContinueAsNewAfter forces Continue-As-New after that many transitions per run; for
	// tests of long-running customers.
	ContinueAsNewAfter int `env:"RENOFLOW_CONTINUE_AS_NEW_AFTER" envDefault:"0" help:"tests: force Continue-As-New after N transitions (0: when Temporal suggests)"`
	// Worker (issue 15): memory bounded by the sticky cache, not by the open customers;
	// pollers and slots sized for the database pool; workflow tasks that wait on a busy
	// worker stay on its sticky queue instead of being replayed from the start elsewhere.
	WorkerStickyCache   int           `env:"WORKER_STICKY_CACHE" envDefault:"1000" help:"customer workflows kept in worker memory (about 170 KB each; others are replayed from history on their next event)"`
	WorkerStickyTimeout time.Duration `env:"WORKER_STICKY_TIMEOUT" envDefault:"15s" help:"how long a workflow task waits for the worker that holds the customer before any worker takes it (replaying its history)"`
	WorkerWorkflowPolls int           `env:"WORKER_WORKFLOW_POLLERS" envDefault:"4" help:"concurrent workflow task polls (half on the sticky queue)"`
	WorkerActivityPolls int           `env:"WORKER_ACTIVITY_POLLERS" envDefault:"4" help:"concurrent activity task polls"`
	WorkerWorkflowTasks int           `env:"WORKER_WORKFLOW_TASKS" envDefault:"64" help:"workflow tasks executed at once per worker"`
	WorkerActivities    int           `env:"WORKER_ACTIVITIES" envDefault:"20" help:"activities (PostgreSQL writes) executed at once per worker; more only wait for a connection"`
	WorkerLocalActs     int           `env:"WORKER_LOCAL_ACTIVITIES" envDefault:"20" help:"local activities (policy reads) executed at once per worker"`
	// Notifications (issue 14): the outbox sender of the worker process.
	NotifyPoll        time.Duration `env:"NOTIFY_POLL" envDefault:"5s" help:"how often the outbox sender looks for due messages"`
	NotifySendTimeout time.Duration `env:"NOTIFY_SEND_TIMEOUT" envDefault:"15s" help:"one provider call at most; a message still being sent after twice this (its sender died) is resolved: resent with 企业微信's duplicate check, else 投递未知"`
}

// loadConfig reads the configuration through getenv. It returns an error naming every
// variable whose value does not parse or is out of range.
func loadConfig(getenv func(string) string) (config, error) {
	var cfg config
	environ := map[string]string{}
	for _, s := range settings() {
		if v := getenv(s.key); v != "" {
			environ[s.key] = v
		}
	}
	var bad []string
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: environ}); err != nil {
		var agg env.AggregateError
		if !errors.As(err, &agg) {
			return cfg, fmt.Errorf("configuration: %w", err)
		}
		for _, e := range agg.Errors {
			var pe env.ParseError
			if errors.As(e, &pe) {
				key := keyOf(pe.Name)
				bad = append(bad, fmt.Sprintf("%s=%q: %v", key, environ[key], pe.Err))
			} else {
				bad = append(bad, e.Error())
			}
		}
		return cfg, fmt.Errorf("configuration: %s", strings.Join(bad, "; "))
	}
	for _, p := range []struct {
		key  string
		port int
	}{{"TEMPORAL_PORT", cfg.TemporalPort}, {"TEMPORAL_UI_PORT", cfg.TemporalUIPort}, {"PG_PORT", cfg.PGPort}} {
		if p.port < 0 || p.port > 65535 {
			bad = append(bad, fmt.Sprintf("%s=%d is not a port (0-65535; 0 picks a free one)", p.key, p.port))
		}
	}
	for _, p := range []struct {
		key string
		n   int
	}{{"DB_MAX_OPEN_CONNS", cfg.DBMaxOpenConns}, {"DB_MAX_IDLE_CONNS", cfg.DBMaxIdleConns}, {"TEMPORAL_DB_CONNS", cfg.TemporalDBConns}} {
		if p.n < 1 || p.n > 1000 {
			bad = append(bad, fmt.Sprintf("%s=%d is not a pool size (1-1000)", p.key, p.n))
		}
	}
	if cfg.DBMaxIdleConns > cfg.DBMaxOpenConns {
		bad = append(bad, fmt.Sprintf("DB_MAX_IDLE_CONNS=%d exceeds DB_MAX_OPEN_CONNS=%d", cfg.DBMaxIdleConns, cfg.DBMaxOpenConns))
	}
	if cfg.LoginThrottleWindow <= 0 || cfg.LoginFailsAccount < 1 || cfg.LoginFailsIP < 1 {
		bad = append(bad, fmt.Sprintf("LOGIN_THROTTLE_WINDOW=%s, LOGIN_FAILS_PER_ACCOUNT=%d and LOGIN_FAILS_PER_IP=%d must be positive",
			cfg.LoginThrottleWindow, cfg.LoginFailsAccount, cfg.LoginFailsIP))
	}
	for _, p := range []struct {
		key string
		n   int
	}{{"WORKER_STICKY_CACHE", cfg.WorkerStickyCache}, {"WORKER_WORKFLOW_POLLERS", cfg.WorkerWorkflowPolls}, {"WORKER_ACTIVITY_POLLERS", cfg.WorkerActivityPolls},
		{"WORKER_WORKFLOW_TASKS", cfg.WorkerWorkflowTasks}, {"WORKER_ACTIVITIES", cfg.WorkerActivities}, {"WORKER_LOCAL_ACTIVITIES", cfg.WorkerLocalActs}} {
		if p.n < 1 || p.n > 1000000 {
			bad = append(bad, fmt.Sprintf("%s=%d must be positive", p.key, p.n))
		}
	}
	if cfg.NotifyPoll <= 0 || cfg.NotifySendTimeout <= 0 {
		bad = append(bad, fmt.Sprintf("NOTIFY_POLL=%s and NOTIFY_SEND_TIMEOUT=%s must be positive", cfg.NotifyPoll, cfg.NotifySendTimeout))
	}
	if cfg.WorkerWorkflowPolls < 2 {
		bad = append(bad, fmt.Sprintf("WORKER_WORKFLOW_POLLERS=%d: at least 2 (one for the sticky queue, one for the shared queue)", cfg.WorkerWorkflowPolls))
	}
	if cfg.WorkerStickyTimeout < time.Second {
		bad = append(bad, fmt.Sprintf("WORKER_STICKY_TIMEOUT=%s: at least 1s", cfg.WorkerStickyTimeout))
	}
	if cfg.ContinueAsNewAfter < 0 {
		bad = append(bad, fmt.Sprintf("RENOFLOW_CONTINUE_AS_NEW_AFTER=%d must not be negative", cfg.ContinueAsNewAfter))
	}
	if len(bad) > 0 {
		return cfg, fmt.Errorf("configuration: %s", strings.Join(bad, "; "))
	}
	return cfg, nil
}

// keyOf is the environment variable of config's field name.
func keyOf(field string) string {
	f, _ := reflect.TypeOf(config{}).FieldByName(field)
	key, _, _ := strings.Cut(f.Tag.Get("env"), ",")
	return key
}

// setting is one environment variable as config declares it.
type setting struct{ key, def, help string }

// settings lists the variables config declares, in declaration order.
func settings() []setting {
	var out []setting
	t := reflect.TypeOf(config{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		if key == "" {
			continue
		}
		out = append(out, setting{key: key, def: f.Tag.Get("envDefault"), help: f.Tag.Get("help")})
	}
	return out
}

// printSettings writes the settings table of `renoflow help`.
func printSettings(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "settings (environment):")
	for _, s := range settings() {
		def := s.def
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.key, def, s.help)
	}
	tw.Flush()
}

var passwordRE = regexp.MustCompile(`(//[^:/@]+):[^@/]*@`)
