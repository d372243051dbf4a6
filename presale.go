package renoflow

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// FollowUpMonth counts one calendar month of follow-ups (SPEC.md step 4).
type FollowUpMonth struct {
	Month string    `json:"month"` // YYYY-MM in the company zone
	From  time.Time `json:"from"`  // counting starts here: the month's start, or when pre-sale began
	Done  int       `json:"done"`
	Slots int       `json:"slots"` // follow-up tasks scheduled so far this month (numbers their subjects)
	Open  []string  `json:"open,omitempty"`
}

// MonthScore is a closed month: the quota, the follow-ups made and the points the
// customer manager loses for each missing one (out of ScorecardPoints).
type MonthScore struct {
	Month   string `json:"month"`
	OwnerID string `json:"owner_id"`
	StoreID string `json:"store_id"`
	Grade   Grade  `json:"grade"`
	Quota   int    `json:"quota"`
	Done    int    `json:"done"`
	Missing int    `json:"missing"`
	Points  int    `json:"points"`
}

// monthOf returns the company month containing t: its name and bounds.
func monthOf(t time.Time) (name string, start, end time.Time) {
	l := t.In(Zone)
	start = time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, Zone)
	return start.Format("2006-01"), start, start.AddDate(0, 1, 0)
}

// presale reports whether the customer is still in pre-sale: consulted, not yet under
// contract (the stages whose follow-ups the monthly quota counts).
func (c *Customer) presale() bool {
	return c.Stage == StagePresale || c.Stage == StageDesign || c.Stage == StageDeposit
}

// quotaGrade is the grade the quota counts by: an ungraded pre-sale customer is followed
// up as grade D until graded.
func (c *Customer) quotaGrade() Grade {
	if c.Grade == GradeNone {
		return GradeD
	}
	return c.Grade
}

// monthQuota is the follow-ups due this month; the month pre-sale began counts from
// that day, pro rata, rounded up.
func (c *Customer) monthQuota(p Policy) int {
	q := p.FollowUpsPerMonth.Of(c.quotaGrade())
	if c.FollowUp == nil || q == 0 {
		return q
	}
	_, start, end := monthOf(c.FollowUp.From)
	if !c.FollowUp.From.After(start) {
		return q
	}
	share := float64(end.Sub(c.FollowUp.From)) / float64(end.Sub(start))
	return int(math.Ceil(float64(q) * share))
}

// enterPresale starts the pre-sale clocks: this month's follow-ups, the pre-sale
// protection period and the neglect watch.
func (c *Customer) enterPresale(env Env, eff *Effects) {
	if env.Version < 1 {
		return
	}
	c.startMonth(env, eff, env.Now)
	c.arm(env, RulePresaleProtection, "", 0, env.Add(env.Now, env.Policy.PresaleProtection), time.Time{})
	c.served(env)
}

// startMonth opens the month containing from and schedules its follow-ups.
func (c *Customer) startMonth(env Env, eff *Effects, from time.Time) {
	name, _, end := monthOf(from)
	c.FollowUp = &FollowUpMonth{Month: name, From: from}
	if env.Version >= 3 && c.StoppedMonth != nil && c.StoppedMonth.Month == name {
		c.FollowUp.Slots = c.StoppedMonth.Slots
	}
	c.StoppedMonth = nil
	c.arm(env, RuleFollowUpMonth, name, 0, end, time.Time{})
	c.planFollowUps(env, eff, from)
}

// planFollowUps schedules the follow-ups still owed this month, spread evenly between
// `from` and the month's end (n owed: due at 1/(n+1), 2/(n+1), … of the way).
func (c *Customer) planFollowUps(env Env, eff *Effects, from time.Time) {
	m := c.FollowUp
	if m == nil {
		return
	}
	owed := c.monthQuota(env.Policy) - m.Done - len(m.Open)
	_, _, end := monthOf(m.From)
	span := end.Sub(from)
	for k := 1; k <= owed; k++ {
		m.Slots++
		subject := m.Month + "/" + strconv.Itoa(m.Slots)
		due := from.Add(span * time.Duration(k) / time.Duration(owed+1))
		m.Open = append(m.Open, subject)
		c.openWork(env, eff, RuleFollowUp, subject, due, fmt.Sprintf("%s本月应跟进%d次（%s级），本次请于%s前完成",
			c.Record.Name, c.monthQuota(env.Policy), c.quotaGrade(), fmtTime(due)))
	}
}

// cancelFollowUps drops this month's open follow-up tasks.
func (c *Customer) cancelFollowUps(env Env, eff *Effects, why string) {
	if c.FollowUp == nil {
		return
	}
	for _, s := range c.FollowUp.Open {
		c.closeWork(env, eff, RuleFollowUp, s, TaskCancelled, Person{}, why)
	}
	c.FollowUp.Open = nil
}

// stopPresale ends the pre-sale clocks when the customer leaves pre-sale.
func (c *Customer) stopPresale(env Env, eff *Effects, why string) {
	c.cancelFollowUps(env, eff, why)
	if c.FollowUp != nil {
		c.Clocks.Cancel(RuleFollowUpMonth, c.FollowUp.Month)
		if env.Version >= 3 {
			c.StoppedMonth = &FollowUpMonth{Month: c.FollowUp.Month, Slots: c.FollowUp.Slots}
		}
		c.FollowUp = nil
	}
	c.Clocks.Cancel(RulePresaleProtection, "")
}

