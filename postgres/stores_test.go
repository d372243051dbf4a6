package postgres

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStoreTaskCounts: every store with its open tasks and its open work tasks past due;
// done tasks and other stores' tasks do not count.
func TestStoreTaskCounts(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx := t.Context()
	require.NoError(t, EnsureStore(ctx, db, "s1", "旗舰店"))
	require.NoError(t, EnsureStore(ctx, db, "s2", "城东店"))
	_, err := db.ExecContext(ctx, `INSERT INTO tasks (customer_id, rule, seq, title, store_id, due_at, created_at, status, kind) VALUES
		('c1', 'r', 0, '过期', 's1', now() - interval '1 hour', now(), 'open', 'work'),
		('c1', 'r', 1, '未到期', 's1', now() + interval '1 hour', now(), 'open', 'work'),
		('c1', 'r', 2, '知会', 's1', now() - interval '1 hour', now(), 'open', 'notice'),
		('c1', 'r', 3, '已完成', 's1', now() - interval '1 hour', now(), 'done', 'work')`)
	require.NoError(t, err)
	rows, err := StoreTaskCounts(ctx, db)
	require.NoError(t, err)
	require.Equal(t, []StoreTasks{{Store: "s1", Open: 3, Overdue: 1}, {Store: "s2"}}, rows)
}
