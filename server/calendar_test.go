package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
	"github.com/stretchr/testify/require"
)

// putCSV sends a calendar as text/csv and returns the status and the decoded answer.
func (h *harness) putCSV(as *staffer, path, text string) (int, map[string]any) {
	h.t.Helper()
	return h.raw(as, http.MethodPut, path, "text/csv; charset=utf-8", text)
}

// fieldMessages lists the messages of an API error's fields.
func fieldMessages(body map[string]any) []string {
	e, _ := body["error"].(map[string]any)
	var out []string
	for _, f := range asSlice(e["fields"]) {
		out = append(out, f.(map[string]any)["message"].(string))
	}
	return out
}

// dates lists the dates of a calendar answer.
func dates(body map[string]any) []string {
	var out []string
	for _, d := range asSlice(body["days"]) {
		out = append(out, d.(map[string]any)["date"].(string))
	}
	return out
}

// The admin replaces the company calendar through the API, as JSON or as the
// cn-holidays.csv text; each save is a new version, the one the workflow's activities
// read next; bad days are refused naming each, and nobody else may save.
func TestCalendarAPI(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	admin, cm := h.login("admin"), h.login("cm1")

	status, body := h.api(cm, http.MethodGet, "/api/calendar", nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.EqualValues(t, 0, body["version"], "none stored: the shipped calendar")
	require.Contains(t, dates(body), "2026-10-01")

	for _, login := range []string{"cm1", "sm1", "sup1"} {
		status, _ := h.api(h.login(login), http.MethodPut, "/api/calendar", map[string]any{"days": []any{}})
		require.Equal(t, http.StatusForbidden, status, login)
	}

	status, body = h.api(admin, http.MethodPut, "/api/calendar", map[string]any{"note": "2027年安排", "days": []map[string]string{
		{"date": "2027-02-07", "kind": "workday", "name": "春节调休上班"},
		{"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
	}})
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.EqualValues(t, 1, body["version"])
	require.Equal(t, "admin", body["created_by"])
	status, body = h.api(cm, http.MethodGet, "/api/calendar", nil)
	require.Equal(t, http.StatusOK, status)
	require.EqualValues(t, 1, body["version"])
	require.Equal(t, "2027年安排", body["note"])
	require.Equal(t, []string{"2027-01-01", "2027-02-07"}, dates(body), "sorted by date")
	stored, err := postgres.LatestCalendar(ctx, h.db)
	require.NoError(t, err)
	cal := stored.Calendar()
	require.Equal(t, 1, cal.Version, "the workflow's next clock reads the new version")
	require.Equal(t, []renoflow.CalendarDay{{Date: "2027-01-01", Kind: renoflow.DayHoliday, Name: "元旦"},
		{Date: "2027-02-07", Kind: renoflow.DayWorkday, Name: "春节调休上班"}}, cal.Days)
	require.False(t, cal.IsWorkingDay(time.Date(2027, 1, 1, 9, 0, 0, 0, renoflow.Zone)), "1 January 2027 is a holiday")

	status, body = h.api(admin, http.MethodPut, "/api/calendar", map[string]any{"days": []map[string]string{
		{"date": "2027-02-30", "kind": "holiday"},
		{"date": "2027-01-01", "kind": "rest"},
		{"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
		{"date": "0001-01-01", "kind": "holiday"},
		{"date": "9999-12-31", "kind": "holiday"},
	}})
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", body)
	require.Equal(t, []string{"days[0].date", "days[1].kind", "days[2].date", "days[3].date", "days[4].date"}, errorFields(body))
	// Text is refused at the edge, before the days are read.
	status, body = h.api(admin, http.MethodPut, "/api/calendar", map[string]any{"days": []map[string]string{
		{"date": "2027-01-01", "kind": "holiday", "name": strings.Repeat("长", 40)},
		{"date": "2027-01-02", "kind": "holiday", "name": "元\u0000旦"},
	}})
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", body)
	require.Equal(t, []string{"days[0].name", "days[1].name"}, errorFields(body))
	status, body = h.api(admin, http.MethodPut, "/api/calendar", map[string]any{"days": []any{}})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, []string{"days"}, errorFields(body), "an empty calendar would drop every holiday")
	status, body = h.api(admin, http.MethodPut, "/api/calendar", map[string]any{"holidays": []any{}})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, []string{"holidays"}, errorFields(body))

	// The cn-holidays.csv format, comments and all.
	status, body = h.putCSV(admin, "/api/calendar?note="+url.QueryEscape("粘贴 CSV"), `# 2027 年安排
# 国务院办公厅通知

date,kind,name
2027-01-01,holiday,元旦
2027-02-06,holiday,春节
2027-02-07,workday,春节调休上班
`)
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.EqualValues(t, 2, body["version"])
	require.Equal(t, "粘贴 CSV", body["note"])
	require.Equal(t, []string{"2027-01-01", "2027-02-06", "2027-02-07"}, dates(body))

	// Bad lines are named by their line in the text as pasted; nothing is saved.
	status, body = h.putCSV(admin, "/api/calendar", `# 注释
date,kind,name
2027-01-01,holiday,元旦
2027-13-01,holiday,没有十三月
2027-02-06
2027-02-07,rest,调休

2027-01-01,workday,重复
`)
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", body)
	require.Equal(t, []string{"csv", "csv", "csv", "csv"}, errorFields(body))
	msgs := fieldMessages(body)
	require.Contains(t, msgs[0], "第4行")
	require.Contains(t, msgs[0], "YYYY-MM-DD")
	require.Contains(t, msgs[1], "第5行")
	require.Contains(t, msgs[2], "第6行")
	require.Contains(t, msgs[2], "holiday 或 workday")
	require.Contains(t, msgs[3], "第8行")
	require.Contains(t, msgs[3], "与第3行重复")
	require.Contains(t, body["error"].(map[string]any)["message"], "第4行")
	status, body = h.putCSV(admin, "/api/calendar", "date,kind,name\n# 只有表头\n")
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, []string{"csv"}, errorFields(body))
	status, body = h.putCSV(admin, "/api/calendar", "2027-01-01,holiday,\"元旦\n")
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", body)
	require.Contains(t, fieldMessages(body)[0], "第1行：CSV 格式有误")
	status, body = h.api(cm, http.MethodGet, "/api/calendar", nil)
	require.Equal(t, http.StatusOK, status)
	require.EqualValues(t, 2, body["version"], "refused calendars make no version")

	// A spreadsheet's export starts with a byte-order mark and ends lines with CRLF.
	status, body = h.putCSV(admin, "/api/calendar", "\ufeffdate,kind,name\r\n2027-01-01,holiday,元旦\r\n")
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.EqualValues(t, 3, body["version"])
	require.Equal(t, []string{"2027-01-01"}, dates(body))
}

