package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/uptrace/bun"
)

// PoolEvent is a row of table pool_events: a public-pool (公海) movement of a customer —
// a lapse or release into the pool, or a claim out of it — once per (customer, key).
type PoolEvent struct {
	bun.BaseModel `bun:"table:pool_events,alias:pe"`

	ID            int64     `bun:"id,pk,autoincrement"`
	CustomerID    string    `bun:"customer_id"`
	Key           string    `bun:"key"`
	Kind          string    `bun:"kind"` // lapse, release or claim
	At            time.Time `bun:"at"`
	StoreID       string    `bun:"store_id"`
	FromOwner     string    `bun:"from_owner"`
	ToOwner       string    `bun:"to_owner"`
	Rule          string    `bun:"rule"`
	PolicyVersion int       `bun:"policy_version"`
	DueAt         time.Time `bun:"due_at,nullzero"`
}

// RecordPoolMoves writes the pool moves of customer customerID; a move whose key exists
// is left alone.
func RecordPoolMoves(ctx context.Context, db bun.IDB, customerID string, moves []renoflow.PoolMove) error {
	if len(moves) == 0 {
		return nil
	}
	rows := make([]PoolEvent, 0, len(moves))
	for _, p := range moves {
		rows = append(rows, PoolEvent{CustomerID: customerID, Key: p.Key, Kind: p.Kind, At: p.At, StoreID: p.StoreID,
			FromOwner: p.From, ToOwner: p.To, Rule: string(p.Rule), PolicyVersion: p.PolicyVersion, DueAt: p.Due})
	}
	if _, err := db.NewInsert().Model(&rows).On("CONFLICT (customer_id, key) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("record pool moves of %s: %w", customerID, err)
	}
	return nil
}
