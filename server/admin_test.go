package server

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/renoflow/renoflow"
	"github.com/stretchr/testify/require"
)

// The admin creates stores and staff and sets roles; nobody else may, through the API or
// the pages.
func TestAdminStoresAndStaff(t *testing.T) {
	h := newHarness(t)
	admin := h.login("admin")

	status, body := h.api(admin, http.MethodPost, "/api/admin/stores", map[string]any{"id": "s3", "name": "城西店"})
	require.Equal(t, http.StatusCreated, status, "%v", body)
	status, body = h.api(admin, http.MethodPost, "/api/admin/stores", map[string]any{"id": "s3", "name": "又一个"})
	require.Equal(t, http.StatusConflict, status)
	require.Equal(t, []string{"id"}, errorFields(body))
	status, body = h.api(admin, http.MethodPost, "/api/admin/stores", map[string]any{"id": "西 店"})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.ElementsMatch(t, []string{"id", "name"}, errorFields(body))

	status, body = h.api(admin, http.MethodPost, "/api/admin/staff", map[string]any{
		"login": "d3", "name": "韩设计", "role": "designer", "store_id": "s3", "password": "secret-123"})
	require.Equal(t, http.StatusCreated, status, "%v", body)
	require.Equal(t, "d3", body["staff"].(map[string]any)["id"], "the ID defaults to the login")
	status, body = h.api(nil, http.MethodPost, "/api/login", map[string]string{"login": "d3", "password": "secret-123"})
	require.Equal(t, http.StatusOK, status, "the new account logs in: %v", body)
	d3 := &staffer{token: body["token"].(string)}

	status, body = h.api(admin, http.MethodPost, "/api/admin/staff", map[string]any{
		"login": "d3", "name": "重名", "role": "designer", "store_id": "s3", "password": "secret-123"})
	require.Equal(t, http.StatusConflict, status)
	require.Equal(t, []string{"login"}, errorFields(body))
	status, body = h.api(admin, http.MethodPost, "/api/admin/staff", map[string]any{"login": "x1", "role": "intern", "password": "short"})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.ElementsMatch(t, []string{"name", "role", "password"}, errorFields(body))
	status, body = h.api(admin, http.MethodPost, "/api/admin/staff", map[string]any{"login": "cm9", "name": "无店", "role": "customer_manager", "password": "secret-123"})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, []string{"store_id"}, errorFields(body), "a customer manager belongs to a store")
	status, body = h.api(admin, http.MethodPost, "/api/admin/staff", map[string]any{"login": "sup9", "name": "钱总", "role": "supervisor", "password": "secret-123"})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, []string{"stores"}, errorFields(body), "a supervisor oversees stores")

	// Role, store, lead and supervised stores change; the account list shows it.
	status, body = h.api(admin, http.MethodPatch, "/api/admin/staff/d3", map[string]any{"role": "supervisor", "store_id": "", "stores": []string{"s2", "s3"}})
	require.Equal(t, http.StatusOK, status, "%v", body)
	m := body["staff"].(map[string]any)
	require.Equal(t, "supervisor", m["role"])
	require.Equal(t, []any{"s2", "s3"}, m["stores"])
	status, body = h.api(admin, http.MethodPatch, "/api/admin/staff/d3", map[string]any{"role": "customer_service", "store_id": "s3", "lead": true})
	require.Equal(t, http.StatusOK, status, "%v", body)
	m = body["staff"].(map[string]any)
	require.Equal(t, true, m["lead"])
	require.Nil(t, m["stores"], "a former supervisor oversees nothing")
	status, body = h.api(d3, http.MethodGet, "/api/me", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "customer_service", body["staff"].(map[string]any)["role"], "the new role applies at once")

	// A password reset ends the member's sessions; the new password works, the old not.
	status, _ = h.api(admin, http.MethodPatch, "/api/admin/staff/d3", map[string]any{"password": "another-456"})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, http.StatusUnauthorized, first(h.api(d3, http.MethodGet, "/api/me", nil)))
	require.Equal(t, http.StatusUnauthorized, first(h.api(nil, http.MethodPost, "/api/login", map[string]string{"login": "d3", "password": "secret-123"})))
	require.Equal(t, http.StatusOK, first(h.api(nil, http.MethodPost, "/api/login", map[string]string{"login": "d3", "password": "another-456"})))
	// Deactivated: no login.
	status, _ = h.api(admin, http.MethodPatch, "/api/admin/staff/d3", map[string]any{"active": false})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, http.StatusUnauthorized, first(h.api(nil, http.MethodPost, "/api/login", map[string]string{"login": "d3", "password": "another-456"})))
	status, body = h.api(admin, http.MethodPatch, "/api/admin/staff/nobody", map[string]any{"active": false})
	require.Equal(t, http.StatusNotFound, status, "%v", body)
	status, _ = h.api(admin, http.MethodPatch, "/api/admin/staff/admin", map[string]any{"active": false})
	require.Equal(t, http.StatusConflict, status, "the admin cannot lock themself out")

	status, body = h.api(admin, http.MethodGet, "/api/admin/staff", nil)
	require.Equal(t, http.StatusOK, status)
	for _, s := range asSlice(body["staff"]) {
		require.NotContains(t, s, "password_hash")
	}

	// Nobody but the admin, API and pages alike.
	for _, login := range []string{"sup1", "sm1", "cm1", "sa1", "cs1", "d1"} {
		as := h.login(login)
		for _, r := range []struct{ method, path string }{
			{http.MethodGet, "/api/admin/staff"}, {http.MethodPost, "/api/admin/staff"}, {http.MethodPatch, "/api/admin/staff/cm1"},
			{http.MethodGet, "/api/admin/stores"}, {http.MethodPost, "/api/admin/stores"}, {http.MethodPut, "/api/policy"},
		} {
			require.Equal(t, http.StatusForbidden, first(h.api(as, r.method, r.path, map[string]any{})), "%s %s %s", login, r.method, r.path)
		}
		for _, r := range []struct{ method, path string }{
			{http.MethodGet, "/admin/staff"}, {http.MethodPost, "/admin/staff"}, {http.MethodGet, "/admin/staff/cm1"},
			{http.MethodPost, "/admin/staff/cm1"}, {http.MethodGet, "/admin/stores"}, {http.MethodPost, "/admin/stores"},
			{http.MethodGet, "/admin/policy"}, {http.MethodPost, "/admin/policy"},
		} {
			status, html, _ := h.page(as, r.method, r.path, nil)
			require.Equal(t, http.StatusForbidden, status, "%s %s %s", login, r.method, r.path)
			require.Contains(t, html, "无权操作")
		}
	}
}

