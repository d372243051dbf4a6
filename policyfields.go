package renoflow

import (
	"fmt"
	"strconv"
)

// PolicyKind is how a policy setting is written.
type PolicyKind string

// Kinds of policy settings.
const (
	PolicySpan   PolicyKind = "span"   // a duration such as 7d, 2h, 3mo (Span)
	PolicyInt    PolicyKind = "int"    // a whole number, 0–100000
	PolicyNumber PolicyKind = "number" // a number, not negative
)

// PolicyField is one setting of the company policy: its JSON key
// ("follow_ups_per_month.A" for a grade's quota), what it means in Chinese, where SPEC.md
// states the rule, and how it is written. The admin policy page, the policy's validation
// and docs/rules.md all read the one table of them (PolicyFields).
type PolicyField struct {
	Key     string
	Label   string
	Section string
	Kind    PolicyKind

	span   func(*Policy) *Span
	count  func(*Policy) *int
	number func(*Policy) *float64
}

func spanField(key, label, section string, f func(*Policy) *Span) PolicyField {
	return PolicyField{Key: key, Label: label, Section: section, Kind: PolicySpan, span: f}
}

func intField(key, label, section string, f func(*Policy) *int) PolicyField {
	return PolicyField{Key: key, Label: label, Section: section, Kind: PolicyInt, count: f}
}

func numberField(key, label, section string, f func(*Policy) *float64) PolicyField {
	return PolicyField{Key: key, Label: label, Section: section, Kind: PolicyNumber, number: f}
}

