package activities

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/renoflow/renoflow/schema"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// newDB returns a fresh migrated database and the activities over it.
func newDB(t *testing.T) (*bun.DB, *Activities) {
	t.Helper()
	db := testdb.New(t, schema.Migrate)
	return db, &Activities{DB: db}
}

// at is a wall-clock time in the company zone (Asia/Shanghai).
func at(year int, month time.Month, day, hour, min int) time.Time {
	return time.Date(year, month, day, hour, min, 0, 0, renoflow.Zone)
}

var (
	advisor  = renoflow.Person{ID: "adv1", Name: "王顾问"}
	manager  = renoflow.Person{ID: "cm1", Name: "张经理"}
	manager2 = renoflow.Person{ID: "cm2", Name: "刘经理"}
	service  = renoflow.Person{ID: "cs1", Name: "李客服"}
	filedAt  = at(2026, time.March, 2, 10, 0) // a Monday
)

// customer is a freshly filed customer of store s1 owned by 张经理.
func customer(id string, phone renoflow.Phone, revision int64) renoflow.Customer {
	return renoflow.Customer{
		ID: id,
		Record: renoflow.Record{
			Name: "陈", Phone: phone, Gender: renoflow.GenderFemale, Channel: renoflow.ChannelReferral, StoreID: "s1",
			House:     renoflow.House{Community: "翠湖天地", Building: "3", Layout: "三室两厅", AreaM2: 128},
			Situation: "朋友介绍，计划年底装修",
		},
		Stage:      renoflow.StageFiled,
		StoreID:    "s1",
		Owner:      manager,
		OwnerSince: filedAt,
		FiledBy:    advisor,
		FiledAt:    filedAt,
		ClaimDue:   filedAt.AddDate(0, 0, 7),
		Revision:   revision,
	}
}

// viaJSON returns v as the activity receives it: encoded into the workflow history and
// decoded again (Temporal's JSON payload converter).
func viaJSON[T any](t *testing.T, v T) T {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out T
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// count runs SELECT count(*) FROM table WHERE where.
func count(t *testing.T, db bun.IDB, table, where string, args ...any) int {
	t.Helper()
	q := db.NewSelect().Table(table)
	if where != "" {
		q = q.Where(where, args...)
	}
	n, err := q.Count(t.Context())
	require.NoError(t, err)
	return int(n)
}
