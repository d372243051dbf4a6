package postgres

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/renoflow/renoflow"
)

// seedLimits writes the customers, pending filings and pool claims the limit tests
// count, at now.
func seedLimits(t *testing.T, db bun.IDB, now time.Time) {
	t.Helper()
	ctx := t.Context()
	for i, c := range []struct {
		id, owner, designer string
		stage               renoflow.Stage
	}{
		{"h1", "cm1", "", renoflow.StageFiled},
		{"h2", "cm1", "d1", renoflow.StageDesign},
		{"h3", "cm1", "d1", renoflow.StageDeposit},
		{"h4", "cm1", "", renoflow.StagePool},       // in the pool: not held
		{"h5", "cm1", "", renoflow.StageInvalid},    // not held
		{"h6", "cm1", "d1", renoflow.StageArchived}, // not held
		{"h7", "cm2", "d1", renoflow.StageDeposit},
		{"h8", "cm2", "d2", renoflow.StageConstruction},
	} {
		cust := customer(c.id, int64(i+1), c.stage, c.owner)
		cust.Designer = renoflow.Person{ID: c.designer}
		save(t, db, cust, now)
	}
	claims := []PhoneClaim{
		{Phone: "13900000001", CustomerID: "p1", FiledBy: "cm1", FiledAt: now.Add(-time.Minute)},                     // pending: held
		{Phone: "13900000002", CustomerID: "p2", FiledBy: "cm1", FiledAt: now.Add(-PendingFilingHold - time.Second)}, // stale: not held
		{Phone: "13900000003", CustomerID: "h1", FiledBy: "cm1", FiledAt: now.Add(-time.Minute)},                     // row written: counted once
		{Phone: "13900000004", CustomerID: "p4", FiledBy: "cm2", FiledAt: now.Add(-time.Minute)},
	}
	for i := range claims {
		ok, err := ReservePhone(ctx, db, &claims[i])
		require.NoError(t, err)
		require.True(t, ok)
	}
	day := now.In(renoflow.Zone)
	midnight := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, renoflow.Zone)
	require.NoError(t, RecordPoolMoves(ctx, db, "h2", []renoflow.PoolMove{
		{Key: "claim-today", Kind: "claim", At: midnight, StoreID: "s1", To: "cm1"},
	}))
	require.NoError(t, RecordPoolMoves(ctx, db, "h3", []renoflow.PoolMove{
		{Key: "claim-today", Kind: "claim", At: midnight.AddDate(0, 0, 1).Add(-time.Second), StoreID: "s1", To: "cm1"},
		{Key: "claim-yesterday", Kind: "claim", At: midnight.Add(-time.Second), StoreID: "s1", To: "cm1"},
		{Key: "lapse", Kind: "lapse", At: midnight.Add(time.Hour), StoreID: "s1", From: "cm1"},
	}))
}

// TestLimitCounts: each cross-customer limit counts what SPEC.md says, besides the
// customer the transition is for.
func TestLimitCounts(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	now := at(2026, time.March, 3, 12, 0)
	seedLimits(t, db, now)
	tests := []struct {
		name   string
		limit  renoflow.Limit
		staff  string
		except string
		want   int
	}{
		{"held: active customers and fresh pending filings", renoflow.LimitOwnerCapacity, "cm1", "", 4},
		{"held besides the customer itself", renoflow.LimitOwnerCapacity, "cm1", "h2", 3},
		{"held besides a pending filing", renoflow.LimitOwnerCapacity, "cm1", "p1", 3},
		{"held by another", renoflow.LimitOwnerCapacity, "cm2", "", 3},
		{"held by nobody", renoflow.LimitOwnerCapacity, "cm404", "", 0},
		{"claims on the company day", renoflow.LimitPoolDailyClaims, "cm1", "", 2},
		{"claims besides the customer itself", renoflow.LimitPoolDailyClaims, "cm1", "h3", 1},
		{"claims by another", renoflow.LimitPoolDailyClaims, "cm2", "", 0},
		{"deposit customers", renoflow.LimitDesignerLoad, "d1", "", 2},
		{"deposit customers besides the customer itself", renoflow.LimitDesignerLoad, "d1", "h7", 1},
		{"no deposit customers", renoflow.LimitDesignerLoad, "d2", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := LimitCount(t.Context(), db, tt.limit, tt.staff, tt.except, now)
			require.NoError(t, err)
			require.Equal(t, tt.want, n)
		})
	}
	t.Run("a pending filing stops counting after PendingFilingHold", func(t *testing.T) {
		n, err := HeldCustomers(t.Context(), db, "cm1", "", now.Add(PendingFilingHold))
		require.NoError(t, err)
		require.Equal(t, 3, n)
	})
}

// TestTakeLimits: a take at its limit refuses with the domain's conflict, one under it
// or a counted-only one passes; the refusal is the *renoflow.Error the activity turns
// into a non-retryable error.
func TestTakeLimits(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	now := at(2026, time.March, 3, 12, 0)
	seedLimits(t, db, now)
	cm1, d1 := renoflow.Person{ID: "cm1", Name: "张经理"}, renoflow.Person{ID: "d1", Name: "郑设计"}
	tests := []struct {
		name     string
		customer string
		takes    []renoflow.LimitTake
		refused  bool
	}{
		{"under capacity", "new", []renoflow.LimitTake{{Limit: renoflow.LimitOwnerCapacity, Staff: cm1, Max: 5}}, false},
		{"at capacity", "new", []renoflow.LimitTake{{Limit: renoflow.LimitOwnerCapacity, Staff: cm1, Max: 4}}, true},
		{"the customer itself is not counted", "h1", []renoflow.LimitTake{{Limit: renoflow.LimitOwnerCapacity, Staff: cm1, Max: 4}}, false},
		{"daily claims reached", "new", []renoflow.LimitTake{{Limit: renoflow.LimitPoolDailyClaims, Staff: cm1, Max: 2}}, true},
		{"designer load reached", "new", []renoflow.LimitTake{{Limit: renoflow.LimitDesignerLoad, Staff: d1, Max: 2}}, true},
		{"counted only is never refused", "new", []renoflow.LimitTake{{Limit: renoflow.LimitDesignerLoad, Staff: d1, Max: 1, Counted: true}}, false},
		{"one of two reached refuses", "new", []renoflow.LimitTake{
			{Limit: renoflow.LimitDesignerLoad, Staff: d1, Max: 9},
			{Limit: renoflow.LimitOwnerCapacity, Staff: cm1, Max: 1},
		}, true},
		{"no staff takes nothing", "new", []renoflow.LimitTake{{Limit: renoflow.LimitOwnerCapacity, Max: 0}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx, err := db.BeginTx(t.Context(), nil)
			require.NoError(t, err)
			defer tx.Rollback() //nolint:errcheck // read only
			err = TakeLimits(t.Context(), tx, tt.customer, now, tt.takes)
			if !tt.refused {
				require.NoError(t, err)
				return
			}
			var de *renoflow.Error
			require.True(t, errors.As(err, &de), "want a domain refusal, got %v", err)
			require.Equal(t, renoflow.CodeConflict, de.Code)
		})
	}
}
