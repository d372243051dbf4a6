package renoflow

import (
	"errors"
	"testing"
	"time"
)

// CheckRelease: 放入公海 by hand is the store manager's or a supervisor's, for a pre-sale or
// design customer without a deposit (the customers the protection period releases).
func TestCheckRelease(t *testing.T) {
	sm := Actor{ID: "sm1", Name: "王店长", Role: RoleStoreManager, StoreID: "s1"}
	sup := Actor{ID: "sup1", Name: "李督导", Role: RoleSupervisor}
	tests := []struct {
		name  string
		c     Customer
		actor Actor
		want  ErrorCode
	}{
		{"store manager, pre-sale", Customer{Stage: StagePresale}, sm, ""},
		{"supervisor, design", Customer{Stage: StageDesign}, sup, ""},
		{"customer manager may not", Customer{Stage: StagePresale}, Actor{Role: RoleCustomerManager}, CodeForbidden},
		{"sales advisor may not", Customer{Stage: StagePresale}, Actor{Role: RoleSalesAdvisor}, CodeForbidden},
		{"customer service may not", Customer{Stage: StagePresale}, Actor{Role: RoleCustomerService}, CodeForbidden},
		{"filed: the claim decides", Customer{Stage: StageFiled}, sm, CodeConflict},
		{"already in the pool", Customer{Stage: StagePool}, sm, CodeConflict},
		{"construction", Customer{Stage: StageConstruction}, sm, CodeConflict},
		{"a deposit was paid", Customer{Stage: StageDesign, DepositAt: time.Date(2026, 11, 1, 0, 0, 0, 0, Zone)}, sm, CodeConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.CheckRelease(tt.actor)
			var de *Error
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (!errors.As(err, &de) || de.Code != tt.want):
				t.Fatalf("err %v, want %s", err, tt.want)
			}
		})
	}
}

// Release moves the customer into the pool as the protection period's release does: no
// owner, the previous owner remembered, the pre-sale clocks stopped, a pool event.
func TestRelease(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, Zone)
	env := testEnv(now)
	cm := Actor{ID: "cm1", Name: "张经理", Role: RoleCustomerManager, StoreID: "s1"}
	c, _ := NewCustomer(env, "c1", Record{Name: "陈", Gender: GenderFemale, Phone: "13812345678",
		Channel: ChannelReferral, StoreID: "s1"}, cm, ConsultVisit)
	if c.Stage != StagePresale {
		t.Fatalf("stage %s", c.Stage)
	}
	if _, ok := c.Clocks.Find(RulePresaleProtection, ""); !ok {
		t.Fatal("no protection clock")
	}
	env.Now, env.Key = now.Add(time.Hour), "u1"
	eff, err := c.Release(env, Actor{ID: "sm1", Name: "王店长", Role: RoleStoreManager, StoreID: "s1"}, "长期联系不上")
	if err != nil {
		t.Fatal(err)
	}
	if c.Stage != StagePool || c.Owner.ID != "" || c.PreviousOwner.ID != "cm1" || !c.PreviousOwnerUntil.Equal(env.Now) {
		t.Fatalf("not in the pool: stage %s owner %+v previous %+v", c.Stage, c.Owner, c.PreviousOwner)
	}
	for _, r := range []Rule{RulePresaleProtection, RuleNeglect} {
		if _, ok := c.Clocks.Find(r, ""); ok {
			t.Errorf("clock %s still armed", r)
		}
	}
	if c.FollowUp != nil {
		t.Error("follow-ups still planned")
	}
	if len(eff.Pool) != 1 || eff.Pool[0].Kind != "release" || eff.Pool[0].From != "cm1" || eff.Pool[0].Key != "release:u1" {
		t.Fatalf("pool moves %+v", eff.Pool)
	}
	if _, err := c.Release(env, Actor{Role: RoleStoreManager}, ""); err == nil {
		t.Fatal("released twice")
	}
}
