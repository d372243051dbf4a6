package renoflow

import (
	"encoding/json"
	"testing"
	"time"
)

func TestRatio(t *testing.T) {
	tests := []struct {
		name    string
		r       Ratio
		rate    float64
		ok      bool
		percent string
		json    string
	}{
		{"nothing over nothing is no rate", Ratio{0, 0}, 0, false, "—", "null"},
		{"contracts without consultations is no rate", Ratio{3, 0}, 0, false, "—", "null"},
		{"none signed", Ratio{0, 4}, 0, true, "0%", "0"},
		{"half", Ratio{1, 2}, 0.5, true, "50%", "0.5"},
		{"a third rounds", Ratio{1, 3}, 0.3333, true, "33.3%", "0.3333"},
		{"two thirds rounds up", Ratio{2, 3}, 0.6667, true, "66.7%", "0.6667"},
		{"all", Ratio{7, 7}, 1, true, "100%", "1"},
		{"more signed than consulted this month", Ratio{3, 2}, 1.5, true, "150%", "1.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rate, ok := tt.r.Rate()
			if rate != tt.rate || ok != tt.ok {
				t.Errorf("Rate() = %v, %v; want %v, %v", rate, ok, tt.rate, tt.ok)
			}
			if got := tt.r.Percent(); got != tt.percent {
				t.Errorf("Percent() = %q; want %q", got, tt.percent)
			}
			b, err := json.Marshal(struct {
				R Ratio `json:"r"`
			}{tt.r})
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"r":` + tt.json + `}`; string(b) != want {
				t.Errorf("JSON = %s; want %s", b, want)
			}
		})
	}
}

func TestScorecardScore(t *testing.T) {
	p := DefaultPolicy()
	tests := []struct {
		name   string
		points int // policy points; 0 keeps the default 30
		lost   int
		want   int
	}{
		{"no follow-up missed", 0, 0, 30},
		{"one point a missed follow-up", 0, 3, 27},
		{"all lost", 0, 30, 0},
		{"never below zero", 0, 45, 0},
		{"a negative loss is no gain", 0, -2, 30},
		{"the policy in force sets the full score", 20, 5, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pp := p
			if tt.points != 0 {
				pp.ScorecardPoints = tt.points
			}
			if got := ScorecardScore(pp, tt.lost); got != tt.want {
				t.Errorf("ScorecardScore(%d, %d) = %d; want %d", pp.ScorecardPoints, tt.lost, got, tt.want)
			}
		})
	}
}

func TestOverdueKindOf(t *testing.T) {
	tests := []struct {
		rule Rule
		want OverdueKind
	}{
		{RuleFirstCallback, OverdueCallbacks},
		{RuleDepositVisit, OverdueVisits},
		{RuleInspectionVisit, OverdueVisits},
		{RuleWeeklyCheck, OverdueVisits},
		{RuleAfterSalesVisit, OverdueVisits},
		{RuleLivingExperience, OverdueVisits},
		{RuleHouseCheck, OverdueVisits},
		{RuleAfterSalesNotice, OverdueOther}, // a notice to the customer is not a visit
		{RuleComplaintAnswer, OverdueComplaints},
		{RuleComplaintResolve, OverdueComplaints},
		{RuleVerify, OverdueOther},
		{RuleFollowUp, OverdueOther},
		{RuleDispatchConfirm, OverdueOther},
		{RuleDispute, OverdueOther},
		{Rule("unknown"), OverdueOther},
	}
	for _, tt := range tests {
		if got := OverdueKindOf(tt.rule); got != tt.want {
			t.Errorf("OverdueKindOf(%s) = %s; want %s", tt.rule, got, tt.want)
		}
	}
}

func TestReportMonth(t *testing.T) {
	// 2026-11-30 17:00 UTC is already 1 December in Shanghai.
	lateNovemberUTC := time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		month     string
		now       time.Time
		want      string
		start     time.Time
		end       time.Time
		yearStart time.Time
		bad       bool
	}{
		{"the company month of now", "", lateNovemberUTC, "2026-12",
			time.Date(2026, 12, 1, 0, 0, 0, 0, Zone), time.Date(2027, 1, 1, 0, 0, 0, 0, Zone), time.Date(2026, 1, 1, 0, 0, 0, 0, Zone), false},
		{"a named month", "2026-02", lateNovemberUTC, "2026-02",
			time.Date(2026, 2, 1, 0, 0, 0, 0, Zone), time.Date(2026, 3, 1, 0, 0, 0, 0, Zone), time.Date(2026, 1, 1, 0, 0, 0, 0, Zone), false},
		{"spaces are trimmed", " 2027-01 ", lateNovemberUTC, "2027-01",
			time.Date(2027, 1, 1, 0, 0, 0, 0, Zone), time.Date(2027, 2, 1, 0, 0, 0, 0, Zone), time.Date(2027, 1, 1, 0, 0, 0, 0, Zone), false},
		{"not a month", "2026-13", lateNovemberUTC, "", time.Time{}, time.Time{}, time.Time{}, true},
		{"a day is not a month", "2026-11-01", lateNovemberUTC, "", time.Time{}, time.Time{}, time.Time{}, true},
		{"words", "last", lateNovemberUTC, "", time.Time{}, time.Time{}, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReportMonth(tt.month, tt.now)
			if tt.bad {
				if ErrorCodeOf(err) != CodeInvalid || err.(*Error).Fields[0].Field != "month" {
					t.Fatalf("err = %v; want an invalid month", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Month != tt.want || !got.Start.Equal(tt.start) || !got.End.Equal(tt.end) || !got.YearStart.Equal(tt.yearStart) {
				t.Errorf("ReportMonth(%q) = %+v; want %s [%s, %s) from %s", tt.month, got, tt.want, tt.start, tt.end, tt.yearStart)
			}
		})
	}
}
