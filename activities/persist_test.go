package activities

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
)

// taskKey is the due point key of a stored task.
func taskKey(t postgres.Task) string {
	return renoflow.TaskKey(renoflow.Rule(t.Rule), t.Subject, t.Seq)
}

// tasksOf reads the tasks of customer id by key.
func tasksOf(t *testing.T, db bun.IDB, id string) map[string]postgres.Task {
	t.Helper()
	var rows []postgres.Task
	require.NoError(t, db.NewSelect().Model(&rows).Where("customer_id = ?", id).Order("id").Scan(t.Context()))
	out := make(map[string]postgres.Task, len(rows))
	for _, r := range rows {
		_, dup := out[taskKey(r)]
		require.False(t, dup, "one task row per (customer, rule, subject, seq): %s", taskKey(r))
		out[taskKey(r)] = r
	}
	return out
}

// customerRowOf reads the customers row of id.
func customerRowOf(t *testing.T, db bun.IDB, id string) postgres.Customer {
	t.Helper()
	var c postgres.Customer
	require.NoError(t, db.NewSelect().Model(&c).Where("id = ?", id).Scan(t.Context()))
	return c
}

// filingBatch is revision 1 of customer c1: filed by 王顾问 for 张经理; customer service
// must verify, and 张经理 is reminded before the claim lapses.
func filingBatch() Batch {
	c := customer("c1", "13812345678", 1)
	return Batch{
		Customer: c,
		Effects: renoflow.Effects{
			Tasks: []renoflow.Task{
				{Rule: renoflow.RuleVerify, Seq: 0, Title: "核实报备", Detail: "核实陈女士的报备信息",
					AssigneeRole: renoflow.ToCustomerService, StoreID: "s1", Due: filedAt.Add(2 * time.Hour),
					PolicyVersion: 1, CalendarVersion: 1, CreatedAt: filedAt},
				{Rule: renoflow.RuleClaimReminder, Seq: 0, Title: "报备即将到期", AssigneeID: manager.ID, StoreID: "s1",
					Due: filedAt.AddDate(0, 0, 6), PolicyVersion: 1, CalendarVersion: 1, CreatedAt: filedAt},
			},
			Timeline: []renoflow.Entry{
				{Key: "file-c1#0", At: filedAt, Kind: "filed", Actor: advisor, Summary: "王顾问报备了客户",
					Data: map[string]string{"channel": "referral"}},
				{Key: "file-c1#1", At: filedAt, Kind: "owner", Actor: advisor, Summary: "归属人：张经理"},
			},
		},
		UpdatedAt: filedAt,
	}
}

// claimBatch is a pool claim of customer c2 by 刘经理: a pool move, timeline entries and
// the first call-back task, all in one transition.
func claimBatch() Batch {
	now := at(2026, time.March, 12, 15, 30)
	c := customer("c2", "13987654321", 7)
	c.Stage, c.Owner, c.OwnerSince = renoflow.StagePresale, manager2, now
	c.PreviousOwner, c.PreviousOwnerUntil = manager, at(2026, time.March, 9, 10, 0)
	c.FirstConsultAt, c.FirstConsult, c.LastVisitAt, c.LastServiceAt = now, "visit", now, now
	return Batch{
		Customer: c,
		Effects: renoflow.Effects{
			Pool: []renoflow.PoolMove{{Key: "visit-c2", Kind: "claim", At: now, StoreID: "s1", From: manager.ID, To: manager2.ID,
				Rule: renoflow.RuleClaimExpiry, PolicyVersion: 1}},
			Timeline: []renoflow.Entry{
				{Key: "visit-c2#0", At: now, Kind: "pool_claim", Actor: manager2, Summary: "刘经理带客户到店，从公海认领为归属人"},
				{Key: "visit-c2#1", At: now, Kind: "first_consult", Actor: manager2, Summary: "首次到店咨询"},
			},
			Tasks: []renoflow.Task{
				{Rule: renoflow.RuleFirstCallback, Subject: "1", Seq: 0, Title: "首谈回访", AssigneeRole: renoflow.ToCustomerService,
					StoreID: "s1", Due: now.AddDate(0, 0, 2), PolicyVersion: 1, CalendarVersion: 1, CreatedAt: now},
			},
		},
		UpdatedAt: now,
	}
}

