package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/stretchr/testify/require"
)

// consulted is a filing made during a consultation ("visit" or "phone"; "" for none).
func consulted(phone, channel, store, consultation string) map[string]any {
	in := filing(phone)
	in["channel"], in["store_id"] = channel, store
	if consultation != "" {
		in["consultation"] = consultation
	}
	return in
}

// companyMonth is the month of now in the company zone.
func companyMonth() string { return time.Now().In(renoflow.Zone).Format("2006-01") }

// The monthly report over HTTP against the real stack: customers filed during store
// visits and phone enquiries, one taken through the real workflow to a contract, show in
// the supervisor's report with the rates they give; a customer manager may not see it,
// and a store manager sees only their store.
func TestMonthlyReportOverHTTP(t *testing.T) {
	month := companyMonth()
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	cm, cm2, sm, dz, sup := d.login(t, "cm1"), d.login(t, "cm2"), d.login(t, "sm1"), d.login(t, "d1"), d.login(t, "sup1")

	file := func(c *apiClient, in map[string]any) string {
		t.Helper()
		status, body := c.call(http.MethodPost, "/customers", in)
		require.Equal(t, http.StatusCreated, status, "%v", body)
		return body["customer_id"].(string)
	}
	signed := file(cm, consulted("13610000001", "walk_in", "s1", "visit"))
	file(cm, consulted("13610000002", "advisor_referral", "s1", "visit"))
	file(cm, consulted("13610000003", "referral", "s1", "phone"))
	file(cm, consulted("13610000004", "media", "s1", "")) // filed, not yet consulted
	file(cm2, consulted("13610000005", "walk_in", "s2", "visit"))

	ok := func(c *apiClient, action string, in map[string]any) {
		t.Helper()
		status, body := c.call(http.MethodPost, "/customers/"+signed+"/"+action, in)
		require.Equal(t, http.StatusOK, status, "%s: %v", action, body)
	}
	ok(cm, "dispatch-propose", map[string]any{"designer_id": "d1"})
	ok(sm, "dispatch-confirm", map[string]any{})
	ok(dz, "dispatch-accept", map[string]any{})
	ok(cm, "deposit", map[string]any{"amount_yuan": 20000})
	ok(cm, "contract", map[string]any{"amount_yuan": 300000})

	report := func(c *apiClient, query string) (int, map[string]any) {
		t.Helper()
		return c.call(http.MethodGet, "/reports/monthly?month="+month+query, nil)
	}
	var s1 map[string]any
	eventually(t, "the contract shows in the supervisor's report", func() bool {
		status, body := report(sup, "")
		require.Equal(t, http.StatusOK, status, "%v", body)
		s1 = body["stores"].([]any)[0].(map[string]any)
		return s1["contracts"] == 1.0
	})
	if companyMonth() != month {
		t.Skip("the company month turned during the test")
	}
	require.Equal(t, "s1", s1["store_id"])
	for key, want := range map[string]any{
		"store_consultations": 2.0, "phone_enquiries": 1.0, "contracts": 1.0, "phone_contracts": 0.0,
		"store_success_rate": 0.5, "phone_success_rate": 0.0,
		"advisor_consultations": 1.0, "advisor_contracts": 0.0, "advisor_success_rate": 0.0,
	} {
		require.Equal(t, want, s1[key], key)
	}
	year := s1["year"].(map[string]any)
	require.Equal(t, 2.0, year["store_consultations"])
	require.Equal(t, 0.5, year["store_success_rate"], "the year so far is this month")
	rates := map[string]any{}
	for _, raw := range s1["channels"].([]any) {
		ch := raw.(map[string]any)
		rates[ch["channel"].(string)] = ch["rate"]
	}
	require.Equal(t, 1.0, rates["walk_in"])
	require.Equal(t, 0.0, rates["advisor_referral"])
	require.Equal(t, 0.0, rates["referral"], "the phone enquiry counts in its channel")
	require.Nil(t, rates["media"], "filed without a consultation: no rate")
	require.Contains(t, rates, "media")
	followUps := s1["follow_ups"].([]any)
	require.NotEmpty(t, followUps)
	require.Equal(t, map[string]any{"staff_id": "cm1", "name": "张经理", "store_id": "s1", "customers": 0.0, "missing": 0.0,
		"points": 0.0, "score": 30.0}, followUps[0])

	status, body := report(sup, "&store=all")
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Len(t, body["stores"], 2)
	total := body["total"].(map[string]any)
	require.Equal(t, 3.0, total["store_consultations"])
	require.InDelta(t, 1.0/3, total["store_success_rate"], 0.0001)

	status, body = report(sm, "")
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Len(t, body["stores"], 1)
	require.Equal(t, "s1", body["stores"].([]any)[0].(map[string]any)["store_id"])
	status, _ = report(d.login(t, "sm2"), "&store=s1")
	require.Equal(t, http.StatusForbidden, status, "another store's report")
	status, body = report(cm, "")
	require.Equal(t, http.StatusForbidden, status, "a customer manager sees no reports: %v", body)
}

