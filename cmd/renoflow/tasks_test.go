package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/stretchr/testify/require"
)

// taskRules maps rule/subject/seq to task ID of the tasks in a view of the caller's task list.
func taskRules(t *testing.T, c *apiClient, view string) map[string]float64 {
	t.Helper()
	status, body := c.call(http.MethodGet, "/tasks?view="+view, nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	out := map[string]float64{}
	for _, raw := range body["tasks"].([]any) {
		task := raw.(map[string]any)
		subject, _ := task["subject"].(string)
		out[fmt.Sprintf("%s/%s/%v", task["rule"], subject, task["seq"])] = task["id"].(float64)
	}
	return out
}

// Staff list their open and overdue tasks and mark them done through the API: marking
// the verification task done verifies the filing, once; a call-back needs its outcome;
// an overdue task shows as overdue.
func TestTaskListAndDone(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	admin := d.login(t, "admin")
	admin.setPolicy(map[string]any{"first_callback_within": "1s"})

	cm, cs, sa := d.login(t, "cm1"), d.login(t, "cs1"), d.login(t, "sa1")
	status, body := cm.call(http.MethodPost, "/customers", map[string]any{
		"name": "李", "gender": "male", "phone": "13544445555", "situation": "来店咨询", "consultation": "visit",
		"house": map[string]any{"area_m2": 90}, "channel": "walk_in", "store_id": "s1"})
	require.Equal(t, http.StatusCreated, status, "%v", body)
	id := body["customer_id"].(string)

	open := taskRules(t, cs, "open")
	verify, ok := open["verify//0"]
	require.True(t, ok, "customer service sees the verification task: %v", open)
	require.Empty(t, taskRules(t, sa, "open"), "an advisor sees none of it")
	eventually(t, "the call-back shows as overdue for its owner", func() bool {
		_, ok := taskRules(t, cm, "overdue")["callback/1/0"]
		return ok
	})

	done := fmt.Sprintf("/tasks/%d/done", int64(verify))
	status, body, err := cs.tryKey(http.MethodPost, done, map[string]any{"note": "电话核实"}, "td-verify")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status, "%v", body)
	// A retry of that request (its answer lost) gets the answer again, not 409.
	status, again, err := cs.tryKey(http.MethodPost, done, map[string]any{"note": "电话核实"}, "td-verify")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status, "a retried task done answers as the first: %v", again)
	require.Equal(t, body["state"].(map[string]any)["verified_by"], again["state"].(map[string]any)["verified_by"])
	status, _ = cs.call(http.MethodPost, done, map[string]any{})
	require.Equal(t, http.StatusConflict, status, "a done task cannot be done again")
	status, _, err = cs.tryKey(http.MethodPost, done, map[string]any{}, "td-other")
	require.NoError(t, err)
	require.Equal(t, http.StatusConflict, status, "nor by another request")
	require.Contains(t, taskRules(t, cs, "done"), "verify//0")
	require.NotContains(t, taskRules(t, cs, "open"), "verify//0")

	var verifiedBy string
	require.NoError(t, d.db(t).NewSelect().Table("customers").ColumnExpr("state->'verified_by'->>'id'").
		Where("id = ?", id).Scan(context.Background(), &verifiedBy))
	require.Equal(t, "cs1", verifiedBy, "marking the task done verified the filing")

	cb := taskRules(t, cm, "open")["callback/1/0"]
	status, body = cm.call(http.MethodPost, fmt.Sprintf("/tasks/%d/done", int64(cb)), map[string]any{})
	require.Equal(t, http.StatusUnprocessableEntity, status, "a call-back needs its outcome: %v", body)
	require.Equal(t, "reached", body["error"].(map[string]any)["fields"].([]any)[0].(map[string]any)["field"])
	status, body = cm.call(http.MethodPost, fmt.Sprintf("/tasks/%d/done", int64(cb)), map[string]any{"reached": true})
	require.Equal(t, http.StatusOK, status, "%v", body)
	status, _ = sa.call(http.MethodPost, fmt.Sprintf("/tasks/%d/done", int64(cb)), map[string]any{"reached": true})
	require.Equal(t, http.StatusNotFound, status, "nobody completes another's task")
}