// The admin pages: forms that fail keep their values (never a password) and name each
// bad field; forms that succeed land on the list with the change.
func TestAdminPages(t *testing.T) {
	h := newHarness(t)
	admin := h.login("admin")

	status, html, _ := h.page(admin, http.MethodPost, "/admin/staff", url.Values{"login": {"cm3"}, "name": {"褚经理"},
		"role": {"customer_manager"}, "password": {"abc"}})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, html, "门店：必选")
	require.Contains(t, html, "密码：至少8位")
	require.Contains(t, html, `value="褚经理"`)
	require.NotContains(t, html, `value="abc"`, "a password is never sent back")

	status, _, loc := h.page(admin, http.MethodPost, "/admin/staff", url.Values{"login": {"cm3"}, "name": {"褚经理"},
		"role": {"customer_manager"}, "store_id": {"s2"}, "password": {"abcdefgh"}})
	require.Equal(t, http.StatusSeeOther, status)
	status, html, _ = h.page(admin, http.MethodGet, loc, nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, html, "已创建员工账号：褚经理（cm3）")
	require.Contains(t, html, `data-staff="cm3"`)

	status, _, _ = h.page(admin, http.MethodPost, "/admin/staff/cm3", url.Values{"name": {"褚经理"}, "role": {"store_manager"},
		"store_id": {"s2"}, "active": {"1"}})
	require.Equal(t, http.StatusSeeOther, status)
	var role string
	var active bool
	require.NoError(t, h.db.NewSelect().Table("staff").Column("role", "active").Where("id = 'cm3'").Scan(t.Context(), &role, &active))
	require.Equal(t, string(renoflow.RoleStoreManager), role)
	require.True(t, active)

	status, html, _ = h.page(admin, http.MethodPost, "/admin/stores", url.Values{"id": {"s1"}, "name": {"重复"}})
	require.Equal(t, http.StatusConflict, status)
	require.Contains(t, html, "门店编号s1已存在")
	require.Contains(t, html, `value="重复"`)
	status, _, _ = h.page(admin, http.MethodPost, "/admin/stores", url.Values{"id": {"s9"}, "name": {"新区店"}})
	require.Equal(t, http.StatusSeeOther, status)
	_, html, _ = h.page(admin, http.MethodGet, "/admin/stores", nil)
	require.Contains(t, html, "新区店")
}

