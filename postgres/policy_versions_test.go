package postgres

import (
	"database/sql"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/renoflow/renoflow"
)

// TestPolicyVersionNumbering: versions count 1, 2, 3 … in saving order, concurrent
// saves get distinct numbers, the newest is the one in force, and a refused policy
// takes no number.
func TestPolicyVersionNumbering(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx := t.Context()

	p, err := new(PolicyCache).Latest(ctx, db)
	require.NoError(t, err)
	require.Equal(t, renoflow.DefaultPolicy(), p, "none stored: the defaults as version 0")
	pv, cv, err := LatestVersions(ctx, db)
	require.NoError(t, err)
	require.Equal(t, [2]int{0, renoflow.DefaultCalendar().Version}, [2]int{pv, cv})

	for want := 1; want <= 3; want++ {
		p := renoflow.DefaultPolicy()
		p.OwnerCapacity = 100 + want
		v, err := SavePolicy(ctx, db, p, Change{By: "admin1", Note: "第" + string(rune('0'+want)) + "版"})
		require.NoError(t, err)
		require.Equal(t, want, v)
	}
	bad := renoflow.DefaultPolicy()
	bad.OwnerCapacity = -1
	v, err := SavePolicy(ctx, db, bad, Change{By: "admin1"})
	var de *renoflow.Error
	require.ErrorAs(t, err, &de)
	require.Zero(t, v)

	var wg sync.WaitGroup
	got := make([]int, 4)
	for i := range got {
		wg.Go(func() {
			v, err := SavePolicy(ctx, db, renoflow.DefaultPolicy(), Change{By: "admin1"})
			require.NoError(t, err)
			got[i] = v
		})
	}
	wg.Wait()
	require.ElementsMatch(t, []int{4, 5, 6, 7}, got, "concurrent saves: distinct numbers after the refused one")

	p, err = new(PolicyCache).Latest(ctx, db)
	require.NoError(t, err)
	require.Equal(t, 7, p.Version)
	pv, _, err = LatestVersions(ctx, db)
	require.NoError(t, err)
	require.Equal(t, 7, pv)

	hist, err := PolicyHistory(ctx, db, 5)
	require.NoError(t, err)
	require.Len(t, hist, 5)
	require.Equal(t, 7, hist[0].Version, "newest first")
	require.Equal(t, 3, hist[4].Version)
	var third PolicyVersion
	require.NoError(t, db.NewSelect().Model(&third).Where("version = 3").Scan(ctx))
	require.Equal(t, "第3版", third.Note)
	require.Equal(t, "admin1", third.CreatedBy)
	var stored renoflow.Policy
	require.NoError(t, json.Unmarshal(third.Body, &stored))
	require.Equal(t, 103, stored.OwnerCapacity)
}

// TestLatestPolicyInvalid: a stored body that no longer parses is an
// *InvalidPolicyError naming its version, unwrapping to the domain's error;
// ReadablePolicy rebuilds what it can.
func TestLatestPolicyInvalid(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx := t.Context()
	_, err := db.NewInsert().Model(&PolicyVersion{Body: json.RawMessage(`{"claim_window": "7d", "retired_setting": 1}`)}).Exec(ctx)
	require.NoError(t, err)
	_, err = new(PolicyCache).Latest(ctx, db)
	var invalid *InvalidPolicyError
	require.True(t, errors.As(err, &invalid), "%T: %v", err, err)
	require.Equal(t, 1, invalid.Version)
	var de *renoflow.Error
	require.ErrorAs(t, err, &de)
	readable, skipped, err := ReadablePolicy(ctx, db)
	require.NoError(t, err)
	want := renoflow.DefaultPolicy()
	want.Version = 1
	require.Equal(t, want, readable, "rebuilt: claim_window 7d read, the retired setting dropped")
	require.Equal(t, 1, skipped.Version, "naming the version that does not parse")
}

// TestPolicyCache: the newest policy through a cache is a fresh cache's; a version is
// parsed once (a saved version never changes: a row changed behind the cache is not
// read again), a newer version is seen at once, version 0 is the shipped defaults, and
// a version never saved is sql.ErrNoRows.
func TestPolicyCache(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx := t.Context()
	var cache PolicyCache
	p, err := cache.Latest(ctx, db)
	require.NoError(t, err)
	require.Equal(t, renoflow.DefaultPolicy(), p, "nothing saved: the defaults as version 0")

	want := renoflow.DefaultPolicy()
	want.OwnerCapacity = 77
	v, err := SavePolicy(ctx, db, want, Change{By: "admin"})
	require.NoError(t, err)
	got, err := cache.Latest(ctx, db)
	require.NoError(t, err)
	latest, err := new(PolicyCache).Latest(ctx, db)
	require.NoError(t, err)
	require.Equal(t, latest, got)
	require.Equal(t, 77, got.OwnerCapacity)

	_, err = db.NewUpdate().Model((*PolicyVersion)(nil)).Set("body = jsonb_set(body, '{owner_capacity}', '5')").Where("version = ?", v).Exec(ctx)
	require.NoError(t, err)
	again, err := cache.At(ctx, db, v)
	require.NoError(t, err)
	require.Equal(t, 77, again.OwnerCapacity, "served from the cache")

	want.OwnerCapacity = 88
	_, err = SavePolicy(ctx, db, want, Change{By: "admin"})
	require.NoError(t, err)
	newer, err := cache.Latest(ctx, db)
	require.NoError(t, err)
	require.Equal(t, 88, newer.OwnerCapacity)

	_, err = cache.At(ctx, db, 99)
	require.ErrorIs(t, err, sql.ErrNoRows)
}

