package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
)

// staleRow is a task row as the stale-work checks read it.
type staleRow struct {
	Rule       string `bun:"rule"`
	Subject    string `bun:"subject"`
	Seq        int    `bun:"seq"`
	AssigneeID string `bun:"assignee_id"`
	Status     string `bun:"status"`
	Kind       string `bun:"kind"`
	Reason     string `bun:"reason"`
}

func (r staleRow) key() string { return renoflow.TaskKey(renoflow.Rule(r.Rule), r.Subject, r.Seq) }

// requireNoStaleTasks reads a customer's state and task rows from PostgreSQL and asserts
// that no open task remains whose rule no longer applies (renoflow's Customer.Moot), that
// every cancelled task says why, and that every row's kind is the domain's.
func requireNoStaleTasks(t *testing.T, db *bun.DB, id, after string) map[string]staleRow {
	t.Helper()
	ctx := context.Background()
	var raw string
	require.NoError(t, db.NewSelect().Table("customers").Column("state").Where("id = ?", id).Scan(ctx, &raw))
	var c renoflow.Customer
	require.NoError(t, json.Unmarshal([]byte(raw), &c))
	var rows []staleRow
	require.NoError(t, db.NewSelect().Table("tasks").Column("rule", "subject", "seq", "assignee_id", "status", "kind", "reason").
		Where("customer_id = ?", id).Scan(ctx, &rows))
	out := map[string]staleRow{}
	for _, r := range rows {
		out[r.key()] = r
		require.Equal(t, string(renoflow.TaskKindOf(renoflow.Rule(r.Rule), r.Seq)), r.Kind, "after %s: kind of %s", after, r.key())
		switch renoflow.TaskStatus(r.Status) {
		case renoflow.TaskOpen:
			why := c.Moot(renoflow.OpenTask{Rule: renoflow.Rule(r.Rule), Subject: r.Subject, Seq: r.Seq, AssigneeID: r.AssigneeID})
			require.Empty(t, why, "after %s: task %s is open but no longer applies", after, r.key())
		case renoflow.TaskCancelled:
			require.NotEmpty(t, r.Reason, "after %s: cancelled task %s gives no reason", after, r.key())
		}
	}
	return out
}

