package renoflow

import (
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Dispatch is one proposal of a designer for the customer.
type Dispatch struct {
	Designer    Person         `json:"designer"`
	Status      DispatchStatus `json:"status"`
	ProposedBy  Person         `json:"proposed_by"`
	ProposedAt  time.Time      `json:"proposed_at"`
	ConfirmedBy Person         `json:"confirmed_by,omitzero"`
	ConfirmedAt time.Time      `json:"confirmed_at,omitzero"`
	// AuthorisedBySupervisor: the store manager was away and a supervisor signed; the
	// store manager's later signature is a late signature (补签).
	AuthorisedBySupervisor bool      `json:"authorised_by_supervisor,omitempty"`
	LateSignedBy           Person    `json:"late_signed_by,omitzero"`
	LateSignedAt           time.Time `json:"late_signed_at,omitzero"`
	AnsweredAt             time.Time `json:"answered_at,omitzero"`
	Reason                 string    `json:"reason,omitempty"`
}

// DesignerInfo is what dispatch needs to know of a designer, read from the database.
type DesignerInfo struct {
	Person
	OnDuty            bool      `json:"on_duty"`
	SuspendedUntil    time.Time `json:"suspended_until,omitzero"`
	DepositCustomers  int       `json:"deposit_customers"` // deposit-paid customers held
	StuckSince        time.Time `json:"stuck_since,omitzero"`
	MaterialTargetMet bool      `json:"material_target_met"`
	DepartmentRank    int       `json:"department_rank"` // 1 = best; 0 = unranked (after the ranked)
	Held              int       `json:"held"`            // customers held
	Senior            bool      `json:"senior"`
	ChargesFee        bool      `json:"charges_fee"`
}

// DispatchOrder describes the customer being dispatched.
type DispatchOrder struct {
	BudgetWan float64
	OffPlan   bool
}

// Ranked is a designer with the outcome of the eligibility rules: eligible ones ranked
// first, each ineligible one with its reason.
type Ranked struct {
	DesignerInfo
	Eligible bool   `json:"eligible"`
	Reason   string `json:"reason,omitempty"`
}

// RankDesigners applies SPEC.md step 5. Eligible: not suspended, on duty today, holding
// fewer than MaxDepositCustomers deposit-paid customers, and not stuck "designing without
// signing" for StuckDesignAfter (except for off-plan customers). Ranked by: for a large
// order, senior or fee-charging designers first; then main-material target met; then
// department ranking; then fewer customers held; then ID for a stable order.
func RankDesigners(ds []DesignerInfo, order DispatchOrder, now time.Time, p Policy, cal *Calendar) []Ranked {
	out := make([]Ranked, 0, len(ds))
	for _, d := range ds {
		r := Ranked{DesignerInfo: d, Eligible: true}
		switch {
		case d.SuspendedUntil.After(now):
			r.Eligible, r.Reason = false, "拒单停派至"+fmtTime(d.SuspendedUntil)
		case !d.OnDuty:
			r.Eligible, r.Reason = false, "今日不在岗"
		case p.Take(LimitDesignerLoad, d.Person).Check(d.DepositCustomers) != nil:
			r.Eligible, r.Reason = false, fmt.Sprintf("已有%d位交定金客户（上限%d）", d.DepositCustomers, p.MaxDepositCustomers)
		case !order.OffPlan && !d.StuckSince.IsZero() && !cal.Add(d.StuckSince, p.StuckDesignAfter).After(now):
			r.Eligible, r.Reason = false, "有客户设计超过"+p.StuckDesignAfter.Label()+"未签约"
		}
		out = append(out, r)
	}
	large := p.LargeOrderBudgetWan > 0 && order.BudgetWan >= p.LargeOrderBudgetWan
	rank := func(r int) int {
		if r <= 0 {
			return 1 << 30
		}
		return r
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Eligible != b.Eligible {
			return a.Eligible
		}
		if large {
			as, bs := a.Senior || a.ChargesFee, b.Senior || b.ChargesFee
			if as != bs {
				return as
			}
		}
		if a.MaterialTargetMet != b.MaterialTargetMet {
			return a.MaterialTargetMet
		}
		if rank(a.DepartmentRank) != rank(b.DepartmentRank) {
			return rank(a.DepartmentRank) < rank(b.DepartmentRank)
		}
		if a.Held != b.Held {
			return a.Held < b.Held
		}
		return a.ID < b.ID
	})
	return out
}

