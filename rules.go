package renoflow

// Rule names a timed rule of the rule book. Every task, timeline entry and clock records
// the rule that made it, so any reminder can be traced back to SPEC.md.
type Rule string

// The timed rules, one per clock the customer workflow can hold.
const (
	RuleVerify            Rule = "verify"              // step 1: customer service verifies the filing
	RuleClaimReminder     Rule = "claim.reminder"      // step 2: the owner is reminded before the claim lapses
	RuleClaimExpiry       Rule = "claim.expiry"        // step 2: the claim lapses, the customer goes to the pool
	RuleFirstCallback     Rule = "callback"            // step 3: first call-back after the first consultation
	RulePresaleProtection Rule = "presale.protection"  // step 2: a consulted customer without deposit is released
	RuleDispute           Rule = "dispute"             // step 2: the store manager rules on disputed ownership
	RuleFollowUp          Rule = "followup"            // step 4: a scheduled monthly follow-up
	RuleFollowUpMonth     Rule = "followup.month"      // step 4: the month closes, missing follow-ups are counted
	RuleDispatchConfirm   Rule = "dispatch.confirm"    // step 5: the store manager confirms a proposed designer
	RuleDispatchAccept    Rule = "dispatch.accept"     // step 5: the designer accepts the dispatch
	RuleSuspensionEnd     Rule = "designer.suspension" // step 5: a refusing designer returns to dispatch
	RuleDepositVisit      Rule = "deposit.visit"       // step 7: return visit after the deposit
	RuleContractVisit     Rule = "contract.visit"      // seed 004: sales-service return visit after the contract
	RuleWeeklyCheck       Rule = "construction.weekly" // step 8: weekly check while under construction
	RuleInspectionVisit   Rule = "inspection.visit"    // step 9: return visit after each inspection
	RuleAfterSalesNotice  Rule = "aftersales.notice"   // step 10: the customer is told a week before a visit
	RuleAfterSalesVisit   Rule = "aftersales.visit"    // step 10: after-sales visit every six months
	RuleLivingExperience  Rule = "aftersales.living"   // step 10: 3-month living-experience visit
	RuleHouseCheck        Rule = "aftersales.check"    // step 10: 1-year house check
	RuleComplaintAnswer   Rule = "complaint.answer"    // step 11: a complaint is answered within 24 h
	RuleComplaintResolve  Rule = "complaint.resolve"   // step 11: a complaint is resolved within 3 days
	RuleNeglect           Rule = "neglect"             // step 13: no recorded service for 3 months
	RuleInvalidReview     Rule = "invalid.review"      // step 12: the store manager rules on an invalid proposal
)

// Recipient says who a task goes to, relative to the customer.
type Recipient string

// Recipients of tasks: a person tied to the customer, or a role in the customer's store.
const (
	ToOwner           Recipient = "owner"            // the customer's owner (归属人)
	ToDesigner        Recipient = "designer"         // the assigned (or proposed) designer
	ToHandler         Recipient = "handler"          // the person handling a complaint
	ToCustomerService Recipient = "customer_service" // any customer-service member of the store
	ToCSLead          Recipient = "cs_lead"          // the customer-service lead of the store
	ToStoreManager    Recipient = "store_manager"    // the store manager
	ToSupervisor      Recipient = "supervisor"       // the supervisor over the store
)

// RuleSpec describes a rule: its Chinese title, who does the work, and who hears of it,
// step by step, once it is overdue (the escalation ladder).
type RuleSpec struct {
	Rule    Rule
	Title   string    // what the task asks, in Chinese
	Section string    // where SPEC.md states it
	Work    Recipient // who does the work; "" for a rule that only tells someone
	Overdue Recipient // the first to hear when the work is overdue ("" = the Work recipient is reminded)
	Ladder  bool      // whether an overdue task climbs the escalation ladder
}

