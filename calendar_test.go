package renoflow

import (
	"strings"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, Zone)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseSpan(t *testing.T) {
	good := map[string]Span{"2h": {2, UnitHour}, "7d": {7, UnitDay}, "3wd": {3, UnitWorkingDay}, "6mo": {6, UnitMonth},
		"2y": {2, UnitYear}, "30s": {30, UnitSecond}, "15min": {15, UnitMinute}, "1w": {1, UnitWeek}, " 0d ": {0, UnitDay}}
	for in, want := range good {
		got, err := ParseSpan(in)
		if err != nil || got != want {
			t.Errorf("ParseSpan(%q) = %v, %v; want %v", in, got, err, want)
		}
		if again, _ := ParseSpan(got.String()); again != got {
			t.Errorf("round trip of %q failed", in)
		}
	}
	for _, in := range []string{"", "h", "2", "2 hours", "-1d", "1.5h", "99999999999d"} {
		if _, err := ParseSpan(in); err == nil {
			t.Errorf("ParseSpan(%q) accepted", in)
		}
	}
	if got := MustSpan("3wd").Label(); got != "3个工作日" {
		t.Errorf("Label = %q", got)
	}
}

func TestCalendarAdd(t *testing.T) {
	cal := DefaultCalendar()
	tests := []struct {
		name  string
		start string
		span  string
		want  string
	}{
		{"hours", "2026-01-30 23:00", "2h", "2026-01-31 01:00"},
		{"calendar days across a weekend", "2026-01-30 15:00", "2d", "2026-02-01 15:00"},
		{"working days skip the weekend", "2026-01-30 15:00", "2wd", "2026-02-03 15:00"},
		{"start on a Saturday counts from Monday", "2026-01-31 10:00", "1wd", "2026-02-02 10:00"},
		// 2026 Spring Festival: holidays 15–23 Feb, make-up working days Sat 14 Feb and Sat 28 Feb.
		{"make-up Saturday counts", "2026-02-13 09:00", "1wd", "2026-02-14 09:00"},
		{"across the Spring Festival", "2026-02-14 09:00", "1wd", "2026-02-24 09:00"},
		{"National Day 2025", "2025-09-30 18:00", "1wd", "2025-10-09 18:00"},
		{"month clamps to its end", "2026-08-31 10:00", "6mo", "2027-02-28 10:00"},
		{"year", "2024-02-29 10:00", "1y", "2025-02-28 10:00"},
		{"week", "2026-11-25 10:00", "1w", "2026-12-02 10:00"},
		{"zero", "2026-11-25 10:00", "0d", "2026-11-25 10:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cal.Add(at(tt.start), MustSpan(tt.span))
			if !got.Equal(at(tt.want)) {
				t.Fatalf("Add(%s, %s) = %s, want %s", tt.start, tt.span, got.In(Zone).Format("2006-01-02 15:04 Mon"), tt.want)
			}
		})
	}
}

func TestCalendarSub(t *testing.T) {
	cal := DefaultCalendar()
	tests := []struct{ end, span, want string }{
		{"2026-02-08 10:00", "1d", "2026-02-07 10:00"},
		{"2026-02-24 09:00", "1wd", "2026-02-14 09:00"},
		{"2027-02-28 10:00", "1w", "2027-02-21 10:00"},
		{"2026-03-31 10:00", "1mo", "2026-02-28 10:00"},
	}
	for _, tt := range tests {
		if got := cal.Sub(at(tt.end), MustSpan(tt.span)); !got.Equal(at(tt.want)) {
			t.Errorf("Sub(%s, %s) = %s, want %s", tt.end, tt.span, got.In(Zone), tt.want)
		}
	}
}

func TestIsWorkingDay(t *testing.T) {
	cal := DefaultCalendar()
	for day, want := range map[string]bool{
		"2026-10-01 10:00": false, // National Day
		"2026-09-20 10:00": true,  // Sunday make-up working day
		"2026-11-25 10:00": true,  // ordinary Wednesday
		"2026-11-28 10:00": false, // ordinary Saturday
	} {
		if got := cal.IsWorkingDay(at(day)); got != want {
			t.Errorf("IsWorkingDay(%s) = %v, want %v", day, got, want)
		}
	}
}

func TestParseCalendarCSVErrors(t *testing.T) {
	for _, in := range []string{"2026-13-01,holiday,x\n", "2026-01-01,party,x\n", "2026-01-01,holiday,a\n2026-01-01,holiday,b\n"} {
		if _, err := ParseCalendarCSV(strings.NewReader(in)); err == nil {
			t.Errorf("accepted %q", in)
		}
	}
}