// TestPersistIdempotent: a retried Persist (the same batch again, possibly at the same
// time as the first attempt) writes each row once.
func TestPersistIdempotent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		batch    Batch
		attempts int
		parallel bool
	}{
		{"filing once", filingBatch(), 1, false},
		{"filing retried", filingBatch(), 2, false},
		{"filing retried thrice", filingBatch(), 3, false},
		{"pool claim retried", claimBatch(), 2, false},
		{"pool claim, attempts racing", claimBatch(), 4, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, acts := newDB(t)
			b := viaJSON(t, tt.batch)
			if tt.parallel {
				errs := make([]error, tt.attempts)
				var wg sync.WaitGroup
				for i := range errs {
					wg.Go(func() { errs[i] = acts.Persist(t.Context(), b) })
				}
				wg.Wait()
				for _, err := range errs {
					require.NoError(t, err)
				}
			} else {
				for range tt.attempts {
					require.NoError(t, acts.Persist(t.Context(), b))
				}
			}
			id := b.Customer.ID
			eff := b.Effects
			require.Equal(t, 1, count(t, db, "customers", ""))
			require.Equal(t, len(eff.Tasks), count(t, db, "tasks", "customer_id = ?", id))
			require.Equal(t, len(eff.Timeline), count(t, db, "timeline", "customer_id = ?", id))
			require.Equal(t, len(eff.Pool), count(t, db, "pool_events", "customer_id = ?", id))
			// Issue 14: the messages the transition causes are queued once.
			msgs := renoflow.Messages(b.Customer, eff)
			require.NotEmpty(t, msgs)
			require.Equal(t, len(msgs), count(t, db, "outbox", "customer_id = ? AND status = 'queued'", id))
			for _, e := range eff.Timeline {
				require.Equal(t, 1, count(t, db, "timeline", "customer_id = ? AND key = ?", id, e.Key), e.Key)
			}
			for _, p := range eff.Pool {
				require.Equal(t, 1, count(t, db, "pool_events", "customer_id = ? AND key = ?", id, p.Key), p.Key)
			}

			// The rows hold what the batch said.
			row := customerRowOf(t, db, id)
			require.Equal(t, b.Customer.Revision, row.Revision)
			require.Equal(t, string(b.Customer.Stage), row.Stage)
			require.Equal(t, b.Customer.Owner.ID, row.OwnerID)
			require.Equal(t, b.Customer.Owner.Name, row.OwnerName)
			require.True(t, b.UpdatedAt.Equal(row.UpdatedAt))
			var state renoflow.Customer
			require.NoError(t, json.Unmarshal(row.State, &state))
			require.Equal(t, b.Customer.Record, state.Record)
			require.Equal(t, b.Customer.PreviousOwner, state.PreviousOwner)

			tasks := tasksOf(t, db, id)
			require.Len(t, tasks, len(eff.Tasks))
			for _, want := range eff.Tasks {
				got, ok := tasks[want.Key()]
				require.True(t, ok, want.Key())
				require.Equal(t, want.Title, got.Title)
				require.Equal(t, want.AssigneeID, got.AssigneeID)
				require.Equal(t, string(want.AssigneeRole), got.AssigneeRole)
				require.Equal(t, want.StoreID, got.StoreID)
				require.True(t, want.Due.Equal(got.DueAt), "due %s, stored %s", want.Due, got.DueAt)
				require.True(t, got.WorkDueAt.IsZero())
				require.Equal(t, string(renoflow.TaskOpen), got.Status)
				require.Equal(t, want.PolicyVersion, got.PolicyVersion)
				require.Equal(t, want.CalendarVersion, got.CalendarVersion)
				require.True(t, got.DoneAt.IsZero())
			}

			var entries []postgres.TimelineEntry
			require.NoError(t, db.NewSelect().Model(&entries).Where("customer_id = ?", id).Order("key").Scan(t.Context()))
			require.Len(t, entries, len(eff.Timeline))
			for i, want := range eff.Timeline {
				require.Equal(t, want.Key, entries[i].Key)
				require.Equal(t, want.Kind, entries[i].Kind)
				require.Equal(t, want.Actor.ID, entries[i].ActorID)
				require.Equal(t, want.Summary, entries[i].Summary)
				if want.Data == nil {
					require.Empty(t, entries[i].Data)
				} else {
					require.Equal(t, want.Data, entries[i].Data)
				}
			}
		})
	}
}

