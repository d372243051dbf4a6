package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// count counts the rows of a table.
func (h *harness) count(table string) int {
	h.t.Helper()
	n, err := h.db.NewSelect().Table(table).Count(context.Background())
	require.NoError(h.t, err)
	return int(n)
}

// A filing body with one field replaced (as raw JSON text).
const goodFiling = `{"name":"王先生","gender":"male","phone":"13912345678","situation":"想装修","house":{"community":"翠湖苑","layout":"三室两厅","handover_date":"2027-05-01"},"channel":"referral","store_id":"s1"}`

func filingWith(old, new string) string { return strings.Replace(goodFiling, old, new, 1) }

// Poison input (issue 9): every text of the JSON API is checked at the edge — NUL and
// other control characters, invalid UTF-8, the documented lengths (renoflow.TextRules) —
// and so are dates, months and the body itself; the answer is a 422 naming each field by
// its JSON name, and nothing reaches the database or a workflow.
func TestPoisonJSONInput(t *testing.T) {
	h := newHarness(t)
	cm, admin, sm := h.login("cm1"), h.login("admin"), h.login("sm1")
	claims, customers, policies := h.count("phone_claims"), h.count("customers"), h.count("policy_versions")
	const jsonCT = "application/json"
	cases := []struct {
		name   string
		as     *staffer
		method string
		path   string
		ct     string
		body   string
		status int
		fields []string
	}{
		{"NUL in a name", cm, "POST", "/api/customers", jsonCT, filingWith(`"王先生"`, `"王\u0000先生"`), 422, []string{"name"}},
		{"control character in a nested field", cm, "POST", "/api/customers", jsonCT, filingWith(`"翠湖苑"`, `"翠\u0007湖苑"`), 422, []string{"house.community"}},
		{"line break in a one-line field", cm, "POST", "/api/customers", jsonCT, filingWith(`"王先生"`, `"王\n先生"`), 422, []string{"name"}},
		{"invalid UTF-8", cm, "POST", "/api/customers", jsonCT, filingWith(`"王先生"`, "\"王\xff先生\""), 422, []string{"name"}},
		{"invalid UTF-8 nested", cm, "POST", "/api/customers", jsonCT, filingWith(`"三室两厅"`, "\"三室\xc3两厅\""), 422, []string{"house.layout"}},
		{"too long", cm, "POST", "/api/customers", jsonCT, filingWith(`"想装修"`, `"`+strings.Repeat("长", 2001)+`"`), 422, []string{"situation"}},
		{"handover date 0001-01-01", cm, "POST", "/api/customers", jsonCT, filingWith("2027-05-01", "0001-01-01"), 422, []string{"house.handover_date"}},
		{"handover date 9999-12-31", cm, "POST", "/api/customers", jsonCT, filingWith("2027-05-01", "9999-12-31"), 422, []string{"house.handover_date"}},
		{"wrong type names the JSON field", cm, "POST", "/api/customers", jsonCT, filingWith(`"王先生"`, `7`), 422, []string{"name"}},
		{"wrong nested type names the JSON field", cm, "POST", "/api/customers", jsonCT, filingWith(`"三室两厅"`, `"三室两厅","area_m2":"大"`), 422, []string{"house.area_m2"}},
		{"text/plain", cm, "POST", "/api/customers", "text/plain", goodFiling, 415, []string{"Content-Type"}},
		{"no content type", cm, "POST", "/api/customers", "", goodFiling, 415, []string{"Content-Type"}},
		{"trailing garbage", cm, "POST", "/api/customers", jsonCT, goodFiling + `{"x":1}`, 422, []string{"body"}},
		{"trailing text", cm, "POST", "/api/customers", jsonCT, goodFiling + `garbage`, 422, []string{"body"}},
		{"NUL in an action note", cm, "POST", "/api/customers/" + custS1 + "/store-visit", jsonCT, `{"note":"a\u0000b"}`, 422, []string{"note"}},
		{"5000-character note", cm, "POST", "/api/customers/" + custS1 + "/store-visit", jsonCT, `{"note":"` + strings.Repeat("长", 5000) + `"}`, 422, []string{"note"}},
		{"NUL in a dispute note", h.login("sa1"), "POST", "/api/disputes", jsonCT, `{"phone":"13800000003","note":"证据\u0000"}`, 422, []string{"note"}},
		{"5000-character task note", cm, "POST", "/api/tasks/1/done", jsonCT, `{"note":"` + strings.Repeat("x", 5000) + `"}`, 422, []string{"note"}},
		{"NUL in a store name", admin, "POST", "/api/admin/stores", jsonCT, `{"id":"s9","name":"新\u0000店"}`, 422, []string{"name"}},
		{"NUL in a staff name", admin, "POST", "/api/admin/staff", jsonCT, `{"login":"x1","name":"王\u0000","role":"sales_advisor","store_id":"s1","password":"secret123"}`, 422, []string{"name"}},
		{"password over 72 bytes", admin, "POST", "/api/admin/staff", jsonCT, `{"login":"x1","name":"王","role":"sales_advisor","store_id":"s1","password":"` + strings.Repeat("密", 25) + `"}`, 422, []string{"password"}},
		{"NUL in a staff rename", admin, "PATCH", "/api/admin/staff/sa1", jsonCT, `{"name":"周\u0000"}`, 422, []string{"name"}},
		{"NUL in a calendar note", admin, "PUT", "/api/calendar", jsonCT, `{"days":[{"date":"2027-01-01","kind":"holiday"}],"note":"n\u0000"}`, 422, []string{"note"}},
		{"NUL in a calendar note (CSV)", admin, "PUT", "/api/calendar?note=%00", "text/csv", "2027-01-01,holiday,元旦\n", 422, []string{"note"}},
		{"NUL in a calendar CSV", admin, "PUT", "/api/calendar", "text/csv", "2027-01-01,holiday,元\x00旦\n", 422, []string{"body"}},
		{"policy: a bad span names its setting", admin, "PUT", "/api/policy", jsonCT, `{"claim_window":"abc","owner_capacity":"x"}`, 422, []string{"claim_window", "owner_capacity"}},
		{"policy: NUL in the note", admin, "PUT", "/api/policy?note=a%00b", jsonCT, `{"claim_window":"7d"}`, 422, []string{"note"}},
		{"policy: text/plain", admin, "PUT", "/api/policy", "text/plain", `{"claim_window":"7d"}`, 415, []string{"Content-Type"}},
		{"NUL in login", nil, "POST", "/api/login", jsonCT, `{"login":"cm1\u0000","password":"renoflow"}`, 422, []string{"login"}},
		{"password over 72 bytes at login", nil, "POST", "/api/login", jsonCT, `{"login":"cm1","password":"` + strings.Repeat("p", 73) + `"}`, 422, []string{"password"}},
		{"NUL in ?q=", cm, "GET", "/api/customers?q=%00", "", "", 422, []string{"q"}},
		{"invalid UTF-8 in ?q=", cm, "GET", "/api/customers?q=%ff", "", "", 422, []string{"q"}},
		{"month 0000-01", sm, "GET", "/api/reports/monthly?month=0000-01", "", "", 422, []string{"month"}},
		{"month 9999-12", sm, "GET", "/api/reports/monthly?month=9999-12", "", "", 422, []string{"month"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() { h.tc.sent() }()
			status, body := h.raw(tc.as, tc.method, tc.path, tc.ct, tc.body)
			require.Equal(t, tc.status, status, "%v", body)
			require.Equal(t, tc.fields, errorFields(body), "%v", body)
			e, _ := body["error"].(map[string]any)
			require.NotEmpty(t, e["message"])
			require.Empty(t, h.tc.sent(), "reached a workflow")
		})
	}
	require.Equal(t, claims, h.count("phone_claims"), "no phone reserved")
	require.Equal(t, customers, h.count("customers"))
	require.Equal(t, policies, h.count("policy_versions"), "no policy saved")

	// Multi-line fields keep their line breaks and tabs; the note's limit is its own.
	status, body := h.raw(cm, "POST", "/api/customers/"+custS1+"/store-visit", jsonCT, `{"note":"第一行\r\n第二行\n\t缩进"}`)
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Len(t, h.tc.sent(), 1)
}

