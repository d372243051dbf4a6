package renoflow

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Dispute outcomes (SPEC.md step 2 "Disputed ownership").
const (
	DisputeOwner    = "owner"    // the current owner keeps the customer
	DisputeClaimant = "claimant" // the claimant becomes the owner
	DisputeSplit    = "split"    // both brought the customer in: 50/50 split of credit
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
	Evidence []string  `json:"evidence"`
	Outcome  string    `json:"outcome,omitempty"`
	RuledBy  Person    `json:"ruled_by,omitzero"`
	RuledAt  time.Time `json:"ruled_at,omitzero"`
	Ruling   string    `json:"ruling,omitempty"`
	// Credit is the share of the sale each person is credited with after the ruling.
	Credit map[string]int `json:"credit,omitempty"`
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
	if err := actor.Require(PermDispute, "申请归属裁决"); err != nil {
		return err
	}
	if strings.TrimSpace(statement) == "" {
		return &Error{Code: CodeInvalid, Message: "请说明您的依据", Fields: []FieldError{{Field: "note", Message: "必填（报备时间、邀约记录、通话记录等）"}}}
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
	c.Disputes = append(c.Disputes, d)
	due := env.Add(env.Now, env.Policy.DisputeRuleWithin)
	c.openWork(env, &eff, RuleDispute, d.ID, due, fmt.Sprintf("%s对客户%s的归属提出争议（现归属%s），请于%s前裁决",
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
		kind := map[string]string{ConsultVisit: "到店", ConsultPhone: "来电"}[c.FirstConsult]
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
func (c *Customer) CheckRuleDispute(actor Actor, outcome string) error {
	if err := actor.Require(PermDisputeRule, "裁决归属争议"); err != nil {
		return err
	}
	if !actor.InStore(c.StoreID) {
		return Errorf(CodeForbidden, "只有本店店经理或总监可以裁决")
	}
	switch outcome {
	case DisputeOwner, DisputeClaimant, DisputeSplit:
	default:
		return &Error{Code: CodeInvalid, Message: "裁决结果有误", Fields: []FieldError{{Field: "outcome", Message: "只能是 owner（原归属人）、claimant（申请人）或 split（各50%）"}}}
	}
	if c.openDispute() == nil {
		return Errorf(CodeConflict, "没有待裁决的归属争议")
	}
	return nil
}

// RuleDispute records the ruling and who made it: the owner keeps the customer, the
// claimant takes it over, or both share the credit 50/50.
func (c *Customer) RuleDispute(env Env, actor Actor, outcome, ruling string) (Effects, error) {
	if err := c.CheckRuleDispute(actor, outcome); err != nil {
		return Effects{}, err
	}
	var eff Effects
	d := c.openDispute()
	d.Outcome, d.RuledBy, d.RuledAt, d.Ruling = outcome, actor.Person(), env.Now, ruling
	var summary string
	switch outcome {
	case DisputeOwner:
		d.Credit = map[string]int{d.Owner.ID: 100}
		summary = fmt.Sprintf("裁决归属争议%s：维持%s为归属人", d.ID, d.Owner.Name)
	case DisputeClaimant:
		d.Credit = map[string]int{d.Claimant.ID: 100}
		prev := c.Owner
		c.Owner, c.OwnerSince = d.Claimant, env.Now
		c.clearFlag()
		eff.Reassign = &Reassignment{From: prev.ID, To: d.Claimant.ID}
		eff.Limits = append(eff.Limits, env.Policy.Take(LimitOwnerCapacity, d.Claimant))
		summary = fmt.Sprintf("裁决归属争议%s：客户改归%s", d.ID, d.Claimant.Name)
	case DisputeSplit:
		d.Credit = map[string]int{d.Owner.ID: 50, d.Claimant.ID: 50}
		summary = fmt.Sprintf("裁决归属争议%s：%s与%s共同带客，业绩各50%%，归属人仍为%s", d.ID, d.Owner.Name, d.Claimant.Name, d.Owner.Name)
	}
	c.closeWork(env, &eff, RuleDispute, d.ID, TaskDone, actor.Person(), summary)
	eff.log(env, "dispute_ruled", actor.Person(), withNote(summary, ruling))
	return eff, nil
}
