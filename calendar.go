package renoflow

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Zone is the company's time zone: deadlines in days are counted in it and pages show it.
var Zone = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// Without tzdata China has had no DST since 1991: a fixed +08:00 is exact.
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// DayKind says whether a listed day breaks the ordinary week.
type DayKind string

// Kinds of listed days (cn-holidays.csv): a public holiday, or a make-up working day (调休上班).
const (
	DayHoliday DayKind = "holiday"
	DayWorkday DayKind = "workday"
)

// CalendarDay is one day that breaks the ordinary Monday–Friday week.
type CalendarDay struct {
	Date string  `json:"date"` // YYYY-MM-DD
	Kind DayKind `json:"kind"`
	Name string  `json:"name,omitempty"`
}

// Calendar is the company calendar: the ordinary week plus listed holidays and make-up
// working days. The admin maintains it; each edit is a new version.
//
// A calendar covers the years it lists days for (the State Council publishes one year at a
// time): a working-day count that runs past them falls back to calendar days for the days
// it cannot know, and says so (Fallbacks) — it never guesses a year's holidays. A calendar
// with no listed days at all is the plain Monday–Friday week and covers every year.
type Calendar struct {
	Version int           `json:"version"`
	Days    []CalendarDay `json:"days"`
	index   map[string]DayKind
	years   map[int]bool
	// fallbacks are the notes of working-day counts that ran past the covered years since
	// the last TakeFallbacks.
	fallbacks []string
}

//go:embed cn-holidays.csv
var defaultHolidaysCSV string

// DefaultCalendar is the official calendar shipped with the program (State Council notices
// for 2025 and 2026); it is the first version stored.
func DefaultCalendar() Calendar {
	days, err := ParseCalendarCSV(strings.NewReader(defaultHolidaysCSV))
	if err != nil {
		panic(fmt.Errorf("embedded cn-holidays.csv: %w", err))
	}
	return Calendar{Days: days}
}

// ParseCalendarCSV reads a holiday file: lines "date,kind,name" with kind holiday or
// workday; lines starting with # and the header are skipped.
func ParseCalendarCSV(r io.Reader) ([]CalendarDay, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	var days []CalendarDay
	seen := map[string]bool{}
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("日历第%d行：%w", line, err)
		}
		if len(rec) < 2 || rec[0] == "date" {
			continue
		}
		d := CalendarDay{Date: strings.TrimSpace(rec[0]), Kind: DayKind(strings.TrimSpace(rec[1]))}
		if len(rec) > 2 {
			d.Name = strings.TrimSpace(rec[2])
		}
		if _, err := ParseInputDate(d.Date); err != nil {
			return nil, fmt.Errorf("日历第%d行：%w", line, err)
		}
		if msg := CheckText("days.name", d.Name); msg != "" {
			return nil, fmt.Errorf("日历第%d行：名称%s", line, msg)
		}
		if d.Kind != DayHoliday && d.Kind != DayWorkday {
			return nil, fmt.Errorf("日历第%d行：类型 %q 须为 holiday 或 workday", line, d.Kind)
		}
		if seen[d.Date] {
			return nil, fmt.Errorf("日历第%d行：日期 %s 重复", line, d.Date)
		}
		seen[d.Date] = true
		days = append(days, d)
	}
	sort.Slice(days, func(i, j int) bool { return days[i].Date < days[j].Date })
	return days, nil
}

func (c *Calendar) kind(date string) (DayKind, bool) {
	c.build()
	k, ok := c.index[date]
	return k, ok
}

func (c *Calendar) build() {
	if c.index != nil {
		return
	}
	c.index = make(map[string]DayKind, len(c.Days))
	c.years = map[int]bool{}
	for _, d := range c.Days {
		c.index[d.Date] = d.Kind
		if len(d.Date) >= 4 {
			if y, err := strconv.Atoi(d.Date[:4]); err == nil {
				c.years[y] = true
			}
		}
	}
}

// Years lists the years the calendar covers, ascending: each year it lists a holiday or
// make-up working day for. Empty for the plain Monday–Friday calendar.
func (c *Calendar) Years() []int {
	c.build()
	ys := make([]int, 0, len(c.years))
	for y := range c.years {
		ys = append(ys, y)
	}
	sort.Ints(ys)
	return ys
}

