// Package schema holds the SQL migrations of renoflow's PostgreSQL database and applies
// them.
package schema

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

//go:embed migrations/*.sql
var files embed.FS

// advisoryLockID serialises migrations across processes (workers and API servers start
// together); a PostgreSQL advisory lock is released by the server if the holder dies.
const advisoryLockID = 7_2026_1125

// Migrations returns the embedded migrations.
func Migrations() (*migrate.Migrations, error) {
	sub, err := fs.Sub(files, "migrations")
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	m := migrate.NewMigrations()
	if err := m.Discover(sub); err != nil {
		return nil, fmt.Errorf("schema: discover migrations: %w", err)
	}
	return m, nil
}

// Migrate applies every migration not yet applied. It is safe to call from several
// processes at once.
func Migrate(ctx context.Context, db *bun.DB) error {
	ms, err := Migrations()
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("schema: connect: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", advisoryLockID); err != nil {
		return fmt.Errorf("schema: take the migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", advisoryLockID) //nolint:errcheck // released on close anyway
	m := migrate.NewMigrator(db, ms, migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("schema: init migration tables: %w", err)
	}
	if _, err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("schema: migrate: %w", err)
	}
	return nil
}
