// Package pgcluster initialises and runs a private PostgreSQL server as a
// child process of the program, for the dev command (when DATABASE_URL is
// unset) and for tests.
//
// The server binaries come from the local PostgreSQL installation (Debian
// package postgresql): /usr/lib/postgresql/<highest version>/bin, else PATH.
//
// Layout of Options.Dir:
//
//	data/           the data directory (initdb runs once, when it has no PG_VERSION)
//	run/            the Unix socket directory
//	postgres.log    the server log, unless Options.Log is set
//	pgcluster.lock  held (flock) by the process that runs the server
//
// initdb refuses to run as root, so when the program runs as root initdb and
// postgres run as the "postgres" system user. That user must then be able to
// traverse Options.Dir and every parent directory: a directory under /tmp is
// fine, t.TempDir() is not (its parent is mode 0700); in tests use
// os.MkdirTemp followed by os.Chmod(dir, 0o755).
//
// The server is a direct child that receives SIGKILL when the owning process
// dies (Pdeathsig) and runs in its own process group, so a Ctrl-C in a
// terminal reaches only the owner, which is expected to call Stop. Start
// recovers a directory whose previous owner was killed: it shuts down an
// orphaned server still running on the data directory and lets PostgreSQL's
// crash recovery do the rest.
package pgcluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"
)

const (
	// startTimeout bounds the wait for a started server to accept queries.
	startTimeout = 30 * time.Second
	// stopTimeout bounds the wait for a fast shutdown before escalating.
	stopTimeout = 30 * time.Second
	// portAttempts is how often Start retries with another free port when
	// Options.Port is 0 and the picked port was taken in the meantime.
	portAttempts = 3
	// maxSocketPath is the longest Unix socket path Linux accepts.
	maxSocketPath = 107
)

// errPortInUse reports that postgres could not bind its TCP port.
var errPortInUse = errors.New("port already in use")

// Options configure a managed cluster.
type Options struct {
	// Dir holds the data directory (created if missing) and is kept across restarts.
	Dir string
	// Port is the TCP port on 127.0.0.1; 0 picks a free port.
	Port int
	// Fast trades durability for speed (tests): fsync, synchronous_commit and
	// full_page_writes are turned off.
	Fast bool
	// Log receives the server's log; nil means the file postgres.log inside Dir.
	Log io.Writer

	// orphanOnParentDeath leaves out Pdeathsig, so that tests can produce an
	// orphaned server by killing its owner.
	orphanOnParentDeath bool
}

// Cluster is a running PostgreSQL server that this process started and owns.
type Cluster struct {
	dir     string
	dataDir string
	sockDir string
	port    int
	fast    bool
	bins    binaries
	owner   *osUser

	lock    *os.File    // flock on Dir/pgcluster.lock, held while the cluster runs
	logFile *os.File    // the server log when Options.Log is nil
	log     io.Writer   // where initdb's and the server's output goes
	tail    *tailBuffer // the last lines written to log, for error messages
	proc    *process

	stopOnce sync.Once
	stopErr  error
}

// process is one run of the postgres server binary.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited and err is set
	err  error         // result of cmd.Wait
}

// Start initialises the data directory in opts.Dir if needed, starts postgres
// and waits until it accepts queries; ctx bounds the start-up only, not the
// life of the server.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Dir == "" {
		return nil, errors.New("pgcluster: Options.Dir is empty")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: resolving %s: %w", opts.Dir, err)
	}
	bins, err := findBinaries()
	if err != nil {
		return nil, err
	}
	owner, err := serverUser()
	if err != nil {
		return nil, err
	}
	if err := makeDirs(dir); err != nil {
		return nil, err
	}
	if owner != nil {
		if err := checkTraversable(dir, owner); err != nil {
			return nil, err
		}
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		dir:     dir,
		dataDir: filepath.Join(dir, "data"),
		sockDir: filepath.Join(dir, "run"),
		fast:    opts.Fast,
		bins:    bins,
		owner:   owner,
		lock:    lock,
		tail:    &tailBuffer{max: 8 << 10},
	}
	ok := false
	defer func() {
		if !ok {
			c.release()
		}
	}()
	if opts.Log != nil {
		c.log = io.MultiWriter(opts.Log, c.tail)
	} else {
		path := filepath.Join(dir, "postgres.log")
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("pgcluster: opening server log: %w", err)
		}
		c.logFile = f
		c.log = f
	}
	if err := c.initData(ctx); err != nil {
		return nil, err
	}
	if err := reclaim(ctx, c.dataDir); err != nil {
		return nil, err
	}
	if err := c.resetSocketDir(); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		port := opts.Port
		if port == 0 {
			if port, err = freePort(); err != nil {
				return nil, err
			}
		}
		err = c.launch(ctx, port, !opts.orphanOnParentDeath)
		if err == nil {
			break
		}
		if opts.Port != 0 || attempt == portAttempts || !errors.Is(err, errPortInUse) {
			return nil, err
		}
	}
	ok = true
	return c, nil
}

