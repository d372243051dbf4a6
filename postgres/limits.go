package postgres

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/uptrace/bun"
)

// The cross-customer limits (库容, 公海每日认领, 设计师定金客户; renoflow.Limit) are
// enforced atomically here: a transaction that checks or adds to one of a staff member's
// limits first takes that staff member's lock (LockStaff), then counts (HeldCustomers,
// ClaimedToday, DepositCustomers), then writes. The rules themselves (renoflow.LimitTake.Check)
// stay in the domain.

// PendingFilingHold is how long a phone reservation whose customer row is not written yet
// counts toward its filer's owner capacity (库容): the filing's workflow writes the row
// within seconds; a reservation left by an API that died before starting the workflow
// stops counting after this.
const PendingFilingHold = 10 * time.Minute

// LockStaff takes the transaction-scoped lock of a staff member's cross-customer limits
// (库容, 公海每日认领, 设计师定金客户): every transaction that checks or adds to one of
// them holds it, so a count read under it stays true until the transaction commits. Run
// it in a transaction (on the pool the lock ends with the statement).
func LockStaff(ctx context.Context, tx bun.IDB, staffID string) error {
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", "renoflow-limit:"+staffID); err != nil {
		return fmt.Errorf("lock limits of %s: %w", staffID, err)
	}
	return nil
}

// HeldCustomers counts the active customers staffID owns (库容, SPEC.md step 1) besides
// customer except (may be ""): customers not in the pool, invalid or archived, plus
// filings whose phone is reserved but whose customer row is not written yet (younger than
// PendingFilingHold at now).
func HeldCustomers(ctx context.Context, db bun.IDB, staffID, except string, now time.Time) (int, error) {
	var n int
	err := db.NewRaw(`SELECT
		(SELECT count(*) FROM customers WHERE owner_id = ? AND id <> ? AND stage NOT IN (?))
		+ (SELECT count(*) FROM phone_claims pc WHERE pc.filed_by = ? AND pc.customer_id <> ? AND pc.filed_at > ?
			AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = pc.customer_id))`,
		staffID, except, bun.In([]string{string(renoflow.StageInvalid), string(renoflow.StageArchived), string(renoflow.StagePool)}),
		staffID, except, now.Add(-PendingFilingHold)).Scan(ctx, &n)
	if err != nil {
		return 0, fmt.Errorf("count customers held by %s: %w", staffID, err)
	}
	return n, nil
}

// ClaimedToday counts the customers staffID claimed from the public pool (公海) on the
// company day (Asia/Shanghai) of now, besides customer except.
func ClaimedToday(ctx context.Context, db bun.IDB, staffID, except string, now time.Time) (int, error) {
	local := now.In(renoflow.Zone)
	dayStart := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, renoflow.Zone)
	n, err := db.NewSelect().Model((*PoolEvent)(nil)).Where("kind = 'claim'").Where("to_owner = ?", staffID).
		Where("customer_id <> ?", except).Where("at >= ?", dayStart).Where("at < ?", dayStart.AddDate(0, 0, 1)).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count pool claims of %s: %w", staffID, err)
	}
	return int(n), nil
}

// DepositCustomers counts the deposit-paid customers designer designerID holds besides
// customer except.
func DepositCustomers(ctx context.Context, db bun.IDB, designerID, except string) (int, error) {
	n, err := db.NewSelect().Model((*Customer)(nil)).Where("designer_id = ?", designerID).
		Where("stage = ?", string(renoflow.StageDeposit)).Where("id <> ?", except).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count deposit customers of %s: %w", designerID, err)
	}
	return int(n), nil
}

// TakeLimits locks the staff members of takes (in ID order, so two transactions never
// wait on each other crosswise) and checks each take against its count, for customer
// customerID at now. It must run in the transaction that then writes the transition. A
// reached limit comes back as the domain's *renoflow.Error (renoflow.LimitTake.Check);
// other errors are the database's.
func TakeLimits(ctx context.Context, tx bun.IDB, customerID string, now time.Time, takes []renoflow.LimitTake) error {
	sorted := append([]renoflow.LimitTake(nil), takes...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Staff.ID < sorted[j].Staff.ID })
	locked := map[string]bool{}
	for _, t := range sorted {
		if t.Staff.ID == "" || locked[t.Staff.ID] {
			continue
		}
		if err := LockStaff(ctx, tx, t.Staff.ID); err != nil {
			return err
		}
		locked[t.Staff.ID] = true
	}
	for _, t := range takes {
		if t.Staff.ID == "" || t.Counted {
			continue
		}
		n, err := LimitCount(ctx, tx, t.Limit, t.Staff.ID, customerID, now)
		if err != nil {
			return err
		}
		if err := t.Check(n); err != nil {
			return err
		}
	}
	return nil
}

// LimitCount is what staff member staffID already has of limit l besides customer
// except at now: customers held, pool claims today, or deposit-paid customers. An
// unknown limit counts 0.
func LimitCount(ctx context.Context, db bun.IDB, l renoflow.Limit, staffID, except string, now time.Time) (int, error) {
	switch l {
	case renoflow.LimitOwnerCapacity:
		return HeldCustomers(ctx, db, staffID, except, now)
	case renoflow.LimitPoolDailyClaims:
		return ClaimedToday(ctx, db, staffID, except, now)
	case renoflow.LimitDesignerLoad:
		return DepositCustomers(ctx, db, staffID, except)
	}
	return 0, nil
}
