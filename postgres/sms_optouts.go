package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// SMSOptOut is a row of table sms_optouts: a phone that asked for no SMS (退订).
type SMSOptOut struct {
	bun.BaseModel `bun:"table:sms_optouts"`

	Phone string    `bun:"phone,pk"`
	At    time.Time `bun:"at"`
}

// OptedOut reports whether phone opted out of SMS.
func OptedOut(ctx context.Context, db bun.IDB, phone string) (bool, error) {
	ok, err := db.NewSelect().Model((*SMSOptOut)(nil)).Where("phone = ?", phone).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("OptedOut: %w", err)
	}
	return ok, nil
}

// OptOut records phone's opt-out at at (a repeat keeps the first).
func OptOut(ctx context.Context, db bun.IDB, phone string, at time.Time) error {
	if _, err := db.NewInsert().Model(&SMSOptOut{Phone: phone, At: at}).On("CONFLICT (phone) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("OptOut: %w", err)
	}
	return nil
}

// LiftOptOut removes phone's opt-out.
func LiftOptOut(ctx context.Context, db bun.IDB, phone string) error {
	if _, err := db.NewDelete().Model((*SMSOptOut)(nil)).Where("phone = ?", phone).Exec(ctx); err != nil {
		return fmt.Errorf("LiftOptOut: %w", err)
	}
	return nil
}