// Port returns the TCP port the server listens on at 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// Dir returns the absolute path of the directory holding the cluster.
func (c *Cluster) Dir() string { return c.dir }

// URL returns the connection URL of database on this server, as the superuser postgres.
func (c *Cluster) URL(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, url.PathEscape(database))
}

// Done returns a channel closed when the server process has exited, whether
// by Stop or unexpectedly.
func (c *Cluster) Done() <-chan struct{} { return c.proc.done }

// CreateDatabase creates the database name; an existing database is not an error.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	if name == "" || strings.ContainsRune(name, 0) {
		return fmt.Errorf("pgcluster: invalid database name %q", name)
	}
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(c.URL("postgres"))))
	defer db.Close()
	_, err := db.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(name))
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) && pgErr.Field('C') == "42P04" { // duplicate_database
		return nil
	}
	if err != nil {
		return fmt.Errorf("pgcluster: creating database %s: %w", name, err)
	}
	return nil
}

// Stop shuts the server down cleanly (SIGINT, PostgreSQL's fast shutdown),
// waits for it to exit and releases the directory; calling it again returns
// the first result.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		c.stopErr = c.proc.terminate(syscall.SIGINT, stopTimeout)
		if c.stopErr != nil {
			c.stopErr = fmt.Errorf("pgcluster: stopping postgres: %w%s", c.stopErr, c.logTail())
		}
		c.release()
	})
	return c.stopErr
}

// release closes the log file and the directory lock.
func (c *Cluster) release() {
	if c.logFile != nil {
		c.logFile.Close()
	}
	if c.lock != nil {
		c.lock.Close() // closing the descriptor drops the flock
	}
}

// initData runs initdb unless the data directory already holds a cluster.
// initdb works in a sibling directory that is renamed into place on success,
// so that an interrupted initdb never leaves a half-initialised data directory.
func (c *Cluster) initData(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(c.dataDir, "PG_VERSION")); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("pgcluster: checking data directory: %w", err)
	}
	switch entries, err := os.ReadDir(c.dataDir); {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("pgcluster: reading data directory: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("pgcluster: %s is not empty but holds no PostgreSQL cluster (no PG_VERSION); remove it", c.dataDir)
	default:
		if err := os.Remove(c.dataDir); err != nil {
			return fmt.Errorf("pgcluster: removing empty data directory: %w", err)
		}
	}
	tmp := c.dataDir + ".initdb"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("pgcluster: removing leftover of an interrupted initdb: %w", err)
	}
	if err := c.mkdirOwned(tmp, 0o700); err != nil {
		return err
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, c.bins.initdb,
		"-D", tmp, "--auth=trust", "--no-sync", "-U", "postgres", "-E", "UTF8", "--locale=C")
	cmd.Dir = c.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.owner.credential(), Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgcluster: initdb in %s failed: %w\n%s", tmp, err, out)
	}
	fmt.Fprintf(c.log, "pgcluster: initdb took %s\n", time.Since(start).Round(time.Millisecond))
	if err := os.Rename(tmp, c.dataDir); err != nil {
		return fmt.Errorf("pgcluster: moving the new data directory into place: %w", err)
	}
	return nil
}

// resetSocketDir empties the socket directory: nothing serves this data
// directory any more (see reclaim), and a stale socket lock file whose PID has
// been reused would make postgres refuse to start.
func (c *Cluster) resetSocketDir() error {
	if err := os.RemoveAll(c.sockDir); err != nil {
		return fmt.Errorf("pgcluster: clearing socket directory: %w", err)
	}
	return c.mkdirOwned(c.sockDir, 0o755)
}

// mkdirOwned creates dir with perm, owned by the user that runs the server.
func (c *Cluster) mkdirOwned(dir string, perm os.FileMode) error {
	if err := os.Mkdir(dir, perm); err != nil {
		return fmt.Errorf("pgcluster: creating %s: %w", dir, err)
	}
	if err := os.Chmod(dir, perm); err != nil { // the umask may have removed bits
		return fmt.Errorf("pgcluster: setting mode of %s: %w", dir, err)
	}
	if c.owner != nil {
		if err := os.Chown(dir, c.owner.uid, c.owner.gid); err != nil {
			return fmt.Errorf("pgcluster: giving %s to user %s: %w", dir, c.owner.name, err)
		}
	}
	return nil
}

