package renoflow

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Dispute is an ownership dispute (撞单 / 归属争议): a staff member claims a customer another
// owns; the store manager rules on it within DisputeRuleWithin, escalating to the
// supervisor.
type Dispute struct {
	ID       string    `json:"id"`
	Claimant Person    `json:"claimant"`
	Owner    Person    `json:"owner"`
	OpenedAt time.Time `json:"opened_at"`
	// Evidence is each side's record: the claimant's statement and what the customer's
	// record shows for the owner (filing time, channel, visits, call records).
	Evidence []string       `json:"evidence"`
	Outcome  DisputeOutcome `json:"outcome,omitempty"`
	RuledBy  Person         `json:"ruled_by,omitzero"`
	RuledAt  time.Time      `json:"ruled_at,omitzero"`
	Ruling   string         `json:"ruling,omitempty"`
	// Credit is the share of the sale each person is credited with after the ruling.
	Credit map[string]int `json:"credit,omitempty"`
	// Appeal marks a dispute reopened after a store manager's ruling between the same two
	// people: only the supervisor rules on it, and that ruling is final (seed 003 撞单四：
	// 如员工对处理结果不满…最终由客服监察部裁决; 5.2 不允许越级).
	Appeal bool `json:"appeal,omitempty"`
	// Subsidy is the subsidy (元) granted to the community list's holder (SubsidyTo).
	Subsidy   int    `json:"subsidy_yuan,omitempty"`
	SubsidyTo Person `json:"subsidy_to,omitzero"`
	// RuledBySupervisor: the ruling was the supervisor's (final between the two).
	RuledBySupervisor bool `json:"ruled_by_supervisor,omitempty"`
}

// lastRuled returns the latest ruled dispute between a and b (either side), if any.
func (c *Customer) lastRuled(a, b string) *Dispute {
	for i := len(c.Disputes) - 1; i >= 0; i-- {
		d := &c.Disputes[i]
		if d.Open() {
			continue
		}
		if (d.Claimant.ID == a && d.Owner.ID == b) || (d.Claimant.ID == b && d.Owner.ID == a) {
			return d
		}
	}
	return nil
}

// CheckDisputeWindow says whether an ownership dispute is still accepted at now: a
// customer who paid a deposit may be disputed only within DisputeWindow of the deposit
// (seed 003 撞单 5：自交订金之日起一个月上报为准); before the deposit, any time.
func (c *Customer) CheckDisputeWindow(now time.Time, p Policy, cal *Calendar) error {
	if c.DepositAt.IsZero() {
		return nil
	}
	end := cal.Add(c.DepositAt, p.DisputeWindow)
	if now.After(end) {
		return Errorf(CodeConflict, "归属争议须自交定金之日起%s内上报：定金登记于%s，已于%s截止",
			p.DisputeWindow.Label(), fmtTime(c.DepositAt), fmtTime(end))
	}
	return nil
}

// checkDisputeLevel holds seed 003's rules on who opens and who rules a dispute (rules
// version 2): after a supervisor's ruling (or an appeal's) between the same two people
// there is no further dispute; an appeal is ruled by the supervisor only; the supervisor
// rules a first dispute only once the store manager's deadline has passed (不允许越级).
func (c *Customer) checkDisputeLevel(actor Actor, d *Dispute) error {
	if d.Appeal {
		if !actor.Is(RoleSupervisor) {
			return Errorf(CodeForbidden, "争议%s是对店经理裁决的申诉，须由总监裁决", d.ID)
		}
		return nil
	}
	if actor.Is(RoleSupervisor) {
		if clk, ok := c.Clocks.Find(RuleDispute, d.ID); ok && clk.Seq <= 1 {
			return Errorf(CodeForbidden, "争议%s须先由店经理于%s前裁决，逾期后总监方可裁决（不得越级）", d.ID, fmtTime(clk.Due))
		}
	}
	return nil
}

// DisputeGuidance lists what seed 003 says decides a dispute between the owner and
// claimant, for the ruling: the filing time is the first evidence and the first to bring
// the customer to the company is preferred (撞单 2); before a designer is assigned the
// first receiver follows the customer up, after it the later one (撞单 1); bringing the
// customer in together splits the credit 50/50 (撞单 3); a customer of another's community
// list who already knew the company earns the list's holder a subsidy (撞单 4).
func (c *Customer) DisputeGuidance(p Policy) []string {
	g := []string{fmt.Sprintf("第一证据：报备登记时间 %s（%s报备）；以先带回公司者为准", fmtTime(c.FiledAt), c.FiledBy.Name)}
	if c.Designer.ID == "" {
		g = append(g, "尚未安排设计师：由第一次接待者负责接洽和跟进")
	} else {
		g = append(g, fmt.Sprintf("已安排设计师%s：由后一位接洽者负责接洽和跟进", c.Designer.Name))
	}
	g = append(g, "两人在小区内共同将客户带回公司：业绩各50%",
		fmt.Sprintf("小区名单分配后他人带回、且客户之前已通过电话或短信了解公司：名单分配人补助%d元/户", p.DisputeListSubsidyYuan))
	return g
}

