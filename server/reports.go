package server

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
)

// reportAll is the store parameter that asks for every store the actor may see.
const reportAll = "all"

// ReportFigures are the consultation and contract counts of one period and the success
// rates they give. The counts and every rate are defined once, in the domain
// (renoflow.ReportCounts, seed 000 第三章 三 2 数据记录 and SPEC.md "Reports"): store
// consultations count every customer who came to the store, whatever the house and the
// first contact; phone enquiries every first consultation by phone; contracts every
// customer signed in the period.
type ReportFigures struct {
	renoflow.ReportCounts

	// StoreSuccessRate is contracts over store consultations (当月成功率 / 店面成功率).
	StoreSuccessRate renoflow.Ratio `json:"store_success_rate"`
	// PhoneSuccessRate is phone-enquiry contracts over phone enquiries (电话成功率).
	PhoneSuccessRate renoflow.Ratio `json:"phone_success_rate"`
	// AdvisorSuccessRate is advisor-referred contracts over advisor-referred consultations (顾问成功率).
	AdvisorSuccessRate renoflow.Ratio `json:"advisor_success_rate"`
	// SuccessRate is contracts over every consultation; for the year to date it is
	// 全年成功率 (当年签单总个数 / 当年征询总人数).
	SuccessRate renoflow.Ratio `json:"success_rate"`
}

// add adds the counts of o (the rates are derived again by rate).
func (f *ReportFigures) add(o ReportFigures) { f.ReportCounts.Add(o.ReportCounts) }

// rate derives the success rates from the counts.
func (f *ReportFigures) rate() {
	f.StoreSuccessRate = f.ReportCounts.StoreSuccessRate()
	f.PhoneSuccessRate = f.ReportCounts.PhoneSuccessRate()
	f.AdvisorSuccessRate = f.ReportCounts.AdvisorSuccessRate()
	f.SuccessRate = f.ReportCounts.SuccessRate()
}

// ChannelFigures is one row of the per-channel table: the customers of a source channel
// first consulted (at the store or by phone) and signed in the month.
type ChannelFigures struct {
	Channel       renoflow.Channel `json:"channel"`
	Label         string           `json:"label"`
	Consultations int              `json:"consultations"`
	Contracts     int              `json:"contracts"`
	Rate          renoflow.Ratio   `json:"rate"`
}

// FollowUpScore is one staff member's follow-up compliance for the month (SPEC.md step 4:
// each missing follow-up costs a point of the scorecard item).
type FollowUpScore struct {
	StaffID   string `json:"staff_id"`
	Name      string `json:"name"`
	StoreID   string `json:"store_id"`
	Customers int    `json:"customers"` // customers whose month was scored
	Missing   int    `json:"missing"`   // follow-ups missing
	Points    int    `json:"points"`    // points lost
	Score     int    `json:"score"`     // ScorecardPoints less the points, not below 0
}

// OverdueCounts are the open tasks past due now, one per piece of work (an escalation
// copy of a late task is not counted again).
type OverdueCounts struct {
	Callbacks  int `json:"callbacks"`
	Visits     int `json:"visits"`
	Complaints int `json:"complaints"`
	Other      int `json:"other"`
}

// add counts n overdue tasks of rule r in their group.
func (o *OverdueCounts) add(r renoflow.Rule, n int) {
	switch renoflow.OverdueKindOf(r) {
	case renoflow.OverdueCallbacks:
		o.Callbacks += n
	case renoflow.OverdueVisits:
		o.Visits += n
	case renoflow.OverdueComplaints:
		o.Complaints += n
	default:
		o.Other += n
	}
}

// Total is every overdue task.
func (o OverdueCounts) Total() int { return o.Callbacks + o.Visits + o.Complaints + o.Other }

// PoolCounts are the customers who went to the public pool (公海) in the month: claims
// that lapsed (报备作废) and consulted customers released by their protection clock.
type PoolCounts struct {
	Lapsed   int `json:"lapsed"`
	Released int `json:"released"`
}

// StoreReport is one store's monthly report (or, as a report's total, several stores').
type StoreReport struct {
	StoreID   string `json:"store_id"`
	StoreName string `json:"store_name"`
	// The month's figures.
	ReportFigures
	// Year is the year to date, up to the month's end (年度累计).
	Year      ReportFigures    `json:"year"`
	Channels  []ChannelFigures `json:"channels"`
	FollowUps []FollowUpScore  `json:"follow_ups"`
	Overdue   OverdueCounts    `json:"overdue"`
	Pool      PoolCounts       `json:"pool"`
	// DeliveryFailures are the month's messages that could not be delivered (issue 14),
	// per channel (wecom, robot, sms): failed after their retries.
	DeliveryFailures DeliveryFailures `json:"delivery_failures"`
}

