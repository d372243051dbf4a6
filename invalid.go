package renoflow

import (
	"fmt"
	"time"
)

// Proposal is a pending request for the store manager (an invalid customer).
type Proposal struct {
	By     Person    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
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
