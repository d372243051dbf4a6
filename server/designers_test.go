package server

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/activities"
	"github.com/stretchr/testify/require"
)

// designerInfo reads a designer as dispatch ranking reads them (activities.Designers).
func (h *harness) designerInfo(store, id string) renoflow.DesignerInfo {
	h.t.Helper()
	ds, err := (&activities.Activities{DB: h.db}).Designers(context.Background(), store, h.now)
	require.NoError(h.t, err)
	for _, d := range ds {
		if d.ID == id {
			return d
		}
	}
	h.t.Fatalf("designer %s not found in store %s", id, store)
	return renoflow.DesignerInfo{}
}

// The admin sets a designer's dispatch attributes through the staff API; dispatch
// ranking reads them. Setting one on another role, or a bad value, names the field.
func TestAdminDesignerAttributes(t *testing.T) {
	h := newHarness(t)
	admin := h.login("admin")
	before := h.designerInfo("s1", "d1")
	require.True(t, before.OnDuty)
	require.False(t, before.Senior)

	status, body := h.api(admin, http.MethodPatch, "/api/admin/staff/d1", map[string]any{"on_duty": false, "senior": true,
		"charges_fee": true, "material_target_met": true, "department_rank": 2, "suspended_until": "2026-12-01T09:00:00+08:00"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	m := body["staff"].(map[string]any)
	require.Equal(t, "designer", m["role"])
	require.Equal(t, map[string]any{"on_duty": false, "senior": true, "charges_fee": true, "material_target_met": true,
		"department_rank": 2.0, "suspended_until": "2026-12-01T01:00:00Z"}, m["designer"])
	d := h.designerInfo("s1", "d1")
	require.False(t, d.OnDuty)
	require.True(t, d.Senior && d.ChargesFee && d.MaterialTargetMet)
	require.Equal(t, 2, d.DepartmentRank)
	require.True(t, d.SuspendedUntil.Equal(time.Date(2026, 12, 1, 9, 0, 0, 0, renoflow.Zone)))
	ranked := renoflow.RankDesigners([]renoflow.DesignerInfo{d}, renoflow.DispatchOrder{}, h.now, renoflow.DefaultPolicy(), &renoflow.Calendar{})
	require.False(t, ranked[0].Eligible)
	require.Contains(t, ranked[0].Reason, "停派至2026-12-01 09:00")

	// Fields left out stay; null lifts the suspension; a company-zone date-time is read as such.
	status, body = h.api(admin, http.MethodPatch, "/api/admin/staff/d1", map[string]any{"suspended_until": nil, "on_duty": true})
	require.Equal(t, http.StatusOK, status, "%v", body)
	attrs := body["staff"].(map[string]any)["designer"].(map[string]any)
	require.Nil(t, attrs["suspended_until"])
	require.Equal(t, true, attrs["senior"], "left out: unchanged")
	d = h.designerInfo("s1", "d1")
	require.True(t, d.SuspendedUntil.IsZero())
	require.True(t, d.OnDuty)
	status, body = h.api(admin, http.MethodPatch, "/api/admin/staff/d1", map[string]any{"suspended_until": "2026-12-24T18:30"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.True(t, h.designerInfo("s1", "d1").SuspendedUntil.Equal(time.Date(2026, 12, 24, 18, 30, 0, 0, renoflow.Zone)))

	for _, tt := range []struct {
		id     string
		patch  map[string]any
		fields []string
	}{
		{"d1", map[string]any{"suspended_until": "下周"}, []string{"suspended_until"}},
		{"d1", map[string]any{"suspended_until": 5}, []string{"suspended_until"}},
		{"d1", map[string]any{"department_rank": -1}, []string{"department_rank"}},
		{"d1", map[string]any{"on_duty": "yes"}, []string{"on_duty"}},
		{"cm1", map[string]any{"senior": true, "department_rank": 1}, []string{"senior", "department_rank"}},
		{"sm1", map[string]any{"suspended_until": nil}, []string{"suspended_until"}},
		{"d1", map[string]any{"role": "customer_manager", "on_duty": true}, []string{"on_duty"}}, // the role after the patch counts
	} {
		status, body := h.api(admin, http.MethodPatch, "/api/admin/staff/"+tt.id, tt.patch)
		require.Equal(t, http.StatusUnprocessableEntity, status, "%s %v: %v", tt.id, tt.patch, body)
		require.Equal(t, tt.fields, errorFields(body), "%s %v", tt.id, tt.patch)
	}
	status, body = h.api(admin, http.MethodPatch, "/api/admin/staff/cm1", map[string]any{"role": "designer", "department_rank": 3})
	require.Equal(t, http.StatusOK, status, "becoming a designer, with a ranking: %v", body)
	require.EqualValues(t, 3, body["staff"].(map[string]any)["designer"].(map[string]any)["department_rank"])

	status, body = h.api(admin, http.MethodGet, "/api/admin/staff", nil)
	require.Equal(t, http.StatusOK, status)
	for _, s := range asSlice(body["staff"]) {
		m := s.(map[string]any)
		if m["role"] == "designer" {
			require.Contains(t, m, "designer", m["id"])
		} else {
			require.NotContains(t, m, "designer", m["id"])
		}
	}
	status, body = h.api(admin, http.MethodGet, "/api/admin/staff/d2", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, body["staff"].(map[string]any)["designer"].(map[string]any)["on_duty"])
	require.Equal(t, http.StatusForbidden, first(h.api(h.login("sm1"), http.MethodGet, "/api/admin/staff/d1", nil)))
}

// The staff edit page shows a designer's dispatch attributes and saves them; other roles
// have none on their page.
func TestAdminDesignerPage(t *testing.T) {
	h := newHarness(t)
	admin := h.login("admin")
	status, html, _ := h.page(admin, http.MethodGet, "/admin/staff/d1", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, html, `id="designer-fields"`)
	require.Contains(t, html, `name="on_duty" value="1" checked`)
	_, html, _ = h.page(admin, http.MethodGet, "/admin/staff/cm1", nil)
	require.NotContains(t, html, `id="designer-fields"`)

	form := url.Values{"name": {"吴设计"}, "role": {"designer"}, "store_id": {"s1"}, "active": {"1"}, "designer_fields": {"1"},
		"senior": {"1"}, "department_rank": {"第一"}, "suspended_until": {"2026-12-24T18:30"}}
	status, html, _ = h.page(admin, http.MethodPost, "/admin/staff/d1", form)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, html, "部门排名：须为整数")
	require.Contains(t, html, `value="第一"`)
	require.Contains(t, html, `name="senior" value="1" checked`)
	require.True(t, h.designerInfo("s1", "d1").OnDuty, "nothing saved")

	form.Set("department_rank", "4")
	status, _, loc := h.page(admin, http.MethodPost, "/admin/staff/d1", form)
	require.Equal(t, http.StatusSeeOther, status)
	require.Contains(t, loc, "/admin/staff")
	d := h.designerInfo("s1", "d1")
	require.False(t, d.OnDuty, "an unticked box is off duty")
	require.True(t, d.Senior)
	require.Equal(t, 4, d.DepartmentRank)
	require.True(t, d.SuspendedUntil.Equal(time.Date(2026, 12, 24, 18, 30, 0, 0, renoflow.Zone)))
	_, html, _ = h.page(admin, http.MethodGet, "/admin/staff/d1", nil)
	require.Contains(t, html, `name="suspended_until" type="datetime-local" value="2026-12-24T18:30"`)

	form.Set("suspended_until", "")
	form.Set("on_duty", "1")
	status, _, _ = h.page(admin, http.MethodPost, "/admin/staff/d1", form)
	require.Equal(t, http.StatusSeeOther, status)
	d = h.designerInfo("s1", "d1")
	require.True(t, d.SuspendedUntil.IsZero(), "an empty 停派至 lifts the suspension")
	require.True(t, d.OnDuty)

	// Made a customer manager on the same form: the attributes are not sent, the role changes.
	form.Set("role", "customer_manager")
	status, html, _ = h.page(admin, http.MethodPost, "/admin/staff/d1", form)
	require.Equal(t, http.StatusSeeOther, status, html)
}

// A store manager puts the designers of their store on or off duty (a supervisor those
// of their stores); nobody else may, and another store's designer is refused.
func TestDesignerDuty(t *testing.T) {
	h := newHarness(t)
	sm1, sm2, sup := h.login("sm1"), h.login("sm2"), h.login("sup1")

	status, body := h.api(sm1, http.MethodPatch, "/api/staff/d1/duty", map[string]any{"on_duty": false})
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, map[string]any{"id": "d1", "name": "吴设计", "store_id": "s1", "store_name": "旗舰店", "on_duty": false,
		"suspended_until": nil}, body["designer"])
	require.False(t, h.designerInfo("s1", "d1").OnDuty)
	ranked := renoflow.RankDesigners([]renoflow.DesignerInfo{h.designerInfo("s1", "d1")}, renoflow.DispatchOrder{}, h.now,
		renoflow.DefaultPolicy(), &renoflow.Calendar{})
	require.Equal(t, "今日不在岗", ranked[0].Reason)

	for _, tt := range []struct {
		as     *staffer
		id     string
		in     map[string]any
		status int
		fields []string
	}{
		{sm2, "d1", map[string]any{"on_duty": true}, http.StatusForbidden, nil}, // another store's designer
		{sm2, "d2", map[string]any{"on_duty": false}, http.StatusOK, nil},
		{sup, "d2", map[string]any{"on_duty": true}, http.StatusOK, nil}, // a supervisor's store
		{sm1, "cm1", map[string]any{"on_duty": false}, http.StatusUnprocessableEntity, []string{"on_duty"}},
		{sm1, "d1", map[string]any{}, http.StatusUnprocessableEntity, []string{"on_duty"}},
		{sm1, "d1", map[string]any{"senior": true}, http.StatusUnprocessableEntity, []string{"senior"}},
		{sm1, "nobody", map[string]any{"on_duty": true}, http.StatusNotFound, nil},
		{h.login("cm1"), "d1", map[string]any{"on_duty": true}, http.StatusForbidden, nil},
		{h.login("d1"), "d1", map[string]any{"on_duty": true}, http.StatusForbidden, nil},
		{h.login("admin"), "d1", map[string]any{"on_duty": true}, http.StatusForbidden, nil}, // the admin edits the account instead
	} {
		status, body := h.api(tt.as, http.MethodPatch, "/api/staff/"+tt.id+"/duty", tt.in)
		require.Equal(t, tt.status, status, "%s %s %v: %v", tt.as.login, tt.id, tt.in, body)
		if tt.fields != nil {
			require.Equal(t, tt.fields, errorFields(body))
		}
	}
	require.True(t, h.designerInfo("s2", "d2").OnDuty)
	require.False(t, h.designerInfo("s1", "d1").OnDuty, "refused requests change nothing")

	// The duty page: the store's active designers, a button each.
	status, html, _ := h.page(sm1, http.MethodGet, "/designers", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, html, `href="/designers" aria-current="page"`)
	require.Contains(t, html, `data-designer="d1"`)
	require.NotContains(t, html, `data-designer="d2"`, "another store's designer")
	require.NotContains(t, html, `data-designer="d0"`, "a former designer")
	require.Contains(t, html, "不在岗")
	status, _, loc := h.page(sm1, http.MethodPost, "/designers/d1/duty", url.Values{"on_duty": {"true"}})
	require.Equal(t, http.StatusSeeOther, status)
	require.Contains(t, loc, urlQueryEscape("已将吴设计设为在岗"))
	require.True(t, h.designerInfo("s1", "d1").OnDuty)
	status, html, _ = h.page(sup, http.MethodGet, "/designers", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, html, `data-designer="d2"`)
	status, _, _ = h.page(sm2, http.MethodPost, "/designers/d1/duty", url.Values{"on_duty": {"false"}})
	require.Equal(t, http.StatusForbidden, status)
	cm := h.login("cm1")
	status, _, _ = h.page(cm, http.MethodGet, "/designers", nil)
	require.Equal(t, http.StatusForbidden, status)
	_, html, _ = h.page(cm, http.MethodGet, "/customers", nil)
	require.NotContains(t, html, `href="/designers"`)
}
