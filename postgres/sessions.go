package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/renoflow/renoflow"
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

// SessionActor reads, in one query, the live session of tokenHash and its account as
// ActiveStaff reads it (ID, name, role, store, lead; a supervisor's stores): sql.ErrNoRows
// when there is no session or it expired by now; the account's Active is false when it
// was deactivated or is gone. Every authenticated request runs it: one round trip
// instead of two, three for a supervisor (issue 15).
func SessionActor(ctx context.Context, db bun.IDB, tokenHash string, now time.Time) (Session, Staff, error) {
	var row struct {
		StaffID   string        `bun:"staff_id"`
		CSRFToken string        `bun:"csrf_token"`
		Name      string        `bun:"name"`
		Role      renoflow.Role `bun:"role"`
		StoreID   string        `bun:"store_id"`
		Lead      bool          `bun:"lead"`
		Active    bool          `bun:"active"`
		Stores    []string      `bun:"stores,array"`
	}
	err := db.NewSelect().TableExpr("sessions AS se").
		ColumnExpr("se.staff_id, se.csrf_token").
		ColumnExpr("COALESCE(st.name, '') AS name, COALESCE(st.role, '') AS role, COALESCE(st.store_id, '') AS store_id").
		ColumnExpr("COALESCE(st.lead, false) AS lead, COALESCE(st.active, false) AS active").
		ColumnExpr("CASE WHEN st.role = ? THEN ARRAY(SELECT ss.store_id FROM supervisor_stores AS ss WHERE ss.staff_id = st.id ORDER BY ss.store_id) END AS stores",
			renoflow.RoleSupervisor).
		Join("LEFT JOIN staff AS st ON st.id = se.staff_id").
		Where("se.token_hash = ?", tokenHash).Where("se.expires_at > ?", now).Scan(ctx, &row)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, Staff{}, err
	}
	if err != nil {
		return Session{}, Staff{}, fmt.Errorf("postgres.SessionActor: %w", err)
	}
	return Session{TokenHash: tokenHash, StaffID: row.StaffID, CSRFToken: row.CSRFToken},
		Staff{ID: row.StaffID, Name: row.Name, Role: row.Role, StoreID: row.StoreID, Lead: row.Lead, Active: row.Active, Stores: row.Stores}, nil
}
