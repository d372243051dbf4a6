package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Delivery statuses of an outbox message (issue 14).
const (
	OutboxQueued  = "queued"  // waiting (due at next_at: quiet hours, the day after, backoff)
	OutboxSending = "sending" // claimed by a sender, the provider being called (lease claimed_until)
	OutboxSent    = "sent"    // the provider accepted it (answer: its serial number)
	OutboxFailed  = "failed"  // the provider refused it after the attempts, or it cannot be sent
	OutboxSkipped = "skipped" // not sent on purpose (退订)
	OutboxUnknown = "unknown" // 投递未知: its sender died mid-send; a person confirms or resends
)

// OutboxMessage is a row of table outbox: one message to deliver, keyed by the business
// key of the task or timeline entry that causes it (unique per customer).
type OutboxMessage struct {
	bun.BaseModel `bun:"table:outbox"`

	ID         int64             `bun:"id,pk,autoincrement"`
	CustomerID string            `bun:"customer_id"`
	Key        string            `bun:"key"`
	Channel    string            `bun:"channel"` // wecom, robot, sms
	Kind       string            `bun:"kind"`
	Recipient  string            `bun:"recipient"` // staff id (wecom), store id (robot), phone (sms)
	StoreID    string            `bun:"store_id"`
	Template   string            `bun:"template"`
	Params     map[string]string `bun:"params,type:jsonb"`
	Body       string            `bun:"body"`
	TaskKey    string            `bun:"task_key"` // rule/subject/seq of the task it is about
	Status     string            `bun:"status"`   // OutboxQueued …
	Attempts   int               `bun:"attempts"`
	NextAt     time.Time         `bun:"next_at"`
	Answer     string            `bun:"answer"` // the provider's answer (or why not sent)
	CreatedAt  time.Time         `bun:"created_at"`
	SentAt     time.Time         `bun:"sent_at,nullzero"`
	// ClaimedAt and ClaimedUntil are the current attempt's claim and its lease (status
	// sending); zero otherwise.
	ClaimedAt    time.Time `bun:"claimed_at,nullzero"`
	ClaimedUntil time.Time `bun:"claimed_until,nullzero"`
	// CustomerName is the customer's name where a list read it with the message (ListOutbox).
	CustomerName string `bun:"customer_name,scanonly"`
}

// QueueMessages inserts messages; one whose (customer_id, key) is already queued is left
// alone, so a retried, replayed or continued transition queues it once.
func QueueMessages(ctx context.Context, db bun.IDB, ms []OutboxMessage) error {
	if len(ms) == 0 {
		return nil
	}
	for i := range ms {
		if ms[i].Params == nil {
			ms[i].Params = map[string]string{}
		}
		if ms[i].Status == "" {
			ms[i].Status = OutboxQueued
		}
	}
	if _, err := db.NewInsert().Model(&ms).On("CONFLICT (customer_id, key) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("QueueMessages: %w", err)
	}
	return nil
}

// QueueDigest queues the morning digest of day ("2006-01-02") for each staff member with
// open work (企业微信): how many tasks, how many overdue at now. Keyed by day and staff
// member, so several senders queue it once.
func QueueDigest(ctx context.Context, db bun.IDB, day string, now time.Time) error {
	_, err := db.NewRaw(`INSERT INTO outbox (customer_id, key, channel, kind, recipient, store_id, body, next_at, created_at)
		SELECT '', 'digest:' || ? || '#wecom:' || assignee_id, 'wecom', 'digest', assignee_id, max(store_id),
		       '【今日待办】您有' || count(*) || '项待办' ||
		       CASE WHEN count(*) FILTER (WHERE due_at < ?) > 0 THEN '，其中' || count(*) FILTER (WHERE due_at < ?) || '项已逾期' ELSE '' END,
		       ?, ?
		  FROM tasks WHERE status = 'open' AND kind = 'work' AND assignee_id <> '' GROUP BY assignee_id
		ON CONFLICT (customer_id, key) DO NOTHING`, day, now, now, now, now).Exec(ctx)
	if err != nil {
		return fmt.Errorf("QueueDigest: %w", err)
	}
	return nil
}

// StoreChannel names one channel of one store.
type StoreChannel struct {
	Channel string
	StoreID string
}

// LockDue locks (FOR UPDATE SKIP LOCKED, so concurrent senders never take the same row)
// the oldest queued message due at now on one of channels (any store) or of stores
// (that channel of that store); sql.ErrNoRows when none. Call it in a transaction.
func LockDue(ctx context.Context, tx bun.IDB, channels []string, stores []StoreChannel, now time.Time) (OutboxMessage, error) {
	var m OutboxMessage
	q := tx.NewSelect().Model(&m).Where("status = ?", OutboxQueued).Where("next_at <= ?", now)
	q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("false")
		if len(channels) > 0 {
			q = q.WhereOr("channel IN (?)", bun.In(channels))
		}
		for _, sc := range stores {
			q = q.WhereOr("(channel = ? AND store_id = ?)", sc.Channel, sc.StoreID)
		}
		return q
	})
	err := q.OrderExpr("next_at, id").Limit(1).For("UPDATE SKIP LOCKED").Scan(ctx)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("LockDue: %w", err)
	}
	return m, err
}

