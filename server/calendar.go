package server

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
)

// maxCalendarDays bounds a calendar version (a year lists some forty days).
const maxCalendarDays = 2000

// CalendarVersion is one stored version of the company calendar (SPEC.md "Escalation
// ladder": working days are counted on it): the listed holidays and make-up working days.
type CalendarVersion struct {
	Version   int                    `json:"version"` // 0: the shipped calendar, none stored yet
	Days      []renoflow.CalendarDay `json:"days"`
	Note      string                 `json:"note,omitempty"`
	CreatedBy string                 `json:"created_by,omitempty"`
	CreatedAt *time.Time             `json:"created_at,omitempty"`
}

// CalendarInput is PUT /api/calendar's JSON body: the whole calendar (it replaces the
// days of the version in force) and a note on the change.
type CalendarInput struct {
	Days []renoflow.CalendarDay `json:"days"`
	Note string                 `json:"note"`
	// Version, when given, is the version the days were read at (GET /api/calendar's
	// answer, edited): only what the edit changed is applied onto the newest version.
	Version *int `json:"version,omitempty"`
}

// currentCalendar reads the newest calendar version (the shipped calendar as version 0
// when none is stored), the one the customer workflow reads when it arms a clock.
func (s *Server) currentCalendar(ctx context.Context) (CalendarVersion, error) {
	row, err := postgres.LatestCalendar(ctx, s.db)
	if err != nil {
		return CalendarVersion{}, err
	}
	return calendarVersion(row), nil
}

// calendarVersion converts a stored calendar version to the API's.
func calendarVersion(row postgres.CalendarVersion) CalendarVersion {
	cv := CalendarVersion{Version: row.Version, Days: row.Days, Note: row.Note, CreatedBy: row.CreatedBy}
	if !row.CreatedAt.IsZero() {
		cv.CreatedAt = &row.CreatedAt
	}
	if cv.Days == nil {
		cv.Days = []renoflow.CalendarDay{}
	}
	return cv
}

// calendarHistory lists the newest saved calendar versions.
func (s *Server) calendarHistory(ctx context.Context) ([]PolicyVersion, error) {
	rows, err := postgres.CalendarHistory(ctx, s.db, historyLength)
	return versionEntries(rows), err
}

// checkCalendarDays checks a calendar given as JSON, naming each bad field by its index
// ("days[2].date"): a date YYYY-MM-DD, listed once; a kind holiday or workday; a short
// name. It returns the days sorted by date.
func checkCalendarDays(days []renoflow.CalendarDay) ([]renoflow.CalendarDay, error) {
	var p renoflow.Problems
	out := make([]renoflow.CalendarDay, 0, len(days))
	first := map[string]int{}
	for i, d := range days {
		field := fmt.Sprintf("days[%d].", i)
		d.Date, d.Kind, d.Name = strings.TrimSpace(d.Date), renoflow.DayKind(strings.TrimSpace(string(d.Kind))), strings.TrimSpace(d.Name)
		if _, err := renoflow.ParseInputDate(d.Date); err != nil {
			p.Add(field+"date", err.Error())
		} else if j, dup := first[d.Date]; dup {
			p.Add(field+"date", fmt.Sprintf("日期 %s 与第%d项重复", d.Date, j+1))
		} else {
			first[d.Date] = i
		}
		if d.Kind != renoflow.DayHoliday && d.Kind != renoflow.DayWorkday {
			p.Add(field+"kind", fmt.Sprintf("类型 %q 须为 holiday（放假）或 workday（调休上班）", d.Kind))
		}
		renoflow.CheckTextField(&p, field+"name", d.Name)
		out = append(out, d)
	}
	checkCalendarSize(&p, "days", len(days))
	if err := p.Err("日历有误"); err != nil {
		return nil, err
	}
	sortDays(out)
	return out, nil
}

// checkCalendarSize refuses an empty calendar (most likely an accident that would drop
// every holiday) and one too long to be a calendar.
func checkCalendarSize(p *renoflow.Problems, field string, n int) {
	switch {
	case n == 0:
		p.Add(field, "日历不能为空：请至少列出一天（平日以外的放假日或调休上班日）")
	case n > maxCalendarDays:
		p.Add(field, fmt.Sprintf("最多%d天", maxCalendarDays))
	}
}

// csvField is the field every problem of a CSV calendar names; the message names the line.
const csvField = "csv"

