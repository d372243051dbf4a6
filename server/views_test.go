package server

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/server/apiview"
	"github.com/stretchr/testify/require"
)

// internalKeys are JSON keys of the workflow's bookkeeping (renoflow.Customer, Clock,
// FollowUpMonth, Complaint) that no API answer may carry.
var internalKeys = []string{"revision", "clocks", "open_tasks", "tracks_tasks", "stopped_month", "table_visits",
	"armed_at", "slots", "gen", "idempotency_key", "request_id", "update_id"}

// forbiddenKeys walks a decoded JSON value and returns the path of every internal key.
func forbiddenKeys(v any, path string) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			for _, bad := range internalKeys {
				if k == bad {
					out = append(out, path+"."+k)
				}
			}
			out = append(out, forbiddenKeys(e, path+"."+k)...)
		}
	case []any:
		for _, e := range x {
			out = append(out, forbiddenKeys(e, path+"[]")...)
		}
	}
	return out
}

// The view models' contract: the JSON API's answers about customers and tasks — a
// filing, a customer, the list, the tasks, an action, a task done, login and me — carry
// the view models of server/apiview and none of the workflow's internal fields, though
// the state stored for the customer has them all.
func TestAPIViewContract(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	// The stored state of c-s1 has a revision, clocks, open task keys and a complaint's
	// generation, as a running workflow writes them.
	st := renoflow.Customer{ID: custS1, Stage: renoflow.StagePresale, StoreID: "s1", Revision: 7, TracksTasks: true,
		Owner:      renoflow.Person{ID: "cm1", Name: "张经理"},
		FollowUp:   &renoflow.FollowUpMonth{Month: "2026-11", From: h.now, Done: 1, Slots: 3, Open: []string{"m1"}},
		Complaints: []renoflow.Complaint{{ID: "K1", Category: "design", Text: "设计图迟迟不给", Status: renoflow.ComplaintOpen, Gen: 2}},
		Clocks:     renoflow.Clocks{{Rule: "verify", Due: h.now.Add(time.Hour), ArmedAt: h.now, PolicyVersion: 1}},
		OpenTasks:  []renoflow.OpenTask{{Rule: "verify"}}}
	state, err := json.Marshal(st)
	require.NoError(t, err)
	_, err = h.db.NewUpdate().Table("customers").Set("state = ?", string(state)).Where("id = ?", custS1).Exec(ctx)
	require.NoError(t, err)

	sm := h.login("sm1")
	cm := h.login("cm1")
	admin := h.login("admin")
	for _, call := range []struct {
		as           *staffer
		method, path string
		in           any
		status       int
	}{
		{sm, http.MethodPost, "/api/customers", testFiling("13912345678"), http.StatusCreated},
		{sm, http.MethodGet, "/api/customers/" + custS1, nil, http.StatusOK},
		{sm, http.MethodGet, "/api/customers", nil, http.StatusOK},
		{sm, http.MethodGet, "/api/customers?q=13800000001", nil, http.StatusOK},
		{h.login("d1"), http.MethodGet, "/api/tasks?view=open", nil, http.StatusOK},
		{sm, http.MethodPost, "/api/customers/" + custS1 + "/store-visit", map[string]any{}, http.StatusOK},
		{sm, http.MethodGet, "/api/me", nil, http.StatusOK},
		{sm, http.MethodGet, "/api/staff", nil, http.StatusOK},
		{sm, http.MethodPost, "/api/customers/batch", map[string]any{"action": "release", "ids": []string{custSA}, "note": "长期未联系"}, http.StatusOK},
		{admin, http.MethodGet, "/api/admin/staff", nil, http.StatusOK},
		{admin, http.MethodGet, "/api/admin/staff/d1", nil, http.StatusOK},
		{admin, http.MethodGet, "/api/admin/stores", nil, http.StatusOK},
		{admin, http.MethodGet, "/api/policy", nil, http.StatusOK},
		{admin, http.MethodGet, "/api/calendar", nil, http.StatusOK},
		{nil, http.MethodGet, "/healthz", nil, http.StatusOK},
	} {
		status, body := h.api(call.as, call.method, call.path, call.in)
		require.Equal(t, call.status, status, "%s %s: %v", call.method, call.path, body)
		require.Empty(t, forbiddenKeys(body, ""), "%s %s exposes the workflow's internal fields", call.method, call.path)
	}

	// The typed client reads the same answers into the view models.
	d, err := sm.api.Customer(ctx, custS1)
	require.NoError(t, err)
	require.Equal(t, renoflow.StagePresale, d.State.Stage)
	require.Equal(t, 1, d.State.FollowUp.Done)
	require.Equal(t, "K1", d.State.Complaints[0].ID)
	require.Equal(t, "customer-"+custS1, d.WorkflowID)
	l, err := cm.api.Customers(ctx, nil)
	require.NoError(t, err)
	require.NotZero(t, l.Total)

	// And no view model declares an internal field, answered today or not.
	for _, v := range []any{apiview.Session{}, apiview.Me{}, apiview.Filing{}, apiview.Customer{}, apiview.Action{},
		apiview.CustomerList{}, apiview.CustomerDetail{}, apiview.TaskList{}, apiview.StaffList{}, apiview.StaffAnswer{},
		apiview.StoreList{}, apiview.StoreAnswer{}, apiview.DutyAnswer{}, apiview.BatchAnswer{}, apiview.DisputeFiled{},
		apiview.Health{}, apiview.Calendar{}, apiview.Policy{}, apiview.ImportReport{}} {
		require.Empty(t, internalTags(reflect.TypeOf(v), map[reflect.Type]bool{}), "%T", v)
	}
}

// internalTags lists the JSON names among internalKeys that a type declares, looking
// into its fields' types.
func internalTags(t reflect.Type, seen map[reflect.Type]bool) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return nil
	}
	seen[t] = true
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		for _, bad := range internalKeys {
			if name == bad {
				out = append(out, t.Name()+"."+f.Name)
			}
		}
		out = append(out, internalTags(f.Type, seen)...)
	}
	return out
}
