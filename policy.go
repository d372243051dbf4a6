package renoflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"
)

// GradeQuota is a number per grade, such as the monthly follow-ups each grade needs.
type GradeQuota struct {
	A int `json:"A"`
	B int `json:"B"`
	C int `json:"C"`
	D int `json:"D"`
}

// Of returns the number for grade g (0 for an ungraded customer).
func (q GradeQuota) Of(g Grade) int {
	switch g {
	case GradeA:
		return q.A
	case GradeB:
		return q.B
	case GradeC:
		return q.C
	case GradeD:
		return q.D
	}
	return 0
}

// Policy holds every duration and number of the rule book as a company setting. Each
// saved edit is a new version; a clock records the version it was armed with, and a
// changed duration applies to clocks armed after the change — running clocks keep theirs.
type Policy struct {
	Version int `json:"-"`

	// Filing and claim (SPEC.md lifecycle steps 1–2).
	VerifyWithin        Span `json:"verify_within"`          // customer service verifies a filing within
	ClaimWindow         Span `json:"claim_window"`           // the customer must visit the store within
	ClaimReminderBefore Span `json:"claim_reminder_before"`  // the owner is reminded this long before the claim lapses
	PoolDailyClaimLimit int  `json:"pool_daily_claim_limit"` // customers one person may take from the public pool a day
	PoolCoolingOff      Span `json:"pool_cooling_off"`       // the previous owner may not re-claim for
	OwnerCapacity       int  `json:"owner_capacity"`         // active customers one person may hold (库容)
	PresaleProtection   Span `json:"presale_protection"`     // a consulted customer without a deposit is released after
	DisputeRuleWithin   Span `json:"dispute_rule_within"`    // the store manager rules on an ownership dispute within
	// DisputeWindow: an ownership dispute over a customer who paid a deposit is accepted
	// only this long from the deposit (seed 003 撞单 5：自交订金之日起一个月上报为准).
	DisputeWindow Span `json:"dispute_window"`
	// DisputeListSubsidyYuan is the subsidy (补助, 元/户) the ruling may grant the staff
	// member the community list was given to, when a colleague brought the customer in
	// (seed 003 撞单 4).
	DisputeListSubsidyYuan int `json:"dispute_list_subsidy_yuan"`

	// First call-back (step 3).
	FirstCallbackWithin Span `json:"first_callback_within"`
	CallbackRetryAfter  Span `json:"callback_retry_after"`
	CallbackRetries     int  `json:"callback_retries"` // more attempts after an unreachable call-back

	// Grading and follow-ups (step 4).
	FollowUpsPerMonth       GradeQuota `json:"follow_ups_per_month"`
	ScorecardPoints         int        `json:"scorecard_points"` // the monthly scorecard item is out of
	PointsPerMissedFollowUp int        `json:"points_per_missed_follow_up"`

	// Dispatch (step 5).
	DispatchConfirmWithin Span    `json:"dispatch_confirm_within"` // the store manager confirms a proposal within
	DispatchAcceptWithin  Span    `json:"dispatch_accept_within"`  // the designer accepts within, or it returns
	RefusalSuspension     Span    `json:"refusal_suspension"`      // a refusing designer is off dispatch for
	MaxDepositCustomers   int     `json:"max_deposit_customers"`   // designers holding this many deposit-paid customers get no more
	StuckDesignAfter      Span    `json:"stuck_design_after"`      // designing this long without a contract counts as stuck
	LargeOrderBudgetWan   float64 `json:"large_order_budget_wan"`  // budgets from this many 万元 are large orders

	// Deposit, contract and construction (steps 7–9).
	PostDepositVisitWithin Span `json:"post_deposit_visit_within"`
	// ContractVisitWithin: customer service makes the sales-service return visit this long
	// after the contract (seed 004 签约后一周内销售服务回访).
	ContractVisitWithin   Span `json:"contract_visit_within"`
	WeeklyCheckEvery      Span `json:"weekly_check_every"`
	InspectionVisitWithin Span `json:"inspection_visit_within"`

	// After-sales (step 10).
	AfterSalesEvery        Span `json:"after_sales_every"`
	Warranty               Span `json:"warranty"`
	AfterSalesNoticeBefore Span `json:"after_sales_notice_before"`
	LivingExperienceAfter  Span `json:"living_experience_after"`
	HouseCheckAfter        Span `json:"house_check_after"`
	VisitWindow            Span `json:"visit_window"` // a scheduled visit is overdue this long after it falls due
	// VisitPostponeEvery: a living-experience visit or house check that falls due while
	// the customer has not moved in (实际入住) is postponed by this much, again and again,
	// until the customer moves in or the warranty ends (seed 004 无需安排回访 ②③).
	VisitPostponeEvery Span `json:"visit_postpone_every"`

	// Complaints (step 11).
	ComplaintAnswerWithin  Span `json:"complaint_answer_within"`
	ComplaintResolveWithin Span `json:"complaint_resolve_within"`

	// Neglect (step 13) and the escalation ladder.
	NeglectAfter      Span `json:"neglect_after"`
	EscalateCopyAfter Span `json:"escalate_copy_after"` // after the overdue reminder, the store manager is copied
	EscalateFlagAfter Span `json:"escalate_flag_after"` // after that, the customer is flagged for reassignment

	// CalendarWarnBefore: the admin calendar page and /healthz warn this long before the
	// company calendar's last covered day.
	CalendarWarnBefore Span `json:"calendar_warn_before"`
}