// Order describes the customer for dispatch ranking.
func (c *Customer) Order() DispatchOrder {
	return DispatchOrder{BudgetWan: c.Record.BudgetWan, OffPlan: c.Record.House.OffPlan}
}

// dispatch returns the current dispatch, if any.
func (c *Customer) dispatch() *Dispatch {
	if len(c.Dispatches) == 0 {
		return nil
	}
	return &c.Dispatches[len(c.Dispatches)-1]
}

// CheckProposeDispatch says whether actor may propose a designer now.
func (c *Customer) CheckProposeDispatch(actor Actor, designer Person) error {
	if err := c.canProposeDispatch(actor); err != nil {
		return err
	}
	if designer.ID == "" {
		return &Error{Code: CodeInvalid, Message: "请选择设计师", Fields: []FieldError{{Field: "person", Message: "必选"}}}
	}
	return nil
}

// canProposeDispatch: a pre-sale customer without a pending dispatch is dispatched
// (again, after a refusal or a return).
func (c *Customer) canProposeDispatch(actor Actor) error {
	if err := actor.Require(PermDispatchPropose, "提出派单"); err != nil {
		return err
	}
	if c.Stage != StagePresale {
		return Errorf(CodeConflict, "%s阶段的客户不能派单", c.Stage.Label())
	}
	if d := c.dispatch(); d != nil && (d.Status == DispatchProposed || d.Status == DispatchConfirmed) {
		return Errorf(CodeConflict, "已派单给%s，等待%s", d.Designer.Name, map[DispatchStatus]string{
			DispatchProposed: "店经理确认", DispatchConfirmed: "设计师接单"}[d.Status])
	}
	return nil
}

// ProposeDispatch records the customer manager's proposal; the chosen designer must be
// eligible (ranked is the outcome of RankDesigners for this customer). The store manager
// must confirm within DispatchConfirmWithin.
func (c *Customer) ProposeDispatch(env Env, actor Actor, designer Person, ranked []Ranked, note string) (Effects, error) {
	if err := c.CheckProposeDispatch(actor, designer); err != nil {
		return Effects{}, err
	}
	var found *Ranked
	for i := range ranked {
		if ranked[i].ID == designer.ID {
			found = &ranked[i]
		}
	}
	if found == nil {
		return Effects{}, &Error{Code: CodeInvalid, Message: "该设计师不在本店派单名单中", Fields: []FieldError{{Field: "person", Message: "不是本店设计师"}}}
	}
	if !found.Eligible {
		return Effects{}, Errorf(CodeConflict, "%s暂不能派单：%s", designer.Name, found.Reason)
	}
	var eff Effects
	c.Dispatches = append(c.Dispatches, Dispatch{Designer: found.Person, Status: DispatchProposed, ProposedBy: actor.Person(), ProposedAt: env.Now})
	eff.Limits = append(eff.Limits, env.Policy.Take(LimitDesignerLoad, found.Person))
	c.openWork(env, &eff, RuleDispatchConfirm, c.dispatchSubject(), env.Add(env.Now, env.Policy.DispatchConfirmWithin),
		fmt.Sprintf("%s提出派单：%s → 设计师%s", actor.Name, c.Record.Name, found.Name))
	position := 0
	for i := range ranked {
		if ranked[i].ID == designer.ID {
			position = i + 1
		}
	}
	eff.log(env, "dispatch_proposed", actor.Person(), withNote(fmt.Sprintf("提出派单给设计师%s（推荐排序第%d位）", found.Name, position), note))
	return eff, nil
}

// CheckConfirmDispatch says whether actor may confirm the pending dispatch.
func (c *Customer) CheckConfirmDispatch(actor Actor) error {
	if err := actor.Require(PermDispatchConfirm, "确认派单"); err != nil {
		return err
	}
	d := c.dispatch()
	if d == nil {
		return Errorf(CodeConflict, "没有待确认的派单")
	}
	if d.Status == DispatchProposed {
		return nil
	}
	if d.AuthorisedBySupervisor && d.LateSignedBy.ID == "" && actor.Role == RoleStoreManager &&
		(d.Status == DispatchConfirmed || d.Status == DispatchAccepted) {
		return nil // the store manager's late signature (补签)
	}
	return Errorf(CodeConflict, "没有待确认的派单")
}