// closeMonth counts the month's missing follow-ups against the owner (1 point each out
// of the scorecard's total) and opens the next month while the customer is in pre-sale.
func (c *Customer) closeMonth(env Env, eff *Effects, clk Clock) {
	m := c.FollowUp
	if m == nil || m.Month != clk.Subject {
		return
	}
	quota := c.monthQuota(env.Policy)
	missing := quota - m.Done
	if missing < 0 {
		missing = 0
	}
	score := MonthScore{Month: m.Month, OwnerID: c.Owner.ID, StoreID: c.StoreID, Grade: c.quotaGrade(), Quota: quota,
		Done: m.Done, Missing: missing, Points: missing * env.Policy.PointsPerMissedFollowUp}
	c.Scores = append(c.Scores, score)
	eff.Scores = append(eff.Scores, score)
	c.cancelFollowUps(env, eff, "月末未完成，已计入考核")
	summary := fmt.Sprintf("%s月度跟进考核：%s级应跟进%d次，实际%d次，缺%d次，扣%d分（满分%d）",
		m.Month, score.Grade, quota, m.Done, missing, score.Points, env.Policy.ScorecardPoints)
	c.notify(env, eff, clk, ToOwner, "月度跟进考核："+m.Month, summary)
	e := fired(env, eff, clk, summary)
	e.Data = map[string]string{"missing": strconv.Itoa(missing), "owner": c.Owner.ID}
	c.FollowUp = nil
	if c.presale() && c.Owner.ID != "" {
		c.startMonth(env, eff, clk.Due)
	}
}

// CheckFollowUp says whether actor may record a follow-up now.
func (c *Customer) CheckFollowUp(actor Actor) error {
	if err := actor.Require(PermFollowUp, "登记跟进"); err != nil {
		return err
	}
	if !c.presale() {
		return Errorf(CodeConflict, "%s阶段的客户不做售前跟进", c.Stage.Label())
	}
	return nil
}

// RecordFollowUp records a follow-up: it counts towards the month's quota and completes
// the earliest open follow-up task.
func (c *Customer) RecordFollowUp(env Env, actor Actor, channel, note string) (Effects, error) {
	if err := c.CheckFollowUp(actor); err != nil {
		return Effects{}, err
	}
	var eff Effects
	if c.FollowUp == nil {
		c.startMonth(env, &eff, env.Now)
	}
	m := c.FollowUp
	m.Done++
	if len(m.Open) > 0 {
		s := m.Open[0]
		m.Open = m.Open[1:]
		c.closeWork(env, &eff, RuleFollowUp, s, TaskDone, actor.Person(), note)
	}
	c.served(env)
	label := channel
	for _, o := range FollowUpChannels() {
		if o.Code == channel {
			label = o.Label
		}
	}
	eff.log(env, "follow_up", actor.Person(), withNote(fmt.Sprintf("跟进（%s），本月第%d次", label, m.Done), note))
	return eff, nil
}

// CheckGrade says whether actor may give the customer grade g.
func (c *Customer) CheckGrade(actor Actor, g Grade) error {
	if err := c.canGrade(actor); err != nil {
		return err
	}
	if !g.Valid() {
		return &Error{Code: CodeInvalid, Message: "分级有误", Fields: []FieldError{{Field: "grade", Message: "只能是 A、B、C、D"}}}
	}
	if g == GradeA {
		return Errorf(CodeConflict, "A级须已签设计协议并交定金：请登记定金")
	}
	return nil
}

// canGrade: grades B–D are set by hand in pre-sale before the deposit; A comes with the
// deposit (SPEC.md "grade").
func (c *Customer) canGrade(actor Actor) error {
	if err := actor.Require(PermGrade, "调整客户分级"); err != nil {
		return err
	}
	if !c.presale() {
		return Errorf(CodeConflict, "%s阶段的客户不再分级", c.Stage.Label())
	}
	if !c.DepositAt.IsZero() {
		return Errorf(CodeConflict, "客户已交定金，分级为A")
	}
	return nil
}

// SetGrade grades the customer; the rest of the month's follow-ups are rescheduled for
// the new grade's quota.
func (c *Customer) SetGrade(env Env, actor Actor, g Grade, note string) (Effects, error) {
	if err := c.CheckGrade(actor, g); err != nil {
		return Effects{}, err
	}
	var eff Effects
	old := c.Grade
	c.setGrade(env, &eff, g)
	eff.log(env, "grade", actor.Person(), withNote(fmt.Sprintf("客户分级：%s → %s", old.Label(), g.Label()), note))
	return eff, nil
}

func (c *Customer) setGrade(env Env, eff *Effects, g Grade) {
	if c.Grade == g {
		return
	}
	c.Grade = g
	if c.FollowUp != nil {
		c.cancelFollowUps(env, eff, "分级调整，重新安排")
		c.planFollowUps(env, eff, env.Now)
	}
}