// TestPersistDoneTaskStaysDone: a replay of the batch that created a task, after the
// task was done, neither re-opens nor re-creates it.
func TestPersistDoneTaskStaysDone(t *testing.T) {
	t.Parallel()
	db, acts := newDB(t)
	ctx := t.Context()
	create := viaJSON(t, filingBatch())
	require.NoError(t, acts.Persist(ctx, create))

	verifiedAt := filedAt.Add(40 * time.Minute)
	c := create.Customer
	c.Revision = 2
	c.VerifiedBy, c.VerifiedAt = service, verifiedAt
	verify := viaJSON(t, Batch{
		Customer: c,
		Effects: renoflow.Effects{
			Closed: []renoflow.TaskClose{{Rule: renoflow.RuleVerify, Seq: -1, Status: renoflow.TaskDone, By: service,
				At: verifiedAt, Outcome: "电话核实无误"}},
			Timeline: []renoflow.Entry{{Key: "verify-c1#0", At: verifiedAt, Kind: "verified", Actor: service, Summary: "李客服核实了报备：电话核实无误"}},
		},
		UpdatedAt: verifiedAt,
	})
	require.NoError(t, acts.Persist(ctx, verify))

	requireVerified := func(t *testing.T) {
		t.Helper()
		tasks := tasksOf(t, db, "c1")
		require.Len(t, tasks, 2)
		got := tasks[renoflow.TaskKey(renoflow.RuleVerify, "", 0)]
		require.Equal(t, string(renoflow.TaskDone), got.Status)
		require.Equal(t, service.ID, got.DoneBy)
		require.Equal(t, "电话核实无误", got.Outcome)
		require.True(t, verifiedAt.Equal(got.DoneAt))
		other := tasks[renoflow.TaskKey(renoflow.RuleClaimReminder, "", 0)]
		require.Equal(t, string(renoflow.TaskOpen), other.Status, "closing verify leaves the reminder open")
		require.Equal(t, 1, count(t, db, "customers", ""))
		require.EqualValues(t, 2, customerRowOf(t, db, "c1").Revision)
		require.Equal(t, 3, count(t, db, "timeline", "customer_id = ?", "c1"))
	}
	requireVerified(t)

	t.Run("replay of the creating batch", func(t *testing.T) {
		require.NoError(t, acts.Persist(ctx, create))
		requireVerified(t)
	})
	t.Run("retry of the closing batch", func(t *testing.T) {
		require.NoError(t, acts.Persist(ctx, verify))
		requireVerified(t)
	})
	t.Run("a later close does not rewrite a done task", func(t *testing.T) {
		c := verify.Customer
		c.Revision = 3
		c.Stage = renoflow.StageInvalid
		later := at(2026, time.March, 3, 9, 0)
		require.NoError(t, acts.Persist(ctx, viaJSON(t, Batch{Customer: c, UpdatedAt: later, Effects: renoflow.Effects{
			Closed: []renoflow.TaskClose{{Rule: renoflow.RuleVerify, Seq: -1, Status: renoflow.TaskCancelled, By: manager,
				At: later, Outcome: "客户无效"}},
		}})))
		got := tasksOf(t, db, "c1")[renoflow.TaskKey(renoflow.RuleVerify, "", 0)]
		require.Equal(t, string(renoflow.TaskDone), got.Status)
		require.Equal(t, service.ID, got.DoneBy)
		require.Equal(t, "电话核实无误", got.Outcome)
		require.True(t, verifiedAt.Equal(got.DoneAt))
	})
}

