package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
	"github.com/renoflow/renoflow/server/apiview"
	"github.com/xuri/excelize/v2"
)

// The customer import (issue 13): a company moving from Excel files its customers from a
// sheet. Every row goes through the same filing (s.file: ParseFiling, the phone's
// reservation and its 撞单 check, the filer's 库容) as the form; a row's idempotency key
// is the sheet's hash and the row, so the same sheet imported twice files nothing twice.

// importColumns are the template's columns: the Chinese header and the filing field it fills.
var importColumns = []struct{ Header, Field string }{
	{"姓名", renoflow.FieldName}, {"性别", renoflow.FieldGender}, {"手机号", renoflow.FieldPhone},
	{"小区", "house.community"}, {"户型", "house.layout"}, {"面积（㎡）", renoflow.FieldArea},
	{"交房日期", renoflow.FieldHandover}, {"客情说明", renoflow.FieldSituation}, {"客户来源", renoflow.FieldChannel},
	{"门店", renoflow.FieldStore}, {"预算（万元）", renoflow.FieldBudget},
	{"报备时间", fieldFiledAt},
}

// fieldFiledAt is the import's optional original filing time column (renoflow.ParseFiledAt).
const fieldFiledAt = "filed_at"

// maxImportRows bounds one sheet; maxImportBytes its upload.
const (
	maxImportRows  = 2000
	maxImportBytes = 5 << 20
)

// ImportCell names a bad cell of the sheet: its row (as the spreadsheet numbers it), its
// column header and why. It is the API's view model as it is (nothing internal to hide).
type ImportCell = apiview.ImportCell

// ImportRow is one data row of the sheet and its outcome.
type ImportRow struct {
	Row        int          `json:"row"`
	Name       string       `json:"name"`
	Cells      []string     `json:"-"`
	Problems   []ImportCell `json:"problems,omitempty"`
	CustomerID string       `json:"customer_id,omitempty"` // filed (import)
}

// ImportReport is the preview's or the import's answer.
type ImportReport struct {
	Rows     int          `json:"rows"`
	Good     int          `json:"good"`
	Filed    int          `json:"filed"`
	Refused  []ImportRow  `json:"refused"`
	Problems []ImportCell `json:"problems"`
}

// readSheet reads an uploaded XLSX or CSV: the header row and the data rows.
func readSheet(name string, raw []byte) ([][]string, error) {
	bad := func(msg string) error {
		return &renoflow.Error{Code: renoflow.CodeInvalid, Message: "表格无法读取",
			Fields: []renoflow.FieldError{{Field: "file", Message: msg}}}
	}
	var rows [][]string
	if strings.HasSuffix(strings.ToLower(name), ".csv") {
		r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))))
		r.FieldsPerRecord = -1
		all, err := r.ReadAll()
		if err != nil {
			return nil, bad("CSV 格式有误：" + err.Error())
		}
		rows = all
	} else {
		f, err := excelize.OpenReader(bytes.NewReader(raw))
		if err != nil {
			return nil, bad("只能上传 .xlsx 或 .csv 文件")
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return nil, bad("表格是空的")
		}
		if rows, err = f.GetRows(sheets[0]); err != nil {
			return nil, bad("表格无法读取")
		}
	}
	if len(rows) < 2 {
		return nil, bad("表格没有数据行（第一行为表头）")
	}
	if len(rows)-1 > maxImportRows {
		return nil, bad(fmt.Sprintf("一次最多导入 %d 行", maxImportRows))
	}
	return rows, nil
}

