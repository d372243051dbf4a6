package activities

import (
	"context"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
)

// Designers reads what dispatch needs to know of every active designer of the store on
// the day of now: duty, suspension, deposit-paid customers held, the oldest customer
// still being designed, ranking attributes and customers held (SPEC.md step 5;
// postgres.Designers).
func (a *Activities) Designers(ctx context.Context, storeID string, now time.Time) ([]renoflow.DesignerInfo, error) {
	return postgres.Designers(ctx, a.DB, storeID)
}
