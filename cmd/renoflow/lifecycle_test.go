package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/renoflow/renoflow/workflows"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
)

// One customer from filing to the last after-sales visit over HTTP, against the real
// Temporal server and PostgreSQL, with a policy shrunk to seconds: every task is created
// once, in order; the after-sales visits fire by themselves; the customer is archived and
// the workflow ends.
func TestWholeLifecycleOverHTTP(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	admin, cm, cs, sm, dz := d.login(t, "admin"), d.login(t, "cm1"), d.login(t, "cs1"), d.login(t, "sm1"), d.login(t, "d1")
	admin.setPolicy(map[string]any{
		"verify_within": "1h", "claim_window": "1h", "claim_reminder_before": "30min", "first_callback_within": "1h", "presale_protection": "1h",
		"neglect_after": "1h", "dispatch_confirm_within": "1h", "dispatch_accept_within": "1h",
		"post_deposit_visit_within": "1h", "weekly_check_every": "1h", "inspection_visit_within": "1h",
		"complaint_answer_within": "1h", "complaint_resolve_within": "1h",
		"after_sales_every": "4s", "warranty": "16s", "after_sales_notice_before": "1s",
		"living_experience_after": "2s", "house_check_after": "8s", "visit_window": "1h",
		"contract_visit_within": "1h",
	})

	ok := func(c *apiClient, path string, in map[string]any) {
		t.Helper()
		status, body := c.call(http.MethodPost, path, in)
		require.Equal(t, http.StatusOK, status, "POST %s: %v", path, body)
	}
	status, body := cm.call(http.MethodPost, "/customers", filing("13766667777"))
	require.Equal(t, http.StatusCreated, status, "%v", body)
	id := body["customer_id"].(string)
	c := "/customers/" + id + "/"
	ok(cs, c+"verify", map[string]any{"note": "已核实"})
	ok(cm, c+"store-visit", map[string]any{})
	ok(cm, c+"grade", map[string]any{"grade": "B"})
	ok(cm, c+"callback", map[string]any{"reached": true})
	ok(cm, c+"follow-up", map[string]any{"channel": "phone", "note": "约量房"})
	ok(cm, c+"dispatch-propose", map[string]any{"designer_id": "d1"})
	ok(sm, c+"dispatch-confirm", map[string]any{})
	ok(dz, c+"dispatch-accept", map[string]any{})
	ok(dz, c+"measure", map[string]any{})
	ok(dz, c+"design-progress", map[string]any{"note": "方案定稿"})
	ok(cm, c+"deposit", map[string]any{"amount_yuan": 20000})
	complete := func(c *apiClient, key string, in map[string]any) {
		t.Helper()
		id, found := taskRules(t, c, "open")[key]
		require.True(t, found, "task %s is open", key)
		ok(c, fmt.Sprintf("/tasks/%d/done", int64(id)), in)
	}
	complete(cs, "deposit.visit//0", map[string]any{"note": "客户满意"})
	ok(cm, c+"contract", map[string]any{"amount_yuan": 300000})
	complete(cs, "contract.visit//0", map[string]any{"note": "客户对销售环节满意"}) // seed 004
	status, body = cm.call(http.MethodPost, c+"milestone", map[string]any{"milestone": "mid"})
	require.Equal(t, http.StatusConflict, status, "out of order: %v", body)
	require.Contains(t, body["error"].(map[string]any)["message"], "须按顺序")
	for _, m := range []string{"material", "concealed", "mid"} {
		ok(cm, c+"milestone", map[string]any{"milestone": m})
		complete(cs, "inspection.visit/"+m+"/0", map[string]any{})
	}
	ok(cs, c+"complaint-open", map[string]any{"category": "schedule", "note": "工期延误"})
	ok(cm, c+"complaint-answer", map[string]any{"complaint_id": "K1", "note": "已致歉"})
	ok(cm, c+"complaint-resolve", map[string]any{"complaint_id": "K1", "note": "增派工人"})
	ok(cs, c+"complaint-close", map[string]any{"complaint_id": "K1", "satisfied": true})
	ok(cm, c+"milestone", map[string]any{"milestone": "completion"})
	ok(cs, c+"moved-in", map[string]any{}) // seed 004: the visit table waits for the move-in
	complete(cs, "inspection.visit/completion/0", map[string]any{})

	// After-sales fires by itself; customer service does each visit as it falls due.
	want := []string{"aftersales.living//0", "aftersales.check//0", "aftersales.visit/1/0", "aftersales.visit/2/0",
		"aftersales.visit/3/0", "aftersales.visit/4/0"}
	doneVisits := map[string]bool{}
	eventually(t, "every after-sales visit falls due and is done", func() bool {
		for key, tid := range taskRules(t, cs, "open") {
			if strings.HasPrefix(key, "aftersales.") && !strings.HasPrefix(key, "aftersales.notice") {
				status, _ := cs.call(http.MethodPost, fmt.Sprintf("/tasks/%d/done", int64(tid)), map[string]any{"note": "已回访"})
				if status == http.StatusOK {
					doneVisits[key] = true
				}
			}
		}
		return len(doneVisits) == len(want)
	})
	db := d.db(t)
	ctx := context.Background()
	eventually(t, "the customer is archived", func() bool {
		var stage string
		return db.NewSelect().Table("customers").Column("stage").Where("id = ?", id).Scan(ctx, &stage) == nil && stage == "archived"
	})
	tc := d.temporal(t)
	eventually(t, "the workflow ends", func() bool {
		desc, err := tc.DescribeWorkflowExecution(ctx, workflows.CustomerWorkflowID(id), "")
		return err == nil && desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})

	// Every task, in creation order, exactly once (follow-ups depend on the calendar day the
	// test runs, so they are checked apart).
	var rows []struct {
		Rule    string `bun:"rule"`
		Subject string `bun:"subject"`
		Seq     int    `bun:"seq"`
		Status  string `bun:"status"`
	}
	require.NoError(t, db.NewSelect().Table("tasks").Column("rule", "subject", "seq", "status").Where("customer_id = ?", id).
		Order("id").Scan(ctx, &rows))
	var got []string
	for _, r := range rows {
		key := fmt.Sprintf("%s/%s/%d", r.Rule, r.Subject, r.Seq)
		if r.Rule == "followup" {
			require.NotEqual(t, "open", r.Status, "follow-ups stop at the contract: %s", key)
			continue
		}
		got = append(got, key+" "+r.Status)
	}
	require.Equal(t, []string{
		"verify//0 done",
		"callback/1/0 done",
		"dispatch.confirm/d1/0 done",
		"dispatch.accept/d1/0 done",
		"deposit.visit//0 done",
		"contract.visit//0 done",
		"inspection.visit/material/0 done",
		"inspection.visit/concealed/0 done",
		"inspection.visit/mid/0 done",
		"complaint.answer/K1.0/0 done",
		"complaint.resolve/K1.0/0 done",
		"inspection.visit/completion/0 done",
		"aftersales.notice/living/0 cancelled",
		"aftersales.living//0 done",
		"aftersales.notice/1/0 cancelled", // a notice no one read is moot once its visit is done (issue 10 §4)
		"aftersales.visit/1/0 done",
		"aftersales.notice/2/0 cancelled",
		"aftersales.notice/check/0 cancelled",
		"aftersales.check//0 done",
		"aftersales.visit/2/0 done",
		"aftersales.notice/3/0 cancelled",
		"aftersales.visit/3/0 done",
		"aftersales.notice/4/0 cancelled",
		"aftersales.visit/4/0 done",
	}, got)
	requireNoStaleTasks(t, db, id, "the archive")
	n, err := db.NewSelect().Table("timeline").Where("customer_id = ? AND kind = 'archived'", id).Count(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, n)

	if dir := os.Getenv("RENOFLOW_RECORD_HISTORY"); dir != "" {
		h := collectHistory(t, tc.GetWorkflowHistory(ctx, workflows.CustomerWorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT))
		writeHistory(t, dir, fmt.Sprintf("v%d-whole-lifecycle.json", renoflow.RulesVersion+1), h)
	}
}
