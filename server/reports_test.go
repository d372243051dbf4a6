package server

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
	"github.com/stretchr/testify/require"
)

// reportCustomer writes a customer row as the workflow would after its first
// consultation (consult "" for none) and, if signed, its contract.
func (h *harness) reportCustomer(id, store, channel, consult string, consultAt, contractAt time.Time) {
	h.t.Helper()
	err := postgres.SaveCustomer(context.Background(), h.db, &postgres.Customer{ID: id, Revision: 1, Phone: "139" + id,
		Name: "客户" + id, Gender: "female", Channel: channel, StoreID: store, Stage: "presale", OwnerID: "cm1", FiledBy: "cm1",
		FiledAt: h.now.Add(-24 * time.Hour), FirstConsult: consult, FirstConsultAt: consultAt, ContractAt: contractAt,
		Record: json.RawMessage("{}"), State: json.RawMessage("{}"), UpdatedAt: h.now, RelatedIDs: []string{}})
	require.NoError(h.t, err)
}

// shanghai is a company-zone time in 2026.
func shanghai(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2026, month, day, hour, minute, 0, 0, renoflow.Zone)
}

// reportData fills the harness with a month of store activity (harness now: 2026-11-25
// 10:00 in Shanghai). In store s1, November: store consultations v1, v2, v3 (v3 at
// 23:30 on the 30th, v4 at 00:10 on 1 December belongs to December); phone enquiries p1,
// p2; contracts v1, p1 and o1 (consulted in October). Earlier in the year y1 consulted
// and signed. Store s2 has one consultation.
func (h *harness) reportData() {
	h.t.Helper()
	none := time.Time{}
	h.reportCustomer("v1", "s1", "walk_in", "visit", shanghai(11, 3, 10, 0), shanghai(11, 20, 15, 0))
	h.reportCustomer("v2", "s1", "advisor_referral", "visit", shanghai(11, 10, 10, 0), none)
	h.reportCustomer("v3", "s1", "advisor_referral", "visit", shanghai(11, 30, 23, 30), none)
	h.reportCustomer("v4", "s1", "walk_in", "visit", shanghai(12, 1, 0, 10), none)
	h.reportCustomer("p1", "s1", "referral", "phone", shanghai(11, 5, 9, 0), shanghai(11, 22, 11, 0))
	h.reportCustomer("p2", "s1", "online", "phone", shanghai(11, 6, 9, 0), none)
	h.reportCustomer("o1", "s1", "walk_in", "visit", shanghai(10, 15, 9, 0), shanghai(11, 2, 9, 0))
	h.reportCustomer("y1", "s1", "media", "visit", shanghai(3, 2, 9, 0), shanghai(4, 8, 9, 0))
	h.reportCustomer("f1", "s1", "media", "", none, none) // filed, never consulted
	h.reportCustomer("s2v", "s2", "walk_in", "visit", shanghai(11, 8, 9, 0), none)

	ctx := context.Background()
	for _, r := range []struct {
		customer, month, owner, store string
		missing, points               int
	}{
		{"v2", "2026-11", "cm1", "s1", 2, 2},
		{"v3", "2026-11", "cm1", "s1", 1, 1},
		{"p2", "2026-11", "sa1", "s1", 4, 40}, // more points than the item has
		{"v2", "2026-10", "cm1", "s1", 5, 5},  // another month
		{"s2v", "2026-11", "cm2", "s2", 1, 1},
	} {
		_, err := h.db.NewRaw(`INSERT INTO followup_scores (customer_id, month, owner_id, store_id, grade, quota, done, missing, points)
			VALUES (?, ?, ?, ?, 'B', 3, 0, ?, ?)`, r.customer, r.month, r.owner, r.store, r.missing, r.points).Exec(ctx)
		require.NoError(h.t, err)
	}
	require.NoError(h.t, CreateStaff(ctx, h.db, CreateStaffInput{ID: "cm3", Login: "cm3", Name: "褚经理", Role: renoflow.RoleCustomerManager,
		StoreID: "s1", Password: DemoPassword}))

	past, future := h.now.Add(-time.Hour), h.now.Add(time.Hour)
	for _, t := range []struct {
		customer, rule, subject string
		seq                     int
		store, status           string
		due                     time.Time
	}{
		{"v2", "callback", "1", 0, "s1", "open", past},
		{"v2", "callback", "1", 1, "s1", "open", past}, // its escalation copy: not counted again
		{"o1", "deposit.visit", "", 0, "s1", "open", past},
		{"o1", "aftersales.living", "", 0, "s1", "open", past},
		{"o1", "construction.weekly", "1", 0, "s1", "open", past},
		{"o1", "aftersales.notice", "1", 0, "s1", "open", past}, // a notice is never overdue
		{"o1", "complaint.answer", "K1.0", 0, "s1", "open", past},
		{"o1", "complaint.resolve", "K1.0", 0, "s1", "done", past},
		{"v3", "verify", "", 0, "s1", "open", future},
		{"v3", "followup", "2026-11/1", 0, "s1", "open", past},
		{"s2v", "callback", "1", 0, "s2", "open", past},
	} {
		_, err := h.db.NewRaw(`INSERT INTO tasks (customer_id, rule, subject, seq, title, store_id, due_at, status, created_at, kind)
			VALUES (?, ?, ?, ?, '任务', ?, ?, ?, ?, ?)`, t.customer, t.rule, t.subject, t.seq, t.store, t.due, t.status, h.now,
			renoflow.TaskKindOf(renoflow.Rule(t.rule), t.seq)).Exec(ctx)
		require.NoError(h.t, err)
	}
	for i, p := range []struct {
		kind, store string
		at          time.Time
	}{
		{"lapse", "s1", shanghai(11, 3, 9, 0)}, {"lapse", "s1", shanghai(11, 20, 9, 0)}, {"release", "s1", shanghai(11, 21, 9, 0)},
		{"claim", "s1", shanghai(11, 22, 9, 0)}, {"lapse", "s1", shanghai(10, 30, 9, 0)}, {"lapse", "s2", shanghai(11, 4, 9, 0)},
	} {
		_, err := h.db.NewRaw(`INSERT INTO pool_events (customer_id, key, kind, at, store_id) VALUES ('f1', ?, ?, ?, ?)`,
			itoa(i), p.kind, p.at, p.store).Exec(ctx)
		require.NoError(h.t, err)
	}
}