// LockStale locks (SKIP LOCKED) up to limit messages still 'sending' whose lease ended
// before now: their sender died mid-send. Call it in a transaction.
func LockStale(ctx context.Context, tx bun.IDB, now time.Time, limit int) ([]OutboxMessage, error) {
	var ms []OutboxMessage
	err := tx.NewSelect().Model(&ms).Where("status = ?", OutboxSending).Where("claimed_until < ?", now).
		OrderExpr("claimed_until, id").Limit(int64(limit)).For("UPDATE SKIP LOCKED").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("LockStale: %w", err)
	}
	return ms, nil
}

// SetMessage writes m's delivery columns (status, attempts, next_at, answer, sent_at,
// claimed_at, claimed_until) by id.
func SetMessage(ctx context.Context, db bun.IDB, m OutboxMessage) error {
	_, err := db.NewUpdate().Model(&m).Column("status", "attempts", "next_at", "answer", "sent_at", "claimed_at", "claimed_until").
		WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("SetMessage %d: %w", m.ID, err)
	}
	return nil
}

// SettleMessage writes m's delivery columns as SetMessage does, only while the row is
// still the claim claimedAt (status sending): false when the claim was resolved
// meanwhile (its lease ended) and nothing was written.
func SettleMessage(ctx context.Context, db bun.IDB, m OutboxMessage, claimedAt time.Time) (bool, error) {
	res, err := db.NewUpdate().Model(&m).Column("status", "attempts", "next_at", "answer", "sent_at", "claimed_at", "claimed_until").
		WherePK().Where("status = ?", OutboxSending).Where("claimed_at = ?", claimedAt).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("SettleMessage %d: %w", m.ID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ResolveUnknown is a person's decision on a message whose delivery is unknown (发件箱):
// resend (queued again, due at now) or confirm it arrived (sent). False when the message
// is not (or no longer) unknown.
func ResolveUnknown(ctx context.Context, db bun.IDB, id int64, resend bool, answer string, now time.Time) (bool, error) {
	q := db.NewUpdate().Model((*OutboxMessage)(nil)).Set("answer = ?", answer).Where("id = ?", id).Where("status = ?", OutboxUnknown)
	if resend {
		q = q.Set("status = ?", OutboxQueued).Set("next_at = ?", now)
	} else {
		q = q.Set("status = ?", OutboxSent).Set("sent_at = ?", now)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("ResolveUnknown %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ListOutbox returns the newest messages (at most limit), of one status when status is
// not empty.
func ListOutbox(ctx context.Context, db bun.IDB, status string, limit int) ([]OutboxMessage, error) {
	var ms []OutboxMessage
	q := db.NewSelect().Model(&ms).ColumnExpr("?TableAlias.*").
		ColumnExpr("(SELECT c.name FROM customers AS c WHERE c.id = ?TableAlias.customer_id) AS customer_name").
		OrderExpr("?TableAlias.id DESC").Limit(int64(limit))
	if status != "" {
		q = q.Where("?TableAlias.status = ?", status)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("ListOutbox: %w", err)
	}
	return ms, nil
}

// CustomerMessages returns a customer's messages, newest first (at most limit).
func CustomerMessages(ctx context.Context, db bun.IDB, customerID string, limit int) ([]OutboxMessage, error) {
	var ms []OutboxMessage
	if err := db.NewSelect().Model(&ms).Where("customer_id = ?", customerID).OrderExpr("id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("CustomerMessages: %w", err)
	}
	return ms, nil
}

// TaskRef names a task by its customer and business key (rule/subject/seq).
type TaskRef struct {
	CustomerID string
	TaskKey    string
}

// TaskMessages returns the messages about the tasks refs (by customer and task key),
// oldest first.
func TaskMessages(ctx context.Context, db bun.IDB, refs []TaskRef) ([]OutboxMessage, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	pairs := make([][]string, len(refs))
	for i, r := range refs {
		pairs[i] = []string{r.CustomerID, r.TaskKey}
	}
	var ms []OutboxMessage
	err := db.NewSelect().Model(&ms).Where("task_key <> ''").Where("(customer_id, task_key) IN (?)", bun.In(pairs)).
		OrderExpr("id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("TaskMessages: %w", err)
	}
	return ms, nil
}

// DeliveryFailure counts failed messages of one store and channel.
type DeliveryFailure struct {
	StoreID string `bun:"store_id"`
	Channel string `bun:"channel"`
	N       int    `bun:"n"`
}

// DeliveryFailures counts the messages queued in [start, end) that failed, per store
// (of storeIDs) and channel.
func DeliveryFailures(ctx context.Context, db bun.IDB, start, end time.Time, storeIDs []string) ([]DeliveryFailure, error) {
	var rows []DeliveryFailure
	if err := db.NewRaw(`SELECT store_id, channel, count(*) AS n FROM outbox
		WHERE status = 'failed' AND created_at >= ? AND created_at < ? AND store_id IN (?) GROUP BY store_id, channel`,
		start, end, bun.In(storeIDs)).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("DeliveryFailures: %w", err)
	}
	return rows, nil
}
