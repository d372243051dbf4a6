package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// AuthEvent is a row of auth_events: the audit log of sign-ins (issue 9 "Hostile
// requests"). The login throttle counts the failures here, so it holds across every
// server process.
type AuthEvent struct {
	bun.BaseModel `bun:"table:auth_events,alias:ae"`

	ID      int64     `bun:"id,pk,autoincrement"`
	At      time.Time `bun:"at,notnull"`
	Kind    string    `bun:"kind,notnull"` // one of the Auth* kinds
	Login   string    `bun:"login,notnull"`
	IP      string    `bun:"ip,notnull"`
	StaffID string    `bun:"staff_id,nullzero"` // the account signed in to, once known
	Detail  string    `bun:"detail,notnull"`
}

// The kinds of auth_events.
const (
	AuthLoginPending   = "login_pending"   // admitted, being checked: counts as a failure until resolved
	AuthLoginOK        = "login_ok"        // signed in
	AuthLoginFailed    = "login_failed"    // wrong login or password, or an inactive account
	AuthLoginThrottled = "login_throttled" // refused without checking, too many failures
)

// LockLoginThrottle takes the transaction-scoped advisory locks of login and of ip, so
// that concurrent attempts on the same account or from the same address are counted one
// after another. db must be a transaction.
func LockLoginThrottle(ctx context.Context, db bun.IDB, login, ip string) error {
	for _, key := range []string{"login:" + login, "ip:" + ip} {
		if _, err := db.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext(?))", "renoflow.auth."+key); err != nil {
			return fmt.Errorf("postgres.LockLoginThrottle: %w", err)
		}
	}
	return nil
}

// LoginFailures returns, oldest first, the times of the failed and pending sign-ins after
// since: for login, only those after its last success; for ip, all of them.
func LoginFailures(ctx context.Context, db bun.IDB, login, ip string, since time.Time) (account, address []time.Time, err error) {
	if err := db.NewSelect().Model((*AuthEvent)(nil)).Column("at").
		Where("login = ?", login).Where("kind IN (?)", bun.List([]string{AuthLoginFailed, AuthLoginPending})).Where("at > ?", since).
		Where("at > coalesce((SELECT max(at) FROM auth_events WHERE login = ? AND kind = ?), '-infinity')", login, AuthLoginOK).
		Order("at").Scan(ctx, &account); err != nil {
		return nil, nil, fmt.Errorf("postgres.LoginFailures: %w", err)
	}
	if err := db.NewSelect().Model((*AuthEvent)(nil)).Column("at").
		Where("ip = ?", ip).Where("kind IN (?)", bun.List([]string{AuthLoginFailed, AuthLoginPending})).Where("at > ?", since).
		Order("at").Scan(ctx, &address); err != nil {
		return nil, nil, fmt.Errorf("postgres.LoginFailures: %w", err)
	}
	return account, address, nil
}

// AddAuthEvent records a sign-in event and returns its ID.
func AddAuthEvent(ctx context.Context, db bun.IDB, e AuthEvent) (int64, error) {
	if _, err := db.NewInsert().Model(&e).Returning("id").Exec(ctx); err != nil {
		return 0, fmt.Errorf("postgres.AddAuthEvent: %w", err)
	}
	return e.ID, nil
}

// ResolveAuthEvent records the outcome of an admitted sign-in: its kind and the account
// ("" when the login names none).
func ResolveAuthEvent(ctx context.Context, db bun.IDB, id int64, kind, staffID string) error {
	e := AuthEvent{ID: id, Kind: kind, StaffID: staffID}
	if _, err := db.NewUpdate().Model(&e).Column("kind", "staff_id").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("postgres.ResolveAuthEvent %d: %w", id, err)
	}
	return nil
}