// The calendar page lists the days in force and takes the whole calendar as pasted CSV:
// bad lines are listed with the text kept; an unchanged calendar makes no version.
func TestCalendarPage(t *testing.T) {
	h := newHarness(t)
	admin := h.login("admin")
	status, html, _ := h.page(admin, http.MethodGet, "/admin/calendar", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, html, `href="/admin/calendar" aria-current="page"`)
	require.Contains(t, html, "当前第 0 版")
	require.Contains(t, html, `<tr data-date="2026-10-01"><td data-label="日期">2026-10-01</td><td data-label="星期">周四</td>`)
	require.Contains(t, html, "2026-10-01,holiday,国庆节", "the text box holds the calendar in force")

	text := "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-07,workday,春节调休上班\n"
	status, _, loc := h.page(admin, http.MethodPost, "/admin/calendar", url.Values{"csv": {text}, "note": {"2027年"}})
	require.Equal(t, http.StatusSeeOther, status)
	status, html, _ = h.page(admin, http.MethodGet, loc, nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, html, "已保存为日历第1版")
	require.Contains(t, html, "当前第 1 版")
	require.Contains(t, html, "2027年")
	require.Contains(t, html, `<tr data-date="2027-02-07">`)
	require.NotContains(t, html, `data-date="2026-10-01"`, "the new version replaces the old one")

	_, _, loc = h.page(admin, http.MethodPost, "/admin/calendar", url.Values{"csv": {"# 同上\r\n" + strings.ReplaceAll(text, "\n", "\r\n")}})
	require.Contains(t, loc, urlQueryEscape("日历未改变"))

	status, html, _ = h.page(admin, http.MethodPost, "/admin/calendar", url.Values{"csv": {text + "2027-02-30,holiday,错\n"}})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, html, "第4行：日期")
	require.Contains(t, html, "2027-02-30,holiday,错", "the text is kept")
	_, html, _ = h.page(admin, http.MethodGet, "/admin/calendar", nil)
	require.Contains(t, html, "当前第 1 版")

	for _, login := range []string{"sup1", "sm1", "cm1"} {
		as := h.login(login)
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			status, html, _ := h.page(as, method, "/admin/calendar", url.Values{"csv": {text}})
			require.Equal(t, http.StatusForbidden, status, "%s %s", login, method)
			require.Contains(t, html, "无权操作")
		}
		_, html, _ = h.page(as, http.MethodGet, "/customers", nil)
		require.NotContains(t, html, `href="/admin/calendar"`)
	}
}
