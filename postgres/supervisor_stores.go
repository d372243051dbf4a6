package postgres

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// SupervisorStore is a row of supervisor_stores: a store a supervisor oversees.
type SupervisorStore struct {
	bun.BaseModel `bun:"table:supervisor_stores,alias:ss"`

	StaffID string `bun:"staff_id,pk"`
	StoreID string `bun:"store_id,pk"`
}

// SupervisedStores lists the stores staffID oversees, by ID.
func SupervisedStores(ctx context.Context, db bun.IDB, staffID string) ([]string, error) {
	var out []string
	if err := db.NewSelect().Model((*SupervisorStore)(nil)).Column("store_id").Where("staff_id = ?", staffID).
		Order("store_id").Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("postgres.SupervisedStores %s: %w", staffID, err)
	}
	return out, nil
}

// SetSupervisedStores adds stores to those staffID oversees (those already listed stay).
func SetSupervisedStores(ctx context.Context, db bun.IDB, staffID string, stores []string) error {
	if len(stores) == 0 {
		return nil
	}
	rows := make([]SupervisorStore, 0, len(stores))
	for _, st := range stores {
		rows = append(rows, SupervisorStore{StaffID: staffID, StoreID: st})
	}
	if _, err := db.NewInsert().Model(&rows).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("postgres.SetSupervisedStores %s: %w", staffID, err)
	}
	return nil
}

// ReplaceSupervisedStores makes stores exactly the stores staffID oversees (none when
// empty); run it in a transaction.
func ReplaceSupervisedStores(ctx context.Context, db bun.IDB, staffID string, stores []string) error {
	if _, err := db.NewDelete().Model((*SupervisorStore)(nil)).Where("staff_id = ?", staffID).Exec(ctx); err != nil {
		return fmt.Errorf("postgres.ReplaceSupervisedStores %s: %w", staffID, err)
	}
	return SetSupervisedStores(ctx, db, staffID, stores)
}
