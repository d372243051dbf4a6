package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// withConfig rebuilds the harness's app with the settings edit makes.
func (h *harness) withConfig(edit func(*Config)) {
	cfg := Config{Now: func() time.Time { return h.now }}
	edit(&cfg)
	h.app = NewServer(h.tc, h.db, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg)
}

// browser is a cookie jar for the login page.
type browser struct {
	h       *harness
	cookies map[string]string
	header  http.Header // extra request headers
}

func (h *harness) browser() *browser {
	return &browser{h: h, cookies: map[string]string{}, header: http.Header{}}
}

func (b *browser) do(method, path string, form url.Values) (*http.Response, string) {
	b.h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp := b.h.do(req)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(b.h.t, err)
	for _, c := range resp.Cookies() {
		b.cookies[c.Name] = c.Value
	}
	return resp, string(raw)
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

// loginForm opens the login page (path) and signs in through its form with next.
func (b *browser) loginForm(path, login, password, next string) (*http.Response, string) {
	b.h.t.Helper()
	_, html := b.do(http.MethodGet, path, nil)
	m := csrfInput.FindStringSubmatch(html)
	require.NotNil(b.h.t, m, "the login form carries a CSRF token")
	return b.do(http.MethodPost, "/login", url.Values{"login": {login}, "password": {password}, "next": {next}, csrfField: {m[1]}})
}

// Login `next` (issue 9 "Hostile requests"): only a path of this site is followed; a CR
// LF, "/\host", "//host" or an absolute URL is ignored and never reaches a header or the
// form.
func TestLoginNext(t *testing.T) {
	h := newHarness(t)
	for next, want := range map[string]string{
		"/customers?q=翠湖":                                "/customers?q=翠湖",
		"/tasks\r\nRefresh: 0;url=https://evil.example/": "/tasks",
		"/\\evil.example/x":                              "/tasks",
		"//evil.example/x":                               "/tasks",
		"https://evil.example/x":                         "/tasks",
		"javascript:alert(1)":                            "/tasks",
		"/%0d%0aSet-Cookie:x=1":                          "/%0d%0aSet-Cookie:x=1", // escaped: a harmless path
	} {
		b := h.browser()
		resp, _ := b.loginForm("/login", "cm1", DemoPassword, next)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, "next %q", next)
		require.Equal(t, want, resp.Header.Get("Location"), "next %q", next)
		require.Empty(t, resp.Header.Get("Refresh"), "next %q", next)
	}
	b := h.browser()
	_, html := b.do(http.MethodGet, "/login?next="+url.QueryEscape("/tasks\r\nRefresh: 0;url=//evil"), nil)
	require.Contains(t, html, `name="next" value=""`, "an unsafe next never reaches the form")
	_, html = b.do(http.MethodGet, "/login?next="+url.QueryEscape("/\\evil.example/x"), nil)
	require.Contains(t, html, `name="next" value=""`)
	_, html = b.do(http.MethodGet, "/login?next="+url.QueryEscape("/customers"), nil)
	require.Contains(t, html, `name="next" value="/customers"`)
}

