package server

import (
	"context"
	"fmt"
	"html/template"
	"net/url"
	"strings"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
)

// StaffFigures is one owner's month (issue 13: figures per staff member): the customers
// they hold who were first consulted, and who signed, in the month.
type StaffFigures struct {
	OwnerID       string         `json:"owner_id"`
	OwnerName     string         `json:"owner_name"`
	StoreID       string         `json:"store_id"`
	Consultations int            `json:"consultations"`
	Contracts     int            `json:"contracts"`
	Rate          renoflow.Ratio `json:"rate"`
}

// reportStaff counts each owner's customers consulted and signed in the period.
func (s *Server) reportStaff(ctx context.Context, p renoflow.ReportPeriod, ids []string) ([]StaffFigures, error) {
	owners, err := postgres.ReportOwners(ctx, s.db, ids, p.Start, p.End)
	if err != nil {
		return nil, err
	}
	var rows []StaffFigures
	if owners != nil {
		rows = make([]StaffFigures, 0, len(owners))
	}
	for _, o := range owners {
		rows = append(rows, StaffFigures{OwnerID: o.OwnerID, OwnerName: o.OwnerName, StoreID: o.StoreID,
			Consultations: o.Consultations, Contracts: o.Contracts})
	}
	for i := range rows {
		rows[i].Rate = renoflow.Ratio{Num: rows[i].Contracts, Den: rows[i].Consultations}
	}
	return rows, nil
}

// drill is the customer-list link behind a report count: the store (unless all), the
// month the count is about (consulted= or signed=), and the extra filters.
func drill(store, kind, month string, extra ...string) template.URL {
	v := url.Values{}
	if store != "" && store != reportAll {
		v.Set("store", store)
	}
	v.Set(kind, month)
	v.Set("invalid", "1")
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return template.URL("/customers?" + v.Encode())
}

// trendMonths is how many months the success-rate chart shows.
const trendMonths = 6

// TrendPoint is one month of the chart.
type TrendPoint struct {
	Month string
	Rate  renoflow.Ratio
}

// successTrend computes the success rate (签约 ÷ 征询总人数) of the trendMonths months up
// to the report's, for the same stores.
func (s *Server) successTrend(ctx context.Context, actor renoflow.Actor, rep *MonthlyReport) ([]TrendPoint, error) {
	out := make([]TrendPoint, trendMonths)
	start := rep.Period.Start.In(renoflow.Zone)
	for i := range trendMonths {
		m := start.AddDate(0, -(trendMonths - 1 - i), 0).Format("2006-01")
		r := rep
		if m != rep.Month {
			var err error
			if r, err = s.monthlyReport(ctx, actor, m, rep.Store); err != nil {
				return nil, err
			}
		}
		sec := r.Total
		if sec == nil && len(r.Stores) > 0 {
			sec = r.Stores[0]
		}
		out[i] = TrendPoint{Month: m}
		if sec != nil {
			out[i].Rate = sec.SuccessRate
		}
	}
	return out, nil
}

// trendSVG draws the months' success rates as a server-rendered SVG line chart (no
// script: the CSP allows none inline), a point and a label per month; a month without
// consultations is a gap.
func trendSVG(points []TrendPoint) template.HTML {
	const w, h, left, top, bottom = 560, 200, 40, 20, 30
	maxPct := 0.0
	for _, p := range points {
		if p.Rate.Den > 0 {
			maxPct = max(maxPct, float64(p.Rate.Num)/float64(p.Rate.Den)*100)
		}
	}
	scale := 100.0
	if maxPct < 50 {
		scale = 50
	}
	if maxPct <= 20 {
		scale = 20
	}
	step := float64(w-left-40) / float64(max(len(points)-1, 1))
	x := func(i int) float64 { return float64(left) + step*float64(i) }
	y := func(pct float64) float64 { return float64(top) + (1-pct/scale)*float64(h-top-bottom) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="trend-chart" class="chart" viewBox="0 0 %d %d" role="img" aria-label="近%d个月成功率走势" xmlns="http://www.w3.org/2000/svg">`, w, h, len(points))
	for _, g := range []float64{0, scale / 2, scale} {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e4e7ec"/><text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#667085">%g%%</text>`,
			left, w-10, y(g), y(g), left-4, y(g)+4, g)
	}
	var line []string
	for i, p := range points {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#667085">%s</text>`, x(i), h-8, template.HTMLEscapeString(p.Month))
		if p.Rate.Den == 0 {
			if len(line) > 1 {
				fmt.Fprintf(&b, `<polyline fill="none" stroke="#1a56db" stroke-width="2" points="%s"/>`, strings.Join(line, " "))
			}
			line = nil
			continue
		}
		pct := float64(p.Rate.Num) / float64(p.Rate.Den) * 100
		line = append(line, fmt.Sprintf("%.1f,%.1f", x(i), y(pct)))
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="#1a56db" data-month="%s"><title>%s：%s（%d/%d）</title></circle>`,
			x(i), y(pct), p.Month, p.Month, p.Rate.Percent(), p.Rate.Num, p.Rate.Den)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle" fill="#101828">%s</text>`, x(i), y(pct)-8, p.Rate.Percent())
	}
	if len(line) > 1 {
		fmt.Fprintf(&b, `<polyline fill="none" stroke="#1a56db" stroke-width="2" points="%s"/>`, strings.Join(line, " "))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// reportExtras is what the report page shows besides the report (issue 13): figures per
// staff member, the success-rate trend as SVG, and the drill-down link maker.
func (s *Server) reportExtras(ctx context.Context, actor renoflow.Actor, rep *MonthlyReport) (map[string]any, error) {
	ids := make([]string, 0, len(rep.Stores))
	for _, sr := range rep.Stores {
		ids = append(ids, sr.StoreID)
	}
	staff, err := s.reportStaff(ctx, rep.Period, ids)
	if err != nil {
		return nil, err
	}
	trend, err := s.successTrend(ctx, actor, rep)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Staff": staff, "Trend": trendSVG(trend), "Drill": drill}, nil
}