// DefaultPolicy is the rule book's policy (SPEC.md), used until the company saves its own.
func DefaultPolicy() Policy {
	return Policy{
		VerifyWithin:        MustSpan("2h"),
		ClaimWindow:         MustSpan("7d"),
		ClaimReminderBefore: MustSpan("1d"),
		PoolDailyClaimLimit: 5,
		PoolCoolingOff:      MustSpan("30d"),
		OwnerCapacity:       200,
		PresaleProtection:   MustSpan("3mo"),
		DisputeRuleWithin:   MustSpan("3d"),
		DisputeWindow:       MustSpan("1mo"),

		DisputeListSubsidyYuan: 100,

		FirstCallbackWithin: MustSpan("2d"),
		CallbackRetryAfter:  MustSpan("1d"),
		CallbackRetries:     2,

		FollowUpsPerMonth:       GradeQuota{A: 4, B: 3, C: 2, D: 1},
		ScorecardPoints:         30,
		PointsPerMissedFollowUp: 1,

		DispatchConfirmWithin: MustSpan("1d"),
		DispatchAcceptWithin:  MustSpan("24h"),
		RefusalSuspension:     MustSpan("1mo"),
		MaxDepositCustomers:   3,
		StuckDesignAfter:      MustSpan("1mo"),
		LargeOrderBudgetWan:   30,

		PostDepositVisitWithin: MustSpan("7d"),
		ContractVisitWithin:    MustSpan("7d"),
		WeeklyCheckEvery:       MustSpan("1w"),
		InspectionVisitWithin:  MustSpan("2d"),

		AfterSalesEvery:        MustSpan("6mo"),
		Warranty:               MustSpan("2y"),
		AfterSalesNoticeBefore: MustSpan("1w"),
		LivingExperienceAfter:  MustSpan("3mo"),
		HouseCheckAfter:        MustSpan("1y"),
		VisitWindow:            MustSpan("3d"),
		VisitPostponeEvery:     MustSpan("1mo"),

		ComplaintAnswerWithin:  MustSpan("24h"),
		ComplaintResolveWithin: MustSpan("3d"),

		NeglectAfter:      MustSpan("3mo"),
		EscalateCopyAfter: MustSpan("1d"),
		EscalateFlagAfter: MustSpan("2d"),

		CalendarWarnBefore: MustSpan("60d"),
	}
}

// ParsePolicy reads a stored or submitted policy: keys it lacks keep their defaults,
// unknown keys and bad values are refused, naming each.
func ParsePolicy(body []byte) (Policy, error) { return MergePolicy(DefaultPolicy(), body) }