// The login form is protected against cross-site submission (login CSRF): a post without
// the token of the browser's cookie signs nobody in.
func TestLoginFormCSRF(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	resp, html := b.do(http.MethodPost, "/login", url.Values{"login": {"cm1"}, "password": {DemoPassword}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Contains(t, html, "登录表单已过期")
	require.Empty(t, b.cookies[SessionCookie], "no session without the token")
	resp, _ = b.do(http.MethodPost, "/login", url.Values{"login": {"cm1"}, "password": {DemoPassword}, csrfField: {"forged"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Empty(t, b.cookies[SessionCookie])
	resp, _ = b.loginForm("/login", "cm1", DemoPassword, "")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.NotEmpty(t, b.cookies[SessionCookie])
}

// Login throttling per account and per address (issue 9): the failures beyond the
// shrunk policy answer 429 with a wait (Retry-After and Chinese), even for the right
// password; when the wait has passed the right password works; everything is in the
// audit log.
func TestLoginThrottle(t *testing.T) {
	h := newHarness(t)
	h.withConfig(func(c *Config) {
		c.LoginThrottle = LoginThrottle{Window: time.Minute, PerAccount: 3, PerIP: 5}
		c.TrustedProxies = []string{"0.0.0.0"} // app.Test's peer, so X-Forwarded-For names the client
	})
	login := func(ip, login, password string) (int, map[string]any, http.Header) {
		req := httptest.NewRequest(http.MethodPost, "/api/login", strings.NewReader(`{"login":"`+login+`","password":"`+password+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", ip)
		resp := h.do(req)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		out := map[string]any{}
		_ = jsonUnmarshalMap(raw, &out)
		return resp.StatusCode, out, resp.Header
	}
	for i := 0; i < 3; i++ {
		status, _, _ := login("10.0.0.1", "cm1", "wrong")
		require.Equal(t, http.StatusUnauthorized, status)
		h.now = h.now.Add(time.Second)
	}
	status, body, header := login("10.0.0.1", "cm1", "wrong")
	require.Equal(t, http.StatusTooManyRequests, status, "%v", body)
	require.Contains(t, body["error"].(map[string]any)["message"], "登录失败次数过多")
	wait, err := strconv.Atoi(header.Get("Retry-After"))
	require.NoError(t, err)
	require.InDelta(t, 57, wait, 1, "until the first failure leaves the minute")
	status, _, _ = login("10.0.0.2", "cm1", DemoPassword)
	require.Equal(t, http.StatusTooManyRequests, status, "the account waits, from any address")
	status, _, _ = login("10.0.0.1", "sm1", DemoPassword)
	require.Equal(t, http.StatusOK, status, "another account from the same address is not throttled yet")
	h.now = h.now.Add(time.Duration(wait) * time.Second)
	status, _, _ = login("10.0.0.2", "cm1", DemoPassword)
	require.Equal(t, http.StatusOK, status, "after the wait the right password works")
	status, _, _ = login("10.0.0.2", "cm1", "wrong")
	require.Equal(t, http.StatusUnauthorized, status, "a success starts the account's count afresh")

	// Per address: five failures from one address over several accounts.
	for _, l := range []string{"a1", "a2", "a3", "a4", "a5"} {
		status, _, _ := login("10.0.0.9", l, "wrong")
		require.Equal(t, http.StatusUnauthorized, status)
	}
	status, _, _ = login("10.0.0.9", "sa1", DemoPassword)
	require.Equal(t, http.StatusTooManyRequests, status, "the address waits")
	status, _, _ = login("10.0.0.8", "sa1", DemoPassword)
	require.Equal(t, http.StatusOK, status, "another address does not")

	// The page says the same.
	b := h.browser()
	b.header.Set("X-Forwarded-For", "10.0.0.9")
	resp, html := b.loginForm("/login", "sa1", DemoPassword, "")
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
	require.Contains(t, html, "登录失败次数过多")

	var kinds []struct {
		Kind  string `bun:"kind"`
		Login string `bun:"login"`
		IP    string `bun:"ip"`
		N     int    `bun:"n"`
	}
	require.NoError(t, h.db.NewRaw(`SELECT kind, login, ip, count(*) AS n FROM auth_events GROUP BY kind, login, ip ORDER BY login, ip, kind`).
		Scan(context.Background(), &kinds))
	got := map[string]int{}
	for _, k := range kinds {
		got[k.Kind+" "+k.Login+" "+k.IP] = k.N
	}
	require.Equal(t, 3, got["login_failed cm1 10.0.0.1"], "%v", got)
	require.Equal(t, 1, got["login_throttled cm1 10.0.0.1"])
	require.Equal(t, 1, got["login_throttled cm1 10.0.0.2"])
	require.Equal(t, 1, got["login_ok cm1 10.0.0.2"])
	require.Equal(t, 2, got["login_throttled sa1 10.0.0.9"])
	require.Equal(t, 1, got["login_failed a5 10.0.0.9"])
	require.Zero(t, got["login_pending cm1 10.0.0.1"], "every admitted attempt is resolved")
}

// Security headers on every response; cookies Secure behind TLS: by setting, or
// automatically with X-Forwarded-Proto: https from a trusted proxy (never from anyone
// else).
func TestSecurityHeadersAndSecureCookies(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{"/login", "/api/me", "/static/app.css", "/no-such-page", "/healthz"} {
		resp, _ := h.browser().do(http.MethodGet, path, nil)
		require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'self'", path)
		require.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'", path)
		require.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"), path)
		require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), path)
		require.Equal(t, "same-origin", resp.Header.Get("Referrer-Policy"), path)
	}
	secure := func(b *browser) (bool, string) {
		resp, _ := b.loginForm("/login", "cm1", DemoPassword, "")
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		for _, c := range resp.Cookies() {
			if c.Name == SessionCookie {
				return c.Secure, resp.Header.Get("Strict-Transport-Security")
			}
		}
		t.Fatal("no session cookie")
		return false, ""
	}
	viaTLS := func() *browser {
		b := h.browser()
		b.header.Set("X-Forwarded-Proto", "https")
		return b
	}
	on, hsts := secure(viaTLS())
	require.False(t, on, "X-Forwarded-Proto from an untrusted peer is ignored")
	require.Empty(t, hsts)
	h.withConfig(func(c *Config) { c.TrustedProxies = []string{"0.0.0.0/8"} })
	on, hsts = secure(viaTLS())
	require.True(t, on, "behind a trusted TLS proxy")
	require.NotEmpty(t, hsts)
	on, _ = secure(h.browser())
	require.False(t, on, "plain HTTP through the proxy")
	h.withConfig(func(c *Config) { c.SecureCookies = true })
	on, _ = secure(h.browser())
	require.True(t, on, "by setting")
}

func jsonUnmarshalMap(raw []byte, out *map[string]any) error { return json.Unmarshal(raw, out) }

// The reproduction: 50 wrong passwords at once. Under the default throttle
// exactly 10 are checked (401), the other 40 wait (429), and so does the right password
// — each attempt counted under the account's lock, whatever the concurrency.
func TestLoginThrottleConcurrent(t *testing.T) {
	h := newHarness(t)
	statuses := make(chan int, 50)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest(http.MethodPost, "/api/login", strings.NewReader(`{"login":"cm1","password":"wrong"}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := h.app.Test(req, 30000)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	got := map[int]int{}
	for s := range statuses {
		got[s]++
	}
	require.Equal(t, map[int]int{http.StatusUnauthorized: DefaultLoginThrottle.PerAccount,
		http.StatusTooManyRequests: 50 - DefaultLoginThrottle.PerAccount}, got)
	status, _ := h.api(nil, http.MethodPost, "/api/login", map[string]string{"login": "cm1", "password": DemoPassword})
	require.Equal(t, http.StatusTooManyRequests, status)
}
