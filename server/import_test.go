package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/internal/apiclient"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// importSheet builds an XLSX of the template's columns with n rows: every 25th row has a
// bad phone, every 25th (offset 7) no 户型 nor 面积, every 50th (offset 13) an unknown
// store, every 20th (offset 3) repeats the phone of the row above (撞单 within the sheet),
// and row 2 uses the phone of a customer already filed (撞单).
func importSheet(t *testing.T, n int) []byte {
	f := excelize.NewFile()
	header := []any{}
	for _, c := range importColumns {
		header = append(header, c.Header)
	}
	require.NoError(t, f.SetSheetRow("Sheet1", "A1", &header))
	for i := range n {
		phone, layout, store := fmt.Sprintf("1370000%04d", i), "三室两厅", "旗舰店"
		switch {
		case i == 0:
			phone = "13800000001" // c-s1's
		case i%25 == 0:
			phone = "1234"
		case i%25 == 7:
			layout = ""
		case i%50 == 13:
			store = "火星店"
		case i%20 == 3:
			phone = fmt.Sprintf("1370000%04d", i-1)
		}
		row := []any{fmt.Sprintf("客户%d", i), "女", phone, "翠湖苑", layout, "", "", "想装修", "朋友介绍", store, "30"}
		axis, _ := excelize.CoordinatesToCellName(1, i+2)
		require.NoError(t, f.SetSheetRow("Sheet1", axis, &row))
	}
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	return buf.Bytes()
}

// postSheet uploads a sheet to the import API.
func (h *harness) postSheet(as *staffer, path, name string, sheet []byte) (int, map[string]any) {
	h.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, err := w.CreateFormFile("file", name)
	require.NoError(h.t, err)
	_, _ = part.Write(sheet)
	require.NoError(h.t, w.Close())
	return h.api(as, http.MethodPost, path, apiclient.Body{ContentType: w.FormDataContentType(), Data: body.Bytes()})
}

// The import (issue 13) with a sheet of 500 rows: the preview names each bad cell (row,
// column, reason) and files nothing; the import files every good row through the same
// filing as the form (one workflow each) and refuses the rest; the same sheet again files
// nothing twice.
func TestImportCustomers500(t *testing.T) {
	h := newHarness(t)
	pol := renoflow.DefaultPolicy()
	pol.OwnerCapacity = 1000 // one filer imports more than the default 库容
	body, err := json.Marshal(pol)
	require.NoError(t, err)
	_, err = h.db.NewRaw(`INSERT INTO policy_versions (body) VALUES (?)`, string(body)).Exec(t.Context())
	require.NoError(t, err)
	_, err = h.db.NewRaw(`UPDATE stores SET name = '旗舰店' WHERE id = 's1'`).Exec(t.Context())
	require.NoError(t, err)
	_, err = h.db.NewRaw(`INSERT INTO phone_claims (phone, customer_id, filed_by, filed_at) VALUES ('13800000001', ?, 'cm1', now())`, custS1).Exec(t.Context())
	require.NoError(t, err)

	sheet := importSheet(t, 500)
	// Expected refusals.
	bad := map[int]string{} // sheet row → column
	for i := range 500 {
		switch {
		case i == 0:
			bad[i+2] = "手机号"
		case i%25 == 0:
			bad[i+2] = "手机号"
		case i%25 == 7:
			bad[i+2] = "房屋需求信息"
		case i%50 == 13:
			bad[i+2] = "门店"
		case i%20 == 3:
			if _, above := bad[i+1]; !above { // a repeat of a refused row is the phone's first filing
				bad[i+2] = "手机号"
			}
		}
	}
	sm1 := h.login("sm1")
	status, rep := h.postSheet(sm1, "/api/customers/import?preview=1", "客户.xlsx", sheet)
	require.Equal(t, http.StatusOK, status, "%v", rep)
	require.EqualValues(t, 500, rep["rows"])
	require.EqualValues(t, 500-len(bad), rep["good"])
	require.EqualValues(t, 0, rep["filed"])
	got := map[int]string{}
	for _, p := range asSlice(rep["problems"]) {
		m := p.(map[string]any)
		got[int(m["row"].(float64))] = m["column"].(string)
		require.NotEmpty(t, m["reason"])
	}
	require.Equal(t, bad, got)
	require.Empty(t, h.tc.starts, "a preview files nothing")

	status, rep = h.postSheet(sm1, "/api/customers/import", "客户.xlsx", sheet)
	require.Equal(t, http.StatusOK, status, "%v", rep)
	require.EqualValues(t, 500-len(bad), rep["filed"])
	require.Len(t, h.tc.starts, 500-len(bad), "one workflow per good row")
	require.Len(t, asSlice(rep["refused"]), len(bad))

	// The same sheet again: nothing filed twice.
	status, rep = h.postSheet(sm1, "/api/customers/import", "客户.xlsx", sheet)
	require.Equal(t, http.StatusOK, status, "%v", rep)
	require.Len(t, h.tc.starts, 500-len(bad), "no workflow started again")
	require.Len(t, asSlice(rep["refused"]), len(bad))
	var claims int
	require.NoError(t, h.db.NewRaw(`SELECT count(*) FROM phone_claims WHERE filed_by = 'sm1'`).Scan(t.Context(), &claims))
	require.Equal(t, 500-len(bad), claims)

	// The refused rows as a sheet, with the reason.
	rs, err := refusedSheet(&ImportReport{Refused: []ImportRow{{Row: 7, Cells: []string{"张三", "男", "1234"},
		Problems: []ImportCell{{Row: 7, Column: "手机号", Reason: "手机号格式有误"}}}}})
	require.NoError(t, err)
	f, err := excelize.OpenReader(bytes.NewReader(rs))
	require.NoError(t, err)
	rows, err := f.GetRows("Sheet1")
	require.NoError(t, err)
	require.Equal(t, "原因", rows[0][len(rows[0])-1])
	require.Equal(t, "7", rows[1][0])
	require.Equal(t, "手机号：手机号格式有误", rows[1][len(rows[1])-1])

	// A CSV with a bad header is refused naming the file.
	status, rep = h.postSheet(sm1, "/api/customers/import", "客户.csv", []byte("名字,电话\n张三,13700001111\n"))
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, []string{"file"}, errorFields(rep))
}

