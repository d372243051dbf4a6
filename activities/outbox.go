package activities

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
)

// writeOutbox queues the messages of a transition (renoflow.Messages) in the persist's
// transaction (issue 14); a message whose business key is already queued is left alone,
// so a retry, replay or Continue-As-New never queues it twice.
func writeOutbox(ctx context.Context, tx bun.Tx, b Batch) error {
	ms := renoflow.Messages(b.Customer, b.Effects)
	if len(ms) == 0 {
		return nil
	}
	rows := make([]postgres.OutboxMessage, 0, len(ms))
	for _, m := range ms {
		next := m.NotBefore
		if next.IsZero() {
			next = b.UpdatedAt
		}
		rows = append(rows, postgres.OutboxMessage{CustomerID: b.Customer.ID, Key: m.Key, Channel: string(m.Channel), Kind: m.Kind,
			Recipient: m.To, StoreID: m.StoreID, Template: m.Template, Params: m.Params, Body: m.Text, TaskKey: m.TaskKey,
			Status: postgres.OutboxQueued, NextAt: next, CreatedAt: b.UpdatedAt})
	}
	if err := postgres.QueueMessages(ctx, tx, rows); err != nil {
		return fmt.Errorf("queue messages of %s: %w", b.Customer.ID, err)
	}
	return nil
}
