package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Session is a row of sessions: a signed-in staff member's server-side session. The
// cookie (or bearer token) holds a random token; the row is keyed by its SHA-256.
type Session struct {
	bun.BaseModel `bun:"table:sessions,alias:se"`

	TokenHash string    `bun:"token_hash,pk"`
	StaffID   string    `bun:"staff_id,notnull"`
	CSRFToken string    `bun:"csrf_token,notnull"`
	CreatedAt time.Time `bun:"created_at,nullzero,notnull,default:current_timestamp"`
	ExpiresAt time.Time `bun:"expires_at,notnull"`
}

// OpenSession stores a new session.
func OpenSession(ctx context.Context, db bun.IDB, s Session) error {
	if _, err := db.NewInsert().Model(&s).Exec(ctx); err != nil {
		return fmt.Errorf("postgres.OpenSession: %w", err)
	}
	return nil
}

// LiveSession reads the session of tokenHash unless it expired by now; sql.ErrNoRows
// when there is none.
func LiveSession(ctx context.Context, db bun.IDB, tokenHash string, now time.Time) (Session, error) {
	var s Session
	err := db.NewSelect().Model(&s).Column("staff_id", "csrf_token").
		Where("token_hash = ?", tokenHash).Where("expires_at > ?", now).Scan(ctx)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("postgres.LiveSession: %w", err)
	}
	s.TokenHash = tokenHash
	return s, err
}

// EndSession deletes the session of tokenHash (none: nothing happens).
func EndSession(ctx context.Context, db bun.IDB, tokenHash string) error {
	if _, err := db.NewDelete().Model((*Session)(nil)).Where("token_hash = ?", tokenHash).Exec(ctx); err != nil {
		return fmt.Errorf("postgres.EndSession: %w", err)
	}
	return nil
}

// EndStaffSessions deletes every session of staffID but the one of keepTokenHash (a
// new password or a deactivation signs the member out everywhere else).
func EndStaffSessions(ctx context.Context, db bun.IDB, staffID, keepTokenHash string) error {
	if _, err := db.NewDelete().Model((*Session)(nil)).Where("staff_id = ?", staffID).
		Where("token_hash <> ?", keepTokenHash).Exec(ctx); err != nil {
		return fmt.Errorf("postgres.EndStaffSessions %s: %w", staffID, err)
	}
	return nil
}
