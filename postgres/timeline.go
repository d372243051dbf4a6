package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/uptrace/bun"
)

// TimelineEntry is a row of table timeline: one action or fired timer of a customer,
// exactly once per (customer, key).
type TimelineEntry struct {
	bun.BaseModel `bun:"table:timeline,alias:tl"`

	ID              int64             `bun:"id,pk,autoincrement"`
	CustomerID      string            `bun:"customer_id"`
	Key             string            `bun:"key"`
	At              time.Time         `bun:"at"`
	Kind            string            `bun:"kind"`
	ActorID         string            `bun:"actor_id"`
	ActorName       string            `bun:"actor_name"`
	Summary         string            `bun:"summary"`
	Rule            string            `bun:"rule"`
	PolicyVersion   int               `bun:"policy_version"`
	CalendarVersion int               `bun:"calendar_version"`
	DueAt           time.Time         `bun:"due_at,nullzero"`
	Data            map[string]string `bun:"data,type:jsonb"`
}

// AppendTimeline writes entries to the timeline of customer customerID; an entry whose
// key exists is left alone.
func AppendTimeline(ctx context.Context, db bun.IDB, customerID string, entries []renoflow.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	rows := make([]TimelineEntry, 0, len(entries))
	for _, e := range entries {
		data := e.Data
		if data == nil {
			data = map[string]string{}
		}
		rows = append(rows, TimelineEntry{CustomerID: customerID, Key: e.Key, At: e.At, Kind: e.Kind, ActorID: e.Actor.ID,
			ActorName: e.Actor.Name, Summary: e.Summary, Rule: string(e.Rule), PolicyVersion: e.PolicyVersion,
			CalendarVersion: e.CalendarVersion, DueAt: e.Due, Data: data})
	}
	if _, err := db.NewInsert().Model(&rows).On("CONFLICT (customer_id, key) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("write timeline of %s: %w", customerID, err)
	}
	return nil
}

// Timeline reads the timeline of customer customerID, oldest first.
func Timeline(ctx context.Context, db bun.IDB, customerID string) ([]TimelineEntry, error) {
	var rows []TimelineEntry
	if err := db.NewSelect().Model(&rows).Where("customer_id = ?", customerID).
		Order("at", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("read timeline of %s: %w", customerID, err)
	}
	return rows, nil
}
