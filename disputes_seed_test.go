package renoflow

import (
	"strings"
	"testing"
)

var (
	smActor  = Actor{ID: "sm1", Name: "赵店长", Role: RoleStoreManager, StoreID: "s1"}
	supActor = Actor{ID: "sup1", Name: "孙总监", Role: RoleSupervisor, StoreID: "s1", Stores: []string{"s1"}}
	saActor  = Actor{ID: "sa1", Name: "周顾问", Role: RoleSalesAdvisor, StoreID: "s1"}
)

func disputedCustomer() *Customer {
	return &Customer{ID: "c1", Stage: StagePresale, StoreID: "s1", Owner: cmActor.Person(), FiledBy: cmActor.Person(),
		FiledAt: at("2026-11-01 10:00"), Record: Record{Name: "王女士", Channel: ChannelWalkIn}}
}

// Seed 003 撞单 5：自交订金之日起一个月上报为准 — a dispute over a deposit-paid customer is
// accepted only within DisputeWindow of the deposit; before the deposit, any time.
func TestDisputeWindowFromDeposit(t *testing.T) {
	tests := []struct {
		name    string
		deposit string
		now     string
		ok      bool
	}{
		{"no deposit", "", "2027-06-01 10:00", true},
		{"a day after the deposit", "2026-11-10 10:00", "2026-11-11 10:00", true},
		{"the window's last minute", "2026-11-10 10:00", "2026-12-10 10:00", true},
		{"a minute late", "2026-11-10 10:00", "2026-12-10 10:01", false},
		{"months late", "2026-11-10 10:00", "2027-03-01 10:00", false},
	}
	for _, tt := range tests {
		c := disputedCustomer()
		if tt.deposit != "" {
			c.Stage, c.DepositAt = StageDeposit, at(tt.deposit)
		}
		env := testEnv(at(tt.now))
		_, err := c.OpenDispute(env, saActor, "我先带客户看过样板间")
		if (err == nil) != tt.ok {
			t.Errorf("%s: err %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "自交定金之日起1个月内") {
			t.Errorf("%s: message %q", tt.name, err)
		}
		// The server asks the same rule before it sends the dispute.
		if got := c.CheckDisputeWindow(env.Now, env.Policy, env.Calendar); (got == nil) != tt.ok && tt.deposit != "" && err == nil {
			t.Errorf("%s: CheckDisputeWindow %v", tt.name, got)
		}
		// Customers under rules version 1 keep the old behaviour.
		c1 := disputedCustomer()
		c1.DepositAt = c.DepositAt
		env.Version = 1
		if _, err := c1.OpenDispute(env, saActor, "依据"); err != nil {
			t.Errorf("%s: version 1 refused: %v", tt.name, err)
		}
	}
}

// Seed 003 撞单四 and 5.1–5.2: the store manager rules first; the supervisor only once the
// store manager's deadline has passed (no skipping a level); a dispute reopened after the
// store manager's ruling is an appeal the supervisor rules, and that ruling is final.
func TestDisputeLevels(t *testing.T) {
	c := disputedCustomer()
	env := testEnv(at("2026-11-10 10:00"))
	eff, err := c.OpenDispute(env, saActor, "我先带客户看过样板间")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(c.Disputes[0].Evidence, "\n"), "第一证据：报备登记时间 2026-11-01 10:00") {
		t.Errorf("guidance missing: %v", c.Disputes[0].Evidence)
	}
	_ = eff
	if _, err := c.RuleDispute(env, supActor, DisputeOwner, ""); err == nil || !strings.Contains(err.Error(), "不得越级") {
		t.Fatalf("supervisor before the deadline: %v", err)
	}
	// The deadline passes: the supervisor hears of it and may rule.
	late := testEnv(at("2026-11-13 10:01"))
	fireUntil(c, late, late.Now)
	if _, err := c.RuleDispute(late, smActor, DisputeSplit, "两人共同带客"); err != nil {
		t.Fatalf("store manager late: %v", err)
	}
	// The claimant appeals: only the supervisor rules, and finally.
	appeal := testEnv(at("2026-11-14 10:00"))
	if _, err := c.OpenDispute(appeal, saActor, "不服，客户是我带来的"); err != nil {
		t.Fatal(err)
	}
	if !c.Disputes[1].Appeal {
		t.Fatal("the second dispute between the same two is an appeal")
	}
	if _, err := c.RuleDispute(appeal, smActor, DisputeOwner, ""); err == nil || !strings.Contains(err.Error(), "须由总监裁决") {
		t.Fatalf("store manager on an appeal: %v", err)
	}
	if _, err := c.RuleDispute(appeal, supActor, DisputeOwner, "维持"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.OpenDispute(testEnv(at("2026-11-15 10:00")), saActor, "再申诉"); err == nil || !strings.Contains(err.Error(), "终裁") {
		t.Fatalf("after the supervisor's final ruling: %v", err)
	}
}

// Seed 003 撞单 4: the list holder gets the subsidy when a colleague brought the customer in.
func TestDisputeSubsidy(t *testing.T) {
	c := disputedCustomer()
	env := testEnv(at("2026-11-10 10:00"))
	if _, err := c.OpenDispute(env, saActor, "客户是我从小区带回公司的"); err != nil {
		t.Fatal(err)
	}
	eff, err := c.RuleDispute(env, smActor, DisputeClaimantSubsidy, "客户之前已通过电话了解公司")
	if err != nil {
		t.Fatal(err)
	}
	d := c.Disputes[0]
	if c.Owner.ID != "sa1" || d.Subsidy != 100 || d.SubsidyTo.ID != "cm1" || d.Credit["sa1"] != 100 {
		t.Fatalf("ruling %+v owner %v", d, c.Owner)
	}
	if !strings.Contains(summaries(eff), "名单分配人张经理获补助100元") {
		t.Errorf("timeline:\n%s", summaries(eff))
	}
}