// overdueOf lists the keys of customer id's tasks in c's overdue view.
func overdueOf(t *testing.T, c *apiClient, id string) []string {
	t.Helper()
	status, body := c.call(http.MethodGet, "/tasks?view=overdue", nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	var out []string
	for _, raw := range body["tasks"].([]any) {
		task := raw.(map[string]any)
		require.Equal(t, true, task["overdue"], "the overdue view lists overdue tasks: %v", task)
		if task["customer_id"] == id {
			subject, _ := task["subject"].(string)
			out = append(out, renoflow.TaskKey(renoflow.Rule(task["rule"].(string)), subject, int(task["seq"].(float64))))
		}
	}
	return out
}

// Issue 10 §4 on the real stack, through the HTTP API, with the policy shrunk to seconds.
// Customer A: the claim lapses (the owner was reminded, the call-back escalated) and
// another customer manager claims it at the store. Customer B: an overdue call-back flags
// it (待重新分配), the store manager confirms the owner, an overdue verification flags it
// again, verifying clears it, the call-back is recorded, the customer is reassigned and
// confirmed invalid. After each change no open task remains whose rule no longer applies,
// and the notices and cancelled tasks never count as overdue — in the task lists or the
// monthly report.
func TestNoStaleWorkOverHTTP(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	admin := d.login(t, "admin")
	admin.setPolicy(map[string]any{
		"claim_window": "5s", "claim_reminder_before": "2s", "verify_within": "8s", "first_callback_within": "2s",
		"escalate_copy_after": "1s", "escalate_flag_after": "1s"})
	status, body := admin.call(http.MethodPost, "/admin/staff", map[string]any{
		"id": "cm3", "login": "cm3", "name": "褚经理", "role": "customer_manager", "store_id": "s1", "password": "renoflow-cm3"})
	require.Equal(t, http.StatusCreated, status, "%v", body)
	cm, cs, sm, sup := d.login(t, "cm1"), d.login(t, "cs1"), d.login(t, "sm1"), d.login(t, "sup1")
	cm3 := loginAt(t, d.Web, "cm3", "renoflow-cm3")

	db := d.db(t)
	ctx := context.Background()
	file := func(phone, consultation string) string {
		t.Helper()
		in := filing(phone)
		in["consultation"] = consultation
		status, body := cm.call(http.MethodPost, "/customers", in)
		require.Equal(t, http.StatusCreated, status, "%v", body)
		return body["customer_id"].(string)
	}
	ok := func(c *apiClient, id, action string, in map[string]any) {
		t.Helper()
		status, body := c.call(http.MethodPost, "/customers/"+id+"/"+action, in)
		require.Equal(t, http.StatusOK, status, "%s: %v", action, body)
	}
	customer := func(id string) (stage string, flagged bool) {
		require.NoError(t, db.NewSelect().Table("customers").Column("stage", "flagged").Where("id = ?", id).Scan(ctx, &stage, &flagged))
		return stage, flagged
	}
	a := file("13622223333", "phone")
	b := file("13622224444", "visit")

	// A: reminded, the call-back escalated, then the claim lapses.
	eventually(t, "A's claim lapses", func() bool { stage, _ := customer(a); return stage == "pool" })
	rows := requireNoStaleTasks(t, db, a, "the lapse")
	require.Equal(t, "cancelled", rows["claim.reminder//0"].Status)
	require.Equal(t, "报备作废", rows["claim.reminder//0"].Reason)
	require.Equal(t, "cancelled", rows["callback/1/0"].Status, "the lapsed owner's call-back no longer applies")
	require.Equal(t, "open", rows["claim.expiry//0"].Status, "the lapse notice informs the previous owner")
	require.Equal(t, "notice", rows["claim.expiry//0"].Kind)
	require.Empty(t, overdueOf(t, cm, a), "nothing of A is overdue for its previous owner")
	ok(cm3, a, "store-visit", map[string]any{"note": "带客到店"})
	rows = requireNoStaleTasks(t, db, a, "the claim")
	require.Equal(t, "cancelled", rows["claim.expiry//0"].Status)
	require.Equal(t, "客户已由褚经理认领", rows["claim.expiry//0"].Reason)
	for key, r := range rows {
		if r.Status == "open" {
			require.NotEqual(t, "cm1", r.AssigneeID, "the previous owner keeps no open task of A (%s)", key)
		}
	}

	// B: the overdue call-back climbs to the flag; the store manager confirms the owner.
	eventually(t, "B is flagged for the overdue call-back", func() bool { _, f := customer(b); return f })
	requireNoStaleTasks(t, db, b, "the call-back's flag")
	status, body = sm.call(http.MethodPost, "/customers/"+b+"/reassign", map[string]any{"owner_id": "cm1", "note": "客户出差"})
	require.Equal(t, http.StatusOK, status, "a flagged customer's owner can be confirmed: %v", body)
	_, flagged := customer(b)
	require.False(t, flagged, "confirming the owner clears the flag")
	rows = requireNoStaleTasks(t, db, b, "confirming the owner")
	require.Equal(t, "cancelled", rows["callback/1/2"].Status, "the flag rung no longer applies")
	require.Equal(t, "open", rows["callback/1/0"].Status, "the overdue call-back stays with its owner")
	require.Equal(t, []string{"callback/1/0"}, overdueOf(t, cm, b), "and is overdue")

	// The overdue verification flags B again; doing it clears the flag.
	eventually(t, "B is flagged for the overdue verification", func() bool { _, f := customer(b); return f })
	ok(cs, b, "verify", map[string]any{"note": "电话核实"})
	_, flagged = customer(b)
	require.False(t, flagged, "the work that raised the flag is done")
	rows = requireNoStaleTasks(t, db, b, "the verification")
	for _, key := range []string{"verify//1", "verify//2", "verify//3"} {
		require.Equal(t, "cancelled", rows[key].Status, key)
		require.Equal(t, renoflow.ReasonWorkDone, rows[key].Reason, key)
	}
	ok(cm, b, "callback", map[string]any{"reached": true})
	requireNoStaleTasks(t, db, b, "the call-back")
	require.Empty(t, overdueOf(t, cm, b))

	// The monthly report counts no notice and no cancelled task as overdue.
	status, body = sup.call(http.MethodGet, "/reports/monthly?store=s1", nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	overdue := body["stores"].([]any)[0].(map[string]any)["overdue"].(map[string]any)
	var n int
	require.NoError(t, db.NewSelect().Table("tasks").ColumnExpr("count(*)").
		Where("status = 'open' AND kind = 'work' AND due_at < now() AND store_id = 's1'").Scan(ctx, &n))
	total := 0.0
	for _, v := range overdue {
		total += v.(float64)
	}
	require.Equal(t, float64(n), total, "the report counts open work past due only: %v", overdue)
	require.Zero(t, overdue["callbacks"], "no call-back is overdue any more: %v", overdue)

	// Reassignment moves B's open tasks; confirming it invalid cancels them all.
	ok(sm, b, "reassign", map[string]any{"owner_id": "cm3"})
	requireNoStaleTasks(t, db, b, "the reassignment")
	ok(cm3, b, "invalid-propose", map[string]any{"note": "重复客户"})
	ok(sm, b, "invalid-confirm", map[string]any{})
	rows = requireNoStaleTasks(t, db, b, "invalid")
	for key, r := range rows {
		require.NotEqual(t, "open", r.Status, "an invalid customer keeps %s open", key)
	}
	require.Empty(t, taskRules(t, cm, "overdue"), "cm1 has no overdue work left")
}
