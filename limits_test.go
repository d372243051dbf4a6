package renoflow

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLimitTakeCheck(t *testing.T) {
	p := DefaultPolicy()
	p.OwnerCapacity, p.PoolDailyClaimLimit, p.MaxDepositCustomers = 2, 3, 3
	wang := Person{ID: "cm1", Name: "王经理"}
	tests := []struct {
		name  string
		take  LimitTake
		count int
		want  string // "" = allowed
	}{
		{"capacity below", p.Take(LimitOwnerCapacity, wang), 1, ""},
		{"capacity reached", p.Take(LimitOwnerCapacity, wang), 2, "王经理名下已有2位有效客户，达到库容上限2位"},
		{"capacity over", p.Take(LimitOwnerCapacity, wang), 5, "王经理名下已有5位有效客户，达到库容上限2位"},
		{"pool claims below", p.Take(LimitPoolDailyClaims, wang), 2, ""},
		{"pool claims reached", p.Take(LimitPoolDailyClaims, wang), 3, "王经理今日已认领3位公海客户，达到每日上限3位"},
		{"designer below", p.Take(LimitDesignerLoad, Person{ID: "d1", Name: "李设计"}), 2, ""},
		{"designer reached", p.Take(LimitDesignerLoad, Person{ID: "d1", Name: "李设计"}), 3, "设计师李设计已有3位交定金客户（上限3），暂不能派单"},
		{"counted only never refused", LimitTake{Limit: LimitDesignerLoad, Staff: wang, Max: 3, Counted: true}, 9, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.take.Check(tt.count)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, CodeConflict, ErrorCodeOf(err))
			require.Equal(t, tt.want, err.(*Error).Message)
		})
	}
}

// Every transition that makes someone hold a customer, claim from the pool or load a
// designer declares the limit it takes, so the persist checks it atomically.
func TestTransitionsDeclareTheirLimits(t *testing.T) {
	env := testEnv(at("2026-11-24 10:00"))
	cm := Actor{ID: "cm1", Name: "张经理", Role: RoleCustomerManager, StoreID: "s1"}
	sm := Actor{ID: "sm1", Name: "赵店长", Role: RoleStoreManager, StoreID: "s1"}
	des := Actor{ID: "d1", Name: "吴设计", Role: RoleDesigner, StoreID: "s1"}
	cm2 := Person{ID: "cm2", Name: "王经理"}
	takes := func(eff Effects) []string {
		var out []string
		for _, l := range eff.Limits {
			s := string(l.Limit) + ":" + l.Staff.ID
			if l.Counted {
				s += "(counted)"
			}
			out = append(out, s)
		}
		return out
	}
	tests := []struct {
		name  string
		c     Customer
		apply func(c *Customer) (Effects, error)
		want  []string
	}{
		{"store visit claims from the pool", Customer{ID: "c", Stage: StagePool, StoreID: "s1"},
			func(c *Customer) (Effects, error) { return c.StoreVisit(env, cm, PoolStats{}, "") },
			[]string{"pool_daily_claim_limit:cm1", "owner_capacity:cm1"}},
		{"store visit of a filed customer takes nothing", Customer{ID: "c", Stage: StageFiled, StoreID: "s1", Owner: cm.Person()},
			func(c *Customer) (Effects, error) { return c.StoreVisit(env, cm, PoolStats{}, "") }, nil},
		{"reassignment", Customer{ID: "c", Stage: StagePresale, StoreID: "s1", Owner: cm.Person()},
			func(c *Customer) (Effects, error) { return c.Reassign(env, sm, cm2, "") }, []string{"owner_capacity:cm2"}},
		{"dispute ruled for the claimant", Customer{ID: "c", Stage: StagePresale, StoreID: "s1", Owner: cm.Person(),
			Disputes: []Dispute{{ID: "D1", Claimant: cm2, Owner: cm.Person()}}},
			func(c *Customer) (Effects, error) { return c.RuleDispute(env, sm, DisputeClaimant, "") }, []string{"owner_capacity:cm2"}},
		{"dispute ruled for the owner", Customer{ID: "c", Stage: StagePresale, StoreID: "s1", Owner: cm.Person(),
			Disputes: []Dispute{{ID: "D1", Claimant: cm2, Owner: cm.Person()}}},
			func(c *Customer) (Effects, error) { return c.RuleDispute(env, sm, DisputeOwner, "") }, nil},
		{"dispatch proposed", Customer{ID: "c", Stage: StagePresale, StoreID: "s1", Owner: cm.Person()},
			func(c *Customer) (Effects, error) {
				return c.ProposeDispatch(env, cm, des.Person(), []Ranked{{DesignerInfo: DesignerInfo{Person: des.Person()}, Eligible: true}}, "")
			}, []string{"max_deposit_customers:d1"}},
		{"dispatch confirmed", Customer{ID: "c", Stage: StagePresale, StoreID: "s1", Owner: cm.Person(),
			Dispatches: []Dispatch{{Designer: des.Person(), Status: DispatchProposed}}},
			func(c *Customer) (Effects, error) { return c.ConfirmDispatch(env, sm, "") }, []string{"max_deposit_customers:d1"}},
		{"deposit loads the designer, never refused", Customer{ID: "c", Stage: StageDesign, StoreID: "s1", Owner: cm.Person(), Designer: des.Person()},
			func(c *Customer) (Effects, error) { return c.Deposit(env, cm, 20000, "") }, []string{"max_deposit_customers:d1(counted)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			eff, err := tt.apply(&c)
			require.NoError(t, err)
			require.Equal(t, tt.want, takes(eff))
		})
	}
}