// ConfirmDispatch is the store manager's confirmation; a supervisor may authorise when
// the store manager is away, and the store manager's later signature is marked 补签.
// The designer must then accept within DispatchAcceptWithin.
func (c *Customer) ConfirmDispatch(env Env, actor Actor, note string) (Effects, error) {
	if err := c.CheckConfirmDispatch(actor); err != nil {
		return Effects{}, err
	}
	var eff Effects
	d := c.dispatch()
	if d.Status != DispatchProposed {
		d.LateSignedBy, d.LateSignedAt = actor.Person(), env.Now
		eff.log(env, "dispatch_late_signed", actor.Person(), withNote(fmt.Sprintf("店经理%s补签派单（总监%s代签）", actor.Name, d.ConfirmedBy.Name), note))
		return eff, nil
	}
	d.Status, d.ConfirmedBy, d.ConfirmedAt = DispatchConfirmed, actor.Person(), env.Now
	eff.Limits = append(eff.Limits, env.Policy.Take(LimitDesignerLoad, d.Designer))
	d.AuthorisedBySupervisor = actor.Role == RoleSupervisor
	c.closeWork(env, &eff, RuleDispatchConfirm, c.dispatchSubject(), TaskDone, actor.Person(), "已确认")
	due := env.Add(env.Now, env.Policy.DispatchAcceptWithin)
	c.openWorkFor(env, &eff, RuleDispatchAccept, c.dispatchSubject(), due, d.Designer.ID,
		fmt.Sprintf("新派单：%s（%s），请于%s前接单或拒单", c.Record.Name, c.Record.House.Community, fmtTime(due)))
	what := "店经理确认派单"
	if d.AuthorisedBySupervisor {
		what = "总监代签派单（店经理不在，待补签）"
	}
	eff.log(env, "dispatch_confirmed", actor.Person(), withNote(fmt.Sprintf("%s：设计师%s", what, d.Designer.Name), note))
	return eff, nil
}

// CheckAnswerDispatch says whether actor (the proposed designer) may accept or refuse.
func (c *Customer) CheckAnswerDispatch(actor Actor) error {
	if err := actor.Require(PermDispatchRespond, "接单或拒单"); err != nil {
		return err
	}
	d := c.dispatch()
	if d == nil || d.Status != DispatchConfirmed {
		return Errorf(CodeConflict, "没有待接的派单")
	}
	if d.Designer.ID != actor.ID {
		return Errorf(CodeForbidden, "该派单给的是设计师%s", d.Designer.Name)
	}
	return nil
}

// AcceptDispatch: the designer takes the customer; measurement and design begin.
func (c *Customer) AcceptDispatch(env Env, actor Actor, note string) (Effects, error) {
	if err := c.CheckAnswerDispatch(actor); err != nil {
		return Effects{}, err
	}
	var eff Effects
	d := c.dispatch()
	d.Status, d.AnsweredAt = DispatchAccepted, env.Now
	c.Designer, c.DesignSince, c.Stage = d.Designer, env.Now, StageDesign
	c.closeWork(env, &eff, RuleDispatchAccept, c.dispatchSubject(), TaskDone, actor.Person(), "已接单")
	c.served(env)
	eff.log(env, "dispatch_accepted", actor.Person(), withNote("设计师"+actor.Name+"接单", note))
	return eff, nil
}

// RefuseDispatch: the designer refuses; the dispatch returns to the customer manager and
// the designer is off dispatch for RefusalSuspension (itself a clock).
func (c *Customer) RefuseDispatch(env Env, actor Actor, reason string) (Effects, error) {
	if err := c.CheckAnswerDispatch(actor); err != nil {
		return Effects{}, err
	}
	if reason == "" {
		return Effects{}, &Error{Code: CodeInvalid, Message: "请说明拒单原因", Fields: []FieldError{{Field: "note", Message: "必填（拒单原因）"}}}
	}
	var eff Effects
	d := c.dispatch()
	d.Status, d.AnsweredAt, d.Reason = DispatchRefused, env.Now, reason
	c.closeWork(env, &eff, RuleDispatchAccept, c.dispatchSubject(), TaskDone, actor.Person(), "拒单："+reason)
	until := env.Add(env.Now, env.Policy.RefusalSuspension)
	eff.Suspensions = append(eff.Suspensions, Suspension{DesignerID: actor.ID, Until: until})
	c.arm(env, RuleSuspensionEnd, actor.ID, 0, until, time.Time{})
	t := c.newTask(env, RuleDispatchAccept, c.dispatchSubject(), 2, ToOwner, dueNow(env, env.Now), fmt.Sprintf("设计师%s拒单：%s", actor.Name, reason))
	t.Title = "设计师拒单：请重新派单"
	eff.Tasks = append(eff.Tasks, t)
	eff.log(env, "dispatch_refused", actor.Person(), fmt.Sprintf("设计师%s拒单：%s；停止派单至%s", actor.Name, reason, fmtTime(until)))
	return eff, nil
}

