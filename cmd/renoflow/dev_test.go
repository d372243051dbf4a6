package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renoflow/renoflow/internal/apiclient"
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

// apiClient calls the JSON API as one staff member through the typed client
// (internal/apiclient); paths are relative to prefix ("/api"; "" for /healthz).
type apiClient struct {
	t      *testing.T
	api    *apiclient.Client
	prefix string
}

// apiAt is a client of the API of the web app at web, not logged in.
func apiAt(t *testing.T, web string) *apiClient {
	return &apiClient{t: t, api: apiclient.New(web), prefix: "/api"}
}

// loginAt logs in to the web app at web as login.
func loginAt(t *testing.T, web, login, password string) *apiClient {
	t.Helper()
	c := apiAt(t, web)
	_, err := c.api.Login(context.Background(), login, password)
	require.NoError(t, err, "login %s", login)
	return c
}

func (d *dev) login(t *testing.T, login string) *apiClient {
	t.Helper()
	return loginAt(t, d.Web, login, "renoflow")
}

// setPolicy changes the policy (PUT /api/policy; the client is the admin's) and returns
// the new version.
func (c *apiClient) setPolicy(changes map[string]any) int {
	c.t.Helper()
	v, err := c.api.SetPolicy(context.Background(), changes)
	require.NoError(c.t, err)
	return v
}

// call sends a JSON request and decodes the JSON answer.
func (c *apiClient) call(method, path string, in any) (int, map[string]any) {
	c.t.Helper()
	status, out, err := c.tryKey(method, path, in, "")
	require.NoError(c.t, err, "%s %s", method, path)
	return status, out
}

// try is a goroutine-safe call: it reports transport errors instead of failing the test.
func (c *apiClient) try(method, path string, in any) (int, map[string]any, error) {
	return c.tryKey(method, path, in, "")
}

// tryKey is try with an Idempotency-Key: a retry with the same key is the same request.
func (c *apiClient) tryKey(method, path string, in any, key string) (int, map[string]any, error) {
	a := c.do(method, path, in, map[string]string{"Idempotency-Key": key})
	return a.status, a.body, a.err
}

// answer is one HTTP answer (of a concurrent burst).
type answer struct {
	status int
	body   map[string]any
	err    error
}

// do sends one JSON request with optional headers, safe to call from many goroutines.
func (c *apiClient) do(method, path string, in any, header map[string]string) answer {
	var opts []apiclient.Option
	for k, v := range header {
		if v != "" {
			opts = append(opts, apiclient.Header(k, v))
		}
	}
	resp, err := c.api.Do(context.Background(), method, c.prefix+path, in, opts...)
	if err != nil {
		return answer{err: err}
	}
	out, err := resp.Map()
	return answer{status: resp.Status, body: out, err: err}
}

// raw sends body as it is with the content type given and returns the status and the
// fields the error names; a request that would hang fails the test after 10 s.
func (c *apiClient) raw(method, path, contentType, body string) (int, []string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.api.Do(ctx, method, c.prefix+path, apiclient.Body{ContentType: contentType, Data: []byte(body)})
	require.NoError(c.t, err, "%s %s answered in time", method, path)
	var e *apiclient.Error
	if errors.As(resp.Err(method, path), &e) {
		return resp.Status, e.FieldNames()
	}
	return resp.Status, nil
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
