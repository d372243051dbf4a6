package activities

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
)

// A task row records whether it is work or a notice; the tasks a change made moot are
// cancelled with the reason in the change's own transaction, and a retried Persist
// changes nothing more (issue 10 §4).
func TestPersistMootTasksCancelledWithReason(t *testing.T) {
	t.Parallel()
	db, a := newDB(t)
	ctx := t.Context()
	require.NoError(t, a.Persist(ctx, filingBatch()))
	kinds := map[string]string{}
	var rows []postgres.Task
	read := func() {
		rows = nil
		require.NoError(t, db.NewSelect().Model(&rows).Where("customer_id = 'c1'").Order("id").Scan(ctx))
		for _, r := range rows {
			kinds[r.Rule] = r.Kind
		}
	}
	read()
	require.Equal(t, map[string]string{"verify": "work", "claim.reminder": "notice"}, kinds)

	lapse := filingBatch()
	lapse.Customer.Revision = 2
	lapse.Customer.Stage = renoflow.StagePool
	lapsedAt := filedAt.AddDate(0, 0, 7)
	lapse.UpdatedAt = lapsedAt
	lapse.Effects = renoflow.Effects{Closed: []renoflow.TaskClose{{Rule: renoflow.RuleClaimReminder, Seq: -1,
		Status: renoflow.TaskCancelled, At: lapsedAt, Outcome: "报备作废", Reason: "报备作废"}}}
	for range 2 { // retried: the same result
		require.NoError(t, a.Persist(ctx, lapse))
		read()
		require.Equal(t, "open", rows[0].Status, "the verification still applies")
		require.Equal(t, "cancelled", rows[1].Status)
		require.Equal(t, "报备作废", rows[1].Reason)
	}

	archive := lapse
	archive.Customer.Revision = 3
	archive.Effects = renoflow.Effects{CloseAll: renoflow.TaskCancelled, CloseAllReason: renoflow.ReasonArchived}
	archive.UpdatedAt = lapsedAt.Add(time.Hour)
	require.NoError(t, a.Persist(ctx, archive))
	read()
	require.Equal(t, "cancelled", rows[0].Status)
	require.Equal(t, renoflow.ReasonArchived, rows[0].Reason)
	require.Equal(t, "报备作废", rows[1].Reason, "a closed task keeps its reason")
}