// storeReport finds one store's section of a report answer.
func storeReport(t *testing.T, body map[string]any, store string) map[string]any {
	t.Helper()
	for _, s := range asSlice(body["stores"]) {
		if m := s.(map[string]any); m["store_id"] == store {
			return m
		}
	}
	t.Fatalf("no report of store %s in %v", store, body)
	return nil
}

// channel finds one channel's row of a store report.
func channel(t *testing.T, sr map[string]any, ch string) map[string]any {
	t.Helper()
	for _, c := range asSlice(sr["channels"]) {
		if m := c.(map[string]any); m["channel"] == ch {
			return m
		}
	}
	t.Fatalf("no channel %s in %v", ch, sr["channels"])
	return nil
}

// The monthly report counts a store's consultations and contracts in the company month,
// derives the rates (null where nothing was consulted), lists every channel, scores each
// owner's follow-ups against the policy in force, counts overdue work and pool moves.
func TestMonthlyReport(t *testing.T) {
	h := newHarness(t)
	h.reportData()
	admin, sup := h.login("admin"), h.login("sup1")
	status, body := h.api(admin, http.MethodPut, "/api/policy", map[string]any{"scorecard_points": 25})
	require.Equal(t, http.StatusOK, status, "%v", body)

	status, body = h.api(sup, http.MethodGet, "/api/reports/monthly?month=2026-11", nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, "2026-11", body["month"])
	require.Equal(t, map[string]any{"month": "2026-11", "start": "2026-11-01T00:00:00+08:00", "end": "2026-12-01T00:00:00+08:00",
		"year_start": "2026-01-01T00:00:00+08:00"}, body["period"])
	require.Equal(t, "s1", body["store"], "a supervisor's own store by default")
	require.Len(t, body["stores"], 1)
	require.Nil(t, body["total"])
	require.EqualValues(t, 25, body["scorecard_points"])
	s1 := storeReport(t, body, "s1")
	require.Equal(t, "旗舰店", s1["store_name"])
	for key, want := range map[string]float64{
		"store_consultations": 3, "phone_enquiries": 2, "contracts": 3, "phone_contracts": 1,
		"advisor_consultations": 2, "advisor_contracts": 0,
		"store_success_rate": 1, "phone_success_rate": 0.5, "advisor_success_rate": 0,
	} {
		require.Equal(t, want, s1[key], key)
	}
	year := s1["year"].(map[string]any)
	for key, want := range map[string]float64{
		"store_consultations": 5, "phone_enquiries": 2, "contracts": 4, "phone_contracts": 1,
		"store_success_rate": 0.8, "phone_success_rate": 0.5,
	} {
		require.Equal(t, want, year[key], "year "+key)
	}

	require.Len(t, s1["channels"], len(renoflow.Channels()), "every channel has a row")
	walkIn := channel(t, s1, "walk_in")
	require.Equal(t, []any{1.0, 2.0, 2.0}, []any{walkIn["consultations"], walkIn["contracts"], walkIn["rate"]})
	require.Equal(t, "自然客流", walkIn["label"])
	referral := channel(t, s1, "referral")
	require.Equal(t, []any{1.0, 1.0, 1.0}, []any{referral["consultations"], referral["contracts"], referral["rate"]},
		"a phone enquiry counts as its channel's consultation")
	advisor := channel(t, s1, "advisor_referral")
	require.Equal(t, 0.0, advisor["rate"], "none signed of two is 0%")
	media := channel(t, s1, "media")
	require.Contains(t, media, "rate")
	require.Nil(t, media["rate"], "nothing consulted this month: no rate")

	scores := map[string][]any{}
	for _, f := range asSlice(s1["follow_ups"]) {
		m := f.(map[string]any)
		scores[m["staff_id"].(string)] = []any{m["name"], m["customers"], m["missing"], m["points"], m["score"]}
	}
	require.Equal(t, map[string][]any{
		"cm1": {"张经理", 2.0, 3.0, 3.0, 22.0},
		"sa1": {"周顾问", 1.0, 4.0, 40.0, 0.0}, // never below zero
		"cm3": {"褚经理", 0.0, 0.0, 0.0, 25.0}, // a customer manager without missing follow-ups
	}, scores)
	require.Equal(t, "sa1", asSlice(s1["follow_ups"])[0].(map[string]any)["staff_id"], "the lowest score first")

	require.Equal(t, map[string]any{"callbacks": 1.0, "visits": 3.0, "complaints": 1.0, "other": 1.0}, s1["overdue"])
	require.Equal(t, map[string]any{"lapsed": 2.0, "released": 1.0}, s1["pool"])

	// The month is the company month: by default the month of now; any other on request.
	status, body = h.api(sup, http.MethodGet, "/api/reports/monthly", nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, "2026-11", body["month"])
	status, body = h.api(sup, http.MethodGet, "/api/reports/monthly?month=2026-12", nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	dec := storeReport(t, body, "s1")
	require.Equal(t, 1.0, dec["store_consultations"], "00:10 on 1 December in Shanghai is December")
	require.Nil(t, dec["phone_success_rate"])
	require.Equal(t, 0.0, dec["store_success_rate"])
	status, body = h.api(sup, http.MethodGet, "/api/reports/monthly?month=2026-6", nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, []string{"month"}, errorFields(body))

	// All of a supervisor's stores, with their total.
	status, body = h.api(sup, http.MethodGet, "/api/reports/monthly?month=2026-11&store=all", nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, "all", body["store"])
	require.Len(t, body["stores"], 2)
	require.Equal(t, 1.0, storeReport(t, body, "s2")["store_consultations"])
	total := body["total"].(map[string]any)
	require.Equal(t, 4.0, total["store_consultations"])
	require.Equal(t, 0.75, total["store_success_rate"])
	require.Equal(t, 2.0, total["overdue"].(map[string]any)["callbacks"])
	status, body = h.api(sup, http.MethodGet, "/api/reports/monthly?month=2026-11&store=s2", nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Len(t, body["stores"], 1)
	require.Equal(t, "s2", storeReport(t, body, "s2")["store_id"])
}

// Row scope: a store manager sees their store only, a supervisor their stores, the admin
// every store; nobody else sees reports, API or page.
func TestMonthlyReportScope(t *testing.T) {
	h := newHarness(t)
	h.reportData()
	require.NoError(t, CreateStore(context.Background(), h.db, "s3", "城西店"))
	sm1, sm2, sup, admin := h.login("sm1"), h.login("sm2"), h.login("sup1"), h.login("admin")

	stores := func(as *staffer, query string) (int, []string) {
		t.Helper()
		status, body := h.api(as, http.MethodGet, "/api/reports/monthly?month=2026-11"+query, nil)
		var ids []string
		for _, s := range asSlice(body["stores"]) {
			ids = append(ids, s.(map[string]any)["store_id"].(string))
		}
		return status, ids
	}
	for _, tt := range []struct {
		as     *staffer
		query  string
		status int
		stores []string
	}{
		{sm1, "", http.StatusOK, []string{"s1"}},
		{sm1, "&store=s1", http.StatusOK, []string{"s1"}},
		{sm1, "&store=all", http.StatusOK, []string{"s1"}},
		{sm1, "&store=s2", http.StatusForbidden, nil},
		{sm2, "", http.StatusOK, []string{"s2"}},
		{sup, "&store=all", http.StatusOK, []string{"s1", "s2"}},
		{sup, "&store=s3", http.StatusForbidden, nil},
		{admin, "", http.StatusOK, []string{"s1", "s2", "s3"}},
		{admin, "&store=s3", http.StatusOK, []string{"s3"}},
		{admin, "&store=s9", http.StatusNotFound, nil},
	} {
		status, ids := stores(tt.as, tt.query)
		require.Equal(t, tt.status, status, "%s %s", tt.as.login, tt.query)
		require.Equal(t, tt.stores, ids, "%s %s", tt.as.login, tt.query)
	}
	status, body := h.api(sm2, http.MethodGet, "/api/reports/monthly?month=2026-11", nil)
	require.Equal(t, http.StatusOK, status)
	s2 := storeReport(t, body, "s2")
	require.Equal(t, 1.0, s2["store_consultations"])
	require.Equal(t, map[string]any{"lapsed": 1.0, "released": 0.0}, s2["pool"])

	for _, login := range []string{"cm1", "sa1", "cs1", "d1"} {
		as := h.login(login)
		status, body := h.api(as, http.MethodGet, "/api/reports/monthly", nil)
		require.Equal(t, http.StatusForbidden, status, "%s: %v", login, body)
		status, html, _ := h.page(as, http.MethodGet, "/reports", nil)
		require.Equal(t, http.StatusForbidden, status, login)
		require.Contains(t, html, "无权操作")
		_, html, _ = h.page(as, http.MethodGet, "/customers", nil)
		require.NotContains(t, html, `href="/reports"`, "%s has no report link", login)
	}
	status, _, loc := h.page(nil, http.MethodGet, "/reports", nil)
	require.Equal(t, http.StatusSeeOther, status)
	require.Contains(t, loc, "/login")
}

// The report page shows the same figures, with "—" for a rate over nothing, and a store
// picker for those who see several stores.
func TestReportPage(t *testing.T) {
	h := newHarness(t)
	h.reportData()
	sup, sm := h.login("sup1"), h.login("sm1")

	status, html, _ := h.page(sup, http.MethodGet, "/reports?month=2026-11", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, html, `href="/reports" aria-current="page"`)
	require.Contains(t, html, `<small id="report-month">2026-11</small>`)
	require.Contains(t, html, `<select name="store"`)
	require.Contains(t, html, `<option value="all">全部门店</option>`)
	require.Contains(t, html, `data-store="s1"`)
	require.NotContains(t, html, `data-store="s2"`)
	require.Regexp(t, `data-key="store_success_rate">.*?<td data-label="本月">100%</td><td data-label="年度累计">80%</td>`, html)
	require.Regexp(t, `data-key="phone_success_rate">.*?<td data-label="本月">50%</td>`, html)
	require.Regexp(t, `data-channel="media">.*?<td data-label="成功率">—</td>`, html)
	require.Regexp(t, `data-channel="walk_in">.*?<td data-label="成功率">200%</td>`, html)
	require.Regexp(t, `data-staff="cm1">.*?<td data-label="得分">27</td>`, html)
	require.Contains(t, html, `<li data-key="lapsed">报备作废：2</li>`)

	status, html, _ = h.page(sup, http.MethodGet, "/reports?month=2026-11&store=all", nil)
	require.Equal(t, http.StatusOK, status)
	for _, s := range []string{"all", "s1", "s2"} {
		require.Contains(t, html, `data-store="`+s+`"`)
	}
	require.Contains(t, html, `<option value="all" selected>`)

	status, html, _ = h.page(sm, http.MethodGet, "/reports?month=2026-06", nil)
	require.Equal(t, http.StatusOK, status)
	require.NotContains(t, html, `<select name="store"`, "one store: no picker")
	require.Regexp(t, `data-key="store_success_rate">.*?<td data-label="本月">—</td>`, html)
	status, html, _ = h.page(sm, http.MethodGet, "/reports?month=06", nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, html, "报表月份有误")
}

// Store consultations count every customer who came to the store (seed 000: 所有到店面的
// 客户), whatever the first contact: a customer who phoned in October and came to the store
// in November is one of November's store consultations, so signing them does not push the
// store's success rate past 100%. The year's success rate counts every consultation once.
func TestReportCountsPhoneFirstVisitors(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	none := time.Time{}
	h.reportCustomer("pv", "s1", "phone_enquiry", "phone", shanghai(10, 28, 10, 0), shanghai(11, 25, 10, 0))
	h.reportCustomer("w1", "s1", "walk_in", "visit", shanghai(11, 3, 10, 0), none)
	h.reportCustomer("pn", "s1", "online", "phone", shanghai(11, 4, 10, 0), none) // phoned, never came
	for i, e := range []struct {
		customer, kind string
		at             time.Time
	}{
		{"pv", "phone_enquiry", shanghai(10, 28, 10, 0)},
		{"pv", "visit", shanghai(11, 2, 10, 0)},
		{"pv", "visit", shanghai(11, 9, 10, 0)}, // a second visit is the same customer
		{"w1", "claim_kept", shanghai(11, 3, 10, 0)},
	} {
		_, err := h.db.NewRaw(`INSERT INTO timeline (customer_id, key, at, kind, summary) VALUES (?, ?, ?, ?, '')`,
			e.customer, itoa(i), e.at, e.kind).Exec(ctx)
		require.NoError(t, err)
	}
	status, body := h.api(h.login("sup1"), http.MethodGet, "/api/reports/monthly?month=2026-11&store=s1", nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	s1 := storeReport(t, body, "s1")
	for key, want := range map[string]any{
		"store_consultations": 2.0, "phone_enquiries": 1.0, "consultations": 2.0, "contracts": 1.0, "phone_contracts": 1.0,
		"store_success_rate": 0.5, "phone_success_rate": 1.0, "success_rate": 0.5,
	} {
		require.Equal(t, want, s1[key], key)
	}
	year := s1["year"].(map[string]any)
	for key, want := range map[string]any{"store_consultations": 2.0, "consultations": 3.0, "contracts": 1.0, "success_rate": 0.3333} {
		require.Equal(t, want, year[key], "year "+key)
	}
	status, body = h.api(h.login("sup1"), http.MethodGet, "/api/reports/monthly?month=2026-10&store=s1", nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, 0.0, storeReport(t, body, "s1")["store_consultations"], "October: pv only phoned")
}