// The company calendar over HTTP: the admin saves a new version, every staff member reads
// it back, and the next customer's clocks are armed on it.
func TestCalendarOverHTTP(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	admin, cm := d.login(t, "admin"), d.login(t, "cm1")

	status, body := cm.call(http.MethodGet, "/calendar", nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	shipped := body["version"].(float64)
	require.Positive(t, shipped, "the shipped calendar is stored at start")

	days := []map[string]string{{"date": "2027-01-01", "kind": "holiday", "name": "元旦"}, {"date": "2027-02-07", "kind": "workday", "name": "春节调休上班"}}
	status, body = admin.call(http.MethodPut, "/calendar", map[string]any{"days": days, "note": "2027年安排"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	version := body["version"].(float64)
	require.Equal(t, shipped+1, version)
	status, _ = cm.call(http.MethodPut, "/calendar", map[string]any{"days": days})
	require.Equal(t, http.StatusForbidden, status)

	status, body = cm.call(http.MethodGet, "/calendar", nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, version, body["version"])
	require.Equal(t, "2027年安排", body["note"])
	require.Len(t, body["days"], 2)
	require.Equal(t, "2027-01-01", body["days"].([]any)[0].(map[string]any)["date"])

	status, body = cm.call(http.MethodPost, "/customers", filing("13620000001"))
	require.Equal(t, http.StatusCreated, status, "%v", body)
	var armedOn int
	require.NoError(t, d.db(t).NewSelect().Table("tasks").Column("calendar_version").
		Where("customer_id = ? AND rule = 'verify'", body["customer_id"]).Scan(t.Context(), &armedOn))
	require.EqualValues(t, version, armedOn, "the verification clock was armed on the new calendar")
}

// The new pages on a phone and on a desktop: the report, the calendar and the duty list
// show their key elements and nothing overflows sideways.
func TestBrowserReportPages(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	status, body := d.login(t, "cm1").call(http.MethodPost, "/customers", consulted("13630000001", "walk_in", "s1", "visit"))
	require.Equal(t, http.StatusCreated, status, "%v", body)
	b := newBrowser(t, d.Web)
	sup, sm, admin := b.as("sup1"), b.as("sm1"), b.as("admin")

	requireFitsScreens(t, []screenPage{
		{sup, "/reports?store=all", []string{"#report-form select[name=store]", "section[data-store=all] table.figures", "section[data-store=s1] table.channels"}},
		{sm, "/reports", []string{"#report-form button", "section[data-store=s1] table.followups"}},
		{sm, "/designers", []string{"#designer-list tr[data-designer=d1] button"}},
		{admin, "/admin/calendar", []string{"#calendar-form textarea[name=csv]", "#calendar-form button", "#calendar-days"}},
		{admin, "/admin/staff/d1", []string{"#designer-fields input[name=department_rank]", "#staff-edit-form button"}},
	})

	// The store manager takes a designer off duty from the page.
	sm.do(chromedp.EmulateViewport(1280, 800))
	require.Equal(t, http.StatusOK, sm.open("/designers"))
	require.Equal(t, http.StatusOK, sm.submit(`#designer-list tr[data-designer=d1] button`))
	require.Contains(t, sm.text(".flash"), "已将吴设计设为不在岗")
	require.Contains(t, sm.text(`#designer-list tr[data-designer=d1]`), "不在岗")
	require.Contains(t, sup.text("header.top nav"), "报表")
}
