package testdb

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// databaseExists reports whether srv has a database called name.
func databaseExists(t *testing.T, srv *server, name string) bool {
	t.Helper()
	var n int
	require.NoError(t, srv.admin.QueryRowContext(t.Context(),
		"SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n))
	return n == 1
}

// TestNew uses the server the environment gives: DATABASE_URL or a private cluster.
func TestNew(t *testing.T) {
	t.Logf("%s set: %v", envURL, os.Getenv(envURL) != "")
	var name string
	t.Run("database", func(t *testing.T) {
		begin := time.Now()
		db := New(t, func(ctx context.Context, db *bun.DB) error {
			_, err := db.ExecContext(ctx, "CREATE TABLE item (id bigserial PRIMARY KEY, label text NOT NULL)")
			return err
		})
		t.Logf("New took %s", time.Since(begin).Round(time.Millisecond))
		ctx := t.Context()
		require.NoError(t, db.QueryRowContext(ctx, "SELECT current_database()").Scan(&name))
		assert.True(t, strings.HasPrefix(name, namePrefix), name)
		_, err := db.NewInsert().Model(&map[string]any{"label": "first"}).TableExpr("item").Exec(ctx)
		require.NoError(t, err)
		var label string
		require.NoError(t, db.NewSelect().ColumnExpr("label").TableExpr("item").Scan(ctx, &label))
		assert.Equal(t, "first", label)
	})
	srv, err := sharedServer()
	require.NoError(t, err)
	assert.False(t, databaseExists(t, srv, name), "the test database is dropped at cleanup")
}

// TestIsolation gives parallel tests their own databases.
func TestIsolation(t *testing.T) {
	for i := range 4 {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			db := New(t, nil)
			ctx := t.Context()
			_, err := db.ExecContext(ctx, "CREATE TABLE only_mine (n int)")
			require.NoError(t, err, "another test's table would clash")
			_, err = db.ExecContext(ctx, "INSERT INTO only_mine VALUES (?)", i)
			require.NoError(t, err)
			var n int
			require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM only_mine").Scan(&n))
			assert.Equal(t, 1, n)
		})
	}
}

// TestURL checks the URL names a fresh, reachable database.
func TestURL(t *testing.T) {
	u := URL(t)
	db, err := open(u)
	require.NoError(t, err)
	defer db.Close()
	var name string
	require.NoError(t, db.QueryRowContext(t.Context(), "SELECT current_database()").Scan(&name))
	assert.Contains(t, u, "/"+name)
}

// TestBothServerSources exercises both sources whatever the environment: a
// private cluster (DATABASE_URL unset), then that cluster reached as if
// through DATABASE_URL.
func TestBothServerSources(t *testing.T) {
	ctx := t.Context()
	own, err := openServer(ctx, func(string) string { return "" })
	require.NoError(t, err)
	require.NotNil(t, own.cluster)
	dir := own.cluster.Dir()
	useServer(t, own)

	external, err := openServer(ctx, func(key string) string {
		if key == envURL {
			return own.base.String()
		}
		return ""
	})
	require.NoError(t, err)
	assert.Nil(t, external.cluster)
	useServer(t, external)
	require.NoError(t, external.close())
	useServer(t, own) // closing the external server left the cluster running

	require.NoError(t, own.close())
	_, err = os.Stat(dir)
	assert.ErrorIs(t, err, os.ErrNotExist, "close removes the cluster directory")
}

// useServer creates a database on srv in a subtest, uses it and checks it is dropped.
func useServer(t *testing.T, srv *server) {
	t.Helper()
	var name string
	t.Run("", func(t *testing.T) {
		db, err := open(srv.newDatabase(t))
		require.NoError(t, err)
		defer db.Close()
		require.NoError(t, db.QueryRowContext(t.Context(), "SELECT current_database()").Scan(&name))
	})
	require.NotEmpty(t, name)
	assert.False(t, databaseExists(t, srv, name))
}

func TestBadDatabaseURL(t *testing.T) {
	for _, raw := range []string{"mysql://x@y/z", "postgres://u:secret@127.0.0.1:1/x?sslmode=bogus"} {
		_, err := openServer(t.Context(), func(string) string { return raw })
		require.Error(t, err, raw)
		assert.NotContains(t, err.Error(), "secret")
	}
}
