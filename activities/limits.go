package activities

import (
	"context"
	"errors"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/temporal"
)

// TakeLimits takes the cross-customer limits of a transition of customer customerID at
// now in transaction tx (postgres.TakeLimits: staff locked in ID order, each take checked
// against its count); a reached limit comes back as the domain refusal (see Refusal).
func TakeLimits(ctx context.Context, tx bun.IDB, customerID string, now time.Time, takes []renoflow.LimitTake) error {
	return Refusal(postgres.TakeLimits(ctx, tx, customerID, now, takes))
}

// Refusal turns a domain refusal into the non-retryable activity error that carries it
// to the workflow (which rolls the transition back and answers with it); other errors
// pass through.
func Refusal(err error) error {
	var de *renoflow.Error
	if errors.As(err, &de) {
		return temporal.NewApplicationErrorWithOptions(de.Message, string(de.Code), temporal.ApplicationErrorOptions{
			NonRetryable: true, Details: []any{*de}})
	}
	return err
}
