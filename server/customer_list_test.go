package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/workflows"
	"github.com/stretchr/testify/require"
)

// The customer list (issue 13): pagination with the total count (before: silently the
// first 200), sorting, and every filter; a bad filter is a 422 naming it.
func TestCustomerListPagesSortsFilters(t *testing.T) {
	h := newHarness(t)
	for i := range 230 {
		h.customer(fmt.Sprintf("c-bulk-%03d", i), fmt.Sprintf("1390000%04d", i), "s1", "cm1", "张经理", renoflow.StagePresale, "", nil)
	}
	sm1 := h.login("sm1")
	status, body := h.api(sm1, http.MethodGet, "/api/customers", nil)
	require.Equal(t, http.StatusOK, status)
	require.EqualValues(t, 234, body["total"], "every customer of s1 counted")
	require.Len(t, asSlice(body["customers"]), 50)
	_, body = h.api(sm1, http.MethodGet, "/api/customers?per=200&page=2", nil)
	require.Len(t, asSlice(body["customers"]), 34)
	_, body = h.api(sm1, http.MethodGet, "/api/customers?sort=name&dir=asc&per=1", nil)
	require.Equal(t, "客户c-bulk-000", asSlice(body["customers"])[0].(map[string]any)["name"])
	_, html, _ := h.page(sm1, http.MethodGet, "/customers?sort=name&dir=asc", nil)
	require.Contains(t, html, `共 <strong>234</strong> 位客户，第 1 页`)
	require.Contains(t, html, `href="/customers?dir=asc&amp;sort=name&amp;page=5"`)

	// Filters.
	_, err := h.db.NewRaw(`UPDATE customers SET flagged = true WHERE id = ?`, custSA).Exec(t.Context())
	require.NoError(t, err)
	_, err = h.db.NewRaw(`UPDATE customers SET stage = 'pool', owner_id = '', owner_name = '' WHERE id = 'c-bulk-007'`).Exec(t.Context())
	require.NoError(t, err)
	_, err = h.db.NewRaw(`UPDATE customers SET channel = 'online', filed_at = ? WHERE id = 'c-bulk-008'`, h.now.AddDate(0, -1, 0)).Exec(t.Context())
	require.NoError(t, err)
	h.inboxTask("c-bulk-009", "callback", "", 0, "首谈回访", "cm1", "", h.now.Add(-time.Hour))
	sup1 := h.login("sup1")
	ids := func(as *staffer, q string) []string {
		t.Helper()
		status, body := h.api(as, http.MethodGet, "/api/customers?per=200&"+q, nil)
		require.Equal(t, http.StatusOK, status, "%s: %v", q, body)
		var out []string
		for _, c := range asSlice(body["customers"]) {
			out = append(out, c.(map[string]any)["id"].(string))
		}
		return out
	}
	require.Equal(t, []string{custS2}, ids(sup1, "store=s2"))
	require.Equal(t, []string{custD1}, ids(sm1, "designer=d1"))
	require.Equal(t, []string{"c-bulk-008"}, ids(sm1, "channel=online"))
	require.Equal(t, []string{"c-bulk-008"}, ids(sm1, "to=2026-10-31"))
	_, body = h.api(sm1, http.MethodGet, "/api/customers?from=2026-11-25&to=2026-11-25", nil)
	require.EqualValues(t, 233, body["total"])
	require.Equal(t, []string{"c-bulk-009"}, ids(sm1, "overdue=1"))
	require.Equal(t, []string{custSA}, ids(sm1, "flagged=1"))
	require.Equal(t, []string{"c-bulk-007"}, ids(sm1, "pool=1"))
	// The store is offered by name.
	_, html, _ = h.page(sup1, http.MethodGet, "/customers?store=s2", nil)
	require.Regexp(t, `<option value="s2" selected>[^<s]+</option>`, html)
	// A supervisor's owner pickers say each staff member's store.
	require.Regexp(t, `<option value="cm1">[^<]+（[^<）]+ · [^<）]+）</option>`, html)

	status, body = h.api(sm1, http.MethodGet, "/api/customers?from=2026-13-01&per=0&sort=phone", nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.ElementsMatch(t, []string{"from", "per", "sort"}, errorFields(body))
	// The page size is also taken by the name the answer gives it.
	status, body = h.api(sm1, http.MethodGet, "/api/customers?per_page=-1", nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, []string{"per_page"}, errorFields(body))
	_, body = h.api(sm1, http.MethodGet, "/api/customers?per_page=1", nil)
	require.EqualValues(t, 1, body["per_page"])
}

// Batch 转移: each customer through the single action's gate and update, one request ID
// per customer, a result per row; a customer out of scope is refused on its row only.
func TestCustomerBatchReassign(t *testing.T) {
	h := newHarness(t)
	sm1 := h.login("sm1")
	status, body := h.api(sm1, http.MethodPost, "/api/customers/batch",
		map[string]any{"action": "reassign", "ids": []string{custS1, custS2, custSA}, "owner_id": "cm1"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	res := asSlice(body["results"])
	require.Len(t, res, 3)
	require.Equal(t, true, res[0].(map[string]any)["ok"])
	require.Equal(t, false, res[1].(map[string]any)["ok"])
	require.Contains(t, res[1].(map[string]any)["message"], "找不到")
	require.Equal(t, true, res[2].(map[string]any)["ok"])
	sent := h.tc.sent()
	require.Len(t, sent, 2)
	for _, u := range sent {
		require.Equal(t, workflows.UpdateReassign, u.UpdateName)
	}

	// The form: checkboxes, per-row results; a role without 重新分配 is refused per row.
	form := url.Values{"action": {"reassign"}, "owner_id": {"cm1"}, "id": {custS1, custSA}, "_request": {"5f0c5e4e-8d55-4d0b-9c55-3a4a3c1f1a01"}}
	status, html, _ := h.page(sm1, http.MethodPost, "/customers/batch", form)
	require.Equal(t, http.StatusOK, status, html)
	require.Contains(t, html, `成功 <strong>2</strong> 位`)
	sent = h.tc.sent()
	require.Len(t, sent, 2)
	require.True(t, strings.HasSuffix(sent[0].UpdateID, "-"+custS1))
	cs1 := h.login("cs1")
	status, body = h.api(cs1, http.MethodPost, "/api/customers/batch",
		map[string]any{"action": "reassign", "ids": []string{custS1}, "owner_id": "cm1"})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, false, asSlice(body["results"])[0].(map[string]any)["ok"])
	require.Empty(t, h.tc.sent())
	status, body = h.api(sm1, http.MethodPost, "/api/customers/batch", map[string]any{"action": "delete", "ids": []string{}})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.ElementsMatch(t, []string{"action", "ids"}, errorFields(body))
}

// Batch 放入公海: the catalogue's release action per customer, through the same gate and
// update as the single action, a result per row; a customer out of scope is refused on its
// row, a role without 重新分配 on every row; the list offers it.
func TestCustomerBatchRelease(t *testing.T) {
	h := newHarness(t)
	sm1 := h.login("sm1")
	_, html, _ := h.page(sm1, http.MethodGet, "/customers", nil)
	require.Contains(t, html, `<button type="submit" name="action" value="release">放入公海</button>`)

	status, body := h.api(sm1, http.MethodPost, "/api/customers/batch",
		map[string]any{"action": "release", "ids": []string{custS1, custS2}, "note": "长期联系不上"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	res := asSlice(body["results"])
	require.Len(t, res, 2)
	require.Equal(t, true, res[0].(map[string]any)["ok"])
	require.Equal(t, false, res[1].(map[string]any)["ok"])
	require.Contains(t, res[1].(map[string]any)["message"], "找不到")
	sent := h.tc.sent()
	require.Len(t, sent, 1)
	require.Equal(t, workflows.UpdateRelease, sent[0].UpdateName)

	form := url.Values{"action": {"release"}, "note": {"长期联系不上"}, "id": {custS1}, "_request": {"5f0c5e4e-8d55-4d0b-9c55-3a4a3c1f1a02"}}
	status, html, _ = h.page(sm1, http.MethodPost, "/customers/batch", form)
	require.Equal(t, http.StatusOK, status, html)
	require.Contains(t, html, `批量放入公海结果`)
	require.Contains(t, html, `成功 <strong>1</strong> 位`)
	require.Len(t, h.tc.sent(), 1)

	cm1 := h.login("cm1")
	status, body = h.api(cm1, http.MethodPost, "/api/customers/batch", map[string]any{"action": "release", "ids": []string{custS1}, "note": "长期联系不上"})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, false, asSlice(body["results"])[0].(map[string]any)["ok"])
	require.Empty(t, h.tc.sent())

	// Without the reason every row is refused naming it; nothing reaches a workflow.
	status, body = h.api(sm1, http.MethodPost, "/api/customers/batch", map[string]any{"action": "release", "ids": []string{custS1}})
	require.Equal(t, http.StatusOK, status)
	r0 := asSlice(body["results"])[0].(map[string]any)
	require.Equal(t, false, r0["ok"])
	require.Contains(t, r0["message"], "放入公海原因")
	require.Empty(t, h.tc.sent())
}