// Open reports whether the dispute waits for a ruling.
func (d *Dispute) Open() bool { return d.Outcome == "" }

func (c *Customer) openDispute() *Dispute {
	for i := range c.Disputes {
		if c.Disputes[i].Open() {
			return &c.Disputes[i]
		}
	}
	return nil
}

// CheckOpenDispute says whether actor may dispute the customer's ownership now.
func (c *Customer) CheckOpenDispute(actor Actor, statement string) error {
	if err := c.canOpenDispute(actor); err != nil {
		return err
	}
	if strings.TrimSpace(statement) == "" {
		return &Error{Code: CodeInvalid, Message: "请说明您的依据", Fields: []FieldError{{Field: "note", Message: "必填（报备时间、邀约记录、通话记录等）"}}}
	}
	return nil
}

// canOpenDispute: someone of the customer's store other than the owner claims an owned
// customer, one dispute at a time.
func (c *Customer) canOpenDispute(actor Actor) error {
	if err := actor.Require(PermDispute, "申请归属裁决"); err != nil {
		return err
	}
	if !actor.InStore(c.StoreID) && !c.Sees(actor) {
		return notFound()
	}
	if c.Stage == StageInvalid || c.Stage == StageArchived || c.Stage == StagePool || c.Owner.ID == "" {
		return Errorf(CodeConflict, "%s客户没有可争议的归属", c.Stage.Label())
	}
	if actor.ID == c.Owner.ID {
		return Errorf(CodeConflict, "您已是该客户的归属人")
	}
	if d := c.openDispute(); d != nil {
		return Errorf(CodeConflict, "已有待裁决的归属争议（%s提出）", d.Claimant.Name)
	}
	return nil
}

// OpenDispute opens an ownership dispute with both sides' evidence; the store manager
// must rule within DisputeRuleWithin.
func (c *Customer) OpenDispute(env Env, actor Actor, statement string) (Effects, error) {
	if err := c.CheckOpenDispute(actor, statement); err != nil {
		return Effects{}, err
	}
	var eff Effects
	d := Dispute{ID: "D" + strconv.Itoa(len(c.Disputes)+1), Claimant: actor.Person(), Owner: c.Owner, OpenedAt: env.Now,
		Evidence: c.evidence(actor, statement)}
	who := "请于%s前裁决"
	if env.Version >= 2 {
		if err := c.CheckDisputeWindow(env.Now, env.Policy, env.Calendar); err != nil {
			return Effects{}, err
		}
		if prev := c.lastRuled(actor.ID, c.Owner.ID); prev != nil {
			if prev.Appeal || prev.RuledBySupervisor {
				return Effects{}, Errorf(CodeConflict, "%s与%s的归属争议已由%s于%s终裁（争议%s）", actor.Name, c.Owner.Name,
					prev.RuledBy.Name, fmtTime(prev.RuledAt), prev.ID)
			}
			d.Appeal = true
			who = "申诉，须由总监于%s前裁决"
		}
		d.Evidence = append(d.Evidence, c.DisputeGuidance(env.Policy)...)
	}
	c.Disputes = append(c.Disputes, d)
	due := env.Add(env.Now, env.Policy.DisputeRuleWithin)
	c.openWork(env, &eff, RuleDispute, d.ID, due, fmt.Sprintf("%s对客户%s的归属提出争议（现归属%s），"+who,
		actor.Name, c.Record.Name, c.Owner.Name, fmtTime(due)))
	eff.log(env, "dispute", actor.Person(), fmt.Sprintf("归属争议%s：%s主张归属，依据：%s", d.ID, actor.Name, statement))
	return eff, nil
}