// TestPersistCloseRungs: Seq -1 closes every rung of (rule, subject), Seq ≥ 0 that rung
// only; other subjects, rules and customers are untouched, and a rung already closed keeps
// its first outcome.
func TestPersistCloseRungs(t *testing.T) {
	t.Parallel()
	ladder := func(rule renoflow.Rule, subject string, seq int) renoflow.Task {
		due := filedAt.AddDate(0, 0, 2+seq)
		return renoflow.Task{Rule: rule, Subject: subject, Seq: seq, Title: rule.Title(), AssigneeID: manager.ID, StoreID: "s1",
			Due: due, WorkDue: filedAt.AddDate(0, 0, 2), PolicyVersion: 1, CalendarVersion: 1, CreatedAt: filedAt}
	}
	tasks := []renoflow.Task{
		ladder(renoflow.RuleFirstCallback, "1", 0),
		ladder(renoflow.RuleFirstCallback, "1", 1),
		ladder(renoflow.RuleFirstCallback, "1", 2),
		ladder(renoflow.RuleFirstCallback, "2", 0),
		ladder(renoflow.RuleNeglect, "1", 1),
	}
	closeAt := at(2026, time.March, 5, 11, 0)
	cb := renoflow.RuleFirstCallback
	tests := []struct {
		name  string
		early *renoflow.TaskClose // closed in an earlier transition
		close renoflow.TaskClose
		done  map[string]string // key → outcome of the tasks done afterwards; the rest stay open
	}{
		{
			name:  "every rung",
			close: renoflow.TaskClose{Rule: cb, Subject: "1", Seq: -1, Status: renoflow.TaskDone, By: service, At: closeAt, Outcome: "已接通"},
			done:  map[string]string{"callback/1/0": "已接通", "callback/1/1": "已接通", "callback/1/2": "已接通"},
		},
		{
			name:  "one rung",
			close: renoflow.TaskClose{Rule: cb, Subject: "1", Seq: 1, Status: renoflow.TaskDone, By: manager, At: closeAt, Outcome: "已阅"},
			done:  map[string]string{"callback/1/1": "已阅"},
		},
		{
			name:  "rung 0 only",
			close: renoflow.TaskClose{Rule: cb, Subject: "1", Seq: 0, Status: renoflow.TaskDone, By: service, At: closeAt, Outcome: "未接通"},
			done:  map[string]string{"callback/1/0": "未接通"},
		},
		{
			name:  "every rung after one was acknowledged",
			early: &renoflow.TaskClose{Rule: cb, Subject: "1", Seq: 1, Status: renoflow.TaskDone, By: manager, At: closeAt.Add(-time.Hour), Outcome: "已阅"},
			close: renoflow.TaskClose{Rule: cb, Subject: "1", Seq: -1, Status: renoflow.TaskDone, By: service, At: closeAt, Outcome: "已接通"},
			done:  map[string]string{"callback/1/0": "已接通", "callback/1/1": "已阅", "callback/1/2": "已接通"},
		},
		{
			name:  "a rung that does not exist",
			close: renoflow.TaskClose{Rule: cb, Subject: "1", Seq: 7, Status: renoflow.TaskDone, By: service, At: closeAt},
			done:  map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, acts := newDB(t)
			ctx := t.Context()
			c := customer("c1", "13812345678", 1)
			require.NoError(t, acts.Persist(ctx, viaJSON(t, Batch{Customer: c, UpdatedAt: filedAt, Effects: renoflow.Effects{Tasks: tasks}})))
			// Another customer with the same due points must not be touched.
			other := customer("c9", "13700000000", 1)
			require.NoError(t, acts.Persist(ctx, viaJSON(t, Batch{Customer: other, UpdatedAt: filedAt, Effects: renoflow.Effects{Tasks: tasks}})))
			if tt.early != nil {
				c.Revision++
				require.NoError(t, acts.Persist(ctx, viaJSON(t, Batch{Customer: c, UpdatedAt: tt.early.At,
					Effects: renoflow.Effects{Closed: []renoflow.TaskClose{*tt.early}}})))
			}
			c.Revision++
			closing := viaJSON(t, Batch{Customer: c, UpdatedAt: closeAt, Effects: renoflow.Effects{Closed: []renoflow.TaskClose{tt.close}}})
			require.NoError(t, acts.Persist(ctx, closing))
			require.NoError(t, acts.Persist(ctx, closing), "retry")

			got := tasksOf(t, db, "c1")
			require.Len(t, got, len(tasks))
			for key, task := range got {
				outcome, done := tt.done[key]
				if !done {
					require.Equal(t, string(renoflow.TaskOpen), task.Status, key)
					require.True(t, task.DoneAt.IsZero(), key)
					require.Empty(t, task.DoneBy, key)
					continue
				}
				require.Equal(t, string(renoflow.TaskDone), task.Status, key)
				require.Equal(t, outcome, task.Outcome, key)
				require.False(t, task.DoneAt.IsZero(), key)
				require.False(t, task.WorkDueAt.IsZero(), key)
			}
			for key, task := range tasksOf(t, db, "c9") {
				require.Equal(t, string(renoflow.TaskOpen), task.Status, "other customer's %s", key)
			}
		})
	}
}