// parseCalendarText reads a calendar in the cn-holidays.csv format ("date,kind,name" a
// line; # comments, blank lines and the header skipped). Each line is read by
// renoflow.ParseCalendarCSV; every bad line is reported with its line number as the
// admin sees it (comments and blank lines counted), and so is a line that names no kind.
func parseCalendarText(text string) ([]renoflow.CalendarDay, error) {
	var p renoflow.Problems
	var days []renoflow.CalendarDay
	first := map[string]int{}
	text = strings.TrimPrefix(text, "\ufeff") // a byte-order mark, as spreadsheet exports write
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		n := i + 1
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		got, err := renoflow.ParseCalendarCSV(strings.NewReader(trimmed))
		if err != nil {
			p.Add(csvField, fmt.Sprintf("第%d行：%s", n, csvReason(err)))
			continue
		}
		if len(got) == 0 {
			if head, _, _ := strings.Cut(trimmed, ","); strings.TrimSpace(head) != "date" {
				p.Add(csvField, fmt.Sprintf("第%d行：须为“日期,类型,名称”（如 2027-01-01,holiday,元旦）", n))
			}
			continue // the header
		}
		d := got[0]
		if prev, dup := first[d.Date]; dup {
			p.Add(csvField, fmt.Sprintf("第%d行：日期 %s 与第%d行重复", n, d.Date, prev))
			continue
		}
		first[d.Date] = n
		days = append(days, d)
	}
	if !p.Has(csvField) {
		checkCalendarSize(&p, csvField, len(days))
	}
	if err := calendarProblems(&p); err != nil {
		return nil, err
	}
	sortDays(days)
	return days, nil
}

// calendarProblems returns the problems of a CSV calendar as one error whose message
// names the first bad line.
func calendarProblems(p *renoflow.Problems) error {
	err := p.Err("日历有误")
	var de *renoflow.Error
	if errors.As(err, &de) && len(de.Fields) > 0 {
		de.Message = "日历有误：" + de.Fields[0].Message
		if len(de.Fields) > 1 {
			de.Message += fmt.Sprintf("（共%d处）", len(de.Fields))
		}
	}
	return err
}

// csvReason is what renoflow.ParseCalendarCSV says is wrong with one line, without its
// own line number (it counts the lines it was given: always the first).
func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return "CSV 格式有误（" + pe.Err.Error() + "）"
	}
	if _, reason, ok := strings.Cut(err.Error(), "："); ok {
		return reason
	}
	return err.Error()
}

// sortDays orders days by date.
func sortDays(days []renoflow.CalendarDay) {
	slices.SortFunc(days, func(a, b renoflow.CalendarDay) int { return strings.Compare(a.Date, b.Date) })
}

// calendarCSV writes days in the cn-holidays.csv format, for the admin page's text box.
func calendarCSV(days []renoflow.CalendarDay) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"date", "kind", "name"})
	for _, d := range days {
		_ = w.Write([]string{d.Date, string(d.Kind), d.Name})
	}
	w.Flush()
	return b.String()
}

// saveCalendar stores merge(the newest calendar's days) as a new calendar version
// (admin), in one locked transaction (postgres.SaveMergedCalendar): concurrent imports of
// different years each keep the others'. Clocks armed from then on count working days on
// it; clocks already running keep the version they were armed with (each task records
// its calendar version).
func (s *Server) saveCalendar(ctx context.Context, actor renoflow.Actor, merge func(newest []renoflow.CalendarDay) ([]renoflow.CalendarDay, error),
	note string) (CalendarVersion, error) {
	if err := actor.Require(renoflow.PermManagePolicy, "修改日历"); err != nil {
		return CalendarVersion{}, err
	}
	note = strings.TrimSpace(note)
	if msg := renoflow.CheckText(fieldNote, note); msg != "" {
		return CalendarVersion{}, &renoflow.Error{Code: renoflow.CodeInvalid, Message: "日历有误",
			Fields: []renoflow.FieldError{{Field: fieldNote, Message: msg}}}
	}
	row, err := postgres.SaveMergedCalendar(ctx, s.db, func(newest postgres.CalendarVersion) ([]renoflow.CalendarDay, error) {
		return merge(newest.Days)
	}, postgres.Change{By: actor.ID, Note: note, At: s.now()})
	if err != nil {
		return CalendarVersion{}, err
	}
	return calendarVersion(row), nil
}

// calendarAt reads calendar version base, the one an edit was made from (the page's
// form, or a PUT naming the version it was read at); nil when there is no base or it
// cannot be read.
func (s *Server) calendarAt(ctx context.Context, base *int) []renoflow.CalendarDay {
	if base == nil {
		return nil
	}
	cv, err := postgres.CalendarAt(ctx, s.db, *base)
	if err != nil {
		return nil
	}
	if cv.Days == nil {
		return []renoflow.CalendarDay{}
	}
	return cv.Days
}

// editedDays is saveCalendar's merge for a whole calendar edited from loaded (the days
// of the version it was made from): a three-way merge onto the newest
// (renoflow.MergeCalendarEdit), so another admin's save in between keeps its days. With
// no loaded days (nil), days replace the calendar.
func editedDays(loaded, days []renoflow.CalendarDay) func([]renoflow.CalendarDay) ([]renoflow.CalendarDay, error) {
	if loaded != nil {
		return func(newest []renoflow.CalendarDay) ([]renoflow.CalendarDay, error) {
			return renoflow.MergeCalendarEdit(newest, loaded, days), nil
		}
	}
	return func([]renoflow.CalendarDay) ([]renoflow.CalendarDay, error) { return days, nil }
}

