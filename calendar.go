package renoflow

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
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
type Calendar struct {
	Version int           `json:"version"`
	Days    []CalendarDay `json:"days"`
	index   map[string]DayKind
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
		if _, err := time.Parse(time.DateOnly, d.Date); err != nil {
			return nil, fmt.Errorf("日历第%d行：日期 %q 格式须为 YYYY-MM-DD", line, d.Date)
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
	if c.index == nil {
		c.index = make(map[string]DayKind, len(c.Days))
		for _, d := range c.Days {
			c.index[d.Date] = d.Kind
		}
	}
	k, ok := c.index[date]
	return k, ok
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
		for n := 0; n < s.N; {
			due = due.AddDate(0, 0, 1)
			if c.IsWorkingDay(due) {
				n++
			}
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
		for n := 0; n < s.N; {
			at = at.AddDate(0, 0, -1)
			if c.IsWorkingDay(at) {
				n++
			}
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