// Validate checks that the policy can run: every span positive where a rule waits on it,
// counts not negative, and the claim reminder inside the claim window.
func (p Policy) Validate() error {
	var pr Problems
	for _, f := range policyFields {
		if f.Kind == PolicySpan && f.span(&p).N <= 0 {
			pr.Add(f.Key, "须大于0")
		}
	}
	for _, f := range policyFields {
		if n := f.count; f.Kind == PolicyInt && (*n(&p) < 0 || *n(&p) > 100000) {
			pr.Add(f.Key, "须在0到100000之间")
		}
	}
	for _, f := range policyFields {
		if f.Kind == PolicyNumber && *f.number(&p) < 0 {
			pr.Add(f.Key, "不能为负数")
		}
	}
	if !pr.Has("claim_window") && !pr.Has("claim_reminder_before") {
		var cal Calendar
		start := DefaultCalendarEpoch
		if !cal.Sub(cal.Add(start, p.ClaimWindow), p.ClaimReminderBefore).After(start) {
			pr.Add("claim_reminder_before", "提醒须早于报备到期、晚于报备时间")
		}
	}
	return pr.Err("策略设置有误")
}

// UsesWorkingDays reports whether any span is counted in working days, i.e. whether
// deadlines need the company calendar's holidays.
func (p Policy) UsesWorkingDays() bool {
	for _, f := range policyFields {
		if f.Kind == PolicySpan && f.span(&p).Unit == UnitWorkingDay {
			return true
		}
	}
	return false
}

// DefaultCalendarEpoch is a fixed instant used where a rule needs a sample start time.
var DefaultCalendarEpoch = time.Date(2026, 1, 5, 9, 0, 0, 0, Zone)

// MergePolicy overlays a partial policy (JSON) on base: keys it names replace base's,
// unknown keys and bad values are refused, and the result must validate.
func MergePolicy(base Policy, body []byte) (Policy, error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil || keys == nil {
		return Policy{}, &Error{Code: CodeInvalid, Message: "策略格式有误",
			Fields: []FieldError{{Field: "body", Message: "须为一个 JSON 对象，如 {\"claim_window\":\"7d\"}"}}}
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	p := base
	var pr Problems
	for _, k := range names {
		// One key at a time, so that a bad value names its own setting.
		if err := decodeSetting(&p, k, keys[k]); err != nil {
			pr.Add(k, policyDecodeProblem(err))
		}
	}
	if err := pr.Err("策略设置有误"); err != nil {
		return Policy{}, err
	}
	p.Version = 0
	return p, p.Validate()
}

// decodeSetting overlays one setting, key with its JSON value, on p; an unknown key or a
// value of the wrong shape is an error (policyDecodeProblem says it in Chinese).
func decodeSetting(p *Policy, key string, value json.RawMessage) error {
	one, err := json.Marshal(map[string]json.RawMessage{key: value})
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(one))
	dec.DisallowUnknownFields()
	return dec.Decode(p)
}

// policyDecodeProblem says in Chinese why one policy setting could not be read.
func policyDecodeProblem(err error) string {
	var te *json.UnmarshalTypeError
	switch {
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "不是可识别的策略设置"
	case errors.As(err, &te):
		want := "文本"
		switch te.Type.Kind().String() {
		case "int", "int64", "float64":
			want = "数字"
		case "struct", "map":
			want = "对象"
		case "bool":
			want = "true/false"
		}
		return "类型有误（应为" + want + "）"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "json:") {
		msg = msg[i+2:]
	}
	return msg
}

// SalvagePolicy rebuilds a company policy from stored versions that may no longer parse
// (a setting retired by an upgrade, a value edited by hand), newest first: each setting
// takes its value from the newest version in which that value still reads and is valid
// on its own; settings no version gives keep their defaults; keys no setting knows are
// dropped. dropped lists the newest version's keys not taken from it. The result is
// validated whole: a *Error when the values read do not fit together.
func SalvagePolicy(newestFirst [][]byte) (p Policy, dropped []string, err error) {
	p = DefaultPolicy()
	taken := map[string]bool{}
	for i, body := range newestFirst {
		var keys map[string]json.RawMessage
		if json.Unmarshal(body, &keys) != nil {
			continue
		}
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if taken[k] {
				continue
			}
			q := p
			var pr *Error
			if decodeSetting(&q, k, keys[k]) == nil && (!errors.As(q.Validate(), &pr) || !pr.Names(k)) {
				p, taken[k] = q, true
			} else if i == 0 {
				dropped = append(dropped, k)
			}
		}
	}
	p.Version = 0
	return p, dropped, p.Validate()
}