// evidence lists what the record shows for each side.
func (c *Customer) evidence(claimant Actor, statement string) []string {
	ev := []string{
		fmt.Sprintf("%s（申请人）：%s", claimant.Name, statement),
		fmt.Sprintf("%s（归属人）：归属自%s；报备人%s，报备时间%s，来源%s", c.Owner.Name, fmtTime(c.OwnerSince),
			c.FiledBy.Name, fmtTime(c.FiledAt), c.Record.Channel.Label()),
	}
	if !c.FirstConsultAt.IsZero() {
		kind := c.FirstConsult.Short()
		ev = append(ev, fmt.Sprintf("首次接触：%s %s", fmtTime(c.FirstConsultAt), kind))
	}
	if !c.LastVisitAt.IsZero() {
		ev = append(ev, "最近到店："+fmtTime(c.LastVisitAt))
	}
	for _, cb := range c.Callbacks {
		if cb.Reached != nil {
			r := "未接通"
			if *cb.Reached {
				r = "已接通"
			}
			ev = append(ev, fmt.Sprintf("回访记录：%s %s %s", fmtTime(cb.At), cb.By.Name, r))
		}
	}
	return ev
}

// CheckRuleDispute says whether actor may rule on the open dispute with outcome.
func (c *Customer) CheckRuleDispute(actor Actor, outcome DisputeOutcome) error {
	if err := c.canRuleDispute(actor); err != nil {
		return err
	}
	if !outcome.Ruling() {
		return &Error{Code: CodeInvalid, Message: "裁决结果有误", Fields: []FieldError{{Field: "outcome", Message: "只能是 owner（原归属人）、claimant（申请人）、split（各50%）或 claimant_subsidy（改归申请人，名单分配人补助）"}}}
	}
	return nil
}

func (c *Customer) canRuleDispute(actor Actor) error {
	if err := actor.Require(PermDisputeRule, "裁决归属争议"); err != nil {
		return err
	}
	if !actor.InStore(c.StoreID) {
		return Errorf(CodeForbidden, "只有本店店经理或总监可以裁决")
	}
	if c.openDispute() == nil {
		return Errorf(CodeConflict, "没有待裁决的归属争议")
	}
	return nil
}

// RuleDispute records the ruling and who made it: the owner keeps the customer, the
// claimant takes it over, or both share the credit 50/50.
func (c *Customer) RuleDispute(env Env, actor Actor, outcome DisputeOutcome, ruling string) (Effects, error) {
	if err := c.CheckRuleDispute(actor, outcome); err != nil {
		return Effects{}, err
	}
	var eff Effects
	d := c.openDispute()
	if env.Version >= 2 {
		if err := c.checkDisputeLevel(actor, d); err != nil {
			return Effects{}, err
		}
	}
	d.Outcome, d.RuledBy, d.RuledAt, d.Ruling = outcome, actor.Person(), env.Now, ruling
	d.RuledBySupervisor = actor.Is(RoleSupervisor)
	var summary string
	switch outcome {
	case DisputeOwner:
		d.Credit = map[string]int{d.Owner.ID: 100}
		summary = fmt.Sprintf("裁决归属争议%s：维持%s为归属人", d.ID, d.Owner.Name)
	case DisputeClaimant, DisputeClaimantSubsidy:
		d.Credit = map[string]int{d.Claimant.ID: 100}
		prev := c.Owner
		c.Owner, c.OwnerSince = d.Claimant, env.Now
		c.clearFlag()
		eff.Reassign = &Reassignment{From: prev.ID, To: d.Claimant.ID}
		eff.Limits = append(eff.Limits, env.Policy.Take(LimitOwnerCapacity, d.Claimant))
		summary = fmt.Sprintf("裁决归属争议%s：客户改归%s", d.ID, d.Claimant.Name)
		if outcome == DisputeClaimantSubsidy {
			d.Subsidy, d.SubsidyTo = env.Policy.DisputeListSubsidyYuan, prev
			summary += fmt.Sprintf("；名单分配人%s获补助%d元", prev.Name, d.Subsidy)
		}
	case DisputeSplit:
		d.Credit = map[string]int{d.Owner.ID: 50, d.Claimant.ID: 50}
		summary = fmt.Sprintf("裁决归属争议%s：%s与%s共同带客，业绩各50%%，归属人仍为%s", d.ID, d.Owner.Name, d.Claimant.Name, d.Owner.Name)
	}
	c.closeWork(env, &eff, RuleDispute, d.ID, TaskDone, actor.Person(), summary)
	eff.log(env, "dispute_ruled", actor.Person(), withNote(summary, ruling))
	return eff, nil
}

// voidDispute ends the open dispute, if any, when the customer goes to the public pool:
// the store manager's ruling task and its escalations no longer apply (Conclude cancels
// them), and no credit is given.
func (c *Customer) voidDispute(env Env, eff *Effects, why string) {
	d := c.openDispute()
	if d == nil || env.Version < 3 {
		return
	}
	d.Outcome, d.RuledAt, d.Ruling = DisputeVoid, env.Now, why
	eff.log(env, "dispute_void", Person{}, fmt.Sprintf("归属争议%s作废：%s", d.ID, why))
}