// policyFields is every setting of Policy, in the order the admin page shows them
// (TestPolicyFieldsCoverPolicy keeps it complete).
var policyFields = []PolicyField{
	spanField("verify_within", "客服核实报备时限", "1 报备", func(p *Policy) *Span { return &p.VerifyWithin }),
	spanField("claim_window", "报备保护期（须到店）", "2 报备作废", func(p *Policy) *Span { return &p.ClaimWindow }),
	spanField("claim_reminder_before", "报备到期前提醒", "2 报备作废", func(p *Policy) *Span { return &p.ClaimReminderBefore }),
	intField("pool_daily_claim_limit", "每人每日公海认领上限", "2 公海规则", func(p *Policy) *int { return &p.PoolDailyClaimLimit }),
	spanField("pool_cooling_off", "原归属人冷静期（不能重新认领）", "2 公海规则", func(p *Policy) *Span { return &p.PoolCoolingOff }),
	intField("owner_capacity", "每人库容（有效客户上限）", "2 公海规则", func(p *Policy) *int { return &p.OwnerCapacity }),
	spanField("presale_protection", "售前保护期（未交定金释放公海）", "2 保护期", func(p *Policy) *Span { return &p.PresaleProtection }),
	spanField("dispute_rule_within", "店经理裁决归属争议/无效申请时限", "2 归属争议", func(p *Policy) *Span { return &p.DisputeRuleWithin }),
	spanField("dispute_window", "归属争议受理期限（自交定金起）", "2 归属争议", func(p *Policy) *Span { return &p.DisputeWindow }),
	intField("dispute_list_subsidy_yuan", "小区名单分配人补助（元/户）", "2 归属争议", func(p *Policy) *int { return &p.DisputeListSubsidyYuan }),
	spanField("first_callback_within", "首谈回访时限", "3 首谈回访", func(p *Policy) *Span { return &p.FirstCallbackWithin }),
	spanField("callback_retry_after", "未接通再次回访间隔", "3 首谈回访", func(p *Policy) *Span { return &p.CallbackRetryAfter }),
	intField("callback_retries", "未接通后再回访次数", "3 首谈回访", func(p *Policy) *int { return &p.CallbackRetries }),
	intField("follow_ups_per_month.A", "A级每月跟进次数", "4 分级跟进", func(p *Policy) *int { return &p.FollowUpsPerMonth.A }),
	intField("follow_ups_per_month.B", "B级每月跟进次数", "4 分级跟进", func(p *Policy) *int { return &p.FollowUpsPerMonth.B }),
	intField("follow_ups_per_month.C", "C级每月跟进次数", "4 分级跟进", func(p *Policy) *int { return &p.FollowUpsPerMonth.C }),
	intField("follow_ups_per_month.D", "D级每月跟进次数", "4 分级跟进", func(p *Policy) *int { return &p.FollowUpsPerMonth.D }),
	intField("scorecard_points", "月度跟进考核满分", "4 分级跟进", func(p *Policy) *int { return &p.ScorecardPoints }),
	intField("points_per_missed_follow_up", "每缺一次跟进扣分", "4 分级跟进", func(p *Policy) *int { return &p.PointsPerMissedFollowUp }),
	spanField("dispatch_confirm_within", "店经理确认派单时限", "5 派单", func(p *Policy) *Span { return &p.DispatchConfirmWithin }),
	spanField("dispatch_accept_within", "设计师接单时限", "5 派单", func(p *Policy) *Span { return &p.DispatchAcceptWithin }),
	spanField("refusal_suspension", "设计师拒单停派期", "5 派单", func(p *Policy) *Span { return &p.RefusalSuspension }),
	intField("max_deposit_customers", "设计师可持有已交定金客户上限", "5 派单", func(p *Policy) *int { return &p.MaxDepositCustomers }),
	spanField("stuck_design_after", "只设计不签单的判定时长", "5 派单", func(p *Policy) *Span { return &p.StuckDesignAfter }),
	numberField("large_order_budget_wan", "大单预算（万元）", "5 派单", func(p *Policy) *float64 { return &p.LargeOrderBudgetWan }),
	spanField("post_deposit_visit_within", "定金后回访时限", "7 交定金", func(p *Policy) *Span { return &p.PostDepositVisitWithin }),
	spanField("contract_visit_within", "签约后销售服务回访时限", "8 签约施工", func(p *Policy) *Span { return &p.ContractVisitWithin }),
	spanField("weekly_check_every", "施工期综合检查周期", "8 签约施工", func(p *Policy) *Span { return &p.WeeklyCheckEvery }),
	spanField("inspection_visit_within", "验收后回访时限", "9 工程验收", func(p *Policy) *Span { return &p.InspectionVisitWithin }),
	spanField("after_sales_every", "售后回访周期", "10 售后", func(p *Policy) *Span { return &p.AfterSalesEvery }),
	spanField("warranty", "保修期", "10 售后", func(p *Policy) *Span { return &p.Warranty }),
	spanField("after_sales_notice_before", "售后回访提前通知", "10 售后", func(p *Policy) *Span { return &p.AfterSalesNoticeBefore }),
	spanField("living_experience_after", "入住体验回访（竣工后）", "10 售后", func(p *Policy) *Span { return &p.LivingExperienceAfter }),
	spanField("house_check_after", "房屋检查（竣工后）", "10 售后", func(p *Policy) *Span { return &p.HouseCheckAfter }),
	spanField("visit_window", "回访逾期宽限", "10 售后", func(p *Policy) *Span { return &p.VisitWindow }),
	spanField("visit_postpone_every", "未入住客户回访顺延", "10 售后", func(p *Policy) *Span { return &p.VisitPostponeEvery }),
	spanField("complaint_answer_within", "投诉答复时限", "11 投诉", func(p *Policy) *Span { return &p.ComplaintAnswerWithin }),
	spanField("complaint_resolve_within", "投诉解决时限", "11 投诉", func(p *Policy) *Span { return &p.ComplaintResolveWithin }),
	spanField("neglect_after", "无服务记录判定服务不到位", "13 服务不到位", func(p *Policy) *Span { return &p.NeglectAfter }),
	spanField("escalate_copy_after", "逾期后抄送店经理", "升级规则", func(p *Policy) *Span { return &p.EscalateCopyAfter }),
	spanField("escalate_flag_after", "再逾期标记待重新分配", "升级规则", func(p *Policy) *Span { return &p.EscalateFlagAfter }),
	spanField("calendar_warn_before", "公司日历到期前提醒", "日历", func(p *Policy) *Span { return &p.CalendarWarnBefore }),
}

// PolicyFields lists every setting of the policy in the order the admin page shows them.
func PolicyFields() []PolicyField { return append([]PolicyField(nil), policyFields...) }

// PolicyFieldOf returns the setting with key, and whether there is one.
func PolicyFieldOf(key string) (PolicyField, bool) {
	for _, f := range policyFields {
		if f.Key == key {
			return f, true
		}
	}
	return PolicyField{}, false
}

// Text is the setting's value in p as the policy page and docs/rules.md write it: a span
// as 7d, a count as 5, a number as 30.
func (f PolicyField) Text(p Policy) string {
	switch f.Kind {
	case PolicySpan:
		return f.span(&p).String()
	case PolicyInt:
		return strconv.Itoa(*f.count(&p))
	default:
		return fmt.Sprint(*f.number(&p))
	}
}

// PolicyValues is every setting of p as text (PolicyField.Text), keyed by PolicyField.Key.
func PolicyValues(p Policy) map[string]string {
	out := make(map[string]string, len(policyFields))
	for _, f := range policyFields {
		out[f.Key] = f.Text(p)
	}
	return out
}
