package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Store is a row of stores: one of the company's shops (门店).
type Store struct {
	bun.BaseModel `bun:"table:stores,alias:so"`

	ID        string    `bun:"id,pk"`
	Name      string    `bun:"name,notnull"`
	CreatedAt time.Time `bun:"created_at,nullzero,notnull,default:current_timestamp"`

	// Staff is the number of active staff working there (ListStores only).
	Staff int `bun:"staff,scanonly"`
}

// ListStores lists every store by ID, with its number of active staff.
func ListStores(ctx context.Context, db bun.IDB) ([]Store, error) {
	var rows []Store
	if err := db.NewSelect().Model(&rows).Column("so.id", "so.name", "so.created_at").
		ColumnExpr("(SELECT count(*) FROM staff AS st WHERE st.store_id = so.id AND st.active) AS staff").
		Order("so.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("postgres.ListStores: %w", err)
	}
	return rows, nil
}

// StoreNames lists the stores (ID and name; every store when ids is empty, else those
// among ids), by ID.
func StoreNames(ctx context.Context, db bun.IDB, ids ...string) ([]Store, error) {
	var rows []Store
	q := db.NewSelect().Model(&rows).Column("id", "name").Order("id")
	if len(ids) > 0 {
		q = q.Where("id IN (?)", bun.List(ids))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("postgres.StoreNames: %w", err)
	}
	return rows, nil
}

// AddStore creates a store and returns it with its creation time; an ID that exists is
// the driver's unique violation (pgdriver.Error.IntegrityViolation).
func AddStore(ctx context.Context, db bun.IDB, id, name string) (Store, error) {
	st := Store{ID: id, Name: name}
	if _, err := db.NewInsert().Model(&st).Returning("created_at").Exec(ctx); err != nil {
		return Store{}, fmt.Errorf("postgres.AddStore %s: %w", id, err)
	}
	return st, nil
}

// EnsureStore creates a store unless its ID exists (then nothing changes); idempotent.
func EnsureStore(ctx context.Context, db bun.IDB, id, name string) error {
	if _, err := db.NewInsert().Model(&Store{ID: id, Name: name}).On("CONFLICT (id) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("postgres.EnsureStore %s: %w", id, err)
	}
	return nil
}

// StoreName reads a store's name; sql.ErrNoRows when there is no such store.
func StoreName(ctx context.Context, db bun.IDB, id string) (string, error) {
	var name string
	err := db.NewSelect().Model((*Store)(nil)).Column("name").Where("id = ?", id).Scan(ctx, &name)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("postgres.StoreName %s: %w", id, err)
	}
	return name, err
}

// StoreTasks is a store's open tasks and, among its work tasks, those past due (the
// task gauges of /metrics).
type StoreTasks struct {
	Store   string `bun:"store"`
	Open    int64  `bun:"open"`
	Overdue int64  `bun:"overdue"`
}

// StoreTaskCounts counts every store's open and overdue tasks (by the database's
// clock), by store ID; a store without tasks counts zero.
func StoreTaskCounts(ctx context.Context, db bun.IDB) ([]StoreTasks, error) {
	var rows []StoreTasks
	err := db.NewRaw(`SELECT s.id AS store, count(t.id) AS open, count(t.id) FILTER (WHERE t.due_at < now() AND t.kind = 'work') AS overdue
		FROM stores s LEFT JOIN tasks t ON t.store_id = s.id AND t.status = 'open'
		GROUP BY s.id ORDER BY s.id`).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("postgres.StoreTaskCounts: %w", err)
	}
	return rows, nil
}