// CoverageEnd is the first instant (company zone) past the last covered year — 1 January
// of the year after it — and false for the plain calendar, which never runs out.
func (c *Calendar) CoverageEnd() (time.Time, bool) {
	ys := c.Years()
	if len(ys) == 0 {
		return time.Time{}, false
	}
	return time.Date(ys[len(ys)-1]+1, time.January, 1, 0, 0, 0, 0, Zone), true
}

// Covers reports whether the calendar knows the holidays of t's day (company zone).
func (c *Calendar) Covers(t time.Time) bool {
	c.build()
	return len(c.years) == 0 || c.years[t.In(Zone).Year()]
}

// CoverageWarning is the warning shown from warnBefore before the end of coverage (SPEC.md
// "Escalation ladder": working days on the company calendar; the admin must import the
// next year's calendar in time): "" while the end is further away, or for the plain
// calendar.
func (c *Calendar) CoverageWarning(now time.Time, warnBefore Span) string {
	end, ok := c.CoverageEnd()
	if !ok {
		return ""
	}
	last := end.AddDate(0, 0, -1).Format(time.DateOnly)
	var plain Calendar
	switch {
	case !now.Before(end):
		return fmt.Sprintf("公司日历只覆盖到%s，此后按工作日计算的期限按自然日计算；请导入%d年日历", last, end.Year())
	case !now.Before(plain.Sub(end, warnBefore)):
		return fmt.Sprintf("公司日历只覆盖到%s（还剩%d天）；请尽快导入%d年日历，否则此后按工作日计算的期限将按自然日计算",
			last, int(math.Ceil(end.Sub(now).Hours()/24)), end.Year())
	}
	return ""
}

// TakeFallbacks returns, and forgets, the notes of working-day counts that ran past the
// covered years since the last call.
func (c *Calendar) TakeFallbacks() []string {
	out := c.fallbacks
	c.fallbacks = nil
	return out
}

// fellBack notes a working-day count that ran past the covered years.
func (c *Calendar) fellBack(s Span, from, to time.Time) {
	end, _ := c.CoverageEnd()
	note := fmt.Sprintf("公司日历只覆盖到%s：期限“%s”（%s → %s）中超出日历的日子按自然日计算",
		end.AddDate(0, 0, -1).Format(time.DateOnly), s.Label(), fmtTime(from), fmtTime(to))
	if len(c.fallbacks) < 16 && !slices.Contains(c.fallbacks, note) {
		c.fallbacks = append(c.fallbacks, note)
	}
}

// countsAsWorkingDay is whether a working-day count counts day t: a working day where the
// calendar covers t, every day where it does not (the fallback to calendar days).
func (c *Calendar) countsAsWorkingDay(t time.Time, fell *bool) bool {
	if !c.Covers(t) {
		*fell = true
		return true
	}
	return c.IsWorkingDay(t)
}

// IsWorkingDay reports whether the day of t (in the company zone) is a working day:
// a listed make-up working day, or a Monday–Friday that is not a listed holiday.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	local := t.In(Zone)
	if k, ok := c.kind(local.Format(time.DateOnly)); ok {
		return k == DayWorkday
	}
	wd := local.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// Add returns the time a span after start. Working days are counted on this calendar and
// keep the time of day: 2 working days from Friday 15:00 is Tuesday 15:00 in an ordinary
// week; a start on a rest day counts from the next working day. Calendar units are
// counted in the company zone.
func (c *Calendar) Add(start time.Time, s Span) time.Time {
	if d, ok := s.fixed(); ok {
		return start.Add(d)
	}
	local := start.In(Zone)
	var due time.Time
	switch s.Unit {
	case UnitDay:
		due = local.AddDate(0, 0, s.N)
	case UnitWeek:
		due = local.AddDate(0, 0, 7*s.N)
	case UnitMonth:
		due = addMonthsClamped(local, s.N)
	case UnitYear:
		due = addMonthsClamped(local, 12*s.N)
	case UnitWorkingDay:
		due = local
		fell := false
		for n := 0; n < s.N; {
			due = due.AddDate(0, 0, 1)
			if c.countsAsWorkingDay(due, &fell) {
				n++
			}
		}
		if fell {
			c.fellBack(s, start, due)
		}
	default:
		due = local
	}
	return due.In(start.Location())
}