// DeliveryFailures counts failed messages per notification channel.
type DeliveryFailures struct {
	WeCom int `json:"wecom"`
	Robot int `json:"robot"`
	SMS   int `json:"sms"`
}

func (d *DeliveryFailures) add(ch string, n int) {
	switch renoflow.NotifyChannel(ch) {
	case renoflow.ChannelWeCom:
		d.WeCom += n
	case renoflow.ChannelRobot:
		d.Robot += n
	case renoflow.ChannelSMS:
		d.SMS += n
	}
}

// MonthlyReport is GET /api/reports/monthly's answer: the month, the stores asked for,
// each store's report and, for several stores, their total.
type MonthlyReport struct {
	Month string `json:"month"` // YYYY-MM
	// Period gives the month's bounds and the year-to-date start, in the company zone.
	Period renoflow.ReportPeriod `json:"period"`
	// Store is the store asked for, or "all".
	Store string `json:"store"`
	// ScorecardPoints is the full follow-up score, from the policy in force.
	ScorecardPoints int `json:"scorecard_points"`
	// OverdueAt is the instant the overdue counts were taken (now, whatever the month).
	OverdueAt time.Time      `json:"overdue_at"`
	Stores    []*StoreReport `json:"stores"`
	Total     *StoreReport   `json:"total,omitempty"`
}

// reportStores resolves the store a report asks for to the stores it covers, within
// what actor may see (SPEC.md "People (roles)"): a store manager their store, a
// supervisor the stores they oversee, the admin every store. No store given is the
// actor's own store (every store for the admin, or a supervisor without one of their
// own); "all" is every store the actor may see; another store is refused.
func (s *Server) reportStores(ctx context.Context, actor renoflow.Actor, store string) ([]renoflow.Option, error) {
	if err := actor.Require(renoflow.PermReports, "查看报表"); err != nil {
		return nil, err
	}
	all, err := s.storeOptionsAll(ctx)
	if err != nil {
		return nil, err
	}
	var visible []renoflow.Option
	for _, o := range all {
		switch {
		case actor.Role == renoflow.RoleAdmin,
			actor.Role == renoflow.RoleSupervisor && slices.Contains(actor.Stores, o.Code),
			actor.Role != renoflow.RoleSupervisor && actor.StoreID == o.Code:
			visible = append(visible, o)
		}
	}
	if store = strings.TrimSpace(store); store == "" {
		store = reportAll
		if actor.Role != renoflow.RoleAdmin && slices.ContainsFunc(visible, func(o renoflow.Option) bool { return o.Code == actor.StoreID }) {
			store = actor.StoreID
		}
	}
	if store == reportAll {
		return visible, nil
	}
	for _, o := range visible {
		if o.Code == store {
			return []renoflow.Option{o}, nil
		}
	}
	if actor.Role == renoflow.RoleAdmin {
		return nil, renoflow.Errorf(renoflow.CodeNotFound, "门店%s不存在", store)
	}
	return nil, renoflow.Errorf(renoflow.CodeForbidden, "%s不能查看其他门店的报表", actor.Role.Label())
}

// monthlyReport builds the monthly report of the stores asked for (SPEC.md "Reports").
func (s *Server) monthlyReport(ctx context.Context, actor renoflow.Actor, month, store string) (*MonthlyReport, error) {
	period, err := renoflow.ReportMonth(month, s.now())
	if err != nil {
		return nil, err
	}
	stores, err := s.reportStores(ctx, actor, store)
	if err != nil {
		return nil, err
	}
	policy, err := s.currentPolicy(ctx)
	if err != nil {
		return nil, err
	}
	if store = strings.TrimSpace(store); store == "" {
		store = reportAll
		if len(stores) == 1 {
			store = stores[0].Code
		}
	}
	rep := &MonthlyReport{Month: period.Month, Period: period, Store: store, ScorecardPoints: policy.ScorecardPoints, OverdueAt: s.now(),
		Stores: []*StoreReport{}}
	byID := map[string]*StoreReport{}
	ids := make([]string, 0, len(stores))
	for _, o := range stores {
		sr := &StoreReport{StoreID: o.Code, StoreName: o.Label, Channels: channelRows(), FollowUps: []FollowUpScore{}}
		rep.Stores = append(rep.Stores, sr)
		byID[o.Code] = sr
		ids = append(ids, o.Code)
	}
	if len(ids) == 0 {
		return rep, nil
	}
	if err := s.reportCustomers(ctx, period, ids, byID); err != nil {
		return nil, err
	}
	if err := s.reportFollowUps(ctx, period, ids, byID, policy); err != nil {
		return nil, err
	}
	if err := s.reportOverdue(ctx, ids, byID); err != nil {
		return nil, err
	}
	if err := s.reportPool(ctx, period, ids, byID); err != nil {
		return nil, err
	}
	if err := s.reportDeliveryFailures(ctx, period, ids, byID); err != nil {
		return nil, err
	}
	for _, sr := range rep.Stores {
		sr.rate()
		sortFollowUps(sr.FollowUps)
	}
	if len(rep.Stores) > 1 {
		rep.Total = total(rep.Stores)
	}
	return rep, nil
}

