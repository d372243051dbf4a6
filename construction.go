package renoflow

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MilestoneRec is a passed construction inspection.
type MilestoneRec struct {
	Milestone Milestone `json:"milestone"`
	At        time.Time `json:"at"`
	By        Person    `json:"by"`
}

// milestoneOrder is the order inspections must come in (SPEC.md step 9).
var milestoneOrder = []Milestone{MilestoneMaterial, MilestoneConcealed, MilestoneMid, MilestoneCompletion}

// NextMilestone is the inspection due next ("" when all are passed).
func (c *Customer) NextMilestone() Milestone {
	if len(c.Milestones) >= len(milestoneOrder) {
		return ""
	}
	return milestoneOrder[len(c.Milestones)]
}

// CheckDeposit says whether actor may record the deposit now.
func (c *Customer) CheckDeposit(actor Actor, amount float64) error {
	if err := c.canDeposit(actor); err != nil {
		return err
	}
	return checkAmount(amount, MaxDepositYuan, "定金")
}

// Bounds of the amounts staff record, in 元: a deposit (定金) is at most 1 亿, a contract
// at most 10 亿. The server's forms and API refuse the same (the domain's bound).
const (
	MaxDepositYuan  = 1e8
	MaxContractYuan = 1e9
)

// checkAmount refuses an amount that is not a positive number up to max 元.
func checkAmount(amount, max float64, what string) error {
	if !(amount > 0 && amount <= max) { // NaN too
		return &Error{Code: CodeInvalid, Message: what + "金额有误", Fields: []FieldError{{Field: "amount_yuan",
			Message: fmt.Sprintf("须大于0且不超过%s元", yuanLabel(max))}}}
	}
	return nil
}

// yuanLabel writes a bound in 万 or 亿.
func yuanLabel(x float64) string {
	if x >= 1e8 {
		return strconv.FormatFloat(x/1e8, 'f', -1, 64) + "亿"
	}
	return strconv.FormatFloat(x/1e4, 'f', -1, 64) + "万"
}

// canDeposit: the deposit comes during design.
func (c *Customer) canDeposit(actor Actor) error {
	if err := actor.Require(PermDeposit, "登记定金"); err != nil {
		return err
	}
	if c.Stage != StageDesign {
		if !c.DepositAt.IsZero() {
			return Errorf(CodeConflict, "已于%s登记定金", fmtTime(c.DepositAt))
		}
		return Errorf(CodeConflict, "设计师接单后才能登记定金（当前：%s）", c.Stage.Label())
	}
	return nil
}

// Deposit records the deposit and design agreement (SPEC.md step 7): grade A, the
// pre-sale protection stops, and a return visit is due within PostDepositVisitWithin.
func (c *Customer) Deposit(env Env, actor Actor, amount float64, note string) (Effects, error) {
	if err := c.CheckDeposit(actor, amount); err != nil {
		return Effects{}, err
	}
	var eff Effects
	c.DepositAt, c.DepositYuan, c.Stage = env.Now, amount, StageDeposit
	load := env.Policy.Take(LimitDesignerLoad, c.Designer)
	load.Counted = true // the deposit is paid: it adds to the designer's load, never refused
	eff.Limits = append(eff.Limits, load)
	c.setGrade(env, &eff, GradeA)
	c.Clocks.Cancel(RulePresaleProtection, "")
	c.openWork(env, &eff, RuleDepositVisit, "", env.Add(env.Now, env.Policy.PostDepositVisitWithin),
		fmt.Sprintf("%s已交定金%.0f元，请回访", c.Record.Name, amount))
	c.served(env)
	eff.log(env, "deposit", actor.Person(), withNote(fmt.Sprintf("交定金%.0f元，签设计协议；客户分级为A", amount), note))
	return eff, nil
}

// CheckContract says whether actor may record the contract now.
func (c *Customer) CheckContract(actor Actor, amount float64) error {
	if err := c.canContract(actor); err != nil {
		return err
	}
	return checkAmount(amount, MaxContractYuan, "合同")
}

// canContract: the contract follows the deposit.
func (c *Customer) canContract(actor Actor) error {
	if err := actor.Require(PermContract, "登记签约"); err != nil {
		return err
	}
	if c.Stage != StageDeposit {
		return Errorf(CodeConflict, "交定金后才能签约（当前：%s）", c.Stage.Label())
	}
	return nil
}

