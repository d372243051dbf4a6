package renoflow

import (
	"fmt"
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
	case r == RuleDepositVisit, r == RuleContractVisit, r == RuleInspectionVisit, r == RuleWeeklyCheck:
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
		if !InInputRange(t) {
			return ReportPeriod{}, &Error{Code: CodeInvalid, Message: "报表月份有误",
				Fields: []FieldError{{Field: "month", Message: fmt.Sprintf("月份须在%s到%s之间",
					MinInputDate.Format("2006-01"), MaxInputDate.Format("2006-01"))}}}
		}
		start = t
	}
	return ReportPeriod{Month: start.Format("2006-01"), Start: start, End: start.AddDate(0, 1, 0),
		YearStart: time.Date(start.Year(), time.January, 1, 0, 0, 0, 0, Zone)}, nil
}

// StoreVisitKinds are the timeline kinds that record the customer at the store: a visit,
// a claim out of the public pool by bringing the customer in, and the visit that kept a
// filing's claim (also written when a customer is filed at the store). The report's store
// consultations are read from them (seed 000 第三章 三 2A).
var StoreVisitKinds = []string{"visit", "pool_claim", "claim_kept"}

// ReportFacts are what the monthly report needs of one customer: the source channel, the
// first consultation (ConsultVisit or ConsultPhone, and when), the first time the
// customer came to the store (zero: never), and when the contract was signed (zero: not).
type ReportFacts struct {
	Channel        Channel
	FirstConsult   Consultation
	FirstConsultAt time.Time
	FirstVisitAt   time.Time
	ContractAt     time.Time
}

// ReportCounts are the counts of one period from which every rate of the report is
// derived (seed 000 第三章 三 2 数据记录, SPEC.md "Reports").
type ReportCounts struct {
	// StoreConsultations (店面征询人数): every customer who came to the store, first in the
	// period — whatever the house and whatever the first contact; a customer who phoned
	// first and visited later counts when they visit.
	StoreConsultations int `json:"store_consultations"`
	// PhoneEnquiries (电话征询人数): every customer whose first consultation was a phone
	// enquiry in the period.
	PhoneEnquiries int `json:"phone_enquiries"`
	// Consultations (征询总人数): every customer first consulted in the period, at the
	// store or by phone, once.
	Consultations int `json:"consultations"`
	// Contracts (签单总数): every customer signed in the period.
	Contracts int `json:"contracts"`
	// PhoneContracts (电话约见签单数): customers signed in the period whose first
	// consultation was a phone enquiry.
	PhoneContracts int `json:"phone_contracts"`
	// AdvisorConsultations (家装顾问引入征询人数): advisor-referred customers first
	// consulted in the period.
	AdvisorConsultations int `json:"advisor_consultations"`
	// AdvisorContracts (家装顾问签单数): advisor-referred customers signed in the period.
	AdvisorContracts int `json:"advisor_contracts"`
}

// in reports whether t falls in [from, to).
func in(t, from, to time.Time) bool { return !t.IsZero() && !t.Before(from) && t.Before(to) }

// Count adds one customer's facts to the counts of the period [from, to).
func (rc *ReportCounts) Count(f ReportFacts, from, to time.Time) {
	consulted := in(f.FirstConsultAt, from, to)
	signed := in(f.ContractAt, from, to)
	visitAt := f.FirstVisitAt
	if visitAt.IsZero() && f.FirstConsult == ConsultVisit {
		visitAt = f.FirstConsultAt
	}
	if in(visitAt, from, to) {
		rc.StoreConsultations++
	}
	if consulted {
		rc.Consultations++
		if f.FirstConsult == ConsultPhone {
			rc.PhoneEnquiries++
		}
	}
	if signed {
		rc.Contracts++
		if f.FirstConsult == ConsultPhone {
			rc.PhoneContracts++
		}
	}
	if f.Channel == ChannelAdvisor {
		if consulted {
			rc.AdvisorConsultations++
		}
		if signed {
			rc.AdvisorContracts++
		}
	}
}

// Add adds other's counts (several stores' total).
func (rc *ReportCounts) Add(o ReportCounts) {
	rc.StoreConsultations += o.StoreConsultations
	rc.PhoneEnquiries += o.PhoneEnquiries
	rc.Consultations += o.Consultations
	rc.Contracts += o.Contracts
	rc.PhoneContracts += o.PhoneContracts
	rc.AdvisorConsultations += o.AdvisorConsultations
	rc.AdvisorContracts += o.AdvisorContracts
}

// StoreSuccessRate is 当月成功率 = 当月签单总数 / 当月到店面征询总数 (seed 000): contracts
// over store consultations.
func (rc ReportCounts) StoreSuccessRate() Ratio {
	return Ratio{Num: rc.Contracts, Den: rc.StoreConsultations}
}

// PhoneSuccessRate is 电话成功率 = 当月电话约见签单总数 / 当月电话征询总数 (seed 000).
func (rc ReportCounts) PhoneSuccessRate() Ratio {
	return Ratio{Num: rc.PhoneContracts, Den: rc.PhoneEnquiries}
}

// SuccessRate is 成功率 over every consultation; counted over the year to date it is
// 全年成功率 = 当年签单总个数 / 当年征询总人数 (seed 000).
func (rc ReportCounts) SuccessRate() Ratio {
	return Ratio{Num: rc.Contracts, Den: rc.Consultations}
}

// AdvisorSuccessRate is 家装顾问成功率 = 当月家装顾问签单总数 / 家装顾问引入征询总人数 (seed 000).
func (rc ReportCounts) AdvisorSuccessRate() Ratio {
	return Ratio{Num: rc.AdvisorContracts, Den: rc.AdvisorConsultations}
}