// launch starts postgres on port and waits until it answers queries; on
// failure the process is gone when launch returns.
func (c *Cluster) launch(ctx context.Context, port int, pdeathsig bool) error {
	sockDir := c.sockDir
	if len(sockDir)+len("/.s.PGSQL.65535") > maxSocketPath {
		sockDir = "" // too long for a Unix socket: TCP only
	}
	args := []string{
		"-D", c.dataDir,
		"-p", strconv.Itoa(port),
		"-k", sockDir,
		"-c", "listen_addresses=127.0.0.1",
	}
	if c.fast {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(c.bins.postgres, args...)
	cmd.Dir = c.dir
	cmd.Stdout = c.log
	cmd.Stderr = c.log
	cmd.WaitDelay = 5 * time.Second // children of a killed postmaster may hold the log pipe
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: c.owner.credential(),
		Setpgid:    true, // a terminal's Ctrl-C reaches only the owner, which then calls Stop
	}
	if pdeathsig {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	start := time.Now()
	if err := p.start(); err != nil {
		return fmt.Errorf("pgcluster: starting %s: %w", c.bins.postgres, err)
	}
	c.proc, c.port = p, port
	if err := c.waitReady(ctx); err != nil {
		select {
		case <-p.done:
		default:
			if termErr := p.terminate(syscall.SIGQUIT, 5*time.Second); termErr != nil {
				err = fmt.Errorf("%w (and stopping it: %v)", err, termErr)
			}
		}
		tail := c.logTail()
		if strings.Contains(tail, "Address already in use") || strings.Contains(tail, "could not bind") {
			err = fmt.Errorf("%w: %w", errPortInUse, err)
		}
		return fmt.Errorf("pgcluster: postgres on port %d did not start: %w%s", port, err, tail)
	}
	fmt.Fprintf(c.log, "pgcluster: postgres ready on port %d after %s\n", port, time.Since(start).Round(time.Millisecond))
	return nil
}

// start starts the process from a goroutine locked to its OS thread for the
// whole life of the process: Pdeathsig fires when the thread that forked the
// child exits, not the process, and the Go runtime may retire threads.
func (p *process) start() error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: the thread ends with this goroutine, after the process.
		if err := p.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return <-started
}

// terminate sends sig and waits up to timeout for the process to exit,
// escalating to SIGQUIT (immediate shutdown) and then SIGKILL.
func (p *process) terminate(sig syscall.Signal, timeout time.Duration) error {
	select {
	case <-p.done:
		return fmt.Errorf("postgres had already exited: %v", p.err)
	default:
	}
	for _, step := range []struct {
		sig     syscall.Signal
		timeout time.Duration
	}{{sig, timeout}, {syscall.SIGQUIT, 5 * time.Second}, {syscall.SIGKILL, 5 * time.Second}} {
		if err := p.cmd.Process.Signal(step.sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("sending %v: %w", step.sig, err)
		}
		timer := time.NewTimer(step.timeout)
		select {
		case <-p.done:
			timer.Stop()
			if step.sig != sig {
				return fmt.Errorf("postgres ignored %v for %s and needed %v", sig, timeout, step.sig)
			}
			if p.err != nil {
				return fmt.Errorf("postgres exited: %w", p.err)
			}
			return nil
		case <-timer.C:
		}
	}
	return errors.New("postgres did not exit after SIGKILL")
}

// waitReady polls the server with SELECT until it answers, the process exits,
// startTimeout passes or ctx ends. It checks that the answering server serves
// our data directory, not another server that holds the port.
func (c *Cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	db := sql.OpenDB(pgdriver.NewConnector(
		pgdriver.WithDSN(c.URL("postgres")),
		pgdriver.WithTimeout(2*time.Second),
	))
	defer db.Close()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var dataDir string
		attemptCtx, cancelAttempt := context.WithTimeout(ctx, time.Second)
		err := db.QueryRowContext(attemptCtx, "SELECT current_setting('data_directory')").Scan(&dataDir)
		cancelAttempt()
		if err == nil {
			if filepath.Clean(dataDir) == c.dataDir {
				return nil
			}
			err = fmt.Errorf("the port is served by another PostgreSQL server (data directory %s)", dataDir)
		}
		select {
		case <-c.proc.done: // checked first: select picks among ready cases at random
			return fmt.Errorf("postgres exited during start-up: %v", c.proc.err)
		default:
		}
		select {
		case <-c.proc.done:
			return fmt.Errorf("postgres exited during start-up: %v", c.proc.err)
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w (last attempt: %v)", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// logTail returns the end of the server log, formatted to follow an error message.
func (c *Cluster) logTail() string {
	var tail string
	if c.logFile != nil {
		tail = readTail(c.logFile.Name(), 4<<10)
	} else {
		tail = c.tail.String()
	}
	tail = strings.TrimSpace(tail)
	if tail == "" {
		return ""
	}
	return "\n--- end of postgres log ---\n" + tail
}

// readTail returns up to n bytes from the end of the file at path, from a line start.
func readTail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(fi.Size()-n, 0)
	buf := make([]byte, fi.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return ""
	}
	s := string(buf)
	if off > 0 {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	return s
}

// tailBuffer is an io.Writer that keeps the last max bytes written to it.
type tailBuffer struct {
	mu      sync.Mutex
	max     int
	buf     []byte
	dropped bool // bytes were dropped: buf may start mid-line
}

// Write appends p, dropping the oldest bytes beyond max.
func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
		b.dropped = true
	}
	return len(p), nil
}

// String returns the kept bytes, starting at a line start when bytes were dropped.
func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := string(b.buf)
	if b.dropped {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	return s
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgcluster: picking a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// quoteIdent quotes name as an SQL identifier.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
