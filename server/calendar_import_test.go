package server

import (
	"bytes"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/internal/apiclient"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// xlsxCalendar builds a workbook the way an admin would type next year's calendar: a
// header, a date cell, a date typed as text, Chinese kinds.
func xlsxCalendar(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		for j, v := range row {
			cell, err := excelize.CoordinatesToCellName(j+1, i+1)
			require.NoError(t, err)
			require.NoError(t, f.SetCellValue("Sheet1", cell, v))
		}
	}
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	return buf.Bytes()
}

// post sends a raw body with a content type to the API.
func (h *harness) post(as *staffer, path, contentType string, body []byte) (int, map[string]any) {
	h.t.Helper()
	return h.api(as, http.MethodPost, path, apiclient.Body{ContentType: contentType, Data: body})
}

// The calendar knows the years it covers: from 60 days before its last covered day the
// admin page and /healthz warn; importing next year's calendar (XLSX or CSV) adds that
// year, keeps the others, and the warning goes.
func TestCalendarCoverageAndImport(t *testing.T) {
	h := newHarness(t)
	admin := h.login("admin")

	h.now = time.Date(2026, 10, 15, 10, 0, 0, 0, renoflow.Zone)
	status, body := h.api(nil, http.MethodGet, "/healthz", nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, "ok", body["calendar"], "78 days before the end: no warning yet")
	_, html, _ := h.page(admin, http.MethodGet, "/admin/calendar", nil)
	require.Contains(t, html, "覆盖年份：2025、2026")
	require.NotContains(t, html, `id="calendar-warning"`)

	h.now = time.Date(2026, 11, 25, 10, 0, 0, 0, renoflow.Zone)
	status, body = h.api(nil, http.MethodGet, "/healthz", nil)
	require.Equal(t, http.StatusOK, status, "a warning does not make the service unhealthy")
	require.Contains(t, body["calendar"], "只覆盖到2026-12-31")
	require.Contains(t, body["calendar"], "2027年日历")
	_, html, _ = h.page(admin, http.MethodGet, "/admin/calendar", nil)
	require.Contains(t, html, `id="calendar-warning"`)
	require.Contains(t, html, "还剩37天")

	// A bad row is named by its row; nothing is saved.
	bad := xlsxCalendar(t, [][]any{{"日期", "类型", "名称"}, {"2027-01-01", "放假", "元旦"}, {"2027-02-30", "放假", "错"}})
	status, body = h.post(admin, "/api/calendar/import", xlsxContentType, bad)
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", body)
	require.Contains(t, fieldMessages(body)[0], "第3行")
	status, body = h.post(admin, "/api/calendar/import", xlsxContentType, []byte("PK\x03\x04 not a zip"))
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", body)
	require.Equal(t, []string{"file"}, errorFields(body))
	status, _ = h.post(h.login("sm1"), "/api/calendar/import", "text/csv", []byte("2027-01-01,holiday,元旦\n"))
	require.Equal(t, http.StatusForbidden, status)

	good := xlsxCalendar(t, [][]any{{"日期", "类型", "名称"}, {time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), "放假", "元旦"},
		{"2027-02-07", "调休上班", "春节调休"}, {"2027/10/1", "holiday", "国庆节"}})
	status, body = h.post(admin, "/api/calendar/import", xlsxContentType, good)
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.EqualValues(t, 1, body["version"])
	ds := dates(body)
	require.Contains(t, ds, "2025-01-01", "other years are kept")
	require.Contains(t, ds, "2026-10-01")
	require.Contains(t, ds, "2027-01-01")
	require.Contains(t, ds, "2027-02-07")
	require.Contains(t, ds, "2027-10-01")
	status, body = h.api(nil, http.MethodGet, "/healthz", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "ok", body["calendar"], "2027 is covered now")

	// CSV through the admin page's upload form replaces the imported year only.
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	require.NoError(t, mw.WriteField(csrfField, admin.csrf))
	require.NoError(t, mw.WriteField("note", "2027年修订"))
	fw, err := mw.CreateFormFile("file", "2027.csv")
	require.NoError(t, err)
	_, _ = fw.Write([]byte("date,kind,name\n2027-01-01,holiday,元旦\n"))
	require.NoError(t, mw.Close())
	req := httptest.NewRequest(http.MethodPost, "/admin/calendar/import", &form)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: admin.token})
	resp := h.do(req)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	status, body = h.api(admin, http.MethodGet, "/api/calendar", nil)
	require.Equal(t, http.StatusOK, status)
	require.EqualValues(t, 2, body["version"])
	require.Equal(t, "2027年修订", body["note"])
	ds = dates(body)
	require.Contains(t, ds, "2026-10-01")
	require.Contains(t, ds, "2027-01-01")
	require.NotContains(t, ds, "2027-10-01", "the imported year is replaced as a whole")
}

// Concurrent imports of different years each keep the other's: the import merges onto
// the calendar in force inside the save's lock (the same kind as concurrent policy saves,
// found by the fresh-eyes check).
func TestConcurrentCalendarImportsKeepEachOther(t *testing.T) {
	h := newHarness(t)
	admin := h.login("admin")
	for round := 0; round < 6; round++ {
		years := []int{2027 + 6*round, 2028 + 6*round, 2029 + 6*round, 2030 + 6*round, 2031 + 6*round, 2032 + 6*round}
		var wg sync.WaitGroup
		for _, y := range years {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, body := h.post(admin, "/api/calendar/import", "text/csv", []byte(fmt.Sprintf("%d-01-01,holiday,元旦\n", y)))
				assert.Equal(t, http.StatusOK, status, "%v", body)
			}()
		}
		wg.Wait()
		status, body := h.api(admin, http.MethodGet, "/api/calendar", nil)
		require.Equal(t, http.StatusOK, status)
		ds := dates(body)
		for _, y := range years {
			require.Contains(t, ds, fmt.Sprintf("%d-01-01", y), "round %d", round)
		}
	}
}

// A calendar saved from the page loaded before another admin's import keeps that
// import's days: only what the page's edit changed is applied (fresh-eyes check: the
// import was lost).
func TestStaleCalendarPageKeepsOthersImport(t *testing.T) {
	h := newHarness(t)
	admin := h.login("admin")
	_, html, _ := h.page(admin, http.MethodGet, "/admin/calendar", nil)
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(html)
	require.NotNil(t, version, "the form names the version it was made from")
	text := regexp.MustCompile(`(?s)<textarea name="csv"[^>]*>(.*?)</textarea>`).FindStringSubmatch(html)
	require.NotNil(t, text)

	status, body := h.post(admin, "/api/calendar/import", "text/csv", []byte("2051-01-01,holiday,元旦\n"))
	require.Equal(t, http.StatusOK, status, "%v", body)

	edited := strings.ReplaceAll(html2text(text[1]), "\r", "") + "\n2052-01-01,holiday,元旦\n"
	status, _, _ = h.page(admin, http.MethodPost, "/admin/calendar", url.Values{"version": {version[1]}, "csv": {edited}, "note": {"加2052年"}})
	require.Equal(t, http.StatusSeeOther, status)
	status, body = h.api(admin, http.MethodGet, "/api/calendar", nil)
	require.Equal(t, http.StatusOK, status)
	ds := dates(body)
	require.Contains(t, ds, "2052-01-01", "the page's edit")
	require.Contains(t, ds, "2051-01-01", "the other admin's import is kept")
	require.Contains(t, ds, "2026-10-01", "and the days nobody touched")
}

// html2text undoes the template's escaping of a textarea's text.
func html2text(s string) string { return html.UnescapeString(s) }
