package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/stretchr/testify/require"
)

// pageClient uses the web pages as one logged-in staff member's browser would: the
// session cookie, and the CSRF token in every form. It does not follow redirects.
type pageClient struct {
	t           *testing.T
	base        string
	token, csrf string
	http        *http.Client
}

// browse logs in through the API and returns a page client with the same session.
func (d *dev) browse(t *testing.T, login string) *pageClient {
	t.Helper()
	c := d.login(t, login)
	return &pageClient{t: t, base: d.Web, token: c.api.Token, csrf: c.api.CSRF,
		http: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a page request (form: a POST with the CSRF token) and returns the status and HTML.
func (p *pageClient) do(method, path string, form url.Values) (int, string) {
	p.t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		if form == nil {
			form = url.Values{}
		}
		form.Set("_csrf", p.csrf)
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, p.base+path, body)
	require.NoError(p.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.AddCookie(&http.Cookie{Name: "renoflow_session", Value: p.token})
	resp, err := p.http.Do(req)
	require.NoError(p.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(p.t, err)
	return resp.StatusCode, string(raw)
}

// staffAction is a staff action on a customer and the permission it needs, generated
// from the domain's one table of actions (renoflow.StaffActions).
type staffAction struct {
	update string
	perm   renoflow.Permission
	// takesInput: the action has a required field, so an empty request that passes the
	// permission and scope checks is a 422 and never reaches the workflow.
	takesInput bool
}

var staffActions = func() []staffAction {
	var out []staffAction
	for _, a := range renoflow.StaffActions() {
		out = append(out, staffAction{a.Update, a.Perm, a.Input(renoflow.Request{}) != nil})
	}
	return out
}()

// demoRoles are the demo logins and their roles and stores.
var demoRoles = []struct {
	login string
	role  renoflow.Role
	store string
}{
	{"admin", renoflow.RoleAdmin, ""}, {"sup1", renoflow.RoleSupervisor, "s1"}, {"sm1", renoflow.RoleStoreManager, "s1"},
	{"cm1", renoflow.RoleCustomerManager, "s1"}, {"sa1", renoflow.RoleSalesAdvisor, "s1"}, {"cs1", renoflow.RoleCustomerService, "s1"},
	{"d1", renoflow.RoleDesigner, "s1"}, {"sm2", renoflow.RoleStoreManager, "s2"}, {"cm2", renoflow.RoleCustomerManager, "s2"},
}

// filed is a customer a test filed, and who may see it.
type filed struct {
	id, name, phone, store, filer string
}

// sees is SPEC.md's row scope restated: who may see a customer (nothing is dispatched
// to a designer yet).
func sees(login string, role renoflow.Role, store string, c filed) bool {
	switch role {
	case renoflow.RoleAdmin, renoflow.RoleSupervisor: // sup1 oversees s1 and s2
		return true
	case renoflow.RoleSalesAdvisor:
		return c.filer == login
	case renoflow.RoleDesigner:
		return false
	}
	return c.store == store
}

// Every role × every endpoint, API and pages, on the real stack: what the role table
// forbids is 403 (before anything reaches a workflow), a customer outside the actor's
// row scope is 404, and what is allowed passes the gate. Lists and searches leak nothing
// across scope, in JSON or HTML.
func TestPermissionsEveryRoleEveryEndpoint(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	fileAs := func(login, name, phone, store string) filed {
		in := filing(phone)
		in["name"], in["store_id"] = name, store
		status, body := d.login(t, login).call(http.MethodPost, "/customers", in)
		require.Equal(t, http.StatusCreated, status, "%s files: %v", login, body)
		return filed{id: body["customer_id"].(string), name: name, phone: phone, store: store, filer: login}
	}
	a := fileAs("cm1", "陈甲", "13911110001", "s1") // cm1's customer in s1
	b := fileAs("sa1", "周乙", "13911110002", "s1") // the sales advisor's own
	c := fileAs("cm2", "郑丙", "13911110003", "s2") // store 2
	customers := []filed{a, b, c}

	for _, r := range demoRoles {
		api, web := d.login(t, r.login), d.browse(t, r.login)
		actor := renoflow.Actor{Role: r.role}

		// Reads open to every staff member.
		for _, path := range []string{"/me", "/customers", "/tasks", "/staff", "/policy"} {
			status, body := api.call(http.MethodGet, path, nil)
			require.Equal(t, http.StatusOK, status, "%s GET /api%s: %v", r.login, path, body)
		}
		for _, path := range []string{"/tasks", "/customers", "/customers?q=139&invalid=1"} {
			status, html := web.do(http.MethodGet, path, nil)
			require.Equal(t, http.StatusOK, status, "%s GET %s", r.login, path)
			require.Contains(t, html, `id="who"`, "%s GET %s shows who is logged in", r.login, path)
		}

		// Filing: the form and the API.
		wantFile := http.StatusForbidden
		if actor.Can(renoflow.PermFile) {
			wantFile = http.StatusOK
		}
		status, html := web.do(http.MethodGet, "/customers/new", nil)
		require.Equal(t, wantFile, status, "%s GET /customers/new", r.login)
		if wantFile == http.StatusForbidden {
			require.Contains(t, html, "不能报备客户")
			status, body := api.call(http.MethodPost, "/customers", filing("13911119999"))
			require.Equal(t, http.StatusForbidden, status, "%s POST /api/customers: %v", r.login, body)
		}

		// Disputing a customer's ownership by phone (after a 撞单 refusal).
		if !actor.Can(renoflow.PermDispute) {
			status, body := api.call(http.MethodPost, "/disputes", map[string]any{"phone": "13911119999", "note": "依据"})
			require.Equal(t, http.StatusForbidden, status, "%s POST /api/disputes: %v", r.login, body)
		}

		// Admin pages and API.
		wantAdmin := map[bool]int{true: http.StatusOK, false: http.StatusForbidden}[actor.Can(renoflow.PermManageStaff)]
		for _, path := range []string{"/admin/staff", "/admin/stores", "/admin/policy", "/admin/staff/cm1"} {
			status, _ := web.do(http.MethodGet, path, nil)
			require.Equal(t, wantAdmin, status, "%s GET %s", r.login, path)
		}
		for _, path := range []string{"/admin/staff", "/admin/stores", "/admin/policy", "/admin/staff/cm1"} {
			if wantAdmin == http.StatusForbidden {
				status, _ := web.do(http.MethodPost, path, url.Values{})
				require.Equal(t, http.StatusForbidden, status, "%s POST %s", r.login, path)
			}
		}
		for _, path := range []string{"/admin/staff", "/admin/stores"} {
			status, _ := api.call(http.MethodGet, path, nil)
			require.Equal(t, wantAdmin, status, "%s GET /api%s", r.login, path)
		}
		if wantAdmin == http.StatusForbidden {
			for _, req := range []struct{ method, path string }{{http.MethodPost, "/admin/stores"}, {http.MethodPost, "/admin/staff"},
				{http.MethodPatch, "/admin/staff/cm1"}, {http.MethodPut, "/policy"}} {
				status, body := api.call(req.method, req.path, map[string]any{})
				require.Equal(t, http.StatusForbidden, status, "%s %s /api%s: %v", r.login, req.method, req.path, body)
			}
		} else {
			status, body := api.call(http.MethodPost, "/admin/stores", map[string]any{})
			require.Equal(t, http.StatusUnprocessableEntity, status, "%v", body)
		}

		// Each customer: the page and the API read, then every action.
		for _, cu := range customers {
			visible := sees(r.login, r.role, r.store, cu)
			want := map[bool]int{true: http.StatusOK, false: http.StatusNotFound}[visible]
			status, body := api.call(http.MethodGet, "/customers/"+cu.id, nil)
			require.Equal(t, want, status, "%s GET /api/customers/%s: %v", r.login, cu.name, body)
			status, html := web.do(http.MethodGet, "/customers/"+cu.id, nil)
			require.Equal(t, want, status, "%s GET /customers/%s", r.login, cu.name)
			if !visible {
				require.NotContains(t, html, cu.phone, "a 404 page shows nothing of the customer")
			}
			for _, sa := range staffActions {
				name := fmt.Sprintf("%s %s on %s", r.login, sa.update, cu.name)
				status, body := api.call(http.MethodPost, "/customers/"+cu.id+"/"+sa.update, map[string]any{})
				pstatus, phtml := web.do(http.MethodPost, "/customers/"+cu.id+"/actions/"+sa.update, url.Values{})
				switch {
				case !actor.Can(sa.perm):
					require.Equal(t, http.StatusForbidden, status, "API %s: %v", name, body)
					require.Contains(t, body["error"].(map[string]any)["message"], r.role.Label()+"不能", name)
					require.Equal(t, http.StatusForbidden, pstatus, "page %s", name)
					require.Contains(t, phtml, "无权操作", name)
				case !visible:
					require.Equal(t, http.StatusNotFound, status, "API %s: %v", name, body)
					require.Equal(t, http.StatusNotFound, pstatus, "page %s", name)
				case sa.takesInput:
					require.Equal(t, http.StatusUnprocessableEntity, status, "API %s: %v", name, body)
					require.NotEmpty(t, body["error"].(map[string]any)["fields"], name)
					require.Equal(t, http.StatusUnprocessableEntity, pstatus, "page %s", name)
					require.Contains(t, phtml, `id="form-error"`, name)
				default: // reached the workflow, which answered
					require.NotContains(t, []int{401, 403, 404, 500}, status, "API %s: %v", name, body)
					require.NotContains(t, []int{401, 403, 404, 500}, pstatus, "page %s", name)
				}
			}
		}
	}

	// Lists and searches show exactly the customers in scope, in JSON and in HTML.
	for _, r := range demoRoles {
		api, web := d.login(t, r.login), d.browse(t, r.login)
		var want []string
		for _, cu := range customers {
			if sees(r.login, r.role, r.store, cu) {
				want = append(want, cu.id)
			}
		}
		for _, q := range []string{"", "?invalid=1", "?q=1391111", "?q=" + url.QueryEscape("翠湖苑")} {
			status, body := api.call(http.MethodGet, "/customers"+q, nil)
			require.Equal(t, http.StatusOK, status)
			var got []string
			for _, row := range body["customers"].([]any) {
				if id := row.(map[string]any)["id"].(string); slices.ContainsFunc(customers, func(f filed) bool { return f.id == id }) {
					got = append(got, id)
				}
			}
			require.ElementsMatch(t, want, got, "%s /api/customers%s", r.login, q)
			_, html := web.do(http.MethodGet, "/customers"+q, nil)
			for _, cu := range customers {
				if slices.Contains(want, cu.id) {
					require.Contains(t, html, cu.name, "%s /customers%s shows %s", r.login, q, cu.name)
				} else {
					require.NotContains(t, html, cu.name, "%s /customers%s leaks %s", r.login, q, cu.name)
					require.NotContains(t, html, cu.phone, "%s /customers%s leaks %s", r.login, q, cu.phone)
				}
			}
		}
		// A search for an out-of-scope phone finds nothing.
		for _, cu := range customers {
			if !slices.Contains(want, cu.id) {
				_, body := api.call(http.MethodGet, "/customers?q="+cu.phone, nil)
				require.Empty(t, body["customers"], "%s finds %s by phone", r.login, cu.name)
			}
		}
		// Tasks of out-of-scope customers are not listed either.
		_, body := api.call(http.MethodGet, "/tasks?view=open", nil)
		for _, tk := range body["tasks"].([]any) {
			id := tk.(map[string]any)["customer_id"].(string)
			for _, cu := range customers {
				if cu.id == id {
					require.True(t, sees(r.login, r.role, r.store, cu), "%s has a task of %s", r.login, cu.name)
				}
			}
		}
	}

	// A designer sees a customer once it is dispatched to them, and only then.
	cm, sm, des := d.login(t, "cm1"), d.login(t, "sm1"), d.login(t, "d1")
	status, _ := des.call(http.MethodGet, "/customers/"+a.id, nil)
	require.Equal(t, http.StatusNotFound, status)
	status, body := cm.call(http.MethodPost, "/customers/"+a.id+"/dispatch-propose", map[string]any{"designer_id": "d1"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	status, body = sm.call(http.MethodPost, "/customers/"+a.id+"/dispatch-confirm", map[string]any{})
	require.Equal(t, http.StatusOK, status, "%v", body)
	eventually(t, "d1 sees the customer dispatched to them", func() bool {
		status, _ := des.call(http.MethodGet, "/customers/"+a.id, nil)
		return status == http.StatusOK
	})
	_, body = des.call(http.MethodGet, "/customers", nil)
	var ids []string
	for _, row := range body["customers"].([]any) {
		ids = append(ids, row.(map[string]any)["id"].(string))
	}
	require.Equal(t, []string{a.id}, ids, "and only that one")
	status, _ = des.call(http.MethodGet, "/customers/"+b.id, nil)
	require.Equal(t, http.StatusNotFound, status)
}
