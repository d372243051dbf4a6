package main

import (
	"net/http"
	"testing"

	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/stretchr/testify/require"
)

// After a duplicate filing (撞单) the refused advisor disputes the ownership by phone; the
// store manager finds the case in the task list and rules a 50/50 split of credit.
func TestDisputeAfterDuplicateFiling(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	cm, sa, sm, cm2 := d.login(t, "cm1"), d.login(t, "sa1"), d.login(t, "sm1"), d.login(t, "cm2")
	status, body := cm.call(http.MethodPost, "/customers", filing("13688889999"))
	require.Equal(t, http.StatusCreated, status, "%v", body)
	id := body["customer_id"].(string)
	status, _ = sa.call(http.MethodPost, "/customers", filing("136 8888 9999"))
	require.Equal(t, http.StatusConflict, status)

	status, body = sa.call(http.MethodPost, "/disputes", map[string]any{"phone": "136-8888-9999"})
	require.Equal(t, http.StatusUnprocessableEntity, status, "the evidence is required: %v", body)
	status, body = cm2.call(http.MethodPost, "/disputes", map[string]any{"phone": "13688889999", "note": "我也认识"})
	require.Equal(t, http.StatusForbidden, status, "another store's staff cannot dispute: %v", body)
	status, body = sa.call(http.MethodPost, "/disputes", map[string]any{"phone": "13600000000", "note": "依据"})
	require.Equal(t, http.StatusNotFound, status, "%v", body)
	status, body = sa.call(http.MethodPost, "/disputes", map[string]any{"phone": "136-8888-9999", "note": "上周在小区活动中接触，有通话记录"})
	require.Equal(t, http.StatusCreated, status, "%v", body)

	task, ok := taskRules(t, sm, "open")["dispute/D1/0"]
	require.True(t, ok, "the store manager must rule")
	require.NotZero(t, task)
	status, body = sm.call(http.MethodPost, "/customers/"+id+"/dispute-rule", map[string]any{"outcome": "split", "note": "两人共同带客"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	disputes := body["state"].(map[string]any)["disputes"].([]any)
	d1 := disputes[0].(map[string]any)
	require.Equal(t, map[string]any{"cm1": float64(50), "sa1": float64(50)}, d1["credit"])
	require.Equal(t, "sm1", d1["ruled_by"].(map[string]any)["id"])
	require.NotContains(t, taskRules(t, sm, "open"), "dispute/D1/0")
}
