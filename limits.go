package renoflow

// Limit names a rule that counts across customers (SPEC.md step 2 "Public pool rules",
// step 5 "Dispatch"). The rule is written here once; the count is taken atomically in
// PostgreSQL, under a lock per staff member, in the same transaction that writes the
// transition taking the limit (activities.Persist; the filing's phone reservation), so
// concurrent requests cannot all pass a count read earlier (issue 10 §1).
type Limit string

// The cross-customer limits.
const (
	// LimitOwnerCapacity (库容): active customers (not in the pool, invalid or archived)
	// one staff member may own; taken by a filing, a claim from the pool, a reassignment
	// and a dispute ruled for the claimant.
	LimitOwnerCapacity Limit = "owner_capacity"
	// LimitPoolDailyClaims (公海每日认领上限): customers one staff member may claim from the
	// public pool per company day; taken by a store visit of a pool customer.
	LimitPoolDailyClaims Limit = "pool_daily_claim_limit"
	// LimitDesignerLoad (设计师交定金客户上限): a designer holding this many deposit-paid
	// customers gets no more dispatches; taken by proposing and by confirming a dispatch,
	// and held (counted, never refused: the money is paid) by a deposit.
	LimitDesignerLoad Limit = "max_deposit_customers"
)

// LimitTake is one transition's claim on a limit of one staff member, with the limit in
// force for the transition (the policy version it ran under). Counted-only takes (a
// deposit) are never refused; they serialise with the checked ones.
type LimitTake struct {
	Limit   Limit  `json:"limit"`
	Staff   Person `json:"staff"`
	Max     int    `json:"max"`
	Counted bool   `json:"counted,omitempty"`
}

// Take is the claim a transition under p makes on limit l for staff member who.
func (p Policy) Take(l Limit, who Person) LimitTake {
	var max int
	switch l {
	case LimitOwnerCapacity:
		max = p.OwnerCapacity
	case LimitPoolDailyClaims:
		max = p.PoolDailyClaimLimit
	case LimitDesignerLoad:
		max = p.MaxDepositCustomers
	}
	return LimitTake{Limit: l, Staff: who, Max: max}
}

// Check is the limit's rule: count is what the staff member already has besides this
// customer (customers held, claims today, deposit-paid customers). At or over the limit
// the take is refused with CodeConflict, naming the limit; a counted-only take never is.
func (t LimitTake) Check(count int) error {
	if t.Counted || count < t.Max {
		return nil
	}
	switch t.Limit {
	case LimitOwnerCapacity:
		return Errorf(CodeConflict, "%s名下已有%d位有效客户，达到库容上限%d位", t.Staff.Name, count, t.Max)
	case LimitPoolDailyClaims:
		return Errorf(CodeConflict, "%s今日已认领%d位公海客户，达到每日上限%d位", t.Staff.Name, count, t.Max)
	case LimitDesignerLoad:
		return Errorf(CodeConflict, "设计师%s已有%d位交定金客户（上限%d），暂不能派单", t.Staff.Name, count, t.Max)
	}
	return Errorf(CodeInternal, "未知的限额 %s", t.Limit)
}
