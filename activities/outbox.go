package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/renoflow/renoflow"
)

// OutboxRow is the outbox table (issue 14): one message to deliver.
type OutboxRow struct {
	bun.BaseModel `bun:"table:outbox"`

	ID         int64             `bun:"id,pk,autoincrement"`
	CustomerID string            `bun:"customer_id"`
	Key        string            `bun:"key"`
	Channel    string            `bun:"channel"`
	Kind       string            `bun:"kind"`
	Recipient  string            `bun:"recipient"`
	StoreID    string            `bun:"store_id"`
	Template   string            `bun:"template"`
	Params     map[string]string `bun:"params,type:jsonb"`
	Body       string            `bun:"body"`
	TaskKey    string            `bun:"task_key"`
	Status     string            `bun:"status"` // queued, sent, failed, skipped
	Attempts   int               `bun:"attempts"`
	NextAt     time.Time         `bun:"next_at"`
	Answer     string            `bun:"answer"`
	CreatedAt  time.Time         `bun:"created_at"`
	SentAt     time.Time         `bun:"sent_at,nullzero"`
}

// writeOutbox queues the messages of a transition (renoflow.Messages) in the persist's
// transaction; a message whose business key is already queued is left alone, so a
// retry, replay or Continue-As-New never queues it twice.
func writeOutbox(ctx context.Context, tx bun.Tx, b Batch) error {
	ms := renoflow.Messages(b.Customer, b.Effects)
	if len(ms) == 0 {
		return nil
	}
	rows := make([]OutboxRow, 0, len(ms))
	for _, m := range ms {
		params := m.Params
		if params == nil {
			params = map[string]string{}
		}
		next := m.NotBefore
		if next.IsZero() {
			next = b.UpdatedAt
		}
		rows = append(rows, OutboxRow{CustomerID: b.Customer.ID, Key: m.Key, Channel: string(m.Channel), Kind: m.Kind,
			Recipient: m.To, StoreID: m.StoreID, Template: m.Template, Params: params, Body: m.Text, TaskKey: m.TaskKey,
			Status: "queued", NextAt: next, CreatedAt: b.UpdatedAt})
	}
	if _, err := tx.NewInsert().Model(&rows).On("CONFLICT (customer_id, key) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("queue messages of %s: %w", b.Customer.ID, err)
	}
	return nil
}