// TestPersistCustomerMovesForward: a late retry of an older revision never overwrites a
// newer one.
func TestPersistCustomerMovesForward(t *testing.T) {
	t.Parallel()
	rev := func(n int64) Batch {
		c := customer("c1", "13812345678", n)
		updated := filedAt.Add(time.Duration(n) * time.Hour)
		switch n {
		case 2:
			c.VerifiedBy, c.VerifiedAt = service, updated
		case 3:
			c.VerifiedBy, c.VerifiedAt = service, filedAt.Add(2*time.Hour)
			c.Stage, c.Grade, c.Owner, c.OwnerSince = renoflow.StagePresale, renoflow.GradeB, manager2, updated
			c.FirstConsultAt, c.FirstConsult, c.LastServiceAt = updated, "visit", updated
			c.Record.BudgetWan = 35
		}
		return Batch{Customer: c, UpdatedAt: updated}
	}
	tests := []struct {
		name  string
		order []int64
		want  int64
	}{
		{"in order", []int64{1, 2, 3}, 3},
		{"late retry of revision 2", []int64{1, 3, 2}, 3},
		{"late retries of 1 and 2", []int64{3, 2, 1}, 3},
		{"same revision retried", []int64{2, 2}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, acts := newDB(t)
			for _, n := range tt.order {
				require.NoError(t, acts.Persist(t.Context(), viaJSON(t, rev(n))))
			}
			want := viaJSON(t, rev(tt.want))
			row := customerRowOf(t, db, "c1")
			require.Equal(t, tt.want, row.Revision)
			require.Equal(t, string(want.Customer.Stage), row.Stage)
			require.Equal(t, string(want.Customer.Grade), row.Grade)
			require.Equal(t, want.Customer.Owner.ID, row.OwnerID)
			require.Equal(t, want.Customer.Owner.Name, row.OwnerName)
			require.True(t, want.UpdatedAt.Equal(row.UpdatedAt))

			var state renoflow.Customer
			require.NoError(t, json.Unmarshal(row.State, &state))
			require.Equal(t, tt.want, state.Revision)
			require.Equal(t, want.Customer.Stage, state.Stage)
			require.Equal(t, want.Customer.Owner, state.Owner)
			require.Equal(t, want.Customer.Grade, state.Grade)
			require.Equal(t, want.Customer.Record, state.Record)
			require.True(t, want.Customer.VerifiedAt.Equal(state.VerifiedAt))
			require.True(t, want.Customer.FirstConsultAt.Equal(state.FirstConsultAt))
		})
	}
}

