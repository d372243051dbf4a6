package postgres

import (
	"context"
	"fmt"

	"github.com/renoflow/renoflow"
	"github.com/uptrace/bun"
)

// FollowupScore is a row of table followup_scores: a closed follow-up month of a
// customer — the quota, the follow-ups made and the points its owner loses (SPEC.md
// step 4, the monthly scorecard).
type FollowupScore struct {
	bun.BaseModel `bun:"table:followup_scores,alias:f"`

	CustomerID string `bun:"customer_id,pk"`
	Month      string `bun:"month,pk"` // YYYY-MM
	OwnerID    string `bun:"owner_id"`
	StoreID    string `bun:"store_id"`
	Grade      string `bun:"grade"`
	Quota      int    `bun:"quota"`
	Done       int    `bun:"done"`
	Missing    int    `bun:"missing"`
	Points     int    `bun:"points"`
}

// RecordScores writes the closed follow-up months of customer customerID; a month
// already recorded is left alone.
func RecordScores(ctx context.Context, db bun.IDB, customerID string, scores []renoflow.MonthScore) error {
	if len(scores) == 0 {
		return nil
	}
	rows := make([]FollowupScore, 0, len(scores))
	for _, sc := range scores {
		rows = append(rows, FollowupScore{CustomerID: customerID, Month: sc.Month, OwnerID: sc.OwnerID, StoreID: sc.StoreID,
			Grade: string(sc.Grade), Quota: sc.Quota, Done: sc.Done, Missing: sc.Missing, Points: sc.Points})
	}
	if _, err := db.NewInsert().Model(&rows).On("CONFLICT (customer_id, month) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("record follow-up score of %s: %w", customerID, err)
	}
	return nil
}
