package renoflow

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCalendarCoverage(t *testing.T) {
	cal := DefaultCalendar()
	if got := cal.Years(); !reflect.DeepEqual(got, []int{2025, 2026}) {
		t.Fatalf("Years = %v, want [2025 2026]", got)
	}
	end, ok := cal.CoverageEnd()
	if !ok || !end.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, Zone)) {
		t.Fatalf("CoverageEnd = %v, %v", end, ok)
	}
	if !cal.Covers(at("2026-12-31 23:59")) || cal.Covers(at("2027-01-01 00:00")) {
		t.Fatal("Covers is wrong around the end of coverage")
	}
	var plain Calendar
	if _, ok := plain.CoverageEnd(); ok || !plain.Covers(at("2030-01-01 00:00")) {
		t.Fatal("the plain Monday–Friday calendar covers every year")
	}
}

// A working-day span that crosses the end of coverage counts the uncovered days as calendar
// days and says so; the old calendar silently counted 1 January 2027 as a working day
// (and skipped the weekend), giving Monday 4 January.
func TestCalendarAddPastCoverageFallsBack(t *testing.T) {
	tests := []struct {
		name     string
		start    string
		span     string
		want     string
		fallback bool
	}{
		{"inside coverage", "2026-12-28 10:00", "3wd", "2026-12-31 10:00", false},
		{"crosses the end", "2026-12-30 10:00", "3wd", "2027-01-02 10:00", true},
		{"wholly past", "2027-03-05 10:00", "2wd", "2027-03-07 10:00", true},
		{"calendar days unaffected", "2026-12-30 10:00", "3d", "2027-01-02 10:00", false},
	}
	for _, tt := range tests {
		cal := DefaultCalendar()
		got := cal.Add(at(tt.start), MustSpan(tt.span)).In(Zone).Format(TimeLayout)
		if got != tt.want {
			t.Errorf("%s: Add(%s, %s) = %s, want %s", tt.name, tt.start, tt.span, got, tt.want)
		}
		notes := cal.TakeFallbacks()
		if (len(notes) > 0) != tt.fallback {
			t.Errorf("%s: fallback notes %q, want fallback=%v", tt.name, notes, tt.fallback)
		}
		if tt.fallback && !strings.Contains(notes[0], "2026-12-31") {
			t.Errorf("%s: note %q does not name the last covered day", tt.name, notes[0])
		}
		if len(cal.TakeFallbacks()) != 0 {
			t.Errorf("%s: TakeFallbacks does not forget", tt.name)
		}
	}
	cal := DefaultCalendar()
	if got := cal.Sub(at("2027-01-04 10:00"), MustSpan("2wd")).In(Zone).Format(TimeLayout); got != "2027-01-02 10:00" || len(cal.TakeFallbacks()) != 1 {
		t.Errorf("Sub past coverage = %s", got)
	}
}

// A deadline counted past the calendar's end leaves a timeline entry on the customer.
func TestCustomerTimelineNotesCalendarFallback(t *testing.T) {
	env := testEnv(at("2026-12-30 10:00"))
	env.Policy.VerifyWithin = MustSpan("3wd")
	_, eff := NewCustomer(env, "c1", Record{Name: "王", StoreID: "s1", Channel: ChannelWalkIn}, Actor{ID: "cm1", Role: RoleCustomerManager}, "")
	var found bool
	for _, e := range eff.Timeline {
		if e.Kind == "calendar_fallback" {
			found = strings.Contains(e.Summary, "按自然日计算")
		}
	}
	if !found {
		t.Fatalf("no calendar_fallback entry in %+v", eff.Timeline)
	}
	// Adopt drains what a transition's spans noted.
	c := Customer{ID: "c2", Stage: StageAfterSales}
	env2 := testEnv(at("2026-12-31 10:00"))
	env2.Key = ""
	env2.Add(env2.Now, MustSpan("2wd"))
	eff = c.Adopt(env2)
	if len(eff.Timeline) != 1 || eff.Timeline[0].Kind != "calendar_fallback" || eff.Timeline[0].Key == "" {
		t.Fatalf("Adopt timeline = %+v", eff.Timeline)
	}
}

func TestCalendarCoverageWarning(t *testing.T) {
	cal := DefaultCalendar()
	warn := MustSpan("60d")
	tests := []struct {
		now  string
		want string // substring; "" = no warning
	}{
		{"2026-10-01 09:00", ""},
		{"2026-11-01 23:59", ""},
		{"2026-11-02 00:00", "还剩60天"},
		{"2026-12-31 12:00", "还剩1天"},
		{"2027-01-01 00:00", "按自然日计算；请导入2027年日历"},
	}
	for _, tt := range tests {
		got := cal.CoverageWarning(at(tt.now), warn)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("CoverageWarning(%s) = %q, want %q", tt.now, got, tt.want)
		}
	}
	var plain Calendar
	if got := plain.CoverageWarning(at("2030-01-01 00:00"), warn); got != "" {
		t.Errorf("plain calendar warns %q", got)
	}
}

func TestImportCalendarYears(t *testing.T) {
	cur := []CalendarDay{{Date: "2025-01-01", Kind: DayHoliday}, {Date: "2026-01-01", Kind: DayHoliday}, {Date: "2026-10-01", Kind: DayHoliday}}
	imp := []CalendarDay{{Date: "2027-01-01", Kind: DayHoliday, Name: "元旦"}, {Date: "2026-02-14", Kind: DayWorkday}}
	got := ImportCalendarYears(cur, imp)
	want := []CalendarDay{{Date: "2025-01-01", Kind: DayHoliday}, {Date: "2026-02-14", Kind: DayWorkday}, {Date: "2027-01-01", Kind: DayHoliday, Name: "元旦"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ImportCalendarYears = %+v, want %+v", got, want)
	}
	cal := Calendar{Days: got}
	if end, _ := cal.CoverageEnd(); end.Year() != 2028 {
		t.Fatalf("coverage after import ends %v", end)
	}
}
