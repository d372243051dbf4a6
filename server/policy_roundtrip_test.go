package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// GET /api/policy's answer goes back to PUT /api/policy unchanged (issue 13), and the
// policy page takes spans as people type them ("7天", "3个工作日").
func TestPolicyRoundTripAndChineseSpans(t *testing.T) {
	h := newHarness(t)
	admin := h.login("admin")
	status, got := h.api(admin, http.MethodGet, "/api/policy", nil)
	require.Equal(t, http.StatusOK, status)
	status, body := h.api(admin, http.MethodPut, "/api/policy", got)
	require.Equal(t, http.StatusOK, status, "%v", body)
	a, _ := json.Marshal(got["policy"])
	b, _ := json.Marshal(body["policy"])
	var pa, pb map[string]any
	require.NoError(t, json.Unmarshal(a, &pa))
	require.NoError(t, json.Unmarshal(b, &pb))
	delete(pa, "version")
	delete(pb, "version")
	require.Equal(t, pa, pb)

	status, body = h.api(admin, http.MethodPut, "/api/policy", map[string]any{"claim_window": "7天", "verify_within": "2小时"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, "7d", body["policy"].(map[string]any)["claim_window"])
}

// Concurrent saves of different settings each keep the other's (issue 15 fresh-eyes
// check: the save read the policy in force, merged and inserted without a lock, and one
// of two saves was lost in 8 of 10 rounds).
func TestConcurrentPolicySavesKeepEachOther(t *testing.T) {
	h := newHarness(t)
	admin := h.login("admin")
	for round := 1; round <= 6; round++ {
		window, verify := strconv.Itoa(round+1)+"d", strconv.Itoa(round)+"h"
		var wg sync.WaitGroup
		for _, change := range []map[string]any{{"claim_window": window}, {"verify_within": verify}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, body := h.api(admin, http.MethodPut, "/api/policy", change)
				assert.Equal(t, http.StatusOK, status, "%v", body)
			}()
		}
		wg.Wait()
		status, got := h.api(admin, http.MethodGet, "/api/policy", nil)
		require.Equal(t, http.StatusOK, status)
		p := got["policy"].(map[string]any)
		require.Equal(t, []any{window, verify}, []any{p["claim_window"], p["verify_within"]}, "round %d", round)
	}
}

