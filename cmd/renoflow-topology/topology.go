package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"database/sql"

	"github.com/renoflow/renoflow/internal/pgcluster"
	"github.com/renoflow/renoflow/server"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Options configure a topology.
type Options struct {
	// Dir holds the PostgreSQL data, the logs (Dir/logs) and the built binary; it must be
	// traversable by the postgres user when run as root.
	Dir string
	// Renoflow is a renoflow binary built with -tags nodev; "" builds one into Dir/bin.
	Renoflow string
	// Temporal is the command line of the Temporal server process (this program with the
	// argument "temporal"); TemporalEnv is added to its environment.
	Temporal    []string
	TemporalEnv []string
	// Workers and Servers are the numbers of renoflow processes (default 2 each).
	Workers, Servers int
	// Env is added to the environment of every renoflow process (e.g. LOG_LEVEL).
	Env []string
	// FastPostgres turns off fsync (tests).
	FastPostgres bool
	// Progress receives one line per step; nil discards them.
	Progress io.Writer
}

// Topology is a running topology. Stop ends every process.
type Topology struct {
	PG           *pgcluster.Cluster
	DBURL        string
	Temporal     *Proc
	TemporalAddr string
	UIURL        string
	Workers      []*Proc
	Servers      []*Proc

	failed chan error
}

// Proc is one process of the topology: it can be killed, stopped and started again with
// the same command line, environment, addresses and log file.
type Proc struct {
	Name       string
	URL        string // the HTTP base URL of a server
	MetricsURL string // /metrics of a worker or server

	path  string
	args  []string
	env   []string
	log   string // log file (stdout and stderr, appended across restarts)
	ready string // output that marks the process ready
	topo  *Topology

	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{}
	err      error
	expected bool // the exit was asked for (Kill, Stop)
	out      *readyWriter
}

// Start brings the topology up in order: PostgreSQL, Temporal, two concurrent migrations
// (and the demo staff), then the workers and servers; it returns once every process is
// ready. On error it stops what it started.
func Start(ctx context.Context, opts Options) (_ *Topology, err error) {
	if opts.Workers == 0 {
		opts.Workers = 2
	}
	if opts.Servers == 0 {
		opts.Servers = 2
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	step := func(format string, args ...any) { fmt.Fprintf(progress, "topology: "+format+"\n", args...) }
	logs := filepath.Join(opts.Dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return nil, err
	}
	for _, d := range []string{opts.Dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			return nil, err
		}
	}
	t := &Topology{failed: make(chan error, 16)}
	defer func() {
		if err != nil {
			t.Stop()
		}
	}()

	bin := opts.Renoflow
	if bin == "" {
		bin = filepath.Join(opts.Dir, "bin", "renoflow")
		step("building renoflow -tags nodev")
		out, err := exec.CommandContext(ctx, "go", "build", "-tags", "nodev", "-o", bin, "github.com/renoflow/renoflow/cmd/renoflow").CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("build renoflow: %w\n%s", err, out)
		}
	}

	step("starting PostgreSQL")
	t.PG, err = pgcluster.Start(ctx, pgcluster.Options{Dir: filepath.Join(opts.Dir, "pg"), Fast: opts.FastPostgres})
	if err != nil {
		return nil, err
	}
	if err := t.PG.CreateDatabase(ctx, "renoflow"); err != nil {
		return nil, err
	}
	t.DBURL = t.PG.URL("renoflow")

	step("starting Temporal on PostgreSQL")
	t.Temporal = t.proc("temporal", opts.Temporal[0], append(append([]string{}, opts.Temporal[1:]...),
		"-pg", "127.0.0.1:"+strconv.Itoa(t.PG.Port()), "-dir", filepath.Join(opts.Dir, "temporal"), "-port", "0", "-ui-port", "0"),
		append(os.Environ(), opts.TemporalEnv...), filepath.Join(logs, "temporal.log"), temporalReady)
	if err := t.Temporal.Start(ctx); err != nil {
		return nil, err
	}
	// "temporal ready ADDRESS UI-URL"
	if f := strings.Fields(t.Temporal.out.line); len(f) == 4 {
		t.TemporalAddr, t.UIURL = f[2], f[3]
	} else {
		return nil, fmt.Errorf("temporal: unexpected ready line %q", t.Temporal.out.line)
	}

	ports, err := freePorts(2*opts.Servers + opts.Workers)
	if err != nil {
		return nil, err
	}

	env := append(append(os.Environ(), "DATABASE_URL="+t.DBURL, "TEMPORAL_ADDRESS="+t.TemporalAddr,
		"TEMPORAL_NAMESPACE=default", "TEMPORAL_UI_URL="+t.UIURL), opts.Env...)
	step("running renoflow migrate twice at once")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.CommandContext(ctx, bin, "migrate")
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil {
				errs[i] = fmt.Errorf("migrate #%d: %w\n%s", i+1, err, out)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := seedDemo(ctx, t.DBURL); err != nil {
		return nil, err
	}

	next := 0
	for i := 0; i < opts.Workers; i++ {
		metrics := "127.0.0.1:" + strconv.Itoa(ports[next])
		next++
		name := fmt.Sprintf("worker-%d", i+1)
		p := t.proc(name, bin, []string{"worker"}, append(append([]string{}, env...), "METRICS_ADDR="+metrics),
			filepath.Join(logs, name+".log"), "renoflow worker polling")
		p.MetricsURL = "http://" + metrics + "/metrics"
		t.Workers = append(t.Workers, p)
	}
	for i := 0; i < opts.Servers; i++ {
		addr, metrics := "127.0.0.1:"+strconv.Itoa(ports[next]), "127.0.0.1:"+strconv.Itoa(ports[next+1])
		next += 2
		name := fmt.Sprintf("server-%d", i+1)
		p := t.proc(name, bin, []string{"server"}, append(append([]string{}, env...), "HTTP_ADDR="+addr, "METRICS_ADDR="+metrics),
			filepath.Join(logs, name+".log"), "renoflow server listening")
		p.URL, p.MetricsURL = "http://"+addr, "http://"+metrics+"/metrics"
		t.Servers = append(t.Servers, p)
	}
	step("starting %d workers and %d servers", opts.Workers, opts.Servers)
	all := append(append([]*Proc{}, t.Workers...), t.Servers...)
	errs = make([]error, len(all))
	for i, p := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p.Start(ctx)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

// seedDemo creates the demo company (stores and one person per role), as dev does.
func seedDemo(ctx context.Context, url string) error {
	db := bun.NewDB(sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(url))), pgdialect.New())
	defer db.Close()
	return server.SeedDemo(ctx, db)
}

