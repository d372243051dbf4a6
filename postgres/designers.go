package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/renoflow/renoflow"
	"github.com/uptrace/bun"
)

// Designers reads what dispatch (派单, SPEC.md step 5) needs of every active designer of
// store storeID, by ID: duty, suspension, deposit-paid customers held, the oldest
// customer still being designed, ranking attributes and customers held (design, deposit,
// construction). It reads table staff (row model Staff, staff.go) with counts of table
// customers.
func Designers(ctx context.Context, db bun.IDB, storeID string) ([]renoflow.DesignerInfo, error) {
	var rows []struct {
		ID                string       `bun:"id"`
		Name              string       `bun:"name"`
		OnDuty            bool         `bun:"on_duty"`
		SuspendedUntil    sql.NullTime `bun:"suspended_until"`
		MaterialTargetMet bool         `bun:"material_target_met"`
		DepartmentRank    int          `bun:"department_rank"`
		Senior            bool         `bun:"senior"`
		ChargesFee        bool         `bun:"charges_fee"`
		DepositCustomers  int          `bun:"deposit_customers"`
		StuckSince        sql.NullTime `bun:"stuck_since"`
		Held              int          `bun:"held"`
	}
	err := db.NewRaw(`SELECT s.id, s.name, s.on_duty, s.suspended_until, s.material_target_met, s.department_rank,
			s.senior, s.charges_fee,
			(SELECT count(*) FROM customers c WHERE c.designer_id = s.id AND c.stage = 'deposit') AS deposit_customers,
			(SELECT min(c.design_since) FROM customers c WHERE c.designer_id = s.id AND c.stage = 'design') AS stuck_since,
			(SELECT count(*) FROM customers c WHERE c.designer_id = s.id AND c.stage IN ('design', 'deposit', 'construction')) AS held
		FROM staff s WHERE s.role = 'designer' AND s.active AND s.store_id = ? ORDER BY s.id`, storeID).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("read designers of store %s: %w", storeID, err)
	}
	out := make([]renoflow.DesignerInfo, 0, len(rows))
	for _, r := range rows {
		out = append(out, renoflow.DesignerInfo{Person: renoflow.Person{ID: r.ID, Name: r.Name}, OnDuty: r.OnDuty,
			SuspendedUntil: r.SuspendedUntil.Time, DepositCustomers: r.DepositCustomers, StuckSince: r.StuckSince.Time,
			MaterialTargetMet: r.MaterialTargetMet, DepartmentRank: r.DepartmentRank, Held: r.Held,
			Senior: r.Senior, ChargesFee: r.ChargesFee})
	}
	return out, nil
}

// SuspendDesigner takes designer s.DesignerID off dispatch until s.Until (the later of
// that and a suspension already set), or, with s.Lift, ends the suspension that was set
// until s.Until (a later one stays) — SPEC.md step 5.
func SuspendDesigner(ctx context.Context, db bun.IDB, s renoflow.Suspension) error {
	q := db.NewUpdate().Model((*Staff)(nil)).Where("id = ?", s.DesignerID)
	if s.Lift {
		q = q.Set("suspended_until = NULL").Where("suspended_until = ?", s.Until)
	} else {
		q = q.Set("suspended_until = GREATEST(COALESCE(suspended_until, ?), ?)", s.Until, s.Until)
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("suspend designer %s: %w", s.DesignerID, err)
	}
	return nil
}