// formVersion reads a form's hidden version field (nil when absent or not a number).
func formVersion(v string) *int {
	n, err := strconv.Atoi(v)
	if err != nil {
		return nil
	}
	return &n
}

// apiCalendar: GET /api/calendar → the calendar version in force (version and days).
func (s *Server) apiCalendar(c *fiber.Ctx) error {
	cv, err := s.currentCalendar(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(calendarView(cv))
}

// apiSaveCalendar: PUT /api/calendar (admin) with the whole calendar, as JSON
// {"days": [...], "note": "..."} or as text/csv in the cn-holidays.csv format (the note
// in ?note=) → the new version. A bad day is a 422 naming it.
func (s *Server) apiSaveCalendar(c *fiber.Ctx) error {
	var days []renoflow.CalendarDay
	var note string
	var base *int
	var err error
	if ct := strings.ToLower(c.Get(fiber.HeaderContentType)); strings.HasPrefix(ct, "text/csv") {
		if msg := renoflow.CheckText(csvField, string(c.Body())); msg != "" {
			return &renoflow.Error{Code: renoflow.CodeInvalid, Message: "日历有误",
				Fields: []renoflow.FieldError{{Field: bodyField, Message: msg}}}
		}
		days, err = parseCalendarText(string(c.Body()))
		note = c.Query("note")
	} else {
		var in CalendarInput
		if err = decodeJSON(c, &in); err == nil {
			days, err = checkCalendarDays(in.Days)
			note, base = in.Note, in.Version
		}
	}
	if err != nil {
		return err
	}
	cv, err := s.saveCalendar(c.UserContext(), actorOf(c), editedDays(s.calendarAt(c.UserContext(), base), days), note)
	if err != nil {
		return err
	}
	return c.JSON(calendarView(cv))
}

// calendarRow is a listed day as the admin page shows it.
type calendarRow struct {
	renoflow.CalendarDay
	Weekday   string
	KindLabel string
}

// weekdays are the Chinese names of the days of the week, Sunday first.
var weekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// calendarPage shows the calendar in force, its history, and the text box that replaces it.
func (s *Server) calendarPage(c *fiber.Ctx, status int, p page, problems []renoflow.FieldError) error {
	ctx := c.UserContext()
	cv, err := s.currentCalendar(ctx)
	if err != nil {
		return err
	}
	history, err := s.calendarHistory(ctx)
	if err != nil {
		return err
	}
	rows := make([]calendarRow, 0, len(cv.Days))
	for _, d := range cv.Days {
		r := calendarRow{CalendarDay: d, KindLabel: "放假"}
		if d.Kind == renoflow.DayWorkday {
			r.KindLabel = "调休上班"
		}
		if t, err := time.Parse(time.DateOnly, d.Date); err == nil {
			r.Weekday = weekdays[t.Weekday()]
		}
		rows = append(rows, r)
	}
	if p.Form == nil {
		p.Form = map[string]string{"csv": calendarCSV(cv.Days)}
	}
	warning, err := s.calendarWarning(ctx)
	if err != nil {
		return err
	}
	cal := renoflow.Calendar{Days: cv.Days}
	p.Title, p.Nav = "公司日历", "calendar"
	return s.render(c, status, "admin_calendar", p, map[string]any{
		"Calendar": cv, "Rows": rows, "History": history, "Problems": problems,
		"Years": cal.Years(), "Warning": warning,
	})
}

func (s *Server) pageAdminCalendar(c *fiber.Ctx) error {
	return s.calendarPage(c, fiber.StatusOK, page{}, nil)
}

// pageAdminCalendarPost saves the pasted CSV as a new calendar version; an unchanged
// calendar makes no version, and bad lines are listed with the text kept.
func (s *Server) pageAdminCalendarPost(c *fiber.Ctx) error {
	ctx := c.UserContext()
	text, note := c.FormValue("csv"), strings.TrimSpace(c.FormValue("note"))
	days, err := parseCalendarText(text)
	if err == nil {
		var cur CalendarVersion
		if cur, err = s.currentCalendar(ctx); err != nil {
			return err
		}
		loaded := s.calendarAt(ctx, formVersion(c.FormValue("version"))) // what the page showed
		shown := loaded
		if shown == nil {
			shown = cur.Days
		}
		if slices.Equal(shown, days) {
			return c.Redirect("/admin/calendar?ok="+urlQueryEscape("日历未改变，没有生成新版本"), fiber.StatusSeeOther)
		}
		var saved CalendarVersion
		if saved, err = s.saveCalendar(ctx, actorOf(c), editedDays(loaded, days), note); err == nil {
			return c.Redirect("/admin/calendar?ok="+urlQueryEscape("已保存为日历第"+itoa(saved.Version)+"版，对此后设定的计时生效"), fiber.StatusSeeOther)
		}
	}
	status, de, errs, ok := formProblem(err)
	if !ok {
		return err
	}
	return s.calendarPage(c, status, page{Message: de.Message, Form: map[string]string{"csv": text, "note": note}, Errors: errs}, de.Fields)
}
