package pgcluster

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Environment of the helper process started by the kill -9 tests.
const (
	helperDirEnv    = "PGCLUSTER_HELPER_DIR"
	helperOrphanEnv = "PGCLUSTER_HELPER_ORPHAN"
)

// tempDir returns a new directory that the postgres user can traverse
// (t.TempDir's parent is mode 0700), removed at the end of the test.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgcluster-test-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// openDB connects bun to url and closes the connection at the end of the test.
func openDB(t *testing.T, url string) *bun.DB {
	t.Helper()
	db := bun.NewDB(sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(url))), pgdialect.New())
	t.Cleanup(func() { db.Close() })
	return db
}

// start starts a cluster and stops it at the end of the test.
func start(t *testing.T, opts Options) *Cluster {
	t.Helper()
	begin := time.Now()
	c, err := Start(t.Context(), opts)
	require.NoError(t, err)
	t.Logf("Start took %s (port %d)", time.Since(begin).Round(time.Millisecond), c.Port())
	t.Cleanup(func() { c.Stop() })
	return c
}

func TestStartCreateQueryRestart(t *testing.T) {
	dir := filepath.Join(tempDir(t), "nested", "cluster") // parents are created too
	ctx := t.Context()

	c := start(t, Options{Dir: dir, Fast: true})
	require.NoError(t, c.CreateDatabase(ctx, "app"))
	require.NoError(t, c.CreateDatabase(ctx, "app"), "CreateDatabase must be idempotent")
	db := openDB(t, c.URL("app"))
	_, err := db.ExecContext(ctx, "CREATE TABLE kept (v text)")
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, "INSERT INTO kept VALUES ('hello')")
	require.NoError(t, err)
	require.NoError(t, db.Close())

	begin := time.Now()
	require.NoError(t, c.Stop())
	t.Logf("Stop took %s", time.Since(begin).Round(time.Millisecond))
	require.NoError(t, c.Stop(), "a second Stop must be harmless")
	select {
	case <-c.Done():
	default:
		t.Fatal("Done is not closed after Stop")
	}
	_, err = os.Stat(filepath.Join(dir, "data", "postmaster.pid"))
	require.ErrorIs(t, err, os.ErrNotExist, "a clean shutdown removes postmaster.pid")

	c2 := start(t, Options{Dir: dir, Fast: true})
	var v string
	require.NoError(t, openDB(t, c2.URL("app")).NewSelect().ColumnExpr("v").Table("kept").Scan(ctx, &v))
	assert.Equal(t, "hello", v)

	for _, dir := range []string{dir, filepath.Dir(dir)} {
		fi, err := os.Stat(dir)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm(), dir)
	}
}

func TestDirInUse(t *testing.T) {
	dir := tempDir(t)
	start(t, Options{Dir: dir, Fast: true})
	_, err := Start(t.Context(), Options{Dir: dir, Fast: true})
	require.ErrorContains(t, err, "in use")
}

func TestPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port

	dir := tempDir(t)
	_, err = Start(t.Context(), Options{Dir: dir, Fast: true, Port: port})
	require.ErrorContains(t, err, "already in use")
	require.ErrorContains(t, err, strconv.Itoa(port))

	// The failed start released the directory.
	c := start(t, Options{Dir: dir, Fast: true})
	assert.NotEqual(t, port, c.Port())
}

func TestLogWriter(t *testing.T) {
	var log strings.Builder
	w := &lockedWriter{w: &log}
	c := start(t, Options{Dir: tempDir(t), Fast: true, Log: w})
	require.NoError(t, c.Stop())
	assert.Contains(t, w.String(), "database system is ready to accept connections")
	assert.Contains(t, w.String(), "database system is shut down")
}

func TestUntraversableDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root runs PostgreSQL as another user")
	}
	parent := tempDir(t)
	require.NoError(t, os.Chmod(parent, 0o700))
	_, err := Start(t.Context(), Options{Dir: filepath.Join(parent, "cluster")})
	require.ErrorContains(t, err, "cannot enter "+parent)
}

