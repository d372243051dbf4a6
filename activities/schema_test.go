package activities

import (
	"database/sql"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/renoflow/renoflow/schema"
)

// tables are the tables the migrations create.
var tables = []string{"stores", "staff", "supervisor_stores", "sessions", "policy_versions", "calendar_versions",
	"phone_claims", "customers", "tasks", "timeline", "pool_events"}

// requireMigrated checks that every table exists and each migration is recorded once.
func requireMigrated(t *testing.T, db *bun.DB) {
	t.Helper()
	ctx := t.Context()
	for _, table := range tables {
		var reg sql.NullString
		require.NoError(t, db.QueryRowContext(ctx, "SELECT to_regclass(?)", "public."+table).Scan(&reg))
		require.True(t, reg.Valid, "table %s exists", table)
	}
	ms, err := schema.Migrations()
	require.NoError(t, err)
	require.NotEmpty(t, ms.Sorted())
	for _, m := range ms.Sorted() {
		require.Equal(t, 1, count(t, db, "bun_migrations", "name = ?", m.Name), "migration %s applied once", m.Name)
	}
	require.Equal(t, len(ms.Sorted()), count(t, db, "bun_migrations", ""), "no other migration recorded")
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	t.Run("applies", func(t *testing.T) {
		t.Parallel()
		db := testdb.New(t, schema.Migrate)
		requireMigrated(t, db)
	})
	t.Run("twice", func(t *testing.T) {
		t.Parallel()
		db := testdb.New(t, schema.Migrate)
		require.NoError(t, schema.Migrate(t.Context(), db))
		require.NoError(t, schema.Migrate(t.Context(), db))
		requireMigrated(t, db)
	})
	// Workers and API servers start together: four processes migrate a fresh database at
	// once, each with its own connection pool.
	t.Run("concurrently on a fresh database", func(t *testing.T) {
		t.Parallel()
		url := testdb.URL(t)
		dbs := make([]*bun.DB, 4)
		for i := range dbs {
			dbs[i] = bun.NewDB(sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(url))), pgdialect.New())
			t.Cleanup(func() { dbs[i].Close() })
		}
		errs := make([]error, len(dbs))
		var wg sync.WaitGroup
		for i, db := range dbs {
			wg.Go(func() { errs[i] = schema.Migrate(t.Context(), db) })
		}
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "migrator %d", i)
		}
		requireMigrated(t, dbs[0])
	})
	t.Run("concurrently on one pool, already migrated", func(t *testing.T) {
		t.Parallel()
		db := testdb.New(t, schema.Migrate)
		errs := make([]error, 4)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = schema.Migrate(t.Context(), db) })
		}
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "migrator %d", i)
		}
		requireMigrated(t, db)
	})
	t.Run("concurrently on one pool, fresh", func(t *testing.T) {
		t.Parallel()
		db := testdb.New(t, nil)
		errs := make([]error, 4)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = schema.Migrate(t.Context(), db) })
		}
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "migrator %d", i)
		}
		requireMigrated(t, db)
	})
}