// Contract records the signed contract (SPEC.md step 8): construction starts, pre-sale
// follow-ups stop, and a weekly check falls due every WeeklyCheckEvery. Customer service
// makes the sales-service return visit within ContractVisitWithin (seed 004 签约后一周内
// 销售服务回访; rules version 2).
func (c *Customer) Contract(env Env, actor Actor, amount float64, note string) (Effects, error) {
	if err := c.CheckContract(actor, amount); err != nil {
		return Effects{}, err
	}
	var eff Effects
	c.stopPresale(env, &eff, "已签约，转入施工")
	c.ContractAt, c.ContractYuan, c.Stage = env.Now, amount, StageConstruction
	c.WeeklyChecks = 1
	c.arm(env, RuleWeeklyCheck, "1", 0, env.Add(env.Now, env.Policy.WeeklyCheckEvery), time.Time{})
	if env.Version >= 2 {
		c.openWork(env, &eff, RuleContractVisit, "", env.Add(env.Now, env.Policy.ContractVisitWithin),
			fmt.Sprintf("%s已签约，请做销售服务回访，了解客户对销售环节的满意度", c.Record.Name))
	}
	c.served(env)
	eff.log(env, "contract", actor.Person(), withNote(fmt.Sprintf("签约，合同金额%.0f元，进入施工", amount), note))
	return eff, nil
}

// CheckMilestone says whether actor may record inspection m now: inspections come in
// order, each once.
func (c *Customer) CheckMilestone(actor Actor, m Milestone) error {
	if err := c.canMilestone(actor); err != nil {
		return err
	}
	if !milestones.valid(string(m)) {
		return &Error{Code: CodeInvalid, Message: "验收节点有误", Fields: []FieldError{{Field: "milestone", Message: "只能是 material、concealed、mid 或 completion"}}}
	}
	for _, r := range c.Milestones {
		if r.Milestone == m {
			return Errorf(CodeConflict, "%s已于%s登记", m.Label(), fmtTime(r.At))
		}
	}
	if next := c.NextMilestone(); m != next {
		return Errorf(CodeConflict, "验收须按顺序进行：下一项应为%s，不能先登记%s", next.Label(), m.Label())
	}
	return nil
}

// canMilestone: inspections happen under construction, until the last is passed.
func (c *Customer) canMilestone(actor Actor) error {
	if err := actor.Require(PermMilestone, "登记验收"); err != nil {
		return err
	}
	if c.Stage != StageConstruction {
		return Errorf(CodeConflict, "施工阶段才能登记验收（当前：%s）", c.Stage.Label())
	}
	if c.NextMilestone() == "" {
		return Errorf(CodeConflict, "验收已全部登记")
	}
	return nil
}

// PassMilestone records an inspection; a return visit is due within
// InspectionVisitWithin. Completion starts after-sales.
func (c *Customer) PassMilestone(env Env, actor Actor, m Milestone, note string) (Effects, error) {
	if err := c.CheckMilestone(actor, m); err != nil {
		return Effects{}, err
	}
	var eff Effects
	c.Milestones = append(c.Milestones, MilestoneRec{Milestone: m, At: env.Now, By: actor.Person()})
	c.openWork(env, &eff, RuleInspectionVisit, string(m), env.Add(env.Now, env.Policy.InspectionVisitWithin),
		fmt.Sprintf("%s%s通过，请回访", c.Record.Name, m.Label()))
	c.served(env)
	eff.log(env, "milestone", actor.Person(), withNote(m.Label()+"通过", note))
	if m == MilestoneCompletion {
		c.complete(env, &eff)
	}
	return eff, nil
}

