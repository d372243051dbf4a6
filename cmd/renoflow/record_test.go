package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/renoflow/renoflow/workflows"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
)

// TestRecordHistories records real histories of customer workflows for the replay tests
// of workflows/testdata. It runs only when RENOFLOW_RECORD_HISTORY names a directory:
// a shipped workflow's histories are recorded once, then every later change must replay
// them (workflow.GetVersion).
func TestRecordHistories(t *testing.T) {
	dir := os.Getenv("RENOFLOW_RECORD_HISTORY")
	if dir == "" {
		t.Skip("set RENOFLOW_RECORD_HISTORY=<dir> to record histories")
	}
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	admin := d.login(t, "admin")
	admin.setPolicy(map[string]any{
		"claim_window": "6s", "claim_reminder_before": "3s", "verify_within": "2s",
		"escalate_copy_after": "1s", "escalate_flag_after": "1s", "first_callback_within": "3s", "callback_retry_after": "2s"})
	cm, cs, cm2 := d.login(t, "cm1"), d.login(t, "cs1"), d.login(t, "sm1")
	db := d.db(t)
	ctx := context.Background()

	file := func(phone string) string {
		status, body := cm.call(http.MethodPost, "/customers", filing(phone))
		require.Equal(t, http.StatusCreated, status, "%v", body)
		return body["customer_id"].(string)
	}
	// 1: verified, visited, call-back unreachable then reached, a reminder acknowledged.
	a := file("13500000001")
	st, bd := cs.call(http.MethodPost, "/customers/"+a+"/verify", map[string]any{"note": "核实无误"})
	require.Equal(t, http.StatusOK, st, "%v", bd)
	require.Equal(t, http.StatusOK, first(cm.call(http.MethodPost, "/customers/"+a+"/store-visit", map[string]any{})))
	require.Equal(t, http.StatusOK, first(cm.call(http.MethodPost, "/customers/"+a+"/callback", map[string]any{"reached": false})))
	require.Equal(t, http.StatusOK, first(cm.call(http.MethodPost, "/customers/"+a+"/callback", map[string]any{"reached": true})))
	// 2: nobody acts: escalation ladder, reminder, lapse; then claimed from the pool.
	b := file("13500000002")
	eventually(t, "customer 2 lapses", func() bool {
		var stage string
		return db.NewSelect().Table("customers").Column("stage").Where("id = ?", b).Scan(ctx, &stage) == nil && stage == "pool"
	})
	require.Equal(t, http.StatusOK, first(cm2.call(http.MethodPost, "/customers/"+b+"/store-visit", map[string]any{})))
	// 3: phone enquiry, overdue call-back escalated.
	c := file("13500000003")
	require.Equal(t, http.StatusOK, first(cm.call(http.MethodPost, "/customers/"+c+"/phone-enquiry", map[string]any{})))
	eventually(t, "customer 3's call-back escalates", func() bool {
		n, err := db.NewSelect().Table("tasks").Where("customer_id = ? AND rule = 'callback' AND seq = 2", c).Count(ctx)
		return err == nil && n == 1
	})

	tc := d.temporal(t)
	for name, id := range map[string]string{"visit-callbacks": a, "lapse-pool-claim": b, "phone-escalation": c} {
		h := collectHistory(t, tc.GetWorkflowHistory(ctx, workflows.CustomerWorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT))
		writeHistory(t, dir, fmt.Sprintf("v%d-%s.json", renoflow.RulesVersion+1, name), h)
	}
	t.Logf("recorded into %s", filepath.Clean(dir))
}

func first(status int, _ map[string]any) int { return status }
