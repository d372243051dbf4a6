package renoflow

import (
	"testing"
)

// november is the report period of the ratio tables.
var novFrom, novTo = at("2026-11-01 00:00"), at("2026-12-01 00:00")

// counted counts facts over November.
func counted(facts ...ReportFacts) ReportCounts {
	var rc ReportCounts
	for _, f := range facts {
		rc.Count(f, novFrom, novTo)
	}
	return rc
}

var (
	// A customer who walked in and signed in November.
	walkInSigned = ReportFacts{Channel: ChannelWalkIn, FirstConsult: ConsultVisit, FirstConsultAt: at("2026-11-03 10:00"), ContractAt: at("2026-11-20 10:00")}
	// A customer who phoned in October, came to the store in November and signed.
	phonedThenVisited = ReportFacts{Channel: ChannelPhone, FirstConsult: ConsultPhone, FirstConsultAt: at("2026-10-28 10:00"),
		FirstVisitAt: at("2026-11-02 10:00"), ContractAt: at("2026-11-25 10:00")}
	// A customer who phoned in November and never came.
	phonedOnly = ReportFacts{Channel: ChannelOnline, FirstConsult: ConsultPhone, FirstConsultAt: at("2026-11-05 10:00")}
	// An advisor's customer who came in November, not signed.
	advisorVisit = ReportFacts{Channel: ChannelAdvisor, FirstConsult: ConsultVisit, FirstConsultAt: at("2026-11-10 10:00"), FirstVisitAt: at("2026-11-10 10:00")}
	// An advisor's customer consulted in October, signed in November.
	advisorSigned = ReportFacts{Channel: ChannelAdvisor, FirstConsult: ConsultVisit, FirstConsultAt: at("2026-10-10 10:00"), ContractAt: at("2026-11-11 10:00")}
	// A customer who came on 1 December (next month) and one filed, never consulted.
	december = ReportFacts{Channel: ChannelWalkIn, FirstConsult: ConsultVisit, FirstConsultAt: at("2026-12-01 00:10")}
	never    = ReportFacts{Channel: ChannelMedia}
)

// 店面征询人数：所有到店面的客户 — whatever the first contact (seed 000 第三章 三 2A).
func TestReportStoreConsultations(t *testing.T) {
	tests := []struct {
		name  string
		facts []ReportFacts
		want  int
	}{
		{"walk-in", []ReportFacts{walkInSigned}, 1},
		{"phoned in October, came in November", []ReportFacts{phonedThenVisited}, 1},
		{"phoned only", []ReportFacts{phonedOnly}, 0},
		{"came next month", []ReportFacts{december}, 0},
		{"never consulted", []ReportFacts{never}, 0},
		{"first visit from the consultation when no visit time is recorded", []ReportFacts{{FirstConsult: ConsultVisit, FirstConsultAt: at("2026-11-30 23:30")}}, 1},
		{"all", []ReportFacts{walkInSigned, phonedThenVisited, phonedOnly, advisorVisit, advisorSigned, december, never}, 3},
	}
	for _, tt := range tests {
		if got := counted(tt.facts...).StoreConsultations; got != tt.want {
			t.Errorf("%s: store consultations %d, want %d", tt.name, got, tt.want)
		}
	}
}

// 当月成功率 = 当月签单总数 / 当月到店面征询总数. A customer who phoned first and then
// visited is a store consultation, so the rate no longer exceeds 100% for that reason.
func TestReportStoreSuccessRate(t *testing.T) {
	tests := []struct {
		name     string
		facts    []ReportFacts
		num, den int
	}{
		{"walk-in signed", []ReportFacts{walkInSigned}, 1, 1},
		{"phoned, visited, signed", []ReportFacts{phonedThenVisited}, 1, 1},
		{"signed this month, consulted last month", []ReportFacts{advisorSigned}, 1, 0},
		{"nothing", nil, 0, 0},
		{"month", []ReportFacts{walkInSigned, phonedThenVisited, phonedOnly, advisorVisit, december}, 2, 3},
	}
	for _, tt := range tests {
		if got := counted(tt.facts...).StoreSuccessRate(); got != (Ratio{tt.num, tt.den}) {
			t.Errorf("%s: store success rate %+v, want %d/%d", tt.name, got, tt.num, tt.den)
		}
	}
}

// 电话成功率 = 当月电话约见签单总数 / 当月电话征询总数 (电话征询：所有初次电话征询的客户).
func TestReportPhoneSuccessRate(t *testing.T) {
	tests := []struct {
		name     string
		facts    []ReportFacts
		num, den int
	}{
		{"phoned, not signed", []ReportFacts{phonedOnly}, 0, 1},
		{"phoned in October, signed in November", []ReportFacts{phonedThenVisited}, 1, 0},
		{"walk-in is no phone enquiry", []ReportFacts{walkInSigned}, 0, 0},
		{"month", []ReportFacts{phonedOnly, phonedThenVisited, walkInSigned}, 1, 1},
	}
	for _, tt := range tests {
		if got := counted(tt.facts...).PhoneSuccessRate(); got != (Ratio{tt.num, tt.den}) {
			t.Errorf("%s: phone success rate %+v, want %d/%d", tt.name, got, tt.num, tt.den)
		}
	}
}

// 全年成功率 = 当年签单总个数 / 当年征询总人数: every consultation, store or phone, once.
func TestReportYearSuccessRate(t *testing.T) {
	year := func(facts ...ReportFacts) Ratio {
		var rc ReportCounts
		for _, f := range facts {
			rc.Count(f, at("2026-01-01 00:00"), novTo)
		}
		return rc.SuccessRate()
	}
	tests := []struct {
		name     string
		facts    []ReportFacts
		num, den int
	}{
		{"phoned then visited counts once", []ReportFacts{phonedThenVisited}, 1, 1},
		{"year to date", []ReportFacts{walkInSigned, phonedThenVisited, phonedOnly, advisorVisit, advisorSigned, december, never}, 3, 5},
		{"nothing", nil, 0, 0},
	}
	for _, tt := range tests {
		if got := year(tt.facts...); got != (Ratio{tt.num, tt.den}) {
			t.Errorf("%s: year success rate %+v, want %d/%d", tt.name, got, tt.num, tt.den)
		}
	}
}

// 家装顾问成功率 = 当月家装顾问签单总数 / 家装顾问引入征询总人数.
func TestReportAdvisorSuccessRate(t *testing.T) {
	tests := []struct {
		name     string
		facts    []ReportFacts
		num, den int
	}{
		{"advisor visit", []ReportFacts{advisorVisit}, 0, 1},
		{"advisor signed, consulted last month", []ReportFacts{advisorSigned}, 1, 0},
		{"other channels do not count", []ReportFacts{walkInSigned, phonedOnly}, 0, 0},
		{"month", []ReportFacts{advisorVisit, advisorSigned, walkInSigned}, 1, 1},
	}
	for _, tt := range tests {
		if got := counted(tt.facts...).AdvisorSuccessRate(); got != (Ratio{tt.num, tt.den}) {
			t.Errorf("%s: advisor success rate %+v, want %d/%d", tt.name, got, tt.num, tt.den)
		}
	}
}
