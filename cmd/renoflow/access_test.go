package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/stretchr/testify/require"
)

// asType re-decodes a JSON value into T.
func asType[T any](t *testing.T, v any) T {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out T
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// offeredForms lists the action forms a customer page offers (id="act-<update>").
func offeredForms(html string) []string {
	var out []string
	for _, part := range strings.Split(html, `id="act-`)[1:] {
		out = append(out, part[:strings.Index(part, `"`)])
	}
	return out
}

// Access follows the current relation, on the real stack (issue 10 §3). Customers are
// put in every relation to the demo staff — owner, store, public pool, designer, a
// dispatch waiting, a complaint handled, and the histories that must not count: a
// filing that lapsed and was claimed by someone else, a dispatch refused, a dispatch
// returned, another store. Then every role × relation × action of the domain's one table
// (renoflow.StaffActions, RelationOf) is checked through the API and the pages: a role
// without the permission gets 403, a customer the actor is not tied to now is 404 (no
// phone, no timeline), and the customer page offers exactly the forms whose domain check
// (StaffAction.Can) passes. A sales advisor who brings a pool customer to the store
// claims them.
func TestAccessFollowsTheCurrentRelation(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	admin, cm1, cm2, sa1, sm1, d1 := d.login(t, "admin"), d.login(t, "cm1"), d.login(t, "cm2"), d.login(t, "sa1"), d.login(t, "sm1"), d.login(t, "d1")
	policy := func(p map[string]any) {
		t.Helper()
		admin.setPolicy(p)
	}
	ok := func(c *apiClient, path string, in map[string]any) map[string]any {
		t.Helper()
		status, body := c.call(http.MethodPost, path, in)
		require.Equal(t, http.StatusOK, status, "POST %s: %v", path, body)
		return body
	}
	file := func(c *apiClient, phone, store string) string {
		t.Helper()
		in := filing(phone)
		in["store_id"] = store
		status, body := c.call(http.MethodPost, "/customers", in)
		require.Equal(t, http.StatusCreated, status, "%v", body)
		return body["customer_id"].(string)
	}
	state := func(id string) renoflow.Customer {
		t.Helper()
		status, body := admin.call(http.MethodGet, "/customers/"+id, nil)
		require.Equal(t, http.StatusOK, status, "%v", body)
		return asType[renoflow.Customer](t, body["state"])
	}

	// Claims that lapse within seconds.
	policy(map[string]any{"claim_window": "3s", "claim_reminder_before": "1s", "verify_within": "1h"})
	lapsedSA := file(sa1, "13922220001", "s1")  // sa1's filing: lapses, then cm1 claims it
	poolForSA := file(cm1, "13922220002", "s1") // lapses; sa1 brings the customer in
	pool := file(cm1, "13922220003", "s1")      // lapses and stays in the pool
	policy(map[string]any{"claim_window": "1h", "claim_reminder_before": "30min", "dispatch_accept_within": "2s",
		"dispatch_confirm_within": "1h", "first_callback_within": "1h", "complaint_answer_within": "1h", "complaint_resolve_within": "1h"})
	visited := func(c *apiClient, phone, store string) string {
		id := file(c, phone, store)
		ok(c, "/customers/"+id+"/store-visit", map[string]any{})
		return id
	}
	// A dispatch d1 does not answer in time returns to the customer manager.
	returned := visited(cm1, "13922220010", "s1")
	ok(cm1, "/customers/"+returned+"/dispatch-propose", map[string]any{"designer_id": "d1"})
	ok(sm1, "/customers/"+returned+"/dispatch-confirm", map[string]any{})
	policy(map[string]any{"dispatch_accept_within": "1h"})
	owned := file(sa1, "13922220004", "s1") // sa1's own filing
	designed := visited(cm1, "13922220005", "s1")
	ok(cm1, "/customers/"+designed+"/dispatch-propose", map[string]any{"designer_id": "d1"})
	ok(sm1, "/customers/"+designed+"/dispatch-confirm", map[string]any{})
	ok(d1, "/customers/"+designed+"/dispatch-accept", map[string]any{})
	waiting := visited(cm1, "13922220006", "s1")
	ok(cm1, "/customers/"+waiting+"/dispatch-propose", map[string]any{"designer_id": "d1"})
	ok(sm1, "/customers/"+waiting+"/dispatch-confirm", map[string]any{})
	handled := visited(cm1, "13922220007", "s1")
	ok(cm1, "/customers/"+handled+"/complaint-open", map[string]any{"category": "design", "note": "图纸慢", "handler_id": "d1"})
	other := visited(cm2, "13922220008", "s2")
	moved := visited(cm1, "13922220011", "s1") // moved to store s2 by the supervisor over both
	sup := d.login(t, "sup1")
	status, body := sm1.call(http.MethodPost, "/customers/"+moved+"/reassign", map[string]any{"owner_id": "cm2", "store_id": "s2"})
	require.Equal(t, http.StatusUnprocessableEntity, status, "a store manager moves no customer out of the store: %v", body)
	ok(sup, "/customers/"+moved+"/reassign", map[string]any{"owner_id": "cm2", "store_id": "s2", "note": "客户搬家"})
	refused := visited(cm1, "13922220009", "s1") // last: a refusal suspends d1 from dispatch
	ok(cm1, "/customers/"+refused+"/dispatch-propose", map[string]any{"designer_id": "d1"})
	ok(sm1, "/customers/"+refused+"/dispatch-confirm", map[string]any{})
	eventually(t, "the dispatch of "+returned+" returns", func() bool {
		st := state(returned)
		return len(st.Dispatches) == 1 && st.Dispatches[0].Status == renoflow.DispatchReturned
	})
	for _, id := range []string{lapsedSA, poolForSA, pool} {
		eventually(t, id+" lapses to the pool", func() bool { return state(id).Stage == renoflow.StagePool })
	}

	// sa1 sees the pool of their store, and while their own filing is in it, its phone.
	status, _ = sa1.call(http.MethodGet, "/customers/"+lapsedSA, nil)
	require.Equal(t, http.StatusOK, status, "the public pool of sa1's store")
	// The store roles of the store a customer left lose it; those of its new store have it.
	for login, want := range map[string]int{"sm1": http.StatusNotFound, "cm1": http.StatusNotFound, "cs1": http.StatusNotFound,
		"sm2": http.StatusOK, "cm2": http.StatusOK} {
		status, body := d.login(t, login).call(http.MethodGet, "/customers/"+moved, nil)
		require.Equal(t, want, status, "%s on the customer moved to s2: %v", login, body)
	}
	// cm1 brings sa1's lapsed customer to the store: the customer is cm1's now, and sa1
	// neither reads it (phone, timeline) nor acts on it.
	ok(cm1, "/customers/"+lapsedSA+"/store-visit", map[string]any{"note": "客户自己来店"})
	status, body = sa1.call(http.MethodGet, "/customers/"+lapsedSA, nil)
	require.Equal(t, http.StatusNotFound, status, "%v", body)
	status, body = sa1.call(http.MethodPost, "/customers/"+lapsedSA+"/store-visit", map[string]any{})
	require.Equal(t, http.StatusNotFound, status, "%v", body)
	status, html := d.browse(t, "sa1").do(http.MethodGet, "/customers/"+lapsedSA, nil)
	require.Equal(t, http.StatusNotFound, status)
	require.NotContains(t, html, "13922220001")
	// The designer of a refused dispatch, like that of a returned one, loses the customer.
	ok(d1, "/customers/"+refused+"/dispatch-refuse", map[string]any{"note": "档期已满"})
	for _, id := range []string{refused, returned} {
		status, body := d1.call(http.MethodGet, "/customers/"+id, nil)
		require.Equal(t, http.StatusNotFound, status, "%s: %v", id, body)
	}
	// A sales advisor who brings a pool customer to the store claims them (SPEC.md step 2).
	body = ok(sa1, "/customers/"+poolForSA+"/store-visit", map[string]any{"note": "顾问带客户到店"})
	claimed := asType[renoflow.Customer](t, body["state"])
	require.Equal(t, "sa1", claimed.Owner.ID)
	require.Equal(t, renoflow.StagePresale, claimed.Stage)
	status, _ = sa1.call(http.MethodGet, "/customers/"+poolForSA, nil)
	require.Equal(t, http.StatusOK, status)

	customers := map[string]string{"lapsed, claimed by cm1": lapsedSA, "claimed by sa1": poolForSA, "pool": pool,
		"sa1's filing": owned, "d1 designs": designed, "waits for d1": waiting, "d1 handles a complaint": handled,
		"store s2": other, "d1 refused": refused, "d1 did not answer": returned, "moved to s2": moved}
	// Every relation the domain knows occurs.
	relations := map[renoflow.Relation]bool{}

	for _, r := range demoRoles {
		api, web := d.login(t, r.login), d.browse(t, r.login)
		_, me := api.call(http.MethodGet, "/me", nil)
		actor := asType[renoflow.Actor](t, me["staff"])
		var visible []string
		for name, id := range customers {
			st := state(id)
			rel := st.RelationOf(actor)
			relations[rel] = true
			who := fmt.Sprintf("%s (%s) on %q", r.login, rel, name)

			// Read: the API, the page (no phone when not theirs), the list.
			want := map[bool]int{true: http.StatusOK, false: http.StatusNotFound}[st.Sees(actor)]
			status, body := api.call(http.MethodGet, "/customers/"+id, nil)
			require.Equal(t, want, status, "GET API %s: %v", who, body)
			status, html := web.do(http.MethodGet, "/customers/"+id, nil)
			require.Equal(t, want, status, "GET page %s", who)
			if !st.Sees(actor) {
				require.NotContains(t, html, string(st.Record.Phone), who)
				continue
			}
			visible = append(visible, id)
			// The page offers exactly the forms whose domain check passes.
			var can []string
			for _, a := range renoflow.StaffActions() {
				if a.Can(&st, actor) == nil {
					can = append(can, a.Update)
				}
			}
			require.ElementsMatch(t, can, offeredForms(html), "forms on the page %s", who)
		}
		_, list := api.call(http.MethodGet, "/customers", nil)
		var listed []string
		for _, row := range list["customers"].([]any) {
			id := row.(map[string]any)["id"].(string)
			for _, c := range customers {
				if c == id {
					listed = append(listed, id)
				}
			}
		}
		require.ElementsMatch(t, visible, listed, "%s lists exactly the customers tied to them now", r.login)

		// Act: every action of the catalogue on every customer. A body field the action does
		// not take is refused (422) only past the gate, so nothing is changed here.
		for name, id := range customers {
			st := state(id)
			for _, a := range renoflow.StaffActions() {
				who := fmt.Sprintf("%s %s on %q (%s)", r.login, a.Update, name, st.RelationOf(actor))
				want := http.StatusUnprocessableEntity
				switch {
				case !actor.Can(a.Perm):
					want = http.StatusForbidden
				case !st.Sees(actor):
					want = http.StatusNotFound
				}
				status, body := api.call(http.MethodPost, "/customers/"+id+"/"+a.Update, map[string]any{"not_a_field": 1})
				require.Equal(t, want, status, "API %s: %v", who, body)
				if want != http.StatusUnprocessableEntity {
					status, _ := web.do(http.MethodPost, "/customers/"+id+"/actions/"+a.Update, url.Values{})
					require.Equal(t, want, status, "page %s", who)
				}
			}
		}
	}
	for _, rel := range []renoflow.Relation{renoflow.RelOwner, renoflow.RelDesigner, renoflow.RelDispatch, renoflow.RelHandler,
		renoflow.RelPool, renoflow.RelStore, renoflow.RelAll, renoflow.RelNone} {
		require.True(t, relations[rel], "the matrix covers relation %q", rel)
	}
}

// The Temporal Web UI shows every store's customers with full phones: only supervisors
// and admins reach it, through the app's own session under /temporal, read-only; the
// customer page links only them to it; the UI itself listens on loopback only.
func TestTemporalUIBehindTheAppSession(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	require.True(t, strings.HasPrefix(d.out.String()[strings.Index(d.out.String(), "the UI itself listens on "):], "the UI itself listens on http://127.0.0.1:"),
		"the embedded UI listens on loopback only:\n%s", d.out.String())
	require.Equal(t, d.Web+"/temporal", d.UI)
	status, body := d.login(t, "cm1").call(http.MethodPost, "/customers", filing("13933330001"))
	require.Equal(t, http.StatusCreated, status, "%v", body)
	id := body["customer_id"].(string)
	wid := "customer-" + id

	// Without a session: to the login page; nothing of the UI.
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(d.Web + "/temporal/")
	require.NoError(t, err)
	resp.Body.Close()
	require.NotEqual(t, http.StatusOK, resp.StatusCode)

	for _, r := range demoRoles {
		web := d.browse(t, r.login)
		allowed := slices.Contains([]renoflow.Role{renoflow.RoleSupervisor, renoflow.RoleAdmin}, r.role)
		status, html := web.do(http.MethodGet, "/temporal/", nil)
		status2, list := web.do(http.MethodGet, "/temporal/api/v1/namespaces/default/workflows?query="+url.QueryEscape(`WorkflowId="`+wid+`"`), nil)
		if !allowed {
			require.Equal(t, http.StatusForbidden, status, "%s GET /temporal/", r.login)
			require.Equal(t, http.StatusForbidden, status2, "%s GET the UI's API", r.login)
			require.NotContains(t, list, "13933330001")
		} else {
			require.Equal(t, http.StatusOK, status, "%s GET /temporal/", r.login)
			require.Contains(t, strings.ToLower(html), "<html")
			require.Equal(t, http.StatusOK, status2, "%s GET the UI's API: %s", r.login, list)
			require.Contains(t, list, wid)
			// Read-only: terminate (and every other write) is refused, the workflow runs on.
			status, _ := web.do(http.MethodPost, "/temporal/api/v1/namespaces/default/workflows/"+wid+"/terminate", url.Values{})
			require.Equal(t, http.StatusMethodNotAllowed, status, "%s terminates through the UI", r.login)
			_, settings := web.do(http.MethodGet, "/temporal/api/v1/settings", nil)
			require.Contains(t, settings, `"DisableWriteActions":true`)
			require.Contains(t, settings, `"WorkflowTerminateDisabled":true`)
		}
		// The link on the customer page shows only to those who may follow it.
		if status, html := web.do(http.MethodGet, "/customers/"+id, nil); status == http.StatusOK {
			require.Equal(t, allowed, strings.Contains(html, `id="workflow-link"`), "%s sees the link", r.login)
			if allowed {
				require.Contains(t, html, `href="/temporal/namespaces/default/workflows/`+wid+`"`)
			}
		}
	}
	desc, err := d.temporal(t).DescribeWorkflowExecution(t.Context(), wid, "")
	require.NoError(t, err)
	require.Equal(t, "Running", desc.GetWorkflowExecutionInfo().GetStatus().String())
}
