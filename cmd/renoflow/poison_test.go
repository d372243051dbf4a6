package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/stretchr/testify/require"
)

// Poison input and hostile requests on the real stack (issue 9): each reproduction of
// the issue is refused at the edge with the field named, leaves no reservation, row or
// workflow behind, and the customer it aimed at keeps working.
func TestPoisonInputOnRealStack(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	cm, sa, sm := d.login(t, "cm1"), d.login(t, "sa1"), d.login(t, "sm1")
	good, err := json.Marshal(filing("13712340001"))
	require.NoError(t, err)
	with := func(old, new string) string { return strings.Replace(string(good), old, new, 1) }
	for _, tc := range []struct {
		name, ct, body string
		status         int
		fields         []string
	}{
		{"NUL in the name", "application/json", with(`"name":"陈"`, `"name":"王\u0000先生"`), 422, []string{"name"}},
		{"invalid UTF-8", "application/json", with(`"name":"陈"`, "\"name\":\"王\xff\""), 422, []string{"name"}},
		{"NUL in the situation", "application/json", with(`"situation":"`, `"situation":"a\u0000`), 422, []string{"situation"}},
		{"handover 0001-01-01", "application/json", with(`"area_m2"`, `"handover_date":"0001-01-01","area_m2"`), 422, []string{"house.handover_date"}},
		{"handover 9999-12-31", "application/json", with(`"area_m2"`, `"handover_date":"9999-12-31","area_m2"`), 422, []string{"house.handover_date"}},
		{"text/plain", "text/plain", string(good), 415, []string{"Content-Type"}},
		{"trailing garbage", "application/json", string(good) + "}{", 422, []string{"body"}},
	} {
		status, fields := cm.raw(http.MethodPost, "/customers", tc.ct, tc.body)
		require.Equal(t, tc.status, status, tc.name)
		require.Equal(t, tc.fields, fields, tc.name)
	}
	db := d.db(t)
	ctx := context.Background()
	n, err := db.NewSelect().Table("phone_claims").Count(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "no phone reserved by a refused filing")

	status, body := cm.call(http.MethodPost, "/customers", filing("13712340001"))
	require.Equal(t, http.StatusCreated, status, "%v", body)
	id := body["customer_id"].(string)

	for _, tc := range []struct {
		who          *apiClient
		path, body   string
		fields       []string
		wantedStatus int
	}{
		{cm, "/customers/" + id + "/store-visit", `{"note":"a\u0000b"}`, []string{"note"}, 422},
		{cm, "/customers/" + id + "/store-visit", `{"note":"` + strings.Repeat("长", 5000) + `"}`, []string{"note"}, 422},
		{sa, "/disputes", `{"phone":"13712340001","note":"证据\u0000"}`, []string{"note"}, 422},
	} {
		status, fields := tc.who.raw(http.MethodPost, tc.path, "application/json", tc.body)
		require.Equal(t, tc.wantedStatus, status, tc.path)
		require.Equal(t, tc.fields, fields, tc.path)
	}
	status, fields := cm.raw(http.MethodGet, "/customers?q=%00", "", "")
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, []string{"q"}, fields)
	for _, month := range []string{"0000-01", "9999-12"} {
		status, fields = sm.raw(http.MethodGet, "/reports/monthly?month="+month, "", "")
		require.Equal(t, http.StatusUnprocessableEntity, status, month)
		require.Equal(t, []string{"month"}, fields)
	}
	status, fields = cm.raw(http.MethodPost, "/login", "application/json", `{"login":"cm1","password":"`+strings.Repeat("p", 73)+`"}`)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, []string{"password"}, fields)

	// The customer was not wedged: the next action goes through at once.
	status, body = cm.call(http.MethodPost, "/customers/"+id+"/store-visit", map[string]any{"note": "第一行\n第二行"})
	require.Equal(t, http.StatusOK, status, "%v", body)

	// The login form over real HTTP: a CR LF in next injects no header, an off-site next
	// is ignored, and the page carries the security headers.
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, next := range []string{"/tasks\r\nRefresh: 0;url=https://evil.example/", "/\\evil.example/x", "//evil.example", "https://evil.example/"} {
		resp, err := browser.Get(d.Web + "/login?next=" + url.QueryEscape(next))
		require.NoError(t, err)
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"))
		require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'self'")
		require.Contains(t, string(page), `name="next" value=""`, "next %q never reaches the form", next)
		token := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(string(page))
		require.NotNil(t, token)
		resp, err = browser.PostForm(d.Web+"/login", url.Values{"login": {"cm1"}, "password": {"renoflow"}, "next": {next}, "_csrf": {token[1]}})
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, "next %q", next)
		require.Equal(t, "/tasks", resp.Header.Get("Location"), "next %q", next)
		require.Empty(t, resp.Header.Get("Refresh"), "next %q", next)
		u, _ := url.Parse(d.Web)
		jar.SetCookies(u, []*http.Cookie{{Name: "renoflow_session", Value: "", MaxAge: -1}})
	}
}