// Sub returns the time a span before end, counted like Add (used for "notify one week
// before" and "remind one day before expiry").
func (c *Calendar) Sub(end time.Time, s Span) time.Time {
	if d, ok := s.fixed(); ok {
		return end.Add(-d)
	}
	local := end.In(Zone)
	var at time.Time
	switch s.Unit {
	case UnitDay:
		at = local.AddDate(0, 0, -s.N)
	case UnitWeek:
		at = local.AddDate(0, 0, -7*s.N)
	case UnitMonth:
		at = addMonthsClamped(local, -s.N)
	case UnitYear:
		at = addMonthsClamped(local, -12*s.N)
	case UnitWorkingDay:
		at = local
		fell := false
		for n := 0; n < s.N; {
			at = at.AddDate(0, 0, -1)
			if c.countsAsWorkingDay(at, &fell) {
				n++
			}
		}
		if fell {
			c.fellBack(s, at, end)
		}
	default:
		at = local
	}
	return at.In(end.Location())
}

// addMonthsClamped adds months keeping the day of month where it exists and clamping to
// the month's last day otherwise (31 Aug + 6 months = 28/29 Feb).
func addMonthsClamped(t time.Time, months int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(months), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	last := first.AddDate(0, 1, -1).Day()
	if d > last {
		d = last
	}
	return first.AddDate(0, 0, d-1)
}

// noteCalendarFallbacks writes a timeline entry for each working-day count of this
// transition that ran past the calendar's covered years, so no deadline is ever counted
// on a guessed calendar silently.
func (c *Customer) noteCalendarFallbacks(env Env, eff *Effects) {
	if env.Calendar == nil {
		return
	}
	key := env.Key
	if key == "" {
		key = "at:" + strconv.FormatInt(env.Now.UnixNano(), 10)
	}
	for i, note := range env.Calendar.TakeFallbacks() {
		eff.Timeline = append(eff.Timeline, Entry{Key: key + "#calendar" + strconv.Itoa(i), At: env.Now,
			Kind: "calendar_fallback", Summary: note, CalendarVersion: env.Calendar.Version})
	}
}

// ImportCalendarYears merges an imported calendar into the days in force: the years the
// import lists days for are replaced by the import's days, every other year is kept (the
// admin imports next year's State Council calendar without retyping this year's). The
// result is sorted by date.
func ImportCalendarYears(current, imported []CalendarDay) []CalendarDay {
	years := map[string]bool{}
	for _, d := range imported {
		if len(d.Date) >= 4 {
			years[d.Date[:4]] = true
		}
	}
	out := make([]CalendarDay, 0, len(current)+len(imported))
	for _, d := range current {
		if len(d.Date) < 4 || !years[d.Date[:4]] {
			out = append(out, d)
		}
	}
	out = append(out, imported...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date < out[j].Date })
	return out
}

// MergeCalendarEdit applies to newest what an edit of loaded changed: the days edited
// adds or changes (by date) and the days of loaded it removes. A calendar saved from a
// page loaded before another admin's save keeps that save's days (a three-way merge).
// The result is sorted by date.
func MergeCalendarEdit(newest, loaded, edited []CalendarDay) []CalendarDay {
	was := make(map[string]CalendarDay, len(loaded))
	for _, d := range loaded {
		was[d.Date] = d
	}
	now := make(map[string]CalendarDay, len(edited))
	for _, d := range edited {
		now[d.Date] = d
	}
	out := make([]CalendarDay, 0, len(newest)+len(edited))
	for _, d := range newest {
		_, removed := was[d.Date]
		if _, kept := now[d.Date]; removed && !kept {
			continue // removed by the edit
		}
		if e, ok := now[d.Date]; ok && e != was[d.Date] {
			continue // changed or added by the edit: its day below
		}
		out = append(out, d)
	}
	for _, e := range edited {
		if w, ok := was[e.Date]; !ok || w != e {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date < out[j].Date })
	return out
}