// TestCalendarVersions: the shipped calendar as version 0 until one is saved; saved
// versions count up, keep their days, note, author and time, and list newest first with
// the author's name.
func TestCalendarVersions(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx := t.Context()
	_, err := db.NewInsert().Model(&Store{ID: "s1", Name: "旗舰店"}).Exec(ctx)
	require.NoError(t, err)
	_, err = db.NewInsert().Model(&Staff{ID: "admin1", Login: "admin1", Name: "管理员", Role: renoflow.RoleAdmin, Active: true}).Exec(ctx)
	require.NoError(t, err)

	cv, err := LatestCalendar(ctx, db)
	require.NoError(t, err)
	require.Equal(t, renoflow.DefaultCalendar(), cv.Calendar())
	require.True(t, cv.CreatedAt.IsZero())

	at := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	days := []renoflow.CalendarDay{{Date: "2027-01-01", Kind: renoflow.DayHoliday, Name: "元旦"}}
	saved, err := SaveCalendar(ctx, db, days, Change{By: "admin1", Note: "2027", At: at})
	require.NoError(t, err)
	require.Equal(t, 1, saved.Version)
	require.True(t, at.Equal(saved.CreatedAt))
	second, err := SaveCalendar(ctx, db, append(days, renoflow.CalendarDay{Date: "2027-02-07", Kind: renoflow.DayWorkday, Name: "调休"}), Change{By: "system"})
	require.NoError(t, err)
	require.Equal(t, 2, second.Version)
	require.False(t, second.CreatedAt.IsZero(), "no time given: the database's clock")

	cv, err = LatestCalendar(ctx, db)
	require.NoError(t, err)
	require.Equal(t, 2, cv.Version)
	require.Len(t, cv.Days, 2)
	hist, err := CalendarHistory(ctx, db, 20)
	require.NoError(t, err)
	require.Equal(t, []int{2, 1}, []int{hist[0].Version, hist[1].Version})
	require.Equal(t, "", hist[0].ByName)
	require.Equal(t, "管理员", hist[1].ByName)
	require.Equal(t, "2027", hist[1].Note)
}

// TestEnsureDefaults stores the shipped policy and calendar once as version 1, however
// often and concurrently it runs.
func TestEnsureDefaults(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { require.NoError(t, EnsureDefaults(ctx, db)) })
	}
	wg.Wait()
	require.NoError(t, EnsureDefaults(ctx, db))
	pv, cv, err := LatestVersions(ctx, db)
	require.NoError(t, err)
	require.Equal(t, [2]int{1, 1}, [2]int{pv, cv})
	n, err := db.NewSelect().Model((*PolicyVersion)(nil)).Count(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
}

// A save waits for another's lock at most VersionLockWait, then is refused as
// unavailable (503) without storing anything; once the lock is gone it saves.
func TestSaveWaitsForTheLockBoundedly(t *testing.T) {
	db := newDB(t)
	ctx := t.Context()
	defer func(w time.Duration) { VersionLockWait = w }(VersionLockWait)
	VersionLockWait = 200 * time.Millisecond
	holder, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	_, err = holder.ExecContext(ctx, "LOCK TABLE policy_versions, calendar_versions IN EXCLUSIVE MODE")
	require.NoError(t, err)
	merge := func(p renoflow.Policy) (renoflow.Policy, error) { p.OwnerCapacity = 99; return p, nil }
	start := time.Now()
	_, _, err = SaveMergedPolicy(ctx, db, merge, Change{By: "admin"})
	require.Less(t, time.Since(start), 3*time.Second)
	var de *renoflow.Error
	require.ErrorAs(t, err, &de)
	require.Equal(t, renoflow.CodeUnavailable, de.Code)
	_, err = SaveMergedCalendar(ctx, db, func(CalendarVersion) ([]renoflow.CalendarDay, error) { return nil, nil }, Change{By: "admin"})
	require.ErrorAs(t, err, &de)
	require.NoError(t, holder.Rollback())
	saved, _, err := SaveMergedPolicy(ctx, db, merge, Change{By: "admin"})
	require.NoError(t, err)
	require.Equal(t, 1, saved.Version, "nothing was stored by the refused save")
}
