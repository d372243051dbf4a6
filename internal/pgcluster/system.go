package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// debianRoot is where Debian installs the PostgreSQL versions, one directory each.
const debianRoot = "/usr/lib/postgresql"

// binaries are the paths of the PostgreSQL programs pgcluster runs.
type binaries struct {
	initdb   string
	postgres string
}

// findBinaries looks for initdb and postgres in the bin directory of the
// highest version under /usr/lib/postgresql, then on PATH.
func findBinaries() (binaries, error) {
	var best binaries
	var bestVersion []int
	entries, _ := os.ReadDir(debianRoot) // absent on non-Debian systems: fall back to PATH
	for _, e := range entries {
		version, ok := parseVersion(e.Name())
		if !ok {
			continue
		}
		bin := filepath.Join(debianRoot, e.Name(), "bin")
		b := binaries{initdb: filepath.Join(bin, "initdb"), postgres: filepath.Join(bin, "postgres")}
		if !isExecutable(b.initdb) || !isExecutable(b.postgres) {
			continue
		}
		if bestVersion == nil || slices.Compare(version, bestVersion) > 0 {
			best, bestVersion = b, version
		}
	}
	if bestVersion != nil {
		return best, nil
	}
	initdb, err := exec.LookPath("initdb")
	if err == nil {
		// Prefer the postgres next to initdb, so that both come from one version.
		postgres := filepath.Join(filepath.Dir(initdb), "postgres")
		if !isExecutable(postgres) {
			postgres, err = exec.LookPath("postgres")
		}
		if err == nil {
			return binaries{initdb: initdb, postgres: postgres}, nil
		}
	}
	return binaries{}, fmt.Errorf("pgcluster: PostgreSQL server programs initdb and postgres not found "+
		"in %s/<version>/bin or on PATH; install the Debian package postgresql: %w", debianRoot, err)
}

// parseVersion parses a directory name such as "15" or "9.6" into its numbers.
func parseVersion(name string) ([]int, bool) {
	var version []int
	for part := range strings.SplitSeq(name, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return nil, false
		}
		version = append(version, n)
	}
	return version, true
}

// isExecutable reports whether path is a regular file with an execute bit set.
func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// osUser is the system user that runs initdb and postgres when this process is root.
type osUser struct {
	name string
	uid  int
	gid  int
}

// credential returns the credential for a child running as u; nil (the
// current user) when u is nil.
func (u *osUser) credential() *syscall.Credential {
	if u == nil {
		return nil
	}
	return &syscall.Credential{Uid: uint32(u.uid), Gid: uint32(u.gid)}
}

// serverUser returns the user to run the server as: nil for the current user,
// or the system user postgres when running as root, which initdb refuses.
func serverUser() (*osUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgcluster: running as root, PostgreSQL must run as the system user postgres "+
			"(created by the Debian package postgresql): %w", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: parsing uid of user postgres: %w", err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: parsing gid of user postgres: %w", err)
	}
	return &osUser{name: u.Username, uid: uid, gid: gid}, nil
}

// makeDirs creates dir and its missing parents with mode 0755 (regardless of
// the umask), so that the server's user can traverse them.
func makeDirs(dir string) error {
	var missing []string
	for p := dir; ; p = filepath.Dir(p) {
		_, err := os.Stat(p)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("pgcluster: checking %s: %w", p, err)
		}
		missing = append(missing, p)
		if p == filepath.Dir(p) {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("pgcluster: creating %s: %w", dir, err)
	}
	for _, p := range missing {
		if err := os.Chmod(p, 0o755); err != nil {
			return fmt.Errorf("pgcluster: setting mode of %s: %w", p, err)
		}
	}
	return nil
}

// checkTraversable reports an error unless u may search dir and all its parents.
func checkTraversable(dir string, u *osUser) error {
	for p := dir; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pgcluster: checking %s: %w", p, err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("pgcluster: no owner information for %s", p)
		}
		perm := fi.Mode().Perm()
		var bit os.FileMode = 0o001
		switch {
		case int(st.Uid) == u.uid:
			bit = 0o100
		case int(st.Gid) == u.gid:
			bit = 0o010
		}
		if perm&bit == 0 {
			return fmt.Errorf("pgcluster: the user %s, which runs PostgreSQL, cannot enter %s (mode %v); "+
				"use a directory whose parents are all world-searchable, e.g. os.MkdirTemp then chmod 0755 "+
				"(t.TempDir's parent is not)", u.name, p, perm)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// lockDir takes an exclusive flock on dir/pgcluster.lock; the kernel drops it
// when this process dies, however it dies.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "pgcluster.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: opening lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("pgcluster: %s is in use by a cluster of another running process (or of this one)", dir)
		}
		return nil, fmt.Errorf("pgcluster: locking %s: %w", path, err)
	}
	return f, nil
}