var ruleSpecs = map[Rule]RuleSpec{
	RuleVerify:            {RuleVerify, "核实报备", "lifecycle 1", ToCustomerService, ToCSLead, true},
	RuleClaimReminder:     {RuleClaimReminder, "报备明天到期，请邀约客户到店", "lifecycle 2", "", "", false},
	RuleClaimExpiry:       {RuleClaimExpiry, "报备作废：7天内未到店，客户进入公海", "lifecycle 2", "", "", false},
	RuleFirstCallback:     {RuleFirstCallback, "首谈回访", "lifecycle 3", ToOwner, ToStoreManager, true},
	RulePresaleProtection: {RulePresaleProtection, "售前保护期满：未交定金，客户释放到公海", "lifecycle 2", "", "", false},
	RuleDispute:           {RuleDispute, "裁决客户归属争议", "lifecycle 2", ToStoreManager, ToSupervisor, true},
	RuleFollowUp:          {RuleFollowUp, "月度跟进", "lifecycle 4", ToOwner, "", true},
	RuleFollowUpMonth:     {RuleFollowUpMonth, "月度跟进考核", "lifecycle 4", "", "", false},
	RuleDispatchConfirm:   {RuleDispatchConfirm, "确认派单", "lifecycle 5", ToStoreManager, ToSupervisor, true},
	RuleDispatchAccept:    {RuleDispatchAccept, "接单（派单待设计师确认）", "lifecycle 5", ToDesigner, ToOwner, false},
	RuleSuspensionEnd:     {RuleSuspensionEnd, "设计师停止派单期满", "lifecycle 5", "", "", false},
	RuleDepositVisit:      {RuleDepositVisit, "定金后回访", "lifecycle 7", ToCustomerService, "", true},
	RuleContractVisit:     {RuleContractVisit, "签约后销售服务回访", "seed 004", ToCustomerService, "", true},
	RuleWeeklyCheck:       {RuleWeeklyCheck, "每周综合检查", "lifecycle 8", ToOwner, "", true},
	RuleInspectionVisit:   {RuleInspectionVisit, "验收回访", "lifecycle 9", ToCustomerService, "", true},
	RuleAfterSalesNotice:  {RuleAfterSalesNotice, "通知客户：一周后售后回访", "lifecycle 10", "", "", false},
	RuleAfterSalesVisit:   {RuleAfterSalesVisit, "售后回访", "lifecycle 10", ToCustomerService, "", true},
	RuleLivingExperience:  {RuleLivingExperience, "入住体验回访（3个月）", "lifecycle 10", ToCustomerService, "", true},
	RuleHouseCheck:        {RuleHouseCheck, "一年房屋检查", "lifecycle 10", ToCustomerService, "", true},
	RuleComplaintAnswer:   {RuleComplaintAnswer, "答复投诉", "lifecycle 11", ToHandler, "", true},
	RuleComplaintResolve:  {RuleComplaintResolve, "解决投诉", "lifecycle 11", ToHandler, ToStoreManager, true},
	RuleNeglect:           {RuleNeglect, "服务不到位：3个月无服务记录", "lifecycle 13", "", "", false},
	RuleInvalidReview:     {RuleInvalidReview, "审核无效客户申请", "lifecycle 12", ToStoreManager, "", true},
}

// Spec returns the description of rule r.
func (r Rule) Spec() RuleSpec {
	if s, ok := ruleSpecs[r]; ok {
		return s
	}
	return RuleSpec{Rule: r, Title: string(r)}
}

// Title is the Chinese title of rule r.
func (r Rule) Title() string { return r.Spec().Title }

// EscalationStep is one rung of the escalation ladder (SPEC.md "Escalation ladder").
type EscalationStep struct {
	Seq   int       // the clock sequence number of the rung (the work itself is 0)
	To    Recipient // who is told
	Title string    // what the task says
	Flag  bool      // the customer is flagged for reassignment
	Next  Span      // delay to the following rung; zero = last rung
}

// Escalation returns the rung reached when the clock (rule, seq) fires, seq ≥ 1: first the
// overdue recipient is reminded, then (after EscalateCopyAfter) the store manager is
// copied, then (after EscalateFlagAfter) the customer is flagged for reassignment. A rung
// whose recipient would repeat the previous one is skipped. ok is false past the last rung
// or for a rule without a ladder.
func Escalation(rule Rule, seq int, p Policy) (step EscalationStep, ok bool) {
	spec := rule.Spec()
	if !spec.Ladder || seq < 1 {
		return EscalationStep{}, false
	}
	first := spec.Overdue
	if first == "" {
		first = spec.Work
	}
	rungs := []EscalationStep{{To: first, Title: "逾期提醒：" + spec.Title}}
	if first != ToStoreManager && first != ToSupervisor {
		rungs = append(rungs, EscalationStep{To: ToStoreManager, Title: "逾期抄送店经理：" + spec.Title})
	}
	rungs = append(rungs, EscalationStep{To: ToStoreManager, Title: "逾期未办，标记待重新分配：" + spec.Title, Flag: true})
	for i := range rungs {
		rungs[i].Seq = i + 1
		switch {
		case i+1 == len(rungs):
		case i == 0 && len(rungs) == 3:
			rungs[i].Next = p.EscalateCopyAfter
		default:
			rungs[i].Next = p.EscalateFlagAfter
		}
	}
	if seq > len(rungs) {
		return EscalationStep{}, false
	}
	return rungs[seq-1], true
}

// TitleFor is the rule's title with the durations of policy p, not the defaults (issue
// 13): "报备3分钟后到期" when the policy reminds 3 minutes before, "7天内未到店" as
// 3天 when the claim window is 3 days. Rules whose title names no duration keep Title.
func (r Rule) TitleFor(p Policy) string {
	switch r {
	case RuleClaimReminder:
		when := p.ClaimReminderBefore.Label() + "后"
		if p.ClaimReminderBefore == (Span{1, UnitDay}) {
			when = "明天"
		}
		return "报备" + when + "到期，请邀约客户到店"
	case RuleClaimExpiry:
		return "报备作废：" + p.ClaimWindow.Label() + "内未到店，客户进入公海"
	case RuleNeglect:
		return "服务不到位：" + p.NeglectAfter.Label() + "无服务记录"
	case RuleLivingExperience:
		return "入住体验回访（" + p.LivingExperienceAfter.Label() + "）"
	}
	return r.Title()
}
