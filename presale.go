package renoflow

import (
	"fmt"
	"math"
	"slices"
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

// Proposal is a pending request for the store manager (an invalid customer).
type Proposal struct {
	By     Person    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
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

// release returns a pre-sale customer without a deposit to the public pool when the
// protection period ends (SPEC.md step 2).
func (c *Customer) release(env Env, eff *Effects, clk Clock) {
	if !(c.Stage == StagePresale || c.Stage == StageDesign) || !c.DepositAt.IsZero() {
		return
	}
	prev := c.Owner
	c.toPool(env, eff, "售前保护期满，客户释放到公海")
	c.notify(env, eff, clk, ToStoreManager, "售前保护期满：客户释放到公海",
		fmt.Sprintf("%s自%s起%s内未交定金，已从%s名下释放到公海", c.Record.Name, fmtTime(clk.ArmedAt), env.Policy.PresaleProtection.Label(), prev.Name))
	eff.Pool = append(eff.Pool, PoolMove{Key: "clock:" + clk.Key(), Kind: "release", At: env.Now, StoreID: c.StoreID,
		From: prev.ID, Rule: clk.Rule, PolicyVersion: clk.PolicyVersion, Due: clk.Due})
	fired(env, eff, clk, fmt.Sprintf("售前保护期满（%s）未交定金，客户从%s名下释放到公海", fmtTime(clk.Due), prev.Name))
}

// toPool moves a pre-sale customer into the public pool: its follow-ups, protection and
// neglect clocks stop; from rules v3 the previous owner's open call-backs, a dispatch still
// waiting and an open dispute no longer apply (Conclude closes their tasks). why names the
// voided dispute's reason.
func (c *Customer) toPool(env Env, eff *Effects, why string) {
	prev := c.Owner
	c.stopPresale(env, eff, "客户已释放到公海")
	c.Clocks.Cancel(RuleNeglect, "")
	if env.Version >= 3 {
		// Work that was the previous owner's no longer applies (Conclude closes its tasks
		// and stops its clocks): open call-backs and a dispatch still waiting.
		c.Callbacks = slices.DeleteFunc(c.Callbacks, func(cb Callback) bool { return cb.Reached == nil })
		if d := c.dispatch(); d != nil && (d.Status == DispatchProposed || d.Status == DispatchConfirmed) {
			d.Status, d.AnsweredAt, d.Reason = DispatchReturned, env.Now, "客户已释放到公海"
		}
		c.voidDispute(env, eff, why)
	}
	c.PreviousOwner, c.PreviousOwnerUntil = prev, env.Now
	c.Owner, c.OwnerSince, c.Stage = Person{}, env.Now, StagePool
}

// CheckRelease says whether actor may put the customer into the public pool by hand
// (放入公海, issue 13): the store manager or a supervisor (PermReassign), a pre-sale or
// design customer without a deposit — the customers the protection period releases.
func (c *Customer) CheckRelease(actor Actor) error {
	if err := actor.Require(PermReassign, "放入公海"); err != nil {
		return err
	}
	if !(c.Stage == StagePresale || c.Stage == StageDesign) {
		return Errorf(CodeConflict, "%s客户不能放入公海", c.Stage.Label())
	}
	if !c.DepositAt.IsZero() {
		return Errorf(CodeConflict, "已交定金的客户不能放入公海")
	}
	return nil
}

// Release puts the customer into the public pool by hand (放入公海): the same move as the
// protection period's release (toPool), logged with the actor and note; a pool event of
// kind "release" records it.
func (c *Customer) Release(env Env, actor Actor, note string) (Effects, error) {
	if err := c.CheckRelease(actor); err != nil {
		return Effects{}, err
	}
	var eff Effects
	prev := c.Owner
	c.toPool(env, &eff, actor.Name+"将客户放入公海")
	eff.Pool = append(eff.Pool, PoolMove{Key: "release:" + env.Key, Kind: "release", At: env.Now, StoreID: c.StoreID, From: prev.ID})
	eff.log(env, "released", actor.Person(), withNote(fmt.Sprintf("%s将客户从%s名下放入公海", actor.Name, prev.Name), note))
	return eff, nil
}

// served records service to the customer and restarts the neglect watch (SPEC.md step 13).
func (c *Customer) served(env Env) {
	c.LastServiceAt = env.Now
	if i := slices.IndexFunc(c.FlagCauses, func(f FlagCause) bool { return f.Rule == RuleNeglect }); i >= 0 {
		c.FlagCauses = slices.Delete(c.FlagCauses, i, i+1)
		c.settleFlag()
	}
	if env.Version < 1 {
		return
	}
	switch c.Stage {
	case StagePresale, StageDesign, StageDeposit, StageConstruction:
		c.arm(env, RuleNeglect, "", 0, env.Add(env.Now, env.Policy.NeglectAfter), time.Time{})
	default:
		c.Clocks.Cancel(RuleNeglect, "")
	}
}

// neglected flags a customer with no recorded service for the neglect period.
func (c *Customer) neglected(env Env, eff *Effects, clk Clock) {
	c.raiseFlag(FlagCause{Rule: RuleNeglect, Reason: neglectReason(env.Policy)})
	c.notify(env, eff, clk, ToStoreManager, "服务不到位：请跟进或重新分配",
		fmt.Sprintf("%s自%s起无服务记录（归属人%s）", c.Record.Name, fmtTime(c.LastServiceAt), c.Owner.Name))
	fired(env, eff, clk, fmt.Sprintf("服务不到位：自%s起%s无服务记录，标记待重新分配", fmtTime(c.LastServiceAt), env.Policy.NeglectAfter.Label()))
}

// CheckReassign says whether actor may give the customer to owner.
func (c *Customer) CheckReassign(actor Actor, owner Person) error {
	return c.CheckReassignTo(actor, owner, "")
}

// CheckReassignTo says whether actor may give the customer to owner and, when store is
// another store, move the customer there: only a supervisor who oversees both stores
// moves a customer between stores.
func (c *Customer) CheckReassignTo(actor Actor, owner Person, store string) error {
	if err := c.canReassign(actor); err != nil {
		return err
	}
	if store != "" && store != c.StoreID && !(actor.Role == RoleSupervisor && actor.InStore(store) && actor.InStore(c.StoreID)) {
		return &Error{Code: CodeForbidden, Message: "只有总监可以把客户调到其管辖的其他门店",
			Fields: []FieldError{{Field: InStore, Message: "须为客户所在门店"}}}
	}
	if owner.ID == "" {
		return &Error{Code: CodeInvalid, Message: "请选择新的归属人", Fields: []FieldError{{Field: "person", Message: "必选"}}}
	}
	if owner.ID == c.Owner.ID && c.Flag == "" {
		return Errorf(CodeConflict, "%s已是归属人", owner.Name)
	}
	return nil
}

func (c *Customer) canReassign(actor Actor) error {
	if err := actor.Require(PermReassign, "重新分配客户"); err != nil {
		return err
	}
	if c.Stage == StageInvalid || c.Stage == StageArchived {
		return Errorf(CodeConflict, "%s客户不能重新分配", c.Stage.Label())
	}
	return nil
}

// Reassign gives the customer a new owner (store manager or supervisor): the flag is
// cleared and the open tasks addressed to the previous owner move to the new one.
// Reassigning a flagged customer (待重新分配) to its current owner confirms the owner:
// the flag and the escalations that raised it are cleared, the customer stays where it
// is, and the overdue work itself stays open (and overdue) with its owner.
func (c *Customer) Reassign(env Env, actor Actor, owner Person, note string) (Effects, error) {
	return c.ReassignTo(env, actor, owner, "", note)
}

// ReassignTo is Reassign, moving the customer to store first when it is another store:
// from then on the staff of that store see it, and those of the old store no longer do.
func (c *Customer) ReassignTo(env Env, actor Actor, owner Person, store, note string) (Effects, error) {
	if err := c.CheckReassignTo(actor, owner, store); err != nil {
		return Effects{}, err
	}
	var eff Effects
	if store != "" && store != c.StoreID {
		from := c.StoreID
		c.StoreID, c.Record.StoreID = store, store
		eff.log(env, "store_moved", actor.Person(), fmt.Sprintf("%s将客户从门店%s调到门店%s", actor.Name, from, store))
	}
	if owner.ID == c.Owner.ID {
		flag := c.Flag
		c.clearFlag()
		eff.log(env, "owner_confirmed", actor.Person(), withNote(fmt.Sprintf("%s确认%s继续为归属人，解除待重新分配标记（%s）", actor.Name, owner.Name, flag), note))
		return eff, nil
	}
	prev := c.Owner
	c.Owner, c.OwnerSince = owner, env.Now
	c.clearFlag()
	eff.Limits = append(eff.Limits, env.Policy.Take(LimitOwnerCapacity, owner))
	if prev.ID != "" {
		eff.Reassign = &Reassignment{From: prev.ID, To: owner.ID}
	}
	if c.Stage == StagePool {
		c.Stage = StagePresale
		c.closePoolNotices(env, &eff)
		eff.Pool = append(eff.Pool, PoolMove{Key: env.Key, Kind: "claim", At: env.Now, StoreID: c.StoreID, From: c.PreviousOwner.ID, To: owner.ID})
		c.enterPresale(env, &eff)
	}
	from := prev.Name
	if from == "" {
		from = "公海"
	}
	eff.log(env, "reassign", actor.Person(), withNote(fmt.Sprintf("%s将客户从%s重新分配给%s", actor.Name, from, owner.Name), note))
	c.served(env)
	return eff, nil
}

// CheckProposeInvalid says whether actor may propose the customer invalid.
func (c *Customer) CheckProposeInvalid(actor Actor, reason string) error {
	if err := c.canProposeInvalid(actor); err != nil {
		return err
	}
	if reason == "" {
		return &Error{Code: CodeInvalid, Message: "请说明无效原因", Fields: []FieldError{{Field: "note", Message: "必填（无效原因）"}}}
	}
	return nil
}

func (c *Customer) canProposeInvalid(actor Actor) error {
	if err := actor.Require(PermInvalidPropose, "申请无效客户"); err != nil {
		return err
	}
	if c.Stage == StageInvalid || c.Stage == StageArchived {
		return Errorf(CodeConflict, "%s客户不能申请无效", c.Stage.Label())
	}
	if c.InvalidProposal != nil {
		return Errorf(CodeConflict, "已有待审核的无效申请（%s提出）", c.InvalidProposal.By.Name)
	}
	return nil
}

// ProposeInvalid records a customer manager's proposal; the store manager must rule on it.
func (c *Customer) ProposeInvalid(env Env, actor Actor, reason string) (Effects, error) {
	if err := c.CheckProposeInvalid(actor, reason); err != nil {
		return Effects{}, err
	}
	var eff Effects
	c.InvalidProposal = &Proposal{By: actor.Person(), At: env.Now, Reason: reason}
	c.openWork(env, &eff, RuleInvalidReview, "", env.Add(env.Now, env.Policy.DisputeRuleWithin),
		fmt.Sprintf("%s申请将%s设为无效客户：%s", actor.Name, c.Record.Name, reason))
	eff.log(env, "invalid_proposed", actor.Person(), "申请设为无效客户："+reason)
	return eff, nil
}

// CheckRuleInvalid says whether actor may confirm or reject the pending proposal.
func (c *Customer) CheckRuleInvalid(actor Actor) error {
	if err := actor.Require(PermInvalidConfirm, "审核无效客户"); err != nil {
		return err
	}
	if c.InvalidProposal == nil {
		return Errorf(CodeConflict, "没有待审核的无效申请")
	}
	if !actor.InStore(c.StoreID) {
		return Errorf(CodeForbidden, "只有本店店经理可以审核")
	}
	return nil
}

// ConfirmInvalid makes the customer invalid (store manager only): it leaves the active
// pipeline, its clocks stop, its open tasks are cancelled and its phone is released; the
// record stays searchable.
func (c *Customer) ConfirmInvalid(env Env, actor Actor, note string) (Effects, error) {
	if err := c.CheckRuleInvalid(actor); err != nil {
		return Effects{}, err
	}
	var eff Effects
	reason := c.InvalidProposal.Reason
	c.InvalidProposal = nil
	c.Stage, c.InvalidAt, c.InvalidBy = StageInvalid, env.Now, actor.Person()
	c.Clocks.CancelAll()
	c.FollowUp = nil
	eff.CloseAll, eff.CloseAllReason = TaskCancelled, ReasonInvalid
	c.closeWork(env, &eff, RuleInvalidReview, "", TaskDone, actor.Person(), "确认无效")
	eff.ReleasePhone = true
	eff.log(env, "invalid", actor.Person(), withNote(fmt.Sprintf("%s确认无效客户（原因：%s）", actor.Name, reason), note))
	return eff, nil
}

// RejectInvalid turns the proposal down; the customer stays active.
func (c *Customer) RejectInvalid(env Env, actor Actor, note string) (Effects, error) {
	if err := c.CheckRuleInvalid(actor); err != nil {
		return Effects{}, err
	}
	var eff Effects
	c.InvalidProposal = nil
	c.closeWork(env, &eff, RuleInvalidReview, "", TaskDone, actor.Person(), "驳回")
	eff.log(env, "invalid_rejected", actor.Person(), withNote(actor.Name+"驳回无效客户申请", note))
	return eff, nil
}

// Adopt brings a customer whose workflow began under older rules up to the rules of
// env.Version at its next live event: a pre-sale customer filed before the pre-sale
// clocks shipped gets this month's follow-ups, the protection period and the neglect
// watch. It changes nothing for a customer already under the current rules.
func (c *Customer) Adopt(env Env) Effects {
	var eff Effects
	if env.Version >= 1 && c.presale() && c.FollowUp == nil && c.Owner.ID != "" {
		c.enterPresale(env, &eff)
	}
	c.noteCalendarFallbacks(env, &eff)
	return eff
}