// complete starts after-sales (SPEC.md step 10): visits every AfterSalesEvery for the
// warranty, each announced AfterSalesNoticeBefore; a living-experience visit and a house
// check. Each visit's clock arms the next one when it fires.
func (c *Customer) complete(env Env, eff *Effects) {
	c.Stage, c.CompletedAt = StageAfterSales, env.Now
	c.WarrantyEnd = env.Add(env.Now, env.Policy.Warranty)
	for i := 1; i <= c.WeeklyChecks; i++ {
		c.closeWork(env, eff, RuleWeeklyCheck, strconv.Itoa(i), TaskCancelled, Person{}, "已竣工")
	}
	c.Clocks.Cancel(RuleNeglect, "")
	c.arm(env, RuleLivingExperience, "", 0, env.Add(env.Now, env.Policy.LivingExperienceAfter), time.Time{})
	c.arm(env, RuleHouseCheck, "", 0, env.Add(env.Now, env.Policy.HouseCheckAfter), time.Time{})
	if env.Version >= 2 {
		c.TableVisits = true
		for _, r := range tableVisits {
			if clk, ok := c.Clocks.Find(r, ""); ok {
				c.armTableNotice(env, r, "", clk.Due)
			}
		}
	}
	c.scheduleVisit(env, 1)
	eff.log(env, "completed", Person{}, fmt.Sprintf("竣工，进入售后；质保至%s", fmtTime(c.WarrantyEnd)))
}

// scheduleVisit arms after-sales visit n (and its notice) if it falls within the warranty.
func (c *Customer) scheduleVisit(env Env, n int) {
	at := c.CompletedAt
	for i := 0; i < n; i++ {
		at = env.Add(at, env.Policy.AfterSalesEvery)
	}
	if at.After(c.WarrantyEnd) {
		return
	}
	c.Visits = n
	subject := strconv.Itoa(n)
	c.arm(env, RuleAfterSalesNotice, subject, 0, env.Calendar.Sub(at, env.Policy.AfterSalesNoticeBefore), time.Time{})
	c.arm(env, RuleAfterSalesVisit, subject, 0, at, time.Time{})
}

// scheduledWork opens the work a scheduled clock stands for (weekly check, after-sales
// visits), due VisitWindow after it falls due, and arms what follows it.
func (c *Customer) scheduledWork(env Env, eff *Effects, clk Clock) {
	due := env.Add(clk.Due, env.Policy.VisitWindow)
	var detail string
	switch clk.Rule {
	case RuleWeeklyCheck:
		detail = fmt.Sprintf("第%s周综合检查：%s", clk.Subject, c.Record.Name)
		n, _ := strconv.Atoi(clk.Subject)
		c.WeeklyChecks = n + 1
		c.arm(env, RuleWeeklyCheck, strconv.Itoa(n+1), 0, env.Add(clk.Due, env.Policy.WeeklyCheckEvery), time.Time{})
	case RuleAfterSalesVisit:
		n, _ := strconv.Atoi(clk.Subject)
		detail = fmt.Sprintf("第%d次售后回访：%s", n, c.Record.Name)
		c.scheduleVisit(env, n+1)
	case RuleLivingExperience, RuleHouseCheck:
		if c.holdTableVisit(env, eff, clk, clk.Rule, clk.Subject, clk.Due) {
			return
		}
		detail = map[Rule]string{RuleLivingExperience: "入住三个月体验回访：", RuleHouseCheck: "竣工一年房屋检查："}[clk.Rule] + c.Record.Name
	}
	d := dueBy(clk)
	d.At = due
	eff.Tasks = append(eff.Tasks, c.newTask(env, clk.Rule, clk.Subject, 0, clk.Rule.Spec().Work, d, detail))
	c.arm(env, clk.Rule, clk.Subject, 1, due, due)
	fired(env, eff, clk, fmt.Sprintf("%s到期，应于%s前完成", detail, fmtTime(due)))
}

// visitNotice tells customer service to notify the customer a week before a visit.
func (c *Customer) visitNotice(env Env, eff *Effects, clk Clock) {
	if rule, subject, ok := tableVisitOf(clk.Subject); ok {
		c.tableNotice(env, eff, clk, rule, subject)
		return
	}
	visit, _ := c.Clocks.Find(RuleAfterSalesVisit, clk.Subject)
	c.notify(env, eff, clk, ToCustomerService, "通知客户：售后回访预告",
		fmt.Sprintf("请通知%s：第%s次售后回访将于%s进行", c.Record.Name, clk.Subject, fmtTime(visit.Due)))
	fired(env, eff, clk, fmt.Sprintf("第%s次售后回访预告（回访时间%s）", clk.Subject, fmtTime(visit.Due)))
}