// A stored policy version that no longer parses (a setting retired by an upgrade, a row
// edited by hand) refuses a filing with 503 saying so, not a 422 naming a field the filer
// never sent. The admin's page shows each setting's newest value that still reads (not
// the shipped defaults) with the warning, the calendar page still opens, and saving the
// page unchanged repairs the policy with the company's values (fresh-eyes checks).
func TestUnreadablePolicyVersion(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	admin, cm := h.login("admin"), h.login("cm1")
	status, body := h.api(admin, http.MethodPut, "/api/policy", map[string]any{"verify_within": "5h", "owner_capacity": 212})
	require.Equal(t, http.StatusOK, status, "%v", body)
	_, err := h.db.NewRaw(`UPDATE policy_versions SET body = body || '{"retired_setting": "1d"}'`).Exec(ctx)
	require.NoError(t, err)
	_, err = h.db.NewRaw(`INSERT INTO policy_versions (body, note, created_by)
		SELECT body || '{"claim_window": "abc"}', '手工改坏', 'admin' FROM policy_versions ORDER BY version DESC LIMIT 1`).Exec(ctx)
	require.NoError(t, err)
	bad, _, err := postgres.LatestVersions(ctx, h.db)
	require.NoError(t, err)

	status, body = h.api(cm, http.MethodPost, "/api/customers", testFiling("13922223333"))
	require.Equal(t, http.StatusServiceUnavailable, status, "%v", body)
	e := body["error"].(map[string]any)
	require.Contains(t, e["message"], "公司策略第"+strconv.Itoa(bad)+"版无法读取")
	require.Contains(t, e["message"], "claim_window")
	require.Nil(t, e["fields"], "no field of the filing is named")
	n, err := h.db.NewSelect().Table("phone_claims").Where("phone = '13922223333'").Count(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "nothing written")
	status, _ = h.api(admin, http.MethodGet, "/api/policy", nil)
	require.Equal(t, http.StatusServiceUnavailable, status)

	status, html, _ := h.page(admin, http.MethodGet, "/admin/policy", nil)
	require.Equal(t, http.StatusOK, status, "the admin's page still opens, to mend it")
	require.Contains(t, html, "公司策略第"+strconv.Itoa(bad)+"版无法读取")
	want := renoflow.DefaultPolicy()
	want.VerifyWithin, want.OwnerCapacity = renoflow.MustSpan("5h"), 212
	values := renoflow.PolicyValues(want)
	require.Contains(t, html, `value="212"`, "the company's values, not the shipped defaults")
	status, _, _ = h.page(admin, http.MethodGet, "/admin/calendar", nil)
	require.Equal(t, http.StatusOK, status, "the calendar page still opens")

	form := url.Values{}
	for k, v := range values {
		form.Set(k, v)
	}
	status, _, location := h.page(admin, http.MethodPost, "/admin/policy", form)
	require.Equal(t, http.StatusSeeOther, status)
	loc, err := url.QueryUnescape(location)
	require.NoError(t, err)
	require.Contains(t, loc, "已保存为策略第"+strconv.Itoa(bad+1)+"版", "saved unchanged: a new version repairs it")
	status, body = h.api(admin, http.MethodGet, "/api/policy", nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	saved := body["policy"].(map[string]any)
	require.Equal(t, "5h", saved["verify_within"])
	require.Equal(t, "7d", saved["claim_window"], "the newest value that still reads")
	require.EqualValues(t, 212, saved["owner_capacity"])

	status, body = h.api(cm, http.MethodPost, "/api/customers", testFiling("13922223333"))
	require.Less(t, status, 300, "%v", body)
}

// A whole policy made from an older version — the admin page loaded before another
// admin's save, or GET /api/policy's answer edited and sent back — changes only what its
// maker changed: the other admin's save is kept (a three-way merge; fresh-eyes check: it
// was reverted).
func TestStalePolicyFormKeepsOthersChanges(t *testing.T) {
	h := newHarness(t)
	a, b := h.login("admin"), h.login("admin")
	status, got := h.api(a, http.MethodGet, "/api/policy", nil) // A reads…
	require.Equal(t, http.StatusOK, status)
	_, html, _ := h.page(a, http.MethodGet, "/admin/policy", nil) // …and opens the page
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(html)
	require.NotNil(t, version, "the form names the version it was made from")

	status, body := h.api(b, http.MethodPut, "/api/policy", map[string]any{"owner_capacity": 260}) // B saves
	require.Equal(t, http.StatusOK, status, "%v", body)

	edited := got["policy"].(map[string]any)
	edited["verify_within"] = "4h"
	status, body = h.api(a, http.MethodPut, "/api/policy", got) // A sends back the answer, edited
	require.Equal(t, http.StatusOK, status, "%v", body)
	p := body["policy"].(map[string]any)
	require.Equal(t, "4h", p["verify_within"])
	require.EqualValues(t, 260, p["owner_capacity"], "B's change is kept")

	form := url.Values{"version": {version[1]}}
	def := renoflow.DefaultPolicy()
	for k, v := range renoflow.PolicyValues(def) {
		form.Set(k, v)
	}
	form.Set("claim_window", "10d")
	status, _, _ = h.page(a, http.MethodPost, "/admin/policy", form) // A's page, still the old values
	require.Equal(t, http.StatusSeeOther, status)
	status, body = h.api(a, http.MethodGet, "/api/policy", nil)
	require.Equal(t, http.StatusOK, status)
	p = body["policy"].(map[string]any)
	require.Equal(t, "10d", p["claim_window"])
	require.Equal(t, "4h", p["verify_within"], "A's own API change is kept too")
	require.EqualValues(t, 260, p["owner_capacity"], "B's change is kept")
}