// The import page: the form with the template link; a preview names the bad cells.
func TestImportPage(t *testing.T) {
	h := newHarness(t)
	cm1 := h.login("cm1")
	status, html, _ := h.page(cm1, http.MethodGet, "/customers/import", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, html, `href="/customers/import/template.xlsx"`)
	rows := h.download(cm1, "/customers/import/template.xlsx")
	require.Equal(t, "姓名", rows[0][0])
	_, html, _ = h.page(cm1, http.MethodGet, "/customers", nil)
	require.Contains(t, html, `id="import-link"`)
}

// The import keeps a row's original filing time (报备时间, issue 13): a valid one reaches the
// workflow's input; one in the future, out of the accepted range or malformed names the
// cell and files nothing; a row without one is filed now (zero FiledAt).
func TestImportFiledAt(t *testing.T) {
	h := newHarness(t)
	_, err := h.db.NewRaw(`UPDATE stores SET name = '旗舰店' WHERE id = 's1'`).Exec(t.Context())
	require.NoError(t, err)
	f := excelize.NewFile()
	header := []any{}
	for _, c := range importColumns {
		header = append(header, c.Header)
	}
	require.NoError(t, f.SetSheetRow("Sheet1", "A1", &header))
	future := h.now.Add(48 * time.Hour).In(renoflow.Zone).Format("2006-01-02 15:04")
	for i, filed := range []string{"2024-03-05 10:30", "", future, "1900-01-01", "昨天"} {
		row := []any{fmt.Sprintf("客户%d", i), "女", fmt.Sprintf("1370000%04d", i), "翠湖苑", "三室两厅", "", "", "想装修", "朋友介绍", "旗舰店", "30", filed}
		axis, _ := excelize.CoordinatesToCellName(1, i+2)
		require.NoError(t, f.SetSheetRow("Sheet1", axis, &row))
	}
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))

	status, rep := h.postSheet(h.login("sm1"), "/api/customers/import", "客户.xlsx", buf.Bytes())
	require.Equal(t, http.StatusOK, status, "%v", rep)
	require.EqualValues(t, 2, rep["filed"])
	bad := map[int]string{}
	for _, p := range asSlice(rep["problems"]) {
		m := p.(map[string]any)
		bad[int(m["row"].(float64))] = m["column"].(string) + "：" + m["reason"].(string)
	}
	require.Len(t, bad, 3, "%v", bad)
	require.Contains(t, bad[4], "报备时间")
	require.Contains(t, bad[4], "不能晚于现在")
	require.Contains(t, bad[5], "须在1950-01-01到2099-12-31之间")
	require.Contains(t, bad[6], "格式须为")

	require.Len(t, h.tc.inputs, 2)
	want := time.Date(2024, 3, 5, 10, 30, 0, 0, renoflow.Zone)
	require.True(t, h.tc.inputs[0].FiledAt.Equal(want), "%v", h.tc.inputs[0].FiledAt)
	require.True(t, h.tc.inputs[1].FiledAt.IsZero(), "no 报备时间: filed now")
}