// TestPersistReleasePhone: confirming a customer invalid frees their phone number and no
// other customer's.
func TestPersistReleasePhone(t *testing.T) {
	t.Parallel()
	db, acts := newDB(t)
	ctx := t.Context()
	claims := []struct{ phone, customer string }{{"13812345678", "c1"}, {"13987654321", "c2"}}
	for _, cl := range claims {
		_, err := db.ExecContext(ctx, "INSERT INTO phone_claims (phone, customer_id, filed_by, filed_at) VALUES (?, ?, ?, ?)",
			cl.phone, cl.customer, advisor.ID, filedAt)
		require.NoError(t, err)
		require.NoError(t, acts.Persist(ctx, viaJSON(t, Batch{Customer: customer(cl.customer, renoflow.Phone(cl.phone), 1), UpdatedAt: filedAt})))
	}

	invalidAt := at(2026, time.March, 4, 16, 0)
	c := customer("c1", "13812345678", 2)
	c.Stage = renoflow.StageInvalid
	release := viaJSON(t, Batch{Customer: c, UpdatedAt: invalidAt, Effects: renoflow.Effects{
		ReleasePhone: true,
		Closed: []renoflow.TaskClose{{Rule: renoflow.RuleClaimReminder, Seq: -1, Status: renoflow.TaskCancelled, By: manager,
			At: invalidAt, Outcome: "客户无效"}},
		Timeline: []renoflow.Entry{{Key: "invalid-c1#0", At: invalidAt, Kind: "invalid", Actor: manager, Summary: "张经理确认客户无效"}},
	}})
	require.NoError(t, acts.Persist(ctx, release))
	require.NoError(t, acts.Persist(ctx, release), "retry")

	require.Zero(t, count(t, db, "phone_claims", "customer_id = ?", "c1"))
	require.Zero(t, count(t, db, "phone_claims", "phone = ?", "13812345678"))
	require.Equal(t, 1, count(t, db, "phone_claims", "customer_id = ? AND phone = ?", "c2", "13987654321"))
	row := customerRowOf(t, db, "c1")
	require.True(t, row.Invalid)
	require.Equal(t, string(renoflow.StageInvalid), row.Stage)
	require.False(t, customerRowOf(t, db, "c2").Invalid)

	// The number is free again: a new filing may claim it.
	_, err := db.ExecContext(ctx, "INSERT INTO phone_claims (phone, customer_id, filed_by, filed_at) VALUES (?, ?, ?, ?)",
		"13812345678", "c3", advisor.ID, invalidAt)
	require.NoError(t, err)
}