// The policy page shows the policy in force and its version; saving a change makes a
// new version that the API reads back; a bad value names its field and keeps the values.
func TestAdminPolicyPage(t *testing.T) {
	h := newHarness(t)
	admin := h.login("admin")
	status, html, _ := h.page(admin, http.MethodGet, "/admin/policy", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, html, "当前第 0 版")
	require.Contains(t, html, `name="claim_window" value="7d"`)

	form := url.Values{}
	for k, v := range renoflow.PolicyValues(renoflow.DefaultPolicy()) {
		form.Set(k, v)
	}
	form.Set("claim_window", "5d")
	form.Set("follow_ups_per_month.A", "6")
	form.Set("note", "缩短报备保护期")
	status, _, loc := h.page(admin, http.MethodPost, "/admin/policy", form)
	require.Equal(t, http.StatusSeeOther, status)
	_, html, _ = h.page(admin, http.MethodGet, loc, nil)
	require.Contains(t, html, "已保存为策略第1版")
	require.Contains(t, html, "当前第 1 版")
	require.Contains(t, html, "缩短报备保护期")
	status, body := h.api(admin, http.MethodGet, "/api/policy", nil)
	require.Equal(t, http.StatusOK, status)
	require.EqualValues(t, 1, body["version"])
	pol := body["policy"].(map[string]any)
	require.Equal(t, "5d", pol["claim_window"])
	require.Equal(t, map[string]any{"A": 6.0, "B": 3.0, "C": 2.0, "D": 1.0}, pol["follow_ups_per_month"], "the other grades keep theirs")

	// Unchanged: no new version.
	form.Set("claim_window", "5d")
	form.Set("follow_ups_per_month.A", "6")
	_, _, loc = h.page(admin, http.MethodPost, "/admin/policy", form)
	require.Contains(t, loc, urlQueryEscape("策略未改变"))

	form.Set("verify_within", "两小时")
	form.Set("owner_capacity", "多")
	status, html, _ = h.page(admin, http.MethodPost, "/admin/policy", form)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, html, "客服核实报备时限：")
	require.Contains(t, html, "每人库容（有效客户上限）：须为整数")
	require.Contains(t, html, `value="两小时"`)
	// A value the domain refuses (the reminder after the lapse) names its field too.
	form.Set("verify_within", "2h")
	form.Set("owner_capacity", "200")
	form.Set("claim_reminder_before", "9d")
	status, html, _ = h.page(admin, http.MethodPost, "/admin/policy", form)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, html, `data-field="claim_reminder_before"`)
	status, body = h.api(admin, http.MethodGet, "/api/policy", nil)
	require.Equal(t, http.StatusOK, status)
	require.EqualValues(t, 1, body["version"], "refused changes make no version")
}