// importPlan reads the sheet into filings: each row's FileRequest, or the bad cells that
// keep it from being filed (the same ParseFiling as the form, the store by name, the
// 撞单 check against the customers filed and against the rows above).
func (s *Server) importPlan(ctx context.Context, actor renoflow.Actor, name string, raw []byte) ([]ImportRow, []*FileRequest, error) {
	rows, err := readSheet(name, raw)
	if err != nil {
		return nil, nil, err
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimSpace(h)] = i
	}
	var missing []string
	for _, c := range importColumns {
		if _, ok := col[c.Header]; !ok && c.Field != renoflow.FieldBudget && c.Field != renoflow.FieldHandover {
			missing = append(missing, c.Header)
		}
	}
	if len(missing) > 0 {
		return nil, nil, &renoflow.Error{Code: renoflow.CodeInvalid, Message: "表头不对，请使用导入模板",
			Fields: []renoflow.FieldError{{Field: "file", Message: "缺少列：" + strings.Join(missing, "、")}}}
	}
	stores, err := s.storeNames(ctx)
	if err != nil {
		return nil, nil, err
	}
	byName := map[string]string{}
	for id, n := range stores {
		byName[n], byName[id] = id, id
	}
	hash := sha256.Sum256(raw)
	sheetKey := hex.EncodeToString(hash[:12])
	headerOf := map[string]string{}
	for _, c := range importColumns {
		headerOf[c.Field] = c.Header
	}
	seen := map[renoflow.Phone]int{}
	out := make([]ImportRow, 0, len(rows)-1)
	reqs := make([]*FileRequest, 0, len(rows)-1)
	for i, cells := range rows[1:] {
		rowNo := i + 2
		get := func(h string) string {
			if j, ok := col[h]; ok && j < len(cells) {
				return strings.TrimSpace(cells[j])
			}
			return ""
		}
		ir := ImportRow{Row: rowNo, Name: get("姓名"), Cells: cells}
		add := func(field, reason string) {
			h := headerOf[field]
			if h == "" {
				h = fieldLabel(field)
			}
			ir.Problems = append(ir.Problems, ImportCell{Row: rowNo, Column: h, Reason: reason})
		}
		if blank(cells) {
			continue
		}
		var in renoflow.FilingInput
		in.Name, in.PhoneRaw = get("姓名"), get("手机号")
		in.Gender = renoflow.Gender(optionCode(renoflow.Genders(), get("性别"), map[string]string{"男": "male", "女": "female", "先生": "male", "女士": "female"}))
		in.House.Community, in.House.Layout, in.House.HandoverDate = get("小区"), get("户型"), get("交房日期")
		in.Situation = get("客情说明")
		in.Channel = renoflow.Channel(optionCode(renoflow.Channels(), get("客户来源"), nil))
		if v := get("面积（㎡）"); v != "" {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				in.House.AreaM2 = f
			} else {
				add(renoflow.FieldArea, "应为数字，如 98.5")
			}
		}
		if v := get("预算（万元）"); v != "" {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				in.BudgetWan = f
			} else {
				add(renoflow.FieldBudget, "应为数字，如 30")
			}
		}
		if v := get("门店"); v != "" {
			if id, ok := byName[v]; ok {
				in.StoreID = id
				if !actor.InStore(id) {
					add(renoflow.FieldStore, "不能为其他门店报备客户")
				}
			} else {
				add(renoflow.FieldStore, "没有名为“"+v+"”的门店")
			}
		}
		var filedAt time.Time
		if v := get("报备时间"); v != "" {
			if t, terr := renoflow.ParseFiledAt(v, s.now()); terr != nil {
				add(fieldFiledAt, terr.Error())
			} else {
				filedAt = t
			}
		}
		rec, err := renoflow.ParseFiling(in)
		var de *renoflow.Error
		if errors.As(err, &de) {
			for _, f := range de.Fields {
				if f.Field == renoflow.FieldStore && in.StoreID == "" && get("门店") != "" {
					continue // named above
				}
				add(f.Field, f.Message)
			}
		} else if err != nil {
			return nil, nil, err
		}
		if err == nil {
			if first, dup := seen[rec.Phone]; dup {
				add(renoflow.FieldPhone, fmt.Sprintf("撞单：与第 %d 行手机号相同", first))
			} else {
				seen[rec.Phone] = rowNo
				mine, merr := postgres.ReservedWith(ctx, s.db, string(rec.Phone), actor.ID, importKey(sheetKey, rowNo))
				if merr != nil {
					return nil, nil, merr
				}
				if holder, herr := s.phoneHolder(ctx, rec.Phone); herr != nil {
					return nil, nil, herr
				} else if holder != nil && !mine {
					var ce *renoflow.Error
					if errors.As(holder.conflict(rec.Phone), &ce) {
						add(renoflow.FieldPhone, ce.Message)
					}
				}
			}
		}
		if len(ir.Problems) > 0 {
			out = append(out, ir)
			reqs = append(reqs, nil)
			continue
		}
		out = append(out, ir)
		reqs = append(reqs, &FileRequest{FilingInput: in, Key: importKey(sheetKey, rowNo), FiledAt: filedAt})
	}
	return out, reqs, nil
}

// importKey is a row's idempotency key: the sheet's hash and the row.
func importKey(sheet string, row int) string { return "import-" + sheet + "-r" + strconv.Itoa(row) }

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// optionCode maps a cell to an option's code: the code itself, its Chinese label (or the
// label's part before "（" or " / "), or an alias.
func optionCode(opts []renoflow.Option, v string, alias map[string]string) string {
	if a, ok := alias[v]; ok {
		return a
	}
	for _, o := range opts {
		if v == o.Code || v == o.Label || strings.HasPrefix(o.Label, v+"（") || strings.HasPrefix(o.Label, v+" / ") {
			return o.Code
		}
	}
	return v
}

