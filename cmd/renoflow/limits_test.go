package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
)

// burst sends n requests at once (request i from req(i)) and returns the answers in order.
func burst(t *testing.T, n int, req func(i int) answer) []answer {
	t.Helper()
	out := make([]answer, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			out[i] = req(i)
		}(i)
	}
	close(start)
	wg.Wait()
	for i, a := range out {
		require.NoError(t, a.err, "request %d", i)
	}
	return out
}

// tally counts the answers by status and checks every refusal names the limit.
func tally(t *testing.T, answers []answer, refusal string) map[int]int {
	t.Helper()
	out := map[int]int{}
	for i, a := range answers {
		out[a.status]++
		if a.status == http.StatusConflict {
			require.Contains(t, fmt.Sprint(a.body["error"]), refusal, "request %d: %v", i, a.body)
		}
	}
	return out
}

// ok fails unless the answer is status.
func ok(t *testing.T, status int, a answer) map[string]any {
	t.Helper()
	require.NoError(t, a.err)
	require.Equal(t, status, a.status, "%v", a.body)
	return a.body
}

// Every limit that counts across customers holds under concurrency (issue 10 §1): of
// 10 concurrent requests by (or for) one staff member, exactly as many succeed as the
// limit leaves room for, and the others get 409 naming the limit.
func TestLimitsHoldUnderConcurrency(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	admin, sm, cm, sa, des := d.login(t, "admin"), d.login(t, "sm1"), d.login(t, "cm1"), d.login(t, "sa1"), d.login(t, "d1")
	ctx := context.Background()
	db := d.db(t)
	policy := func(fields map[string]any) {
		t.Helper()
		ok(t, http.StatusOK, admin.do(http.MethodPut, "/policy", fields, nil))
	}
	held := func(staff string) int {
		t.Helper()
		n, err := db.NewSelect().Table("customers").Where("owner_id = ?", staff).
			Where("stage NOT IN ('pool', 'invalid', 'archived')").Count(ctx)
		require.NoError(t, err)
		return int(n)
	}
	phone := 0
	nextPhone := func() string {
		phone++
		return fmt.Sprintf("139%08d", phone)
	}
	// file files n customers one after another as c and returns their IDs.
	file := func(c *apiClient, n int) []string {
		t.Helper()
		var ids []string
		for i := 0; i < n; i++ {
			body := ok(t, http.StatusCreated, c.do(http.MethodPost, "/customers", filing(nextPhone()), nil))
			ids = append(ids, body["customer_id"].(string))
		}
		return ids
	}
	stage := func(id string) string {
		var s string
		require.NoError(t, db.NewSelect().Table("customers").Column("stage").Where("id = ?", id).Scan(ctx, &s))
		return s
	}

	// Pool customers: the store manager's filings lapse within seconds.
	policy(map[string]any{"owner_capacity": 100, "pool_daily_claim_limit": 100, "claim_window": "2s", "claim_reminder_before": "1s"})
	pool := file(sm, 12)
	eventually(t, "the filings lapse to the pool", func() bool {
		for _, id := range pool {
			if stage(id) != "pool" {
				return false
			}
		}
		return true
	})
	policy(map[string]any{"claim_window": "168h", "claim_reminder_before": "24h", "pool_daily_claim_limit": 2})

	t.Run("pool daily claim limit", func(t *testing.T) {
		got := tally(t, burst(t, 10, func(i int) answer {
			return cm.do(http.MethodPost, "/customers/"+pool[i]+"/store-visit", map[string]any{}, nil)
		}), "每日上限2位")
		require.Equal(t, map[int]int{http.StatusOK: 2, http.StatusConflict: 8}, got)
		n, err := db.NewSelect().Table("pool_events").Where("kind = 'claim' AND to_owner = 'cm1'").Count(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 2, n)
	})
	var left []string
	for _, id := range pool {
		if stage(id) == "pool" {
			left = append(left, id)
		}
	}
	require.GreaterOrEqual(t, len(left), 10)
	pool = left[:10]

	t.Run("capacity at pool claim", func(t *testing.T) {
		limit := held("cm1") + 2
		policy(map[string]any{"pool_daily_claim_limit": 100, "owner_capacity": limit})
		got := tally(t, burst(t, 10, func(i int) answer {
			return cm.do(http.MethodPost, "/customers/"+pool[i]+"/store-visit", map[string]any{}, nil)
		}), "库容上限")
		require.Equal(t, map[int]int{http.StatusOK: 2, http.StatusConflict: 8}, got)
		require.Equal(t, limit, held("cm1"))
	})

	t.Run("capacity at filing", func(t *testing.T) {
		limit := held("cm1") + 2
		policy(map[string]any{"owner_capacity": limit})
		phones := make([]string, 10)
		for i := range phones {
			phones[i] = nextPhone()
		}
		got := tally(t, burst(t, 10, func(i int) answer {
			return cm.do(http.MethodPost, "/customers", filing(phones[i]), nil)
		}), "库容上限")
		require.Equal(t, map[int]int{http.StatusCreated: 2, http.StatusConflict: 8}, got)
		require.Equal(t, limit, held("cm1"))
		n, err := db.NewSelect().Table("phone_claims").Where("phone IN (?)", bun.In(phones)).Count(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 2, n, "the refused filings reserved no phone")
	})

	t.Run("capacity at reassignment", func(t *testing.T) {
		policy(map[string]any{"owner_capacity": 100})
		mine := file(sm, 10)
		limit := held("cm1") + 2
		policy(map[string]any{"owner_capacity": limit})
		got := tally(t, burst(t, 10, func(i int) answer {
			return sm.do(http.MethodPost, "/customers/"+mine[i]+"/reassign", map[string]any{"owner_id": "cm1"}, nil)
		}), "库容上限")
		require.Equal(t, map[int]int{http.StatusOK: 2, http.StatusConflict: 8}, got)
		require.Equal(t, limit, held("cm1"))
	})

	t.Run("capacity at dispute ruling", func(t *testing.T) {
		policy(map[string]any{"owner_capacity": 100})
		theirs := file(sm, 10)
		for _, id := range theirs {
			var p string
			require.NoError(t, db.NewSelect().Table("customers").Column("phone").Where("id = ?", id).Scan(ctx, &p))
			ok(t, http.StatusCreated, sa.do(http.MethodPost, "/disputes", map[string]any{"phone": p, "note": "我先邀约到店"}, nil))
		}
		limit := held("sa1") + 2
		policy(map[string]any{"owner_capacity": limit})
		got := tally(t, burst(t, 10, func(i int) answer {
			return sm.do(http.MethodPost, "/customers/"+theirs[i]+"/dispute-rule", map[string]any{"outcome": "claimant"}, nil)
		}), "库容上限")
		require.Equal(t, map[int]int{http.StatusOK: 2, http.StatusConflict: 8}, got)
		require.Equal(t, limit, held("sa1"))
	})

	t.Run("designer load at dispatch", func(t *testing.T) {
		policy(map[string]any{"owner_capacity": 100, "max_deposit_customers": 3})
		ids := file(cm, 23)
		for _, id := range ids {
			ok(t, http.StatusOK, cm.do(http.MethodPost, "/customers/"+id+"/store-visit", map[string]any{}, nil))
			ok(t, http.StatusOK, cm.do(http.MethodPost, "/customers/"+id+"/dispatch-propose", map[string]any{"designer_id": "d1"}, nil))
		}
		// Three customers reach design with d1; two pay a deposit.
		for _, id := range ids[:3] {
			ok(t, http.StatusOK, sm.do(http.MethodPost, "/customers/"+id+"/dispatch-confirm", map[string]any{}, nil))
			ok(t, http.StatusOK, des.do(http.MethodPost, "/customers/"+id+"/dispatch-accept", map[string]any{}, nil))
		}
		for _, id := range ids[:2] {
			ok(t, http.StatusOK, cm.do(http.MethodPost, "/customers/"+id+"/deposit", map[string]any{"amount_yuan": 20000}, nil))
		}
		// The third deposit races ten confirmations of dispatches to d1: each confirmation
		// counts d1's deposit-paid customers under d1's lock, so none that comes after the
		// deposit (d1 then holds 3) passes, and the deposit itself is never refused.
		answers := burst(t, 11, func(i int) answer {
			if i == 10 {
				return cm.do(http.MethodPost, "/customers/"+ids[2]+"/deposit", map[string]any{"amount_yuan": 20000}, nil)
			}
			return sm.do(http.MethodPost, "/customers/"+ids[3+i]+"/dispatch-confirm", map[string]any{}, nil)
		})
		ok(t, http.StatusOK, answers[10])
		confirmed := tally(t, answers[:10], "已有3位交定金客户")
		require.Equal(t, 10, confirmed[http.StatusOK]+confirmed[http.StatusConflict], "%v", confirmed)
		// Every confirmation committed after the deposit was refused: the confirmations
		// whose timeline entry follows the deposit's are none.
		var depositID int64
		require.NoError(t, db.NewSelect().Table("timeline").Column("id").Where("customer_id = ? AND kind = 'deposit'", ids[2]).Scan(ctx, &depositID))
		late, err := db.NewSelect().Table("timeline").Where("kind = 'dispatch_confirmed' AND id > ?", depositID).Count(ctx)
		require.NoError(t, err)
		require.Zero(t, late, "a dispatch was confirmed to a designer already holding 3 deposit-paid customers")
		// Now d1 is full: ten more concurrent confirmations, of dispatches proposed while
		// d1 had room, are all refused.
		got := tally(t, burst(t, 10, func(i int) answer {
			return sm.do(http.MethodPost, "/customers/"+ids[13+i]+"/dispatch-confirm", map[string]any{}, nil)
		}), "已有3位交定金客户")
		require.Equal(t, map[int]int{http.StatusConflict: 10}, got)
	})
}