// sortFollowUps puts the lowest score first (then by staff ID, then store).
func sortFollowUps(fs []FollowUpScore) {
	slices.SortStableFunc(fs, func(a, b FollowUpScore) int {
		if a.Score != b.Score {
			return a.Score - b.Score
		}
		if c := strings.Compare(a.StaffID, b.StaffID); c != 0 {
			return c
		}
		return strings.Compare(a.StoreID, b.StoreID)
	})
}

// channelRows lists every source channel with nothing counted yet.
func channelRows() []ChannelFigures {
	chs := renoflow.Channels()
	out := make([]ChannelFigures, 0, len(chs))
	for _, o := range chs {
		out = append(out, ChannelFigures{Channel: renoflow.Channel(o.Code), Label: o.Label})
	}
	return out
}

// rate derives every rate of the store's report from its counts.
func (sr *StoreReport) rate() {
	sr.ReportFigures.rate()
	sr.Year.rate()
	for i := range sr.Channels {
		sr.Channels[i].Rate = renoflow.Ratio{Num: sr.Channels[i].Contracts, Den: sr.Channels[i].Consultations}
	}
}

// total sums the reports of several stores into one.
func total(stores []*StoreReport) *StoreReport {
	t := &StoreReport{StoreID: reportAll, StoreName: "合计", Channels: channelRows(), FollowUps: []FollowUpScore{}}
	for _, sr := range stores {
		t.ReportFigures.add(sr.ReportFigures)
		t.Year.add(sr.Year)
		for i := range sr.Channels {
			t.Channels[i].Consultations += sr.Channels[i].Consultations
			t.Channels[i].Contracts += sr.Channels[i].Contracts
		}
		t.FollowUps = append(t.FollowUps, sr.FollowUps...)
		t.Overdue.Callbacks += sr.Overdue.Callbacks
		t.Overdue.Visits += sr.Overdue.Visits
		t.Overdue.Complaints += sr.Overdue.Complaints
		t.Overdue.Other += sr.Overdue.Other
		t.Pool.Lapsed += sr.Pool.Lapsed
		t.Pool.Released += sr.Pool.Released
		t.DeliveryFailures.WeCom += sr.DeliveryFailures.WeCom
		t.DeliveryFailures.Robot += sr.DeliveryFailures.Robot
		t.DeliveryFailures.SMS += sr.DeliveryFailures.SMS
	}
	t.rate()
	sortFollowUps(t.FollowUps)
	return t
}

// reportCustomers counts, per store and channel, the customers consulted, come to the
// store and signed in the month and in the year to date; each customer's facts are counted
// by renoflow.ReportCounts. The first store visit is the first timeline entry that records
// the customer at the store (renoflow.StoreVisitKinds), or the first consultation when it
// was a visit.
func (s *Server) reportCustomers(ctx context.Context, p renoflow.ReportPeriod, ids []string, byID map[string]*StoreReport) error {
	rows, err := postgres.ReportCustomerFacts(ctx, s.db, ids, p.YearStart, p.End)
	if err != nil {
		return err
	}
	for _, r := range rows {
		sr := byID[r.StoreID]
		if sr == nil {
			continue
		}
		f := renoflow.ReportFacts{Channel: renoflow.Channel(r.Channel), FirstConsult: renoflow.Consultation(r.FirstConsult),
			FirstConsultAt: r.FirstConsultAt, FirstVisitAt: r.FirstVisitAt, ContractAt: r.ContractAt}
		var month renoflow.ReportCounts
		month.Count(f, p.Start, p.End)
		sr.ReportCounts.Add(month)
		sr.Year.Count(f, p.YearStart, p.End)
		for i := range sr.Channels {
			if string(sr.Channels[i].Channel) == r.Channel {
				sr.Channels[i].Consultations += month.Consultations
				sr.Channels[i].Contracts += month.Contracts
			}
		}
	}
	return nil
}

