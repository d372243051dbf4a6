package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
	"github.com/uptrace/bun"
)

// Batch is everything one transition of a customer writes: the customer's new state and
// the transition's effects. Persist writes it in one transaction.
type Batch struct {
	Customer renoflow.Customer `json:"customer"`
	Effects  renoflow.Effects  `json:"effects"`
	// UpdatedAt is the workflow time of the transition.
	UpdatedAt time.Time `json:"updated_at"`
	// SkipCustomer writes only the effects, not the customer row: the alert of a
	// transition whose data could never be written (ErrUnwritable).
	SkipCustomer bool `json:"skip_customer,omitempty"`
	// Filing marks the filing's own write (or, with SkipCustomer, the alert of a filing
	// refused): its commit is announced on postgres.FiledChannel, where the filing
	// request waits (issue 15).
	Filing bool `json:"filing,omitempty"`
}

// Persist writes one transition of a customer in one transaction. It is idempotent: the
// customer row only moves forward (revision), a task or timeline entry or pool move
// whose key exists is left alone (so a done task is never re-created), and closing a
// task touches only open ones. Data that can never be written fails with the
// non-retryable ErrUnwritable (nothing written); any other error is retried.
// The tasks the transition made moot (renoflow's
// Customer.Conclude) are among its closes: cancelled, with the reason, in this same
// transaction.
func (a *Activities) Persist(ctx context.Context, b Batch) error {
	if err := checkText(b); err != nil {
		return classify(err)
	}
	return classify(a.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return persist(ctx, tx, b)
	}))
}

func persist(ctx context.Context, tx bun.Tx, b Batch) error {
	if err := TakeLimits(ctx, tx, b.Customer.ID, b.UpdatedAt, b.Effects.Limits); err != nil {
		return err
	}
	if !b.SkipCustomer {
		if err := saveCustomer(ctx, tx, b); err != nil {
			return err
		}
	}
	if err := writeEffects(ctx, tx, b); err != nil {
		return err
	}
	if err := writeOutbox(ctx, tx, b); err != nil {
		return err
	}
	if b.Filing {
		return postgres.NotifyFiled(ctx, tx, b.Customer.ID, b.SkipCustomer)
	}
	return nil
}

// saveCustomer upserts the customer row unless the stored revision is newer.
func saveCustomer(ctx context.Context, tx bun.Tx, b Batch) error {
	row, err := postgres.NewCustomer(b.Customer, b.UpdatedAt)
	if err != nil {
		return fmt.Errorf("encode customer %s: %w", b.Customer.ID, &encodeError{err})
	}
	return postgres.SaveCustomer(ctx, tx, row)
}

// writeEffects writes the effects of a transition.
func writeEffects(ctx context.Context, tx bun.Tx, b Batch) error {
	c := b.Customer
	eff := b.Effects
	if err := postgres.CreateTasks(ctx, tx, c.ID, eff.Tasks); err != nil {
		return err
	}
	for _, cl := range eff.Closed {
		if err := postgres.CloseTasks(ctx, tx, c.ID, cl); err != nil {
			return err
		}
	}
	if err := postgres.AppendTimeline(ctx, tx, c.ID, eff.Timeline); err != nil {
		return err
	}
	if err := postgres.RecordPoolMoves(ctx, tx, c.ID, eff.Pool); err != nil {
		return err
	}
	if eff.CloseAll != "" {
		reason := eff.CloseAllReason
		if reason == "" {
			reason = renoflow.ReasonInvalid
		}
		if err := postgres.CloseAllTasks(ctx, tx, c.ID, eff.CloseAll, reason, b.UpdatedAt); err != nil {
			return err
		}
	}
	if r := eff.Reassign; r != nil {
		if err := postgres.ReassignTasks(ctx, tx, c.ID, r.From, r.To); err != nil {
			return err
		}
	}
	// Open work follows the customer to the store it is in now. A filing's tasks are all
	// created in the transaction, with its store: nothing to move.
	if !b.Filing {
		if err := postgres.MoveOpenTasks(ctx, tx, c.ID, c.StoreID); err != nil {
			return err
		}
	}
	if err := postgres.RecordScores(ctx, tx, c.ID, eff.Scores); err != nil {
		return err
	}
	for _, s := range eff.Suspensions {
		if err := postgres.SuspendDesigner(ctx, tx, s); err != nil {
			return err
		}
	}
	if eff.ReleasePhone {
		if err := postgres.ReleasePhone(ctx, tx, c.ID); err != nil {
			return err
		}
	}
	return nil
}

// PoolStats reads the counts the public-pool rules need for staff member staffID on the
// company day of now: claims from the pool that day and active customers held.
func (a *Activities) PoolStats(ctx context.Context, staffID string, now time.Time) (renoflow.PoolStats, error) {
	var s renoflow.PoolStats
	claimed, err := postgres.ClaimedToday(ctx, a.DB, staffID, "", now)
	if err != nil {
		return s, err
	}
	held, err := postgres.HeldCustomers(ctx, a.DB, staffID, "", now)
	if err != nil {
		return s, err
	}
	return renoflow.PoolStats{ClaimedToday: claimed, Held: held}, nil
}
