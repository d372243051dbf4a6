package activities

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
)

// TestOutboxOnePerBusinessKey: the deposit's contact SMS and the return-visit notice are
// queued in the persist's transaction, once, however often the batch is persisted.
func TestOutboxOnePerBusinessKey(t *testing.T) {
	t.Parallel()
	db, acts := newDB(t)
	now := at(2026, time.April, 1, 22, 30)
	c := customer("c9", "13812345678", 9)
	c.Stage, c.Designer = renoflow.StageDeposit, renoflow.Person{ID: "d1", Name: "吴设计"}
	b := viaJSON(t, Batch{Customer: c, UpdatedAt: now, Effects: renoflow.Effects{
		Tasks: []renoflow.Task{{Rule: renoflow.RuleDepositVisit, Seq: 0, Title: "定金后回访", AssigneeRole: renoflow.ToCustomerService,
			StoreID: "s1", Due: now.AddDate(0, 0, 1), PolicyVersion: 1, CalendarVersion: 1, CreatedAt: now}},
		Timeline: []renoflow.Entry{{Key: "dep-c9#0", At: now, Kind: "deposit", Actor: manager, Summary: "交定金"}},
	}})
	for range 3 {
		require.NoError(t, acts.Persist(t.Context(), b))
	}
	var rows []postgres.OutboxMessage
	require.NoError(t, db.NewSelect().Model(&rows).Where("customer_id = ?", "c9").Order("key").Scan(t.Context()))
	require.Len(t, rows, 2)
	require.Equal(t, "entry:dep-c9#0#sms", rows[0].Key)
	require.Equal(t, "sms", rows[0].Channel)
	require.Equal(t, renoflow.SMSContact, rows[0].Template)
	require.Equal(t, map[string]string{"name": "陈", "contact": "吴设计"}, rows[0].Params)
	require.Equal(t, "13812345678", rows[0].Recipient)
	require.Equal(t, "queued", rows[0].Status)
	require.True(t, now.Equal(rows[0].NextAt))
	require.Equal(t, "task:deposit.visit//0#robot", rows[1].Key)
	require.Equal(t, "s1", rows[1].Recipient)
}