// reclaim clears the way for a new postmaster on dataDir after the previous
// owner of the directory died without stopping its server. The caller holds
// the directory lock, so any server still running on dataDir is an orphan.
//
// PostgreSQL itself ignores a postmaster.pid whose PID is dead, and redoes the
// work lost by a crash (WAL recovery). It refuses to start when the PID is
// alive (a postmaster that outlived its owner, or an unrelated process that
// got the PID) or while children of a killed postmaster still hold its shared
// memory; reclaim handles these cases.
func reclaim(ctx context.Context, dataDir string) error {
	pidFile := filepath.Join(dataDir, "postmaster.pid")
	content, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil // the last server stopped cleanly
	}
	if err != nil {
		return fmt.Errorf("pgcluster: reading %s: %w", pidFile, err)
	}
	realDir, err := filepath.EvalSymlinks(dataDir)
	if err != nil {
		return fmt.Errorf("pgcluster: resolving %s: %w", dataDir, err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(content), "\n", 2)[0]))
	if pid > 0 && servesDir(pid, realDir) {
		if err := stopOrphan(ctx, pid, realDir); err != nil {
			return err
		}
	}
	// The children of a killed postmaster notice its death and exit within moments.
	gone := func() bool { return len(processesIn(realDir)) == 0 }
	if !waitUntil(ctx, 5*time.Second, gone) {
		for _, p := range processesIn(realDir) {
			syscall.Kill(p, syscall.SIGKILL)
		}
		if !waitUntil(ctx, 5*time.Second, gone) {
			return fmt.Errorf("pgcluster: processes %v of a previous server still run in %s", processesIn(realDir), realDir)
		}
	}
	if pid > 0 && !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
		// The PID now belongs to an unrelated process or to an unreaped zombie
		// (an orphan whose new parent does not reap it): postgres would take it
		// for a running server. A postmaster stopped above removed the file itself.
		if err := os.Remove(pidFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("pgcluster: removing stale %s: %w", pidFile, err)
		}
	}
	return nil
}

// stopOrphan shuts down the postmaster pid serving dataDir: a fast shutdown
// first, then an immediate one, then SIGKILL.
func stopOrphan(ctx context.Context, pid int, dataDir string) error {
	gone := func() bool { return !servesDir(pid, dataDir) }
	for _, step := range []struct {
		sig     syscall.Signal
		timeout time.Duration
	}{{syscall.SIGINT, 15 * time.Second}, {syscall.SIGQUIT, 5 * time.Second}, {syscall.SIGKILL, 5 * time.Second}} {
		if err := syscall.Kill(pid, step.sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("pgcluster: sending %v to orphaned postmaster %d: %w", step.sig, pid, err)
		}
		if waitUntil(ctx, step.timeout, gone) {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("pgcluster: waiting for orphaned postmaster %d to exit: %w", pid, ctx.Err())
		}
	}
	return fmt.Errorf("pgcluster: orphaned postmaster %d of %s does not exit", pid, dataDir)
}

// servesDir reports whether process pid is alive with dataDir as its working
// directory, as every process of a PostgreSQL server is. A zombie has no
// working directory.
func servesDir(pid int, dataDir string) bool {
	cwd, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "cwd"))
	return err == nil && cwd == dataDir
}

// processesIn returns the processes (other than this one) whose working directory is dir.
func processesIn(dir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if servesDir(pid, dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitUntil polls cond until it holds (true), or timeout passes or ctx ends (false).
func waitUntil(ctx context.Context, timeout time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return cond()
		case <-tick.C:
		}
	}
	return true
}

// Available reports whether the PostgreSQL server programs are installed (nil), or why not.
func Available() error {
	_, err := findBinaries()
	return err
}