// Failed delivers the error of a process that exited without being asked to.
func (t *Topology) Failed() <-chan error { return t.failed }

// Stop ends every process (servers, workers, Temporal, PostgreSQL) cleanly.
func (t *Topology) Stop() {
	var wg sync.WaitGroup
	for _, p := range append(append([]*Proc{}, t.Servers...), t.Workers...) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = p.Stop()
		}()
	}
	wg.Wait()
	if t.Temporal != nil {
		_ = t.Temporal.Stop()
	}
	if t.PG != nil {
		_ = t.PG.Stop()
	}
}

func (t *Topology) proc(name, path string, args, env []string, log, ready string) *Proc {
	return &Proc{Name: name, path: path, args: args, env: env, log: log, ready: ready, topo: t}
}

// Start starts the process and waits until it prints its ready line (90 s at most).
func (p *Proc) Start(ctx context.Context) error {
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.path, p.args...)
	cmd.Env = p.env
	out := &readyWriter{marker: []byte(p.ready), ready: make(chan struct{})}
	cmd.Stdout = io.MultiWriter(f, out)
	cmd.Stderr = f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	done := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.done, p.err, p.expected, p.out = cmd, done, nil, false, out
	p.mu.Unlock()
	go func() {
		err := cmd.Wait()
		f.Close()
		p.mu.Lock()
		p.err = err
		expected := p.expected
		p.mu.Unlock()
		close(done)
		if !expected {
			select {
			case p.topo.failed <- fmt.Errorf("%s exited: %v (log %s)", p.Name, err, p.log):
			default:
			}
		}
	}()
	select {
	case <-out.ready:
		return nil
	case <-done:
		return fmt.Errorf("%s exited before it was ready: %v\n%s", p.Name, p.err, tailFile(p.log, 3000))
	case <-ctx.Done():
		_ = p.Kill()
		return ctx.Err()
	case <-time.After(90 * time.Second):
		_ = p.Kill()
		return fmt.Errorf("%s not ready in 90 s\n%s", p.Name, tailFile(p.log, 3000))
	}
}

// Kill sends SIGKILL and waits for the process to exit.
func (p *Proc) Kill() error { return p.signal(syscall.SIGKILL, 0) }

// Stop sends SIGTERM and waits (30 s, then SIGKILL): a server finishes its requests in
// flight, a worker its running tasks.
func (p *Proc) Stop() error { return p.signal(syscall.SIGTERM, 30*time.Second) }

// Restart stops the process cleanly and starts it again.
func (p *Proc) Restart(ctx context.Context) error {
	if err := p.Stop(); err != nil {
		return err
	}
	return p.Start(ctx)
}

// Pid is the process ID of the current run, or 0.
func (p *Proc) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

func (p *Proc) signal(sig syscall.Signal, grace time.Duration) error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.expected = true
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	default:
	}
	_ = cmd.Process.Signal(sig)
	if grace > 0 {
		select {
		case <-done:
			return nil
		case <-time.After(grace):
			_ = cmd.Process.Signal(syscall.SIGKILL)
		}
	}
	select {
	case <-done:
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s did not exit", p.Name)
	}
}

// readyWriter closes ready once a whole line with marker has been written, and keeps that line.
type readyWriter struct {
	mu     sync.Mutex
	buf    []byte
	marker []byte
	ready  chan struct{}
	seen   bool
	line   string
}

func (w *readyWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.seen {
		w.buf = append(w.buf, b...)
		if i := bytes.Index(w.buf, w.marker); i >= 0 {
			if j := bytes.IndexByte(w.buf[i:], '\n'); j >= 0 {
				w.seen = true
				w.line = string(w.buf[i : i+j])
				close(w.ready)
				w.buf = nil
			}
		}
	}
	return len(b), nil
}

// freePorts reserves n distinct free TCP ports on 127.0.0.1 and releases them for use.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// tailFile returns the last n bytes of a file, for error messages.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}
