package postgres

import (
	"database/sql"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/renoflow/renoflow"
)

// TestStaffAccounts: an account is created with the stores a supervisor oversees,
// read back with its store's name, updated column by column, and EnsureStaff leaves an
// existing login as it is.
func TestStaffAccounts(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx := t.Context()
	require.NoError(t, EnsureStore(ctx, db, "s1", "旗舰店"))
	require.NoError(t, EnsureStore(ctx, db, "s2", "城东店"))
	require.NoError(t, EnsureStore(ctx, db, "s1", "改名不生效"))
	stores, err := ListStores(ctx, db)
	require.NoError(t, err)
	require.Equal(t, []string{"s1", "s2"}, []string{stores[0].ID, stores[1].ID})
	require.Equal(t, "旗舰店", stores[0].Name)

	require.NoError(t, AddStaff(ctx, db, Staff{ID: "sup1", Login: "sup1", Name: "孙总监", Role: renoflow.RoleSupervisor,
		Active: true, Stores: []string{"s2", "s1"}}))
	require.NoError(t, AddStaff(ctx, db, Staff{ID: "d1", Login: "d1", Name: "吴设计", Role: renoflow.RoleDesigner, StoreID: "s1",
		Active: true, DesignerAttributes: DesignerAttributes{OnDuty: true}}))
	require.Error(t, AddStaff(ctx, db, Staff{ID: "d9", Login: "d1", Name: "重名", Role: renoflow.RoleDesigner, StoreID: "s1"}))
	taken, err := LoginTaken(ctx, db, "d1")
	require.NoError(t, err)
	require.True(t, taken)
	require.NoError(t, EnsureStaff(ctx, db, Staff{ID: "d1", Login: "d1", Name: "另一个", Role: renoflow.RoleAdmin}))

	sup, err := StaffMember(ctx, db, "sup1")
	require.NoError(t, err)
	require.Equal(t, []string{"s1", "s2"}, sup.Stores)
	require.Equal(t, "", sup.StoreID)
	d, err := StaffMember(ctx, db, "d1")
	require.NoError(t, err)
	require.Equal(t, "吴设计", d.Name, "EnsureStaff left the login's account as it was")
	require.Equal(t, "旗舰店", d.StoreName)
	_, err = StaffMember(ctx, db, "nobody")
	require.ErrorIs(t, err, sql.ErrNoRows)

	actor, err := ActiveStaff(ctx, db, "sup1")
	require.NoError(t, err)
	require.Equal(t, []string{"s1", "s2"}, actor.Stores)

	until := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	require.NoError(t, UpdateStaff(ctx, db, Staff{ID: "d1", Name: "不写", DesignerAttributes: DesignerAttributes{SuspendedUntil: &until, DepartmentRank: 3}},
		"suspended_until", "department_rank"))
	attrs, err := DesignerAttributesOf(ctx, db, []string{"d1", "sup1"})
	require.NoError(t, err)
	require.Len(t, attrs, 1, "only designers have dispatch attributes")
	require.Equal(t, 3, attrs["d1"].DepartmentRank)
	require.True(t, attrs["d1"].OnDuty, "a column not named stays")
	require.True(t, until.Equal(*attrs["d1"].SuspendedUntil))
	d, err = StaffMember(ctx, db, "d1")
	require.NoError(t, err)
	require.Equal(t, "吴设计", d.Name, "a column not named stays")

	picks, err := StoreStaff(ctx, db, "s2", []renoflow.Role{renoflow.RoleSupervisor, renoflow.RoleDesigner})
	require.NoError(t, err)
	require.Len(t, picks, 1)
	require.Equal(t, "sup1", picks[0].ID, "the supervisor oversees s2")
	duties, err := DesignerDuties(ctx, db, []string{"s1"})
	require.NoError(t, err)
	require.Len(t, duties, 1)
	require.Equal(t, "旗舰店", duties[0].StoreName)

	require.NoError(t, ReplaceSupervisedStores(ctx, db, "sup1", []string{"s1"}))
	got, err := SupervisedStores(ctx, db, "sup1")
	require.NoError(t, err)
	require.Equal(t, []string{"s1"}, got)
	designers, err := ActiveWithRole(ctx, db, renoflow.RoleDesigner, []string{"s1", "s2"})
	require.NoError(t, err)
	require.Equal(t, "d1", designers[0].ID)
	require.Equal(t, "s1", designers[0].StoreID)

	found, err := SetWecomUserID(ctx, db, "d1", "WuSheJi")
	require.NoError(t, err)
	require.True(t, found)
	found, err = SetWecomUserID(ctx, db, "nobody", "x")
	require.NoError(t, err)
	require.False(t, found)
	user, err := WecomUserID(ctx, db, "d1")
	require.NoError(t, err)
	require.Equal(t, "WuSheJi", user)
	user, err = WecomUserID(ctx, db, "nobody")
	require.NoError(t, err)
	require.Equal(t, "", user)

	ok, pv, cv, err := StoreAndVersions(ctx, db, "s2")
	require.NoError(t, err)
	require.True(t, ok)
	wantPolicy, wantCalendar, err := LatestVersions(ctx, db)
	require.NoError(t, err)
	require.Equal(t, [2]int{wantPolicy, wantCalendar}, [2]int{pv, cv}, "the versions LatestVersions reads")
	ok, _, _, err = StoreAndVersions(ctx, db, "s9")
	require.NoError(t, err)
	require.False(t, ok)
	name, err := StoreName(ctx, db, "s2")
	require.NoError(t, err)
	require.Equal(t, "城东店", name)
	_, err = StoreName(ctx, db, "s9")
	require.ErrorIs(t, err, sql.ErrNoRows)
	some, err := StoreNames(ctx, db, "s2")
	require.NoError(t, err)
	require.Len(t, some, 1)

	require.NoError(t, UpdateStaff(ctx, db, Staff{ID: "sup1"}, "active"))
	_, err = ActiveStaff(ctx, db, "sup1")
	require.ErrorIs(t, err, sql.ErrNoRows)
}

// TestSessions: a session lives until it expires; ending a member's sessions keeps the
// one named.
func TestSessions(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx := t.Context()
	require.NoError(t, EnsureStaff(ctx, db, Staff{ID: "cm1", Login: "cm1", Name: "张经理", Role: renoflow.RoleAdmin, Active: true}))
	now := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	for _, h := range []string{"a", "b", "c"} {
		require.NoError(t, OpenSession(ctx, db, Session{TokenHash: h, StaffID: "cm1", CSRFToken: "csrf-" + h, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	}
	s, err := LiveSession(ctx, db, "a", now)
	require.NoError(t, err)
	require.Equal(t, "csrf-a", s.CSRFToken)
	_, err = LiveSession(ctx, db, "a", now.Add(time.Hour))
	require.ErrorIs(t, err, sql.ErrNoRows, "expired")
	require.NoError(t, EndSession(ctx, db, "a"))
	_, err = LiveSession(ctx, db, "a", now)
	require.ErrorIs(t, err, sql.ErrNoRows)
	require.NoError(t, EndStaffSessions(ctx, db, "cm1", "b"))
	_, err = LiveSession(ctx, db, "b", now)
	require.NoError(t, err)
	_, err = LiveSession(ctx, db, "c", now)
	require.ErrorIs(t, err, sql.ErrNoRows)
}
