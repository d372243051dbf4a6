package activities

import (
	"database/sql"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
)

// TestLoadPolicyWithoutRows: before anything is stored the defaults apply as version 0.
func TestLoadPolicyWithoutRows(t *testing.T) {
	t.Parallel()
	_, acts := newDB(t)
	snap, err := acts.LoadPolicy(t.Context())
	require.NoError(t, err)
	require.Equal(t, 0, snap.Version)
	require.Equal(t, renoflow.DefaultPolicy(), snap.Policy)
	require.Equal(t, 0, snap.Calendar.Version)
	require.Empty(t, snap.Calendar.Days, "calendar-time spans need no holidays in the workflow history")
	cal, err := postgres.LatestCalendar(t.Context(), acts.DB)
	require.NoError(t, err)
	require.Equal(t, renoflow.DefaultCalendar(), cal.Calendar())
}

// TestLoadPolicyCarriesHolidaysForWorkingDays: once a span is counted in working days,
// the snapshot carries the calendar's days so the workflow can count them.
func TestLoadPolicyCarriesHolidaysForWorkingDays(t *testing.T) {
	t.Parallel()
	db, acts := newDB(t)
	require.NoError(t, postgres.EnsureDefaults(t.Context(), db))
	p := renoflow.DefaultPolicy()
	p.FirstCallbackWithin = renoflow.MustSpan("2wd")
	_, err := postgres.SavePolicy(t.Context(), db, p, postgres.Change{By: "admin", Note: "按工作日"})
	require.NoError(t, err)
	snap, err := acts.LoadPolicy(t.Context())
	require.NoError(t, err)
	require.Equal(t, renoflow.DefaultCalendar().Days, snap.Calendar.Days)
	require.Equal(t, 1, snap.Calendar.Version)
}

// TestEnsureDefaults stores the shipped policy and calendar once, however often and
// however concurrently it runs.
func TestEnsureDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		sequential int
		concurrent int
	}{
		{"once", 1, 0},
		{"twice", 2, 0},
		{"four at once", 0, 4},
		{"four at once after one", 1, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, acts := newDB(t)
			ctx := t.Context()
			for range tt.sequential {
				require.NoError(t, postgres.EnsureDefaults(ctx, db))
			}
			errs := make([]error, tt.concurrent)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Go(func() { errs[i] = postgres.EnsureDefaults(ctx, db) })
			}
			wg.Wait()
			for _, err := range errs {
				require.NoError(t, err)
			}
			require.Equal(t, 1, count(t, db, "policy_versions", ""))
			require.Equal(t, 1, count(t, db, "calendar_versions", ""))

			snap, err := acts.LoadPolicy(ctx)
			require.NoError(t, err)
			require.Equal(t, 1, snap.Version)
			want := renoflow.DefaultPolicy()
			want.Version = 1
			require.Equal(t, want, snap.Policy)
			require.Equal(t, 1, snap.Calendar.Version)
			cal, err := postgres.LatestCalendar(ctx, db)
			require.NoError(t, err)
			require.Equal(t, renoflow.DefaultCalendar().Days, cal.Days)
		})
	}
}

