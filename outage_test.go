package renoflow

import (
	"testing"
	"time"
)

// After an outage the escalation ladder counts from each rung's due time, not from the
// late firing (issue 9): a rung that fires late arms the next one where it would have
// been had it fired on time. Customers on rules version 1 keep the old behaviour.
func TestEscalationCountsFromDueTime(t *testing.T) {
	filed := time.Date(2026, 11, 23, 10, 0, 0, 0, Zone) // a Monday, far from holidays
	tests := []struct {
		name    string
		version int
		late    time.Duration // how late rung 1 fires
		want    time.Duration // rung 2's due, after rung 1's due
	}{
		{"on time", RulesVersion, 0, 24 * time.Hour},
		{"30 s outage", RulesVersion, 30 * time.Second, 24 * time.Hour},
		{"5 min outage", RulesVersion, 5 * time.Minute, 24 * time.Hour},
		{"3 h outage", RulesVersion, 3 * time.Hour, 24 * time.Hour},
		{"rules v1: from the firing", 1, 5 * time.Minute, 24*time.Hour + 5*time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv(filed)
			env.Version = tt.version
			c, _ := NewCustomer(env, "c1", Record{Name: "陈", Gender: GenderFemale, Phone: "13812345678",
				Channel: ChannelReferral, StoreID: "s1"}, Actor{ID: "cm1", Name: "张经理", Role: RoleCustomerManager, StoreID: "s1"}, "")
			rung1, ok := c.Clocks.Find(RuleVerify, "")
			if !ok || rung1.Seq != 1 {
				t.Fatalf("verify rung 1 not armed: %+v", c.Clocks)
			}
			fire := env
			fire.Now = rung1.Due.Add(tt.late)
			clk, ok := c.Clocks.PopNext(fire.Now)
			if !ok || clk.Key() != rung1.Key() {
				t.Fatalf("rung 1 not due: %+v", clk)
			}
			c.Fire(fire, clk)
			rung2, ok := c.Clocks.Find(RuleVerify, "")
			if !ok || rung2.Seq != 2 {
				t.Fatalf("rung 2 not armed: %+v", c.Clocks)
			}
			if got := rung2.Due.Sub(rung1.Due); got != tt.want {
				t.Errorf("rung 2 due %s after rung 1, want %s", got, tt.want)
			}
			if !rung2.WorkDue.Equal(rung1.WorkDue) {
				t.Errorf("rung 2 work due %s, want %s", rung2.WorkDue, rung1.WorkDue)
			}
		})
	}
}