// TestPoolStats: claims are counted on the company day (Asia/Shanghai), for the actor
// only, and held customers are the actor's active ones.
func TestPoolStats(t *testing.T) {
	t.Parallel()
	db, acts := newDB(t)
	ctx := t.Context()
	me, other := manager2.ID, manager.ID
	customers := []struct {
		id    string
		stage renoflow.Stage
		owner renoflow.Person
		moves []renoflow.PoolMove
	}{
		// Company day 2026-03-03 runs from 2026-03-02 16:00 UTC to 2026-03-03 16:00 UTC.
		{"p1", renoflow.StagePresale, manager2, []renoflow.PoolMove{
			{Key: "lapse-p1", Kind: "lapse", At: at(2026, time.March, 1, 10, 0), From: other},
			{Key: "visit-p1", Kind: "claim", At: at(2026, time.March, 3, 0, 0), To: me}, // first instant of the day
		}},
		{"p2", renoflow.StageDesign, manager2, []renoflow.PoolMove{
			{Key: "visit-p2", Kind: "claim", At: time.Date(2026, time.March, 3, 23, 59, 59, 0, renoflow.Zone), To: me}, // last second of the day
		}},
		{"p3", renoflow.StagePresale, manager2, []renoflow.PoolMove{
			{Key: "visit-p3", Kind: "claim", At: at(2026, time.March, 2, 23, 59), To: me}, // the day before, same UTC date
		}},
		{"p4", renoflow.StageDeposit, manager2, []renoflow.PoolMove{
			{Key: "visit-p4", Kind: "claim", At: at(2026, time.March, 4, 0, 0), To: me}, // the next day
		}},
		{"p5", renoflow.StagePool, manager2, []renoflow.PoolMove{ // lapsed from me today: not a claim, not held
			{Key: "visit-p5", Kind: "claim", At: at(2026, time.February, 20, 11, 0), To: me},
			{Key: "lapse-p5", Kind: "lapse", At: at(2026, time.March, 3, 9, 0), From: me},
			// A move that names me but is no claim (here a release recorded with both ends)
			// does not count against the daily claim limit.
			{Key: "release-p5", Kind: "release", At: at(2026, time.March, 3, 9, 5), From: me, To: me},
		}},
		{"p6", renoflow.StagePresale, manager, []renoflow.PoolMove{ // someone else's claim today
			{Key: "visit-p6", Kind: "claim", At: at(2026, time.March, 3, 10, 0), From: me, To: other},
		}},
		{"p7", renoflow.StageInvalid, manager2, nil},
		{"p8", renoflow.StageArchived, manager2, nil},
		{"p9", renoflow.StageFiled, manager2, nil},
		{"p10", renoflow.StageConstruction, manager2, nil},
		{"p11", renoflow.StageAfterSales, manager2, nil},
		{"p12", renoflow.StageFiled, manager, nil},
	}
	for i, c := range customers {
		cust := customer(c.id, renoflow.Phone(fmt.Sprintf("138000000%02d", i)), 3)
		cust.Stage, cust.Owner = c.stage, c.owner
		for j := range c.moves {
			c.moves[j].StoreID = "s1"
			c.moves[j].Rule = renoflow.RuleClaimExpiry
		}
		require.NoError(t, acts.Persist(ctx, viaJSON(t, Batch{Customer: cust, UpdatedAt: filedAt, Effects: renoflow.Effects{Pool: c.moves}})))
	}
	// p1, p2 (claims); p3, p4, p9, p10, p11 and p1, p2 are held by me.
	const held = 7

	tests := []struct {
		name    string
		staff   string
		now     time.Time
		claimed int
		held    int
	}{
		{"just after local midnight", me, at(2026, time.March, 3, 0, 30), 2, held},
		{"late evening", me, time.Date(2026, time.March, 3, 23, 59, 59, 0, renoflow.Zone), 2, held},
		{"now in UTC", me, time.Date(2026, time.March, 2, 16, 30, 0, 0, time.UTC), 2, held},
		{"the day before", me, at(2026, time.March, 2, 12, 0), 1, held},
		{"the next day", me, at(2026, time.March, 4, 8, 0), 1, held},
		{"a day without claims", me, at(2026, time.March, 10, 8, 0), 0, held},
		{"another staff member", other, at(2026, time.March, 3, 12, 0), 1, 2},
		{"nobody", "cm404", at(2026, time.March, 3, 12, 0), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stats, err := acts.PoolStats(ctx, tt.staff, viaJSON(t, tt.now))
			require.NoError(t, err)
			require.Equal(t, renoflow.PoolStats{ClaimedToday: tt.claimed, Held: tt.held}, stats)
			n, err := postgres.HeldCustomers(ctx, db, tt.staff, "", tt.now)
			require.NoError(t, err)
			require.Equal(t, tt.held, n)
		})
	}
}