// runImport previews (file=false) or imports (file=true) a sheet.
func (s *Server) runImport(ctx context.Context, actor renoflow.Actor, name string, raw []byte, file bool) (*ImportReport, error) {
	if err := actor.Require(renoflow.PermFile, "导入客户"); err != nil {
		return nil, err
	}
	rows, reqs, err := s.importPlan(ctx, actor, name, raw)
	if err != nil {
		return nil, err
	}
	rep := &ImportReport{Rows: len(rows), Refused: []ImportRow{}, Problems: []ImportCell{}}
	for i := range rows {
		if reqs[i] != nil && file {
			res, err := s.file(ctx, actor, *reqs[i])
			var de *renoflow.Error
			switch {
			case err == nil:
				rows[i].CustomerID = res.CustomerID
				rep.Filed++
			case errors.As(err, &de):
				for _, f := range de.Fields {
					rows[i].Problems = append(rows[i].Problems, ImportCell{Row: rows[i].Row, Column: fieldLabel(f.Field), Reason: f.Message})
				}
				if len(de.Fields) == 0 {
					rows[i].Problems = append(rows[i].Problems, ImportCell{Row: rows[i].Row, Column: "手机号", Reason: de.Message})
				}
			default:
				return nil, err // infrastructure: the rows filed so far stay filed; a retry files the rest once
			}
		}
		if len(rows[i].Problems) > 0 {
			rep.Refused = append(rep.Refused, rows[i])
			rep.Problems = append(rep.Problems, rows[i].Problems...)
		} else {
			rep.Good++
		}
	}
	return rep, nil
}

// refusedSheet is the refused rows as an XLSX: the template's columns plus 原因.
func refusedSheet(rep *ImportReport) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	header := make([]any, 0, len(importColumns)+2)
	header = append(header, "原行号")
	for _, c := range importColumns {
		header = append(header, c.Header)
	}
	header = append(header, "原因")
	if err := f.SetSheetRow("Sheet1", "A1", &header); err != nil {
		return nil, err
	}
	for i, r := range rep.Refused {
		row := []any{r.Row}
		for j := range importColumns {
			v := ""
			if j < len(r.Cells) {
				v = r.Cells[j]
			}
			row = append(row, v)
		}
		var why []string
		for _, p := range r.Problems {
			why = append(why, p.Column+"："+p.Reason)
		}
		row = append(row, strings.Join(why, "；"))
		axis, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow("Sheet1", axis, &row); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// upload reads the multipart field "file".
func upload(c *fiber.Ctx) (string, []byte, error) {
	fh, err := c.FormFile("file")
	if err != nil {
		return "", nil, &renoflow.Error{Code: renoflow.CodeInvalid, Message: "请选择要导入的表格",
			Fields: []renoflow.FieldError{{Field: "file", Message: "必选（.xlsx 或 .csv）"}}}
	}
	if fh.Size > maxImportBytes {
		return "", nil, &renoflow.Error{Code: renoflow.CodeInvalid, Message: "表格太大",
			Fields: []renoflow.FieldError{{Field: "file", Message: "不超过 5 MB"}}}
	}
	r, err := fh.Open()
	if err != nil {
		return "", nil, err
	}
	defer r.Close()
	raw, err := io.ReadAll(io.LimitReader(r, maxImportBytes+1))
	return fh.Filename, raw, err
}

// importTemplate: GET /customers/import/template.xlsx — the header row and one example.
func (s *Server) importTemplate(c *fiber.Ctx) error {
	header := make([]string, len(importColumns))
	for i, col := range importColumns {
		header[i] = col.Header
	}
	return sendXLSX(c, "客户导入模板.xlsx", "客户", header, [][]any{{"王女士", "女", "13800138000", "翠湖苑", "三室两厅", "120",
		"2027-03-01", "新房交付，想做现代简约", "朋友介绍", "旗舰店", "30"}})
}

// apiImport: POST /api/customers/import?preview=1 (multipart "file") → ImportReport.
func (s *Server) apiImport(c *fiber.Ctx) error {
	name, raw, err := upload(c)
	if err != nil {
		return err
	}
	rep, err := s.runImport(c.UserContext(), actorOf(c), name, raw, c.Query("preview") == "")
	if err != nil {
		return err
	}
	return c.JSON(importView(rep))
}

// pageImport: GET /customers/import — the upload form.
func (s *Server) pageImport(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "customer_import", page{Title: "导入客户", Nav: "customers"}, map[string]any{"Columns": importColumns})
}

// pageImportPost: POST /customers/import (preview or import) — the bad cells, and after an
// import the refused rows as a sheet to download.
func (s *Server) pageImportPost(c *fiber.Ctx) error {
	name, raw, err := upload(c)
	if err != nil {
		return err
	}
	doFile := c.FormValue("step") == "import"
	rep, err := s.runImport(c.UserContext(), actorOf(c), name, raw, doFile)
	if err != nil {
		return err
	}
	data := map[string]any{"Columns": importColumns, "Report": rep, "Imported": doFile}
	if doFile && len(rep.Refused) > 0 {
		sheet, err := refusedSheet(rep)
		if err != nil {
			return err
		}
		data["RefusedHref"] = template.URL("data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64," + base64.StdEncoding.EncodeToString(sheet))
	}
	return s.render(c, fiber.StatusOK, "customer_import", page{Title: "导入客户", Nav: "customers"}, data)
}