// settle archives an after-sales customer once the warranty is over and nothing is left
// open: no clock, no open complaint.
func (c *Customer) settle(env Env, eff *Effects) {
	if c.Stage != StageAfterSales || env.Now.Before(c.WarrantyEnd) || len(c.Clocks) > 0 || c.openComplaints() > 0 {
		return
	}
	c.Stage, c.ArchivedAt = StageArchived, env.Now
	eff.CloseAll, eff.CloseAllReason = TaskCancelled, ReasonArchived
	eff.log(env, "archived", Person{}, "质保期满，售后结束，客户归档")
}

// tableVisits are the visits of seed 004's table (三个月居住感受回访 / 一年房屋检查).
var tableVisits = []Rule{RuleLivingExperience, RuleHouseCheck}

// tableVisitNames name a table visit in its notice's subject ("living", "check.2").
var tableVisitNames = map[Rule]string{RuleLivingExperience: "living", RuleHouseCheck: "check"}

// tableVisitLabel is the Chinese name of a table visit.
func tableVisitLabel(r Rule) string {
	if r == RuleHouseCheck {
		return "竣工一年房屋检查"
	}
	return "入住三个月居住感受回访"
}

// tableNoticeSubject is the subject of the notice of table visit (r, subject).
func tableNoticeSubject(r Rule, subject string) string {
	if subject == "" {
		return tableVisitNames[r]
	}
	return tableVisitNames[r] + "." + subject
}

// tableVisitOf reads a notice subject back into its table visit (rule, subject).
func tableVisitOf(noticeSubject string) (Rule, string, bool) {
	name, subject, _ := strings.Cut(noticeSubject, ".")
	for r, n := range tableVisitNames {
		if n == name {
			return r, subject, true
		}
	}
	return "", "", false
}

// armTableNotice arms the notice of table visit (r, subject) due at due:
// AfterSalesNoticeBefore earlier (seed 004 回访前一周发出回访通知和邀请).
func (c *Customer) armTableNotice(env Env, r Rule, subject string, due time.Time) {
	c.arm(env, RuleAfterSalesNotice, tableNoticeSubject(r, subject), 0, env.Calendar.Sub(due, env.Policy.AfterSalesNoticeBefore), time.Time{})
}

// TableVisitHold says whether a visit of seed 004's table is not to be made now, and why
// (以下客户无需安排回访): skip for a customer who has had a major complaint (①, rules
// version 2); postpone for a customer completed under those rules who has not moved in
// (③ 没有实际入住; ② 装修期 — a customer still decorating has not moved in either).
// Decision: a major complaint cancels the visit for good; not having moved in postpones
// it by VisitPostponeEvery until the customer moves in or the warranty ends.
func (c *Customer) TableVisitHold(env Env) (skip, postpone bool, why string) {
	if env.Version < 2 {
		return false, false, ""
	}
	if k, ok := c.MajorComplaint(); ok {
		return true, false, fmt.Sprintf("客户有过重大投诉（%s）", k.ID)
	}
	if c.Stage == StageConstruction {
		return false, true, "客户在装修期"
	}
	if c.TableVisits && c.MovedInAt.IsZero() {
		return false, true, "客户尚未实际入住"
	}
	return false, false, ""
}

// holdTableVisit applies TableVisitHold to table visit (r, subject) due at due, as clock
// clk fires (the visit's own clock or its notice): a skipped visit is cancelled with a
// timeline entry saying why; a postponed one is armed again, with its notice, one
// VisitPostponeEvery later — or cancelled when that falls after the warranty. It reports
// whether the visit was held.
func (c *Customer) holdTableVisit(env Env, eff *Effects, clk Clock, r Rule, subject string, due time.Time) bool {
	skip, postpone, why := c.TableVisitHold(env)
	label := tableVisitLabel(r)
	switch {
	case skip:
		c.Clocks.Cancel(r, subject)
		c.Clocks.Cancel(RuleAfterSalesNotice, tableNoticeSubject(r, subject))
		e := fired(env, eff, clk, fmt.Sprintf("不安排%s：%s", label, why))
		e.Data = map[string]string{"visit": string(r), "held": "skipped"}
		return true
	case postpone:
		c.Clocks.Cancel(r, subject)
		c.Clocks.Cancel(RuleAfterSalesNotice, tableNoticeSubject(r, subject))
		n, _ := strconv.Atoi(subject)
		next := env.Add(due, env.Policy.VisitPostponeEvery)
		if next.After(c.WarrantyEnd) {
			e := fired(env, eff, clk, fmt.Sprintf("不再安排%s：%s，顺延已超出质保期（%s）", label, why, fmtTime(c.WarrantyEnd)))
			e.Data = map[string]string{"visit": string(r), "held": "skipped"}
			return true
		}
		ns := strconv.Itoa(n + 1)
		c.arm(env, r, ns, 0, next, time.Time{})
		c.armTableNotice(env, r, ns, next)
		e := fired(env, eff, clk, fmt.Sprintf("%s顺延至%s：%s", label, fmtTime(next), why))
		e.Data = map[string]string{"visit": string(r), "held": "postponed"}
		return true
	}
	return false
}

