package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// NotifySetting is a row of table notify_settings: the notification settings of one
// scope, "company" or "store:<id>" (issue 14), as JSON. It holds credentials: never log
// it nor send it to a browser (internal/notify.Settings.Public masks them).
type NotifySetting struct {
	bun.BaseModel `bun:"table:notify_settings"`

	Scope     string          `bun:"scope,pk"`
	Settings  json.RawMessage `bun:"settings,type:jsonb"`
	UpdatedAt time.Time       `bun:"updated_at"`
}

// NotifySettings returns every scope's settings.
func NotifySettings(ctx context.Context, db bun.IDB) ([]NotifySetting, error) {
	var rows []NotifySetting
	if err := db.NewSelect().Model(&rows).OrderExpr("scope").Scan(ctx); err != nil {
		return nil, fmt.Errorf("NotifySettings: %w", err)
	}
	return rows, nil
}

// SaveNotifySetting stores (inserts or replaces) one scope's settings.
func SaveNotifySetting(ctx context.Context, db bun.IDB, s NotifySetting) error {
	if _, err := db.NewInsert().Model(&s).On("CONFLICT (scope) DO UPDATE").Exec(ctx); err != nil {
		return fmt.Errorf("SaveNotifySetting %s: %w", s.Scope, err)
	}
	return nil
}
