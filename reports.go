package renoflow

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Ratio is a count over a count, as the monthly report's success rates are (SPEC.md
// "Reports": contracts signed over consultations). A ratio over zero has no value: the
// report shows "—" and the JSON API null, never a made-up 0%.
type Ratio struct {
	Num int // e.g. contracts signed
	Den int // e.g. consultations
}

// Rate returns Num/Den rounded to four decimals, and false when Den is zero.
func (r Ratio) Rate() (float64, bool) {
	if r.Den == 0 {
		return 0, false
	}
	return math.Round(float64(r.Num)/float64(r.Den)*1e4) / 1e4, true
}

// Percent writes the rate as a percentage with at most one decimal ("33.3%"), or "—"
// when Den is zero.
func (r Ratio) Percent() string {
	if r.Den == 0 {
		return "—"
	}
	pct := math.Round(float64(r.Num)/float64(r.Den)*1000) / 10
	return strconv.FormatFloat(pct, 'f', -1, 64) + "%"
}

// MarshalJSON writes the rate as a number between 0 and 1 (more when more contracts
// than consultations fell in the period), or null when Den is zero.
func (r Ratio) MarshalJSON() ([]byte, error) {
	v, ok := r.Rate()
	if !ok {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'f', -1, 64), nil
}

// ScorecardScore is a customer manager's follow-up item on the monthly scorecard: the
// policy's ScorecardPoints less the points lost for missing follow-ups, never below zero
// (SPEC.md step 4: each missing follow-up costs a point out of 30).
func ScorecardScore(p Policy, pointsLost int) int {
	score := p.ScorecardPoints - max(pointsLost, 0)
	return max(score, 0)
}

// OverdueKind is a group of the monthly report's overdue counts (SPEC.md "Reports":
// overdue call-backs, visits and complaints).
type OverdueKind string

// The overdue groups of the report.
const (
	OverdueCallbacks  OverdueKind = "callbacks"  // first call-backs (首谈回访)
	OverdueVisits     OverdueKind = "visits"     // return visits, after-sales visits and the weekly construction check
	OverdueComplaints OverdueKind = "complaints" // complaint answers and resolutions
	OverdueOther      OverdueKind = "other"      // everything else (verification, dispatch, follow-ups, notices ...)
)

// OverdueKindOf says in which group of the report an overdue task of rule r counts:
// call-backs; visits (post-deposit and inspection return visits, every after-sales visit
// but the notice to the customer, the weekly construction check); complaints; other.
func OverdueKindOf(r Rule) OverdueKind {
	switch {
	case r == RuleFirstCallback:
		return OverdueCallbacks
	case r == RuleDepositVisit, r == RuleInspectionVisit, r == RuleWeeklyCheck:
		return OverdueVisits
	case r == RuleAfterSalesNotice:
		return OverdueOther
	case strings.HasPrefix(string(r), "aftersales."):
		return OverdueVisits
	case strings.HasPrefix(string(r), "complaint."):
		return OverdueComplaints
	}
	return OverdueOther
}

// ReportPeriod is the month a report covers, in the company zone, and the year to date
// up to the month's end.
type ReportPeriod struct {
	Month     string    `json:"month"`      // YYYY-MM
	Start     time.Time `json:"start"`      // the month's first instant
	End       time.Time `json:"end"`        // the next month's first instant (exclusive)
	YearStart time.Time `json:"year_start"` // 1 January of the month's year
}

// ReportMonth reads the month a report asks for, "YYYY-MM"; an empty month is the
// company month of now (Asia/Shanghai). A malformed month is an invalid "month" field.
func ReportMonth(month string, now time.Time) (ReportPeriod, error) {
	var start time.Time
	if month = strings.TrimSpace(month); month == "" {
		l := now.In(Zone)
		start = time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, Zone)
	} else {
		t, err := time.ParseInLocation("2006-01", month, Zone)
		if err != nil {
			return ReportPeriod{}, &Error{Code: CodeInvalid, Message: "报表月份有误",
				Fields: []FieldError{{Field: "month", Message: "格式须为 YYYY-MM（如 2026-11）"}}}
		}
		start = t
	}
	return ReportPeriod{Month: start.Format("2006-01"), Start: start, End: start.AddDate(0, 1, 0),
		YearStart: time.Date(start.Year(), time.January, 1, 0, 0, 0, 0, Zone)}, nil
}
