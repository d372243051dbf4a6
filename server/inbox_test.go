package server

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/workflows"
	"github.com/stretchr/testify/require"
)

// inboxTask writes an open task as the workflow's activities would, and returns its id.
func (h *harness) inboxTask(customer, rule, subject string, seq int, title, assignee, role string, due time.Time) int64 {
	h.t.Helper()
	var id int64
	require.NoError(h.t, h.db.NewRaw(`INSERT INTO tasks (customer_id, rule, subject, seq, title, assignee_id, assignee_role, store_id, due_at, created_at, kind)
		VALUES (?, ?, ?, ?, ?, ?, ?, 's1', ?, ?, ?) RETURNING id`, customer, rule, subject, seq, title, assignee, role, due, h.now,
		string(renoflow.TaskKindOf(renoflow.Rule(rule), seq))).Scan(h.t.Context(), &id))
	return id
}

// The inbox (issue 13): the first screen of /tasks is 待办 — every open task addressed to
// me, approvals first, overdue next, then due today, then later — with counts; the
// designer sees 接单 and the store manager 确认派单 there (before: "没有任务。" under
// 今日到期). The nav shows the count on every page.
func TestInboxTodoFirstScreen(t *testing.T) {
	h := newHarness(t)
	later := h.inboxTask(custS1, "dispatch.confirm", "d1", 0, "确认派单", "", string(renoflow.ToStoreManager), h.now.Add(48*time.Hour))
	overdue := h.inboxTask(custSA, "invalid.review", "", 1, "逾期提醒：审核无效客户", "", string(renoflow.ToStoreManager), h.now.Add(-time.Hour))
	work := h.inboxTask(custSA, "construction.weekly", "", 0, "每周检查", "sm1", "", h.now.Add(-2*time.Hour))
	today := h.inboxTask(custS1, "construction.weekly", "x", 0, "每周检查", "sm1", "", h.now.Add(3*time.Hour))
	upcoming := h.inboxTask(custS1, "construction.weekly", "y", 0, "每周检查", "sm1", "", h.now.Add(72*time.Hour))

	d1 := h.login("d1")
	status, html, _ := h.page(d1, http.MethodGet, "/tasks", nil)
	require.Equal(t, http.StatusOK, status)
	require.NotContains(t, html, "没有任务")
	require.Contains(t, html, "接单")
	require.Contains(t, html, `data-view="todo" aria-current="page"`)

	sm1 := h.login("sm1")
	_, html, _ = h.page(sm1, http.MethodGet, "/tasks", nil)
	order := taskOrder(html)
	// The approval first (确认派单, due in two days), the overdue work next, then today's,
	// then later; the overdue escalation notice is no approval and not overdue work.
	require.Equal(t, []int64{later, work, overdue, today, upcoming}, order, html)
	require.Contains(t, html, "待审批 <strong>1</strong> 项")
	require.Contains(t, html, "已逾期 <strong>1</strong> 项")
	// The badge in the top navigation, on another page too.
	_, html, _ = h.page(sm1, http.MethodGet, "/customers", nil)
	require.Contains(t, html, `id="nav-todo" title="待办">5<`)
	require.Contains(t, html, `id="nav-overdue" title="已逾期">逾期1<`)
	// No internal codes on the line; they stay one click away.
	_, html, _ = h.page(sm1, http.MethodGet, "/tasks", nil)
	require.NotContains(t, html, "（dispatch.confirm）")
	require.Regexp(t, `<details class="codes"><summary>详情</summary>[^<]*规则代码 dispatch.confirm`, html)
}

// taskOrder lists the task ids of a rendered task list, in order.
func taskOrder(html string) []int64 {
	var out []int64
	for _, part := range strings.Split(html, `data-task="`)[1:] {
		var id int64
		fmt.Sscanf(part, "%d", &id)
		out = append(out, id)
	}
	return out
}

