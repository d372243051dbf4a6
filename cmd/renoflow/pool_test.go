package main

import (
	"context"
	"testing"

	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/stretchr/testify/require"
)

// The database pool is sized from the settings (issue 9 "Load"): by default 20 open and
// 20 idle connections per process, where database/sql alone keeps 2 idle and makes every
// burst open new PostgreSQL sessions.
func TestPoolSizedFromSettings(t *testing.T) {
	cfg, err := loadConfig(func(string) string { return "" })
	require.NoError(t, err)
	require.Equal(t, 20, cfg.DBMaxOpenConns)
	require.Equal(t, 20, cfg.DBMaxIdleConns)
	require.Equal(t, 1, cfg.TemporalDBConns)

	cfg, err = loadConfig(func(k string) string {
		return map[string]string{"DB_MAX_OPEN_CONNS": "12", "DB_MAX_IDLE_CONNS": "8"}[k]
	})
	require.NoError(t, err)
	db, err := openDB(context.Background(), testdb.URL(t))
	require.NoError(t, err)
	defer db.Close()
	sizePool(db, cfg)
	require.Equal(t, 12, db.Stats().MaxOpenConnections)

	// Eight concurrent queries leave eight idle connections behind, not two.
	ctx := context.Background()
	conns := make([]interface{ Close() error }, 0, 8)
	for i := 0; i < 8; i++ {
		c, err := db.Conn(ctx)
		require.NoError(t, err)
		conns = append(conns, c)
	}
	for _, c := range conns {
		require.NoError(t, c.Close())
	}
	require.Equal(t, 8, db.Stats().Idle)
}
