package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/xuri/excelize/v2"
)

// maxCalendarFile bounds an uploaded calendar file (a year is some forty rows).
const maxCalendarFile = 1 << 20

// xlsxContentType is the content type of an .xlsx workbook.
const xlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// xlsxMagic starts every .xlsx file (a zip archive).
var xlsxMagic = []byte("PK\x03\x04")

// kindWords are the words a spreadsheet may use for a day's kind.
var kindWords = map[string]renoflow.DayKind{
	"holiday": renoflow.DayHoliday, "放假": renoflow.DayHoliday, "假日": renoflow.DayHoliday, "节假日": renoflow.DayHoliday, "休": renoflow.DayHoliday,
	"workday": renoflow.DayWorkday, "调休上班": renoflow.DayWorkday, "上班": renoflow.DayWorkday, "补班": renoflow.DayWorkday, "班": renoflow.DayWorkday,
}

// parseCalendarFile reads an imported calendar: an .xlsx workbook (recognised by its
// content) or text in the cn-holidays.csv format. Problems name the line (the row of the
// first sheet) as the admin sees it.
func parseCalendarFile(data []byte) ([]renoflow.CalendarDay, error) {
	if len(data) > maxCalendarFile {
		return nil, &renoflow.Error{Code: renoflow.CodeInvalid, Message: "日历文件过大",
			Fields: []renoflow.FieldError{{Field: "file", Message: fmt.Sprintf("不能超过%dKB", maxCalendarFile>>10)}}}
	}
	if bytes.HasPrefix(data, xlsxMagic) {
		text, err := xlsxCalendarText(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		return parseCalendarText(text)
	}
	return parseCalendarText(string(data))
}

// xlsxCalendarText turns the first sheet of a workbook into cn-holidays.csv text, one line
// per row: column A the date (a date cell or YYYY-MM-DD text), B the kind (holiday /
// workday, or 放假 / 调休上班), C the name. Row n becomes line n, so problems name the row.
func xlsxCalendarText(r io.Reader) (string, error) {
	bad := func(msg string) error {
		return &renoflow.Error{Code: renoflow.CodeInvalid, Message: "日历文件有误：" + msg,
			Fields: []renoflow.FieldError{{Field: "file", Message: msg}}}
	}
	f, err := excelize.OpenReader(r, excelize.Options{RawCellValue: true})
	if err != nil {
		return "", bad("不是有效的 XLSX 文件")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return "", bad("工作簿没有工作表")
	}
	rows, err := f.GetRows(sheets[0], excelize.Options{RawCellValue: true})
	if err != nil {
		return "", bad("读不出第一个工作表")
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	for _, row := range rows {
		cells := make([]string, 3)
		for i := 0; i < 3 && i < len(row); i++ {
			cells[i] = strings.TrimSpace(strings.ReplaceAll(row[i], "\n", " "))
		}
		if cells[0] == "" && cells[1] == "" && cells[2] == "" {
			_ = w.Write([]string{"#"}) // keeps the row numbering
			continue
		}
		cells[0] = xlsxDate(cells[0])
		if k, ok := kindWords[strings.ToLower(cells[1])]; ok {
			cells[1] = string(k)
		}
		if strings.EqualFold(cells[0], "date") || cells[0] == "日期" {
			cells = []string{"date", "kind", "name"}
		}
		_ = w.Write(cells)
	}
	w.Flush()
	return b.String(), nil
}

// xlsxDate reads a date cell: a spreadsheet serial number (a date-formatted cell) or
// text, which is kept for the CSV check to judge.
func xlsxDate(v string) string {
	if n, err := strconv.ParseFloat(v, 64); err == nil && n > 0 && n < 2958466 {
		if t, err := excelize.ExcelDateToTime(n, false); err == nil {
			return t.Format(time.DateOnly)
		}
	}
	if t, err := time.Parse("2006/1/2", v); err == nil {
		return t.Format(time.DateOnly)
	}
	return v
}

// importCalendar merges an imported year (or years) into the calendar in force and saves
// the result as a new version: the years the file lists are replaced, the others kept.
func (s *Server) importCalendar(ctx context.Context, actor renoflow.Actor, data []byte, note string) (CalendarVersion, error) {
	days, err := parseCalendarFile(data)
	if err != nil {
		return CalendarVersion{}, err
	}
	if note == "" {
		cal := renoflow.Calendar{Days: days}
		note = fmt.Sprintf("导入%v年日历", cal.Years())
	}
	return s.saveCalendar(ctx, actor, func(newest []renoflow.CalendarDay) ([]renoflow.CalendarDay, error) {
		merged := renoflow.ImportCalendarYears(newest, days)
		if len(merged) > maxCalendarDays {
			return nil, &renoflow.Error{Code: renoflow.CodeInvalid, Message: "日历有误",
				Fields: []renoflow.FieldError{{Field: "file", Message: fmt.Sprintf("合并后最多%d天", maxCalendarDays)}}}
		}
		return merged, nil
	}, note)
}

// uploadedCalendar reads the calendar file of a request: the multipart field "file", or
// the raw body (text/csv or .xlsx).
func uploadedCalendar(c *fiber.Ctx) ([]byte, error) {
	if fh, err := c.FormFile("file"); err == nil {
		if fh.Size > maxCalendarFile {
			return nil, &renoflow.Error{Code: renoflow.CodeInvalid, Message: "日历文件过大",
				Fields: []renoflow.FieldError{{Field: "file", Message: fmt.Sprintf("不能超过%dKB", maxCalendarFile>>10)}}}
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return io.ReadAll(io.LimitReader(f, maxCalendarFile+1))
	}
	if strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), "multipart/") || len(c.Body()) == 0 {
		return nil, &renoflow.Error{Code: renoflow.CodeInvalid, Message: "请选择日历文件（CSV 或 XLSX）",
			Fields: []renoflow.FieldError{{Field: "file", Message: "必填"}}}
	}
	return c.Body(), nil
}

// apiImportCalendar: POST /api/calendar/import (admin) with a calendar file — text/csv in
// the cn-holidays.csv format, an .xlsx workbook, or multipart "file" — and ?note= → the
// new version, in which the years the file lists replace those years and every other
// year is kept. A bad row is a 422 naming its line.
func (s *Server) apiImportCalendar(c *fiber.Ctx) error {
	data, err := uploadedCalendar(c)
	if err != nil {
		return err
	}
	note := strings.TrimSpace(c.Query("note", c.FormValue("note")))
	cv, err := s.importCalendar(c.UserContext(), actorOf(c), data, note)
	if err != nil {
		return err
	}
	return c.JSON(calendarView(cv))
}

// pageAdminCalendarImport imports an uploaded calendar file from the admin page.
func (s *Server) pageAdminCalendarImport(c *fiber.Ctx) error {
	ctx := c.UserContext()
	data, err := uploadedCalendar(c)
	if err == nil {
		var saved CalendarVersion
		if saved, err = s.importCalendar(ctx, actorOf(c), data, strings.TrimSpace(c.FormValue("note"))); err == nil {
			return c.Redirect("/admin/calendar?ok="+urlQueryEscape("已导入为日历第"+itoa(saved.Version)+"版，对此后设定的计时生效"), fiber.StatusSeeOther)
		}
	}
	status, de, errs, ok := formProblem(err)
	if !ok {
		return err
	}
	return s.calendarPage(c, status, page{Message: de.Message, Errors: errs}, de.Fields)
}

// calendarWarning is the coverage warning of the calendar in force ("" when none): shown
// on the admin calendar page and in /healthz from the policy's CalendarWarnBefore before
// the last covered day.
func (s *Server) calendarWarning(ctx context.Context) (string, error) {
	cv, err := s.currentCalendar(ctx)
	if err != nil {
		return "", err
	}
	p, _, err := s.editablePolicy(ctx) // a newest policy that no longer parses still gives the warning's lead time
	if err != nil {
		return "", err
	}
	cal := renoflow.Calendar{Days: cv.Days}
	return cal.CoverageWarning(s.now(), p.CalendarWarnBefore), nil
}