// tableNotice is the notice a week before a table visit: customer service invites the
// customer, unless the visit is held (skipped or postponed).
func (c *Customer) tableNotice(env Env, eff *Effects, clk Clock, r Rule, subject string) {
	visit, ok := c.Clocks.Find(r, subject)
	if !ok {
		fired(env, eff, clk, tableVisitLabel(r)+"已不再安排，不发通知")
		return
	}
	if c.holdTableVisit(env, eff, clk, r, subject, visit.Due) {
		return
	}
	label := tableVisitLabel(r)
	c.notify(env, eff, clk, ToCustomerService, "通知客户：回访预告与邀请",
		fmt.Sprintf("请通知并邀请%s：%s将于%s进行", c.Record.Name, label, fmtTime(visit.Due)))
	fired(env, eff, clk, fmt.Sprintf("%s预告（回访时间%s）", label, fmtTime(visit.Due)))
}

// CheckMovedIn says whether actor may record that the customer moved in (实际入住) now:
// after completion, once.
func (c *Customer) CheckMovedIn(actor Actor) error {
	if err := actor.Require(PermReturnVisit, "登记实际入住"); err != nil {
		return err
	}
	if c.Stage != StageAfterSales && c.Stage != StageArchived {
		return Errorf(CodeConflict, "竣工后才能登记实际入住（当前：%s）", c.Stage.Label())
	}
	if !c.MovedInAt.IsZero() {
		return Errorf(CodeConflict, "已登记于%s实际入住", c.MovedInAt.In(Zone).Format(time.DateOnly))
	}
	return nil
}

// movedInDate reads the day the customer moved in: "" is now; else YYYY-MM-DD in the
// company zone, neither before completion nor in the future.
func (c *Customer) movedInDate(env Env, date string) (time.Time, error) {
	date = strings.TrimSpace(date)
	today := env.Now.In(Zone).Format(time.DateOnly)
	if date == "" || date == today {
		return env.Now, nil
	}
	bad := func(msg string) error {
		return &Error{Code: CodeInvalid, Message: "入住日期有误", Fields: []FieldError{{Field: "date", Message: msg}}}
	}
	d, err := time.ParseInLocation(time.DateOnly, date, Zone)
	if err != nil {
		return time.Time{}, bad("格式须为 YYYY-MM-DD")
	}
	if date > today {
		return time.Time{}, bad("不能晚于今天")
	}
	if done := c.CompletedAt.In(Zone).Format(time.DateOnly); !c.CompletedAt.IsZero() && date < done {
		return time.Time{}, bad("不能早于竣工日期" + done)
	}
	return d, nil
}

// RecordMovedIn records that the customer moved in (实际入住, seed 004) on date ("" =
// today): a postponed living-experience visit or house check is made at its next due time.
func (c *Customer) RecordMovedIn(env Env, actor Actor, date, note string) (Effects, error) {
	if err := c.CheckMovedIn(actor); err != nil {
		return Effects{}, err
	}
	at, err := c.movedInDate(env, date)
	if err != nil {
		return Effects{}, err
	}
	c.MovedInAt = at
	var eff Effects
	c.served(env)
	eff.log(env, "moved_in", actor.Person(), withNote(fmt.Sprintf("客户已实际入住（%s）", at.In(Zone).Format(time.DateOnly)), note))
	return eff, nil
}