// TestSavePolicy: an edit is a new version that LoadPolicy returns; an invalid policy is
// refused and stores nothing.
func TestSavePolicy(t *testing.T) {
	t.Parallel()
	db, acts := newDB(t)
	ctx := t.Context()
	require.NoError(t, postgres.EnsureDefaults(ctx, db))

	edited := renoflow.DefaultPolicy()
	edited.ClaimWindow = renoflow.MustSpan("10d")
	edited.ClaimReminderBefore = renoflow.MustSpan("2d")
	edited.PoolDailyClaimLimit = 3
	edited.FirstCallbackWithin = renoflow.MustSpan("3wd")
	edited.FollowUpsPerMonth.B = 5
	edited.LargeOrderBudgetWan = 45.5
	version, err := postgres.SavePolicy(ctx, db, edited, postgres.Change{By: "admin1", Note: "延长报备保护期"})
	require.NoError(t, err)
	require.Equal(t, 2, version)

	snap, err := acts.LoadPolicy(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, snap.Version)
	want := edited
	want.Version = 2
	require.Equal(t, want, snap.Policy)
	require.Equal(t, 1, snap.Calendar.Version, "the calendar keeps its version")

	var row struct {
		CreatedBy string
		Note      string
	}
	require.NoError(t, db.NewSelect().Table("policy_versions").Column("created_by", "note").
		Where("version = 2").Scan(ctx, &row.CreatedBy, &row.Note))
	require.Equal(t, "admin1", row.CreatedBy)
	require.Equal(t, "延长报备保护期", row.Note)

	invalid := []struct {
		name string
		edit func(*renoflow.Policy)
	}{
		{"zero claim window", func(p *renoflow.Policy) { p.ClaimWindow = renoflow.Span{} }},
		{"zero verify time", func(p *renoflow.Policy) { p.VerifyWithin = renoflow.Span{Unit: renoflow.UnitHour} }},
		{"negative capacity", func(p *renoflow.Policy) { p.OwnerCapacity = -1 }},
		{"reminder not before the lapse", func(p *renoflow.Policy) { p.ClaimReminderBefore = renoflow.MustSpan("7d") }},
		{"negative large-order budget", func(p *renoflow.Policy) { p.LargeOrderBudgetWan = -1 }},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			p := renoflow.DefaultPolicy()
			tt.edit(&p)
			version, err := postgres.SavePolicy(ctx, db, p, postgres.Change{By: "admin1", Note: "bad"})
			require.Error(t, err)
			require.Zero(t, version)
			require.Equal(t, 2, count(t, db, "policy_versions", ""))
			snap, err := acts.LoadPolicy(ctx)
			require.NoError(t, err)
			require.Equal(t, 2, snap.Version)
			require.Equal(t, want, snap.Policy)
		})
	}

	t.Run("a new calendar version", func(t *testing.T) {
		days := append(renoflow.DefaultCalendar().Days, renoflow.CalendarDay{Date: "2026-12-31", Kind: renoflow.DayHoliday, Name: "公司年会"})
		v, err := postgres.SaveCalendar(ctx, db, days, postgres.Change{By: "admin1", Note: "公司年会放假"})
		require.NoError(t, err)
		require.Equal(t, 2, v.Version)
		snap, err := acts.LoadPolicy(ctx)
		require.NoError(t, err)
		require.Equal(t, 2, snap.Calendar.Version)
		require.Equal(t, days, snap.Calendar.Days)
		require.Equal(t, 2, snap.Version)
	})
}

// TestLoadPolicyStoredInvalid: a stored version that no longer parses is a
// non-retryable error (retrying cannot fix it), not a silent fallback.
func TestLoadPolicyStoredInvalid(t *testing.T) {
	t.Parallel()
	db, acts := newDB(t)
	ctx := t.Context()
	require.NoError(t, postgres.EnsureDefaults(ctx, db))
	_, err := db.ExecContext(ctx, "INSERT INTO policy_versions (body) VALUES (?)", `{"claim_window": "7d", "retired_setting": 1}`)
	require.NoError(t, err)
	_, err = acts.LoadPolicy(ctx)
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "%T: %v", err, err)
	require.True(t, appErr.NonRetryable())
	require.Equal(t, "invalid_policy", appErr.Type())
}

// TestLoadPolicyPartialBody: keys a stored version lacks (settings added later) keep
// their defaults.
func TestLoadPolicyPartialBody(t *testing.T) {
	t.Parallel()
	db, acts := newDB(t)
	ctx := t.Context()
	_, err := db.ExecContext(ctx, "INSERT INTO policy_versions (body) VALUES (?)", `{"claim_window": "14d", "owner_capacity": 150}`)
	require.NoError(t, err)
	snap, err := acts.LoadPolicy(ctx)
	require.NoError(t, err)
	want := renoflow.DefaultPolicy()
	want.ClaimWindow, want.OwnerCapacity, want.Version = renoflow.MustSpan("14d"), 150, 1
	require.Equal(t, 1, snap.Version)
	require.Equal(t, want, snap.Policy)
	require.Equal(t, 0, snap.Calendar.Version, "no calendar stored: the shipped one")
}