// One task per piece of work per person: the customer-service lead who is also the
// assignee of 核实报备 sees it once, not again as "逾期提醒：核实报备"; another reader of
// the lead queue still gets the escalation.
func TestInboxOneTaskPerWork(t *testing.T) {
	h := newHarness(t)
	verify := h.inboxTask(custSA, "verify", "", 0, "核实报备", "cs1", "", h.now.Add(-time.Hour))
	h.inboxTask(custSA, "verify", "", 1, "逾期提醒：核实报备", "", string(renoflow.ToCSLead), h.now.Add(-time.Minute))
	cs1 := h.login("cs1")
	_, html, _ := h.page(cs1, http.MethodGet, "/tasks", nil)
	require.Equal(t, []int64{verify}, taskOrder(html))
	require.NotContains(t, html, "逾期提醒：核实报备")
	status, body := h.api(cs1, http.MethodGet, "/api/tasks?view=todo", nil)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, asSlice(body["tasks"]), 1)
}

// Call-back and follow-up tasks show the customer's phone as a tel: link; completing a
// follow-up from the inbox asks its channel and records it as 登记跟进 does.
func TestInboxPhoneAndFollowUpChannel(t *testing.T) {
	h := newHarness(t)
	h.inboxTask(custS1, "callback", "", 0, "首谈回访", "cm1", "", h.now.Add(time.Hour))
	fu := h.inboxTask(custS1, "followup", "2026-11", 0, "月度跟进", "cm1", "", h.now.Add(2*time.Hour))
	cm1 := h.login("cm1")
	_, html, _ := h.page(cm1, http.MethodGet, "/tasks", nil)
	require.Equal(t, 2, strings.Count(html, `href="tel:13800000001"`), html)
	require.Contains(t, html, `<select name="channel" aria-label="跟进方式" required>`)
	require.Contains(t, html, `<option value="wechat">微信</option>`)

	status, _, _ := h.page(cm1, http.MethodPost, fmt.Sprintf("/tasks/%d/done", fu), url.Values{"channel": {"pigeon"}})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Empty(t, h.tc.sent())
	status, _, loc := h.page(cm1, http.MethodPost, fmt.Sprintf("/tasks/%d/done", fu), url.Values{"channel": {"wechat"}, "note": {"发了方案"}})
	require.Equal(t, http.StatusSeeOther, status, loc)
	sent := h.tc.sent()
	require.Len(t, sent, 1)
	require.Equal(t, workflows.UpdateFollowUp, sent[0].UpdateName)
	raw, err := json.Marshal(sent[0].Args[0])
	require.NoError(t, err)
	require.Contains(t, string(raw), `"channel":"wechat"`)
}

// Demo logins are on the login page in dev mode only (issue 13).
func TestLoginDemoAccountsDevOnly(t *testing.T) {
	h := newHarness(t)
	_, html, _ := h.page(nil, http.MethodGet, "/login", nil)
	require.NotContains(t, html, "演示账号")
	h.app = NewServer(h.tc, h.db, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{Now: func() time.Time { return h.now }, DemoLogins: true})
	_, html, _ = h.page(nil, http.MethodGet, "/login", nil)
	require.Contains(t, html, "演示账号")
	require.Contains(t, html, "<code>sm1</code>")
}

// Task titles say the durations of the policy in force: a 3-minute reminder is not "明天".
func TestInboxPolicyTitles(t *testing.T) {
	h := newHarness(t)
	pol := renoflow.DefaultPolicy()
	pol.ClaimReminderBefore = renoflow.MustSpan("3min")
	body, err := json.Marshal(pol)
	require.NoError(t, err)
	_, err = h.db.NewRaw(`INSERT INTO policy_versions (body) VALUES (?)`, string(body)).Exec(t.Context())
	require.NoError(t, err)
	h.inboxTask(custSA, "claim.reminder", "", 0, renoflow.RuleClaimReminder.Title(), "sa1", "", h.now.Add(time.Hour))
	_, html, _ := h.page(h.login("sa1"), http.MethodGet, "/tasks", nil)
	require.Contains(t, html, "报备3分钟后到期，请邀约客户到店")
	require.NotContains(t, html, "明天")
}

// The count of overdue work on login (issue 13): the first page says it.
func TestLoginSaysOverdue(t *testing.T) {
	h := newHarness(t)
	h.inboxTask(custS1, "construction.weekly", "", 0, "每周检查", "cm1", "", h.now.Add(-time.Hour))
	b := h.browser()
	resp, _ := b.loginForm("/login", "cm1", DemoPassword, "")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	loc := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(loc, "/tasks?ok="), loc)
	_, html := b.do(http.MethodGet, loc, nil)
	require.Contains(t, html, "您有 1 项工作已逾期，请优先办理")
}