// Poison input through the pages: every form field and query parameter passes the same
// edge check, so a form with NUL or invalid UTF-8 is refused (422) and writes nothing.
func TestPoisonFormInput(t *testing.T) {
	h := newHarness(t)
	cm, admin := h.login("cm1"), h.login("admin")
	customers, stores := h.count("customers"), h.count("stores")
	form := url.Values{"name": {"王\x00先生"}, "gender": {"male"}, "phone": {"13912345678"}, "situation": {"想装修"},
		"house.layout": {"三室"}, "channel": {"referral"}, "store_id": {"s1"}}
	status, html, _ := h.page(cm, http.MethodPost, "/customers/new", form)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, html, "空字符")
	status, _, _ = h.page(cm, http.MethodPost, "/customers/"+custS1+"/actions/store-visit", url.Values{"note": {"a\xffb"}})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	status, _, _ = h.page(admin, http.MethodPost, "/admin/stores", url.Values{"id": {"s9"}, "name": {"新\x00店"}})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	status, _, _ = h.page(cm, http.MethodGet, "/customers?q=%00", nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	status, _, _ = h.page(nil, http.MethodPost, "/login", url.Values{"login": {"cm1\x00"}, "password": {"renoflow"}})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Empty(t, h.tc.sent())
	require.Equal(t, customers, h.count("customers"))
	require.Equal(t, stores, h.count("stores"))
}
