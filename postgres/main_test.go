package postgres

import (
	"os"
	"testing"

	"github.com/uptrace/bun"

	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/renoflow/renoflow/schema"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// newDB returns a fresh migrated database.
func newDB(t *testing.T) *bun.DB {
	t.Helper()
	return testdb.New(t, schema.Migrate)
}