// TestLoadPolicySince: the snapshot comes back only when the policy or the calendar
// changed since the versions the workflow holds; otherwise only the version numbers.
func TestLoadPolicySince(t *testing.T) {
	t.Parallel()
	db, acts := newDB(t)
	require.NoError(t, postgres.EnsureDefaults(t.Context(), db))
	first, err := acts.LoadPolicySince(t.Context(), PolicyHave{Policy: -1, Calendar: -1})
	require.NoError(t, err)
	require.NotNil(t, first.Snapshot, "nothing held: the whole snapshot")
	full, err := acts.LoadPolicy(t.Context())
	require.NoError(t, err)
	require.Equal(t, full, *first.Snapshot)
	have := PolicyHave{Policy: first.Policy, Calendar: first.Calendar}
	same, err := acts.LoadPolicySince(t.Context(), have)
	require.NoError(t, err)
	require.Nil(t, same.Snapshot, "unchanged: no snapshot")
	require.Equal(t, have, PolicyHave{Policy: same.Policy, Calendar: same.Calendar})

	p := renoflow.DefaultPolicy()
	p.VerifyWithin = renoflow.MustSpan("3h")
	v, err := postgres.SavePolicy(t.Context(), db, p, postgres.Change{By: "admin", Note: "核实时限"})
	require.NoError(t, err)
	changed, err := acts.LoadPolicySince(t.Context(), have)
	require.NoError(t, err)
	require.NotNil(t, changed.Snapshot, "a new policy version: the snapshot")
	require.Equal(t, v, changed.Policy)
	require.Equal(t, v, changed.Snapshot.Version)
	require.Equal(t, renoflow.MustSpan("3h"), changed.Snapshot.Policy.VerifyWithin)

	// Another workflow's first transition gets the same snapshot, from the cache of saved
	// versions (they never change), and a newer version still reaches it.
	again, err := acts.LoadPolicySince(t.Context(), PolicyHave{Policy: -1, Calendar: -1})
	require.NoError(t, err)
	require.Equal(t, changed, again)
	p.VerifyWithin = renoflow.MustSpan("4h")
	v2, err := postgres.SavePolicy(t.Context(), db, p, postgres.Change{By: "admin", Note: "核实时限"})
	require.NoError(t, err)
	newer, err := acts.LoadPolicySince(t.Context(), PolicyHave{Policy: -1, Calendar: -1})
	require.NoError(t, err)
	require.Equal(t, v2, newer.Snapshot.Version)
	require.Equal(t, renoflow.MustSpan("4h"), newer.Snapshot.Policy.VerifyWithin)

	// A filing names the versions its API read and gets their snapshot, not the newest
	// (v2): from the cache, and from PostgreSQL by number on a worker that never loaded
	// it. Old versions stay readable: they are never deleted.
	seen := &PolicyVersions{Policy: v, Calendar: changed.Calendar}
	filed, err := acts.LoadPolicySince(t.Context(), PolicyHave{Policy: -1, Calendar: -1, Seen: seen})
	require.NoError(t, err)
	require.Equal(t, changed, filed)
	fresh := &Activities{DB: db}
	filed, err = fresh.LoadPolicySince(t.Context(), PolicyHave{Policy: -1, Calendar: -1, Seen: seen})
	require.NoError(t, err)
	require.Equal(t, changed, filed, "read by number on a worker that never loaded it")
	_, err = fresh.LoadPolicySince(t.Context(), PolicyHave{Policy: -1, Calendar: -1, Seen: &PolicyVersions{Policy: v2 + 7}})
	require.ErrorIs(t, err, sql.ErrNoRows)
}

// When the newest policy version no longer parses, a workflow holding a snapshot keeps
// it and goes on (a staff action is not held up until an admin mends the policy); one
// holding none gets the non-retryable invalid_policy error; a filing whose API read a
// version this worker cannot parse gets the newest instead (fresh-eyes check).
func TestLoadPolicySinceUnreadableNewest(t *testing.T) {
	t.Parallel()
	db, acts := newDB(t)
	ctx := t.Context()
	require.NoError(t, postgres.EnsureDefaults(ctx, db))
	first, err := acts.LoadPolicySince(ctx, PolicyHave{Policy: -1, Calendar: -1})
	require.NoError(t, err)
	held := PolicyHave{Policy: first.Policy, Calendar: first.Calendar}
	_, err = db.NewRaw(`INSERT INTO policy_versions (body, note, created_by)
		SELECT body || '{"retired_setting": 1}', '升级后', 'system' FROM policy_versions ORDER BY version DESC LIMIT 1`).Exec(ctx)
	require.NoError(t, err)
	bad, _, err := postgres.LatestVersions(ctx, db)
	require.NoError(t, err)

	kept, err := acts.LoadPolicySince(ctx, held)
	require.NoError(t, err)
	require.Equal(t, PolicyUpdate{Policy: held.Policy, Calendar: held.Calendar}, kept, "the held version, no snapshot")

	_, err = acts.LoadPolicySince(ctx, PolicyHave{Policy: -1, Calendar: -1})
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "invalid_policy", ae.Type())
	require.True(t, ae.NonRetryable())

	_, err = acts.LoadPolicySince(ctx, PolicyHave{Policy: -1, Calendar: -1, Seen: &PolicyVersions{Policy: bad, Calendar: held.Calendar}})
	require.ErrorAs(t, err, &ae, "the newest is the same unreadable version")
	p := renoflow.DefaultPolicy()
	p.VerifyWithin = renoflow.MustSpan("5h")
	good, err := postgres.SavePolicy(ctx, db, p, postgres.Change{By: "admin", Note: "修好"})
	require.NoError(t, err)
	filed, err := acts.LoadPolicySince(ctx, PolicyHave{Policy: -1, Calendar: -1, Seen: &PolicyVersions{Policy: bad, Calendar: held.Calendar}})
	require.NoError(t, err)
	require.Equal(t, good, filed.Snapshot.Version, "the version the API read cannot be parsed here: the newest")
}