// reportFollowUps reads the month's follow-up scores per owner (SPEC.md step 4); every
// active customer manager of the store is listed, with the full score when none of
// their customers lost a point.
func (s *Server) reportFollowUps(ctx context.Context, p renoflow.ReportPeriod, ids []string, byID map[string]*StoreReport, policy renoflow.Policy) error {
	scored, err := postgres.MonthScores(ctx, s.db, ids, p.Month)
	if err != nil {
		return err
	}
	managers, err := postgres.ActiveWithRole(ctx, s.db, renoflow.RoleCustomerManager, ids)
	if err != nil {
		return err
	}
	seen := map[[2]string]bool{}
	for _, r := range scored {
		sr := byID[r.StoreID]
		if sr == nil {
			continue
		}
		name := r.Name
		if name == "" {
			name = r.OwnerID
		}
		if name == "" {
			name = "（无归属人）"
		}
		sr.FollowUps = append(sr.FollowUps, FollowUpScore{StaffID: r.OwnerID, Name: name, StoreID: r.StoreID, Customers: r.Customers,
			Missing: r.Missing, Points: r.Points, Score: renoflow.ScorecardScore(policy, r.Points)})
		seen[[2]string{r.StoreID, r.OwnerID}] = true
	}
	for _, m := range managers {
		if sr := byID[m.StoreID]; sr != nil && !seen[[2]string{m.StoreID, m.ID}] {
			sr.FollowUps = append(sr.FollowUps, FollowUpScore{StaffID: m.ID, Name: m.Name, StoreID: m.StoreID,
				Score: renoflow.ScorecardScore(policy, 0)})
		}
	}
	return nil
}

// reportOverdue counts the stores' open work past due now (renoflow.TaskOverdue),
// grouped by renoflow.OverdueKindOf: only the work itself counts — not its escalation
// copies nor any other notice, and not a task cancelled because it no longer applies.
func (s *Server) reportOverdue(ctx context.Context, ids []string, byID map[string]*StoreReport) error {
	rows, err := postgres.OverdueWork(ctx, s.db, ids, s.now())
	if err != nil {
		return err
	}
	for _, r := range rows {
		if sr := byID[r.StoreID]; sr != nil {
			sr.Overdue.add(renoflow.Rule(r.Rule), r.N)
		}
	}
	return nil
}

// reportPool counts the month's moves into the public pool: lapsed claims and released
// customers.
func (s *Server) reportPool(ctx context.Context, p renoflow.ReportPeriod, ids []string, byID map[string]*StoreReport) error {
	rows, err := postgres.PoolMovesIn(ctx, s.db, ids, p.Start, p.End)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if sr := byID[r.StoreID]; sr != nil {
			sr.Pool = PoolCounts{Lapsed: r.Lapsed, Released: r.Released}
		}
	}
	return nil
}

// reportDeliveryFailures counts the messages of the month (by when they were queued) that
// failed, per store and channel (issue 14).
func (s *Server) reportDeliveryFailures(ctx context.Context, p renoflow.ReportPeriod, ids []string, byID map[string]*StoreReport) error {
	rows, err := postgres.DeliveryFailures(ctx, s.db, p.Start, p.End, ids)
	if err != nil {
		return fmt.Errorf("count delivery failures: %w", err)
	}
	for _, r := range rows {
		if sr := byID[r.StoreID]; sr != nil {
			sr.DeliveryFailures.add(r.Channel, r.N)
		}
	}
	return nil
}

// apiMonthlyReport: GET /api/reports/monthly?month=YYYY-MM&store=<id>|all → the monthly
// report (store manager, supervisor, admin).
func (s *Server) apiMonthlyReport(c *fiber.Ctx) error {
	rep, err := s.monthlyReport(c.UserContext(), actorOf(c), c.Query("month"), c.Query("store"))
	if err != nil {
		return err
	}
	return c.JSON(rep)
}

// pageReports shows the monthly report with a form to pick the month and the store.
func (s *Server) pageReports(c *fiber.Ctx) error {
	ctx := c.UserContext()
	actor := actorOf(c)
	rep, err := s.monthlyReport(ctx, actor, c.Query("month"), c.Query("store"))
	if err != nil {
		return err
	}
	choices, err := s.reportStores(ctx, actor, reportAll)
	if err != nil {
		return err
	}
	if len(choices) > 1 {
		choices = append(choices, renoflow.Option{Code: reportAll, Label: "全部门店"})
	}
	sections := rep.Stores
	if rep.Total != nil {
		sections = append([]*StoreReport{rep.Total}, sections...)
	}
	extra, err := s.reportExtras(ctx, actor, rep)
	if err != nil {
		return err
	}
	extra["Report"], extra["Sections"], extra["StoreChoices"] = rep, sections, choices
	return s.render(c, fiber.StatusOK, "reports", page{Title: "月度报表 " + rep.Month, Nav: "reports",
		Form: map[string]string{"month": rep.Month, "store": rep.Store}}, extra)
}
