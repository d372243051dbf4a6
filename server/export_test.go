package server

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// download GETs a sheet as as and returns its rows.
func (h *harness) download(as *staffer, path string) [][]string {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: as.token})
	resp := h.do(req)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	require.Equal(h.t, http.StatusOK, resp.StatusCode, "%s", raw)
	require.Contains(h.t, resp.Header.Get("Content-Type"), "spreadsheetml")
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	require.NoError(h.t, err)
	rows, err := f.GetRows(f.GetSheetList()[0])
	require.NoError(h.t, err)
	return rows
}

// Exports (issue 13): the filtered customer list (every match, not one page), the task
// list and the monthly report as XLSX with Chinese headers, times in Asia/Shanghai, and
// phones in full only for the roles that call customers (renoflow.Actor.SeesPhone).
func TestExportsXLSX(t *testing.T) {
	h := newHarness(t)
	sm1 := h.login("sm1")
	rows := h.download(sm1, "/customers/export.xlsx?sort=name&dir=asc")
	require.Equal(t, customerSheetHeader, rows[0])
	require.Len(t, rows, 1+4, "every customer of s1")
	require.Equal(t, "客户c-d1", rows[1][0])
	require.Equal(t, "13800000004", rows[1][1])
	require.Equal(t, h.now.Add(-time.Hour).In(renoflow.Zone).Format(renoflow.TimeLayout), rows[1][11])
	require.Equal(t, "2026-11-25 09:00", rows[1][11][:16])
	rows = h.download(sm1, "/customers/export.xlsx?designer=d1")
	require.Len(t, rows, 2)

	sup1 := h.login("sup1")
	rows = h.download(sup1, "/customers/export.xlsx?store=s2")
	require.Len(t, rows, 2)
	require.Equal(t, "138****0003", rows[1][1], "the supervisor gets phones masked")

	h.inboxTask(custS1, "callback", "", 0, "首谈回访", "cm1", "", h.now.Add(time.Hour))
	rows = h.download(h.login("cm1"), "/tasks/export.xlsx")
	require.Equal(t, []string{"任务", "客户", "手机号", "截止时间", "状态", "办理人", "办理时间", "结果", "规则"}, rows[0])
	require.Equal(t, "首谈回访", rows[1][0])
	require.Equal(t, "13800000001", rows[1][2])

	rows = h.download(sup1, "/reports/export.xlsx?month=2026-11&store=all")
	require.Equal(t, "门店", rows[0][0])
	require.Equal(t, "到店咨询", rows[0][2])
	require.Greater(t, len(rows), 2)

	status, _, _ := h.page(sm1, http.MethodGet, "/customers/export.xlsx?from=yesterday", nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
}