// dispatchSubject is the task subject of the current dispatch ("d1", "d2", …), so each
// dispatch has its own tasks; seq 0 is the work, 1 the overdue return, 2 a refusal notice.
func (c *Customer) dispatchSubject() string { return "d" + strconv.Itoa(len(c.Dispatches)) }

// returnDispatch: the designer did not accept in time; the dispatch returns to the
// customer manager.
func (c *Customer) returnDispatch(env Env, eff *Effects, clk Clock) {
	d := c.dispatch()
	if d == nil || d.Status != DispatchConfirmed {
		return
	}
	d.Status, d.AnsweredAt, d.Reason = DispatchReturned, env.Now, "未在时限内接单"
	c.Clocks.Cancel(RuleDispatchAccept, clk.Subject)
	eff.Closed = append(eff.Closed, TaskClose{Rule: RuleDispatchAccept, Subject: clk.Subject, Seq: 0, Status: TaskCancelled, At: env.Now, Outcome: "超时未接单，派单退回", Reason: "超时未接单，派单退回"})
	c.notify(env, eff, clk, ToOwner, "派单退回：设计师未按时接单",
		fmt.Sprintf("设计师%s未在%s前接单，请重新派单", d.Designer.Name, fmtTime(clk.WorkDue)))
	fired(env, eff, clk, fmt.Sprintf("派单退回：设计师%s未在%s前接单", d.Designer.Name, fmtTime(clk.WorkDue)))
}

// suspensionEnded: a refusing designer's suspension is over.
func (c *Customer) suspensionEnded(env Env, eff *Effects, clk Clock) {
	eff.Suspensions = append(eff.Suspensions, Suspension{DesignerID: clk.Subject, Until: clk.Due, Lift: true})
	c.notify(env, eff, clk, ToStoreManager, "设计师恢复派单", "拒单停派期满，设计师可再接派单")
	fired(env, eff, clk, "设计师拒单停派期满，恢复派单")
}

// CheckDesign says whether actor may record measurement or design progress.
func (c *Customer) CheckDesign(actor Actor) error {
	if err := actor.Require(PermDesign, "登记量房或方案进度"); err != nil {
		return err
	}
	if c.Designer.ID == "" || !(c.Stage == StageDesign || c.Stage == StageDeposit) {
		return Errorf(CodeConflict, "设计师接单后才能登记量房和方案")
	}
	if actor.Role == RoleDesigner && actor.ID != c.Designer.ID {
		return Errorf(CodeForbidden, "只有负责的设计师%s可以登记", c.Designer.Name)
	}
	return nil
}

// CheckMeasure says whether actor may record the house measured: once, by whoever may
// record design progress.
func (c *Customer) CheckMeasure(actor Actor) error {
	if err := c.CheckDesign(actor); err != nil {
		return err
	}
	if !c.MeasuredAt.IsZero() {
		return Errorf(CodeConflict, "已于%s量房", fmtTime(c.MeasuredAt))
	}
	return nil
}

// Measure records the house measured (量房); an open first call-back is no longer due.
func (c *Customer) Measure(env Env, actor Actor, note string) (Effects, error) {
	if err := c.CheckMeasure(actor); err != nil {
		return Effects{}, err
	}
	var eff Effects
	c.Measured, c.MeasuredAt = true, env.Now
	c.served(env)
	eff.log(env, "measured", actor.Person(), withNote("量房完成", note))
	return eff, nil
}

// DesignProgress records a step of the design (方案).
func (c *Customer) DesignProgress(env Env, actor Actor, note string) (Effects, error) {
	if err := c.CheckDesign(actor); err != nil {
		return Effects{}, err
	}
	if note == "" {
		return Effects{}, &Error{Code: CodeInvalid, Message: "请填写方案进度", Fields: []FieldError{{Field: "note", Message: "必填"}}}
	}
	var eff Effects
	c.served(env)
	eff.log(env, "design", actor.Person(), "方案进度："+note)
	return eff, nil
}

// openWorkFor is openWork addressed to a given person.
func (c *Customer) openWorkFor(env Env, eff *Effects, rule Rule, subject string, due time.Time, personID, detail string) {
	t := c.newTask(env, rule, subject, 0, "", dueNow(env, due), detail)
	t.AssigneeID = personID
	eff.Tasks = append(eff.Tasks, t)
	c.arm(env, rule, subject, 1, due, due)
}
