package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/client"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperMain())
	}
	os.Exit(testdb.Main(m))
}

// dev is a running `renoflow dev` inside the test process.
type dev struct {
	Web, API, Temporal, UI, DBURL string
	cancel                        context.CancelFunc
	done                          chan error
	out                           *syncBuffer
}

// syncBuffer collects a command's output safely across goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tempDir is a temporary directory the postgres user can traverse (t.TempDir's parent
// is not), removed at cleanup.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "renoflow-test-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

var readyURL = regexp.MustCompile(`(?m)^\s+(web app|Temporal UI|Temporal|PostgreSQL)\s+(\S+)`)

// startDev runs `renoflow dev` with env and waits until it prints that it is ready.
func startDev(t *testing.T, env map[string]string) *dev {
	t.Helper()
	base := map[string]string{"HTTP_ADDR": "127.0.0.1:0", "TEMPORAL_PORT": "0", "TEMPORAL_UI_PORT": "0", "PG_PORT": "0"}
	for k, v := range env {
		base[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &dev{cancel: cancel, done: make(chan error, 1), out: &syncBuffer{}}
	go func() { d.done <- run(ctx, []string{"dev"}, func(k string) string { return base[k] }, d.out) }()
	deadline := time.After(90 * time.Second)
	for !strings.Contains(d.out.String(), "Press Ctrl-C") {
		select {
		case err := <-d.done:
			cancel()
			t.Fatalf("dev exited before it was ready: %v\n%s", err, d.out.String())
		case <-deadline:
			cancel()
			t.Fatalf("dev not ready in time:\n%s", d.out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	for _, m := range readyURL.FindAllStringSubmatch(d.out.String(), -1) {
		switch m[1] {
		case "web app":
			d.Web = m[2]
		case "Temporal UI":
			d.UI = m[2]
		case "Temporal":
			d.Temporal = m[2]
		case "PostgreSQL":
			d.DBURL = m[2]
		}
	}
	d.API = d.Web + "/api"
	t.Cleanup(func() {
		d.stop(t)
		if t.Failed() || os.Getenv("RENOFLOW_TEST_LOG") != "" {
			if b, err := os.ReadFile(filepath.Join(base["RENOFLOW_DATA"], "renoflow.log")); err == nil {
				t.Logf("renoflow.log:\n%s", tail(string(b), 4000))
			}
		}
	})
	return d
}

// stop cancels dev like Ctrl-C and waits for it to return; safe to call twice.
func (d *dev) stop(t *testing.T) {
	if d.cancel == nil {
		return
	}
	d.cancel()
	d.cancel = nil
	select {
	case err := <-d.done:
		require.NoError(t, err, "dev stopped with an error")
	case <-time.After(60 * time.Second):
		t.Fatal("dev did not stop")
	}
}

// db opens the database dev uses.
func (d *dev) db(t *testing.T) *bun.DB {
	t.Helper()
	db, err := openDB(context.Background(), d.DBURL)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// temporal dials the Temporal server dev uses.
func (d *dev) temporal(t *testing.T) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: d.Temporal, Logger: quietLogger()})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// apiClient calls the JSON API as one logged-in staff member.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func (d *dev) login(t *testing.T, login string) *apiClient {
	t.Helper()
	c := &apiClient{t: t, base: d.API}
	status, body := c.call(http.MethodPost, "/login", map[string]string{"login": login, "password": "renoflow"})
	require.Equal(t, http.StatusOK, status, "login %s: %v", login, body)
	c.token = body["token"].(string)
	return c
}

// call sends a JSON request and decodes the JSON answer.
func (c *apiClient) call(method, path string, in any) (int, map[string]any) {
	c.t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		require.NoError(c.t, err)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, body)
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	out := map[string]any{}
	if len(raw) > 0 {
		require.NoError(c.t, json.Unmarshal(raw, &out), "body: %s", raw)
	}
	return resp.StatusCode, out
}

// filing is a valid filing for phone (as typed).
func filing(phone string) map[string]any {
	return map[string]any{
		"name": "陈", "gender": "female", "phone": phone, "situation": "朋友介绍，想做现代简约",
		"house":   map[string]any{"community": "翠湖苑", "building": "3栋", "layout": "三室两厅", "area_m2": 120},
		"channel": "referral", "store_id": "s1", "focus_points": []string{"design", "price"},
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 60*time.Second, 50*time.Millisecond, what)
}

// lines returns the output's lines (for failure messages).
func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

var _ = fmt.Sprintf