// TestKill9Recovery kills the process that owns a running cluster with
// SIGKILL and starts a new cluster on its directory.
func TestKill9Recovery(t *testing.T) {
	for _, tc := range []struct {
		name   string
		orphan bool // the postmaster outlives its owner (as if Pdeathsig had not fired)
	}{
		{"postmaster dies with owner", false},
		{"orphaned postmaster", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			dir := tempDir(t)
			helper := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
			helper.Env = append(os.Environ(), helperDirEnv+"="+dir, helperOrphanEnv+"="+strconv.FormatBool(tc.orphan))
			helper.Stderr = os.Stderr
			out, err := helper.StdoutPipe()
			require.NoError(t, err)
			require.NoError(t, helper.Start())
			t.Cleanup(func() { helper.Process.Kill(); helper.Wait() })

			lines := make(chan string)
			go func() {
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			var port int
			timeout := time.After(60 * time.Second)
			for port == 0 {
				select {
				case line, ok := <-lines:
					require.True(t, ok, "helper exited without reporting its port")
					if p, found := strings.CutPrefix(line, "PORT="); found {
						port, err = strconv.Atoi(p)
						require.NoError(t, err)
					}
				case <-timeout:
					t.Fatal("helper did not report its port in time")
				}
			}

			pidBytes, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
			require.NoError(t, err)
			postmaster, err := strconv.Atoi(strings.SplitN(string(pidBytes), "\n", 2)[0])
			require.NoError(t, err)
			dataDir, err := filepath.EvalSymlinks(filepath.Join(dir, "data"))
			require.NoError(t, err)
			require.True(t, servesDir(postmaster, dataDir))

			require.NoError(t, helper.Process.Signal(syscall.SIGKILL))
			require.Error(t, helper.Wait())
			if !tc.orphan {
				require.Eventually(t, func() bool { return !servesDir(postmaster, dataDir) },
					10*time.Second, 10*time.Millisecond, "Pdeathsig should take the postmaster down with its owner")
				require.FileExists(t, filepath.Join(dir, "data", "postmaster.pid"), "the killed postmaster leaves its pid file")
			} else {
				require.True(t, servesDir(postmaster, dataDir), "the orphaned postmaster should still run")
				// Even on its port, it still answers.
				var one int
				require.NoError(t, openDB(t, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)).
					QueryRowContext(ctx, "SELECT 1").Scan(&one))
			}

			begin := time.Now()
			c := start(t, Options{Dir: dir, Fast: true, Port: port})
			t.Logf("restart after kill -9 took %s", time.Since(begin).Round(time.Millisecond))
			assert.False(t, servesDir(postmaster, dataDir), "the old postmaster must be gone")
			var v string
			require.NoError(t, openDB(t, c.URL("app")).QueryRowContext(ctx, "SELECT v FROM kept").Scan(&v))
			assert.Equal(t, "before kill", v)
			require.NoError(t, c.Stop())
			log, err := os.ReadFile(filepath.Join(dir, "postgres.log"))
			require.NoError(t, err)
			if tc.orphan {
				assert.Contains(t, string(log), "received fast shutdown request", "the orphan is shut down cleanly")
			} else {
				assert.Contains(t, string(log), "automatic recovery in progress", "postgres recovers from the crash")
			}
			if testing.Verbose() {
				t.Logf("server log:\n%s", log)
			}
		})
	}
}

// TestHelperProcess is the owner process killed by TestKill9Recovery: it
// starts a cluster, writes a row, reports the port and waits to be killed.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		t.Skip("helper process for TestKill9Recovery")
	}
	ctx := context.Background()
	opts := Options{Dir: dir} // not Fast: with synchronous_commit=off a kill -9 may lose the last commits
	opts.orphanOnParentDeath = os.Getenv(helperOrphanEnv) == "true"
	c, err := Start(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := c.CreateDatabase(ctx, "app"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(c.URL("app"))))
	for _, q := range []string{"CREATE TABLE kept (v text)", "INSERT INTO kept VALUES ('before kill')"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	// Keep the connection open: its backend is one more process to clean up.
	fmt.Printf("PORT=%d\n", c.Port())
	select {}
}

// lockedWriter is a strings.Builder safe for concurrent writes and reads.
type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

// Write appends p.
func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// String returns everything written so far.
func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.String()
}
