package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/internal/notify"
)

// Issue 14: the 发件箱 lists every queued message (phones masked) while nothing is
// configured; the settings page saves the company settings and never shows a secret;
// a test message with nothing configured says so.
func TestAdminNotifyPage(t *testing.T) {
	h := newHarness(t)
	admin := h.login("admin")
	_, err := h.db.NewRaw(`INSERT INTO outbox (customer_id, key, channel, kind, recipient, store_id, template, params, next_at, created_at)
		VALUES ('c1', 'entry:x#sms', 'sms', 'contact', '13812345678', 's1', 'contact', '{"name":"陈"}', now(), now())`).Exec(t.Context())
	require.NoError(t, err)
	status, html, _ := h.page(admin, http.MethodGet, "/admin/notify", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, html, "notify-unconfigured")
	require.Contains(t, html, `data-key="entry:x#sms" data-status="queued"`)
	require.Contains(t, html, "138****5678")
	require.NotContains(t, html, "13812345678")

	form := url.Values{"wecom_corp_id": {"corp"}, "wecom_secret": {"s3cret-value"}, "wecom_agent_id": {"1000002"}, "quiet_start": {"21:00"}, "quiet_end": {"08:00"}}
	status, _, loc := h.page(admin, http.MethodPost, "/admin/notify", form)
	require.Equal(t, http.StatusSeeOther, status)
	status, html, _ = h.page(admin, http.MethodGet, loc, nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, html, "已保存通知设置")
	require.NotContains(t, html, "s3cret-value")
	require.Contains(t, html, notify.Secret)
	set, err := notify.LoadSettings(t.Context(), h.db)
	require.NoError(t, err)
	require.Equal(t, "s3cret-value", set.WeComSecret)

	form.Set("wecom_agent_id", "x")
	form.Set("quiet_end", "8点")
	status, html, _ = h.page(admin, http.MethodPost, "/admin/notify", form)
	require.Equal(t, http.StatusBadRequest, status)
	require.Contains(t, html, "AgentID 须为正整数")
	require.NotContains(t, html, "s3cret-value")

	status, html, _ = h.page(admin, http.MethodPost, "/admin/notify/test", url.Values{"channel": {"sms"}, "to": {"13800000000"}})
	require.Equal(t, http.StatusBadGateway, status)
	require.Contains(t, html, "未配置短信服务")
	_ = time.Second

	// Only the admin (manage_policy) sees it.
	status, _, _ = h.page(h.login("cm1"), http.MethodGet, "/admin/notify", nil)
	require.NotEqual(t, http.StatusOK, status)
}

// Supervisors see the month's delivery failures per channel in the monthly report.
func TestReportDeliveryFailures(t *testing.T) {
	h := newHarness(t)
	nov := time.Date(2026, 11, 10, 10, 0, 0, 0, time.UTC)
	for i, r := range []struct {
		ch, status, store string
		at                time.Time
	}{
		{"sms", "failed", "s1", nov}, {"sms", "failed", "s1", nov}, {"wecom", "failed", "s1", nov}, {"robot", "sent", "s1", nov},
		{"sms", "failed", "s1", nov.AddDate(0, 1, 0)}, {"sms", "failed", "s2", nov},
	} {
		_, err := h.db.NewRaw(`INSERT INTO outbox (customer_id, key, channel, kind, recipient, store_id, status, next_at, created_at)
			VALUES ('c1', ?, ?, 'k', 'x', ?, ?, ?, ?)`, "k"+strconv.Itoa(i), r.ch, r.store, r.status, r.at, r.at).Exec(t.Context())
		require.NoError(t, err)
	}
	sup := h.login("sup1")
	status, body := h.api(sup, http.MethodGet, "/api/reports/monthly?month=2026-11&store=s1", nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	st := asSlice(body["stores"])[0].(map[string]any)
	require.Equal(t, map[string]any{"wecom": float64(1), "robot": float64(0), "sms": float64(2)}, st["delivery_failures"])
	status, body = h.api(sup, http.MethodGet, "/api/reports/monthly?month=2026-11&store=all", nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, map[string]any{"wecom": float64(1), "robot": float64(0), "sms": float64(3)}, body["total"].(map[string]any)["delivery_failures"])
	status, html, _ := h.page(sup, http.MethodGet, "/reports?month=2026-11&store=s1", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, html, "通知发送失败（本月）")
	require.Contains(t, html, "短信：2")
}

// The customer's timeline shows each message with its delivery status and the provider's
// answer; the open task a message is about shows its delivery, on the customer's page and
// in the task list (issue 14).
func TestCustomerPageShowsDeliveries(t *testing.T) {
	h := newHarness(t)
	h.customer("c-msg", "13800000099", "s1", "cm1", "张经理", renoflow.StageDeposit, "", nil)
	_, err := h.db.NewRaw(`INSERT INTO outbox (customer_id, key, channel, kind, recipient, store_id, template, status, attempts, answer, next_at, created_at)
		VALUES ('c-msg', 'entry:dep#0#sms', 'sms', 'contact', '13800000099', 's1', 'contact', 'failed', 5, 'FailedOperation: 余量不足', now(), now()),
		       ('c-msg', 'entry:m#0#sms', 'sms', 'progress', '13800000099', 's1', 'progress', 'unknown', 1, '投递未知：发送进程中断', now(), now())`).Exec(t.Context())
	require.NoError(t, err)
	var taskID int64
	require.NoError(t, h.db.NewRaw(`INSERT INTO tasks (customer_id, rule, subject, seq, title, assignee_id, store_id, due_at, created_at)
		VALUES ('c-msg', 'callback', '1', 0, '首次回访', 'cm1', 's1', ?, ?) RETURNING id`, h.now.Add(24*time.Hour), h.now).Scan(t.Context(), &taskID))
	key := "task:callback/1/0#wecom"
	_, err = h.db.NewRaw(`INSERT INTO outbox (customer_id, key, channel, kind, recipient, store_id, body, task_key, status, attempts, answer, next_at, created_at)
		VALUES ('c-msg', ?, 'wecom', 'assigned', 'cm1', 's1', '【新任务】首次回访', 'callback/1/0', 'sent', 1, 'ok msgid m1', now(), now())`, key).Exec(t.Context())
	require.NoError(t, err)
	cm := h.login("cm1")
	status, html, _ := h.page(cm, http.MethodGet, "/customers/c-msg", nil)
	require.Equal(t, http.StatusOK, status)
	tl := html[strings.Index(html, `id="timeline"`):]
	require.Contains(t, tl, `data-kind="notify" data-key="entry:dep#0#sms" data-status="failed"`)
	require.Contains(t, tl, "定金后联系短信 → 138****0099")
	require.Contains(t, tl, "短信 发送失败")
	require.Contains(t, tl, "已尝试5次 · 服务商应答：FailedOperation: 余量不足")
	require.Contains(t, tl, "短信 投递未知")
	require.Contains(t, tl, `data-key="`+key+`" data-status="sent"`)
	require.NotContains(t, tl, "13800000099", "phones masked on the timeline")
	open := html[strings.Index(html, `id="open-tasks"`):]
	require.Contains(t, open, `data-delivery="sent" data-channel="wecom"`)

	status, html, _ = h.page(cm, http.MethodGet, "/tasks", nil)
	require.Equal(t, http.StatusOK, status)
	item := html[strings.Index(html, fmt.Sprintf(`data-task="%d"`, taskID)):]
	item = item[:strings.Index(item, "</li>")]
	require.Contains(t, item, `<span class="badge delivery" data-delivery="sent" data-channel="wecom" title="ok msgid m1">企业微信 已发送</span>`)
}

// The 发件箱 page binds a staff member's 企业微信 account and records a 退订.
func TestAdminNotifyStaffAndOptOut(t *testing.T) {
	h := newHarness(t)
	admin := h.login("admin")
	status, _, _ := h.page(admin, http.MethodPost, "/admin/notify/staff", url.Values{"staff_id": {"cm1"}, "wecom_userid": {"ZhangJingLi"}})
	require.Equal(t, http.StatusSeeOther, status)
	var user string
	require.NoError(t, h.db.NewRaw("SELECT wecom_userid FROM staff WHERE id = 'cm1'").Scan(t.Context(), &user))
	require.Equal(t, "ZhangJingLi", user)
	status, _, _ = h.page(admin, http.MethodPost, "/admin/notify/staff", url.Values{"staff_id": {"nobody"}, "wecom_userid": {"x"}})
	require.Equal(t, http.StatusBadRequest, status)

	status, _, _ = h.page(admin, http.MethodPost, "/admin/notify/optout", url.Values{"phone": {"138 1234 5678"}})
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, 1, h.count("sms_optouts"))
	status, _, _ = h.page(admin, http.MethodPost, "/admin/notify/optout", url.Values{"phone": {"123"}})
	require.Equal(t, http.StatusBadRequest, status)
	status, _, _ = h.page(admin, http.MethodPost, "/admin/notify/optout", url.Values{"phone": {"13812345678"}, "lift": {"1"}})
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, 0, h.count("sms_optouts"))
}

func TestAdminNotifyDigestTime(t *testing.T) {
	h := newHarness(t)
	admin := h.login("admin")
	status, _, _ := h.page(admin, http.MethodPost, "/admin/notify", url.Values{"digest_at": {"9点"}})
	require.Equal(t, http.StatusBadRequest, status)
	status, _, _ = h.page(admin, http.MethodPost, "/admin/notify", url.Values{"digest_at": {"09:15"}})
	require.Equal(t, http.StatusSeeOther, status)
	set, err := notify.LoadSettings(t.Context(), h.db)
	require.NoError(t, err)
	require.Equal(t, 9*60+15, set.Apply(notify.Config{}).DigestAt)
}

// A message whose delivery is unknown (投递未知) shows on the 发件箱 with two buttons: a
// person confirms it arrived or resends it; a message in any other status is refused.
func TestAdminNotifyResolveUnknown(t *testing.T) {
	h := newHarness(t)
	admin := h.login("admin")
	var ids []int64
	require.NoError(t, h.db.NewRaw(`INSERT INTO outbox (customer_id, key, channel, kind, recipient, store_id, status, attempts, answer, next_at, created_at)
		VALUES ('c1', 'a#sms', 'sms', 'contact', '13812345678', 's1', 'unknown', 1, '投递未知：第1次发送时发送进程中断', now(), now()),
		       ('c1', 'b#sms', 'sms', 'contact', '13812345678', 's1', 'unknown', 1, '投递未知', now(), now()),
		       ('c1', 'c#sms', 'sms', 'contact', '13812345678', 's1', 'sent', 1, 'Ok', now(), now()) RETURNING id`).Scan(t.Context(), &ids))
	status, html, _ := h.page(admin, http.MethodGet, "/admin/notify?status=unknown", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, html, `data-delivery="unknown"`)
	require.Contains(t, html, "短信 投递未知")
	require.Contains(t, html, "确认已送达")
	require.NotContains(t, html, `data-key="c#sms"`)

	status, _, _ = h.page(admin, http.MethodPost, "/admin/notify/outbox/"+strconv.FormatInt(ids[0], 10), url.Values{"action": {"confirm"}})
	require.Equal(t, http.StatusSeeOther, status)
	status, _, _ = h.page(admin, http.MethodPost, "/admin/notify/outbox/"+strconv.FormatInt(ids[1], 10), url.Values{"action": {"resend"}})
	require.Equal(t, http.StatusSeeOther, status)
	status, _, _ = h.page(admin, http.MethodPost, "/admin/notify/outbox/"+strconv.FormatInt(ids[2], 10), url.Values{"action": {"resend"}})
	require.Equal(t, http.StatusConflict, status)
	status, _, _ = h.page(admin, http.MethodPost, "/admin/notify/outbox/"+strconv.FormatInt(ids[0], 10), url.Values{"action": {"drop"}})
	require.Equal(t, http.StatusBadRequest, status)
	var got []struct{ Key, Status, Answer string }
	require.NoError(t, h.db.NewRaw("SELECT key, status, answer FROM outbox ORDER BY key").Scan(t.Context(), &got))
	require.Equal(t, "sent", got[0].Status)
	require.Contains(t, got[0].Answer, "确认送达")
	require.Equal(t, "queued", got[1].Status)
	require.Equal(t, "sent", got[2].Status)
}

// Issue 14: settings per store on the 通知设置 page — a store's robot key and its own SMS
// account are saved, shown only as set (never the secrets: not in the page, not after a
// failed test message), and kept when the form sends the masks back; a store's test
// message uses the store's settings.
func TestAdminNotifyStoreSettings(t *testing.T) {
	h := newHarness(t)
	admin := h.login("admin")
	form := url.Values{"store_id": {"s2"}, "robot_key": {"robot-s3cret-s2"}, "sms_secret_id": {"AKIDs2"}, "sms_secret_key": {"sms-s3cret-s2"},
		"sms_app_id": {"1400222"}, "sms_sign": {"二店装饰"}, "sms_tpl_contact": {"2001"}, "wecom_corp_id": {"corp2"}, "wecom_secret": {"app-s3cret-s2"},
		"wecom_agent_id": {"2000002"}}
	status, _, loc := h.page(admin, http.MethodPost, "/admin/notify/store", form)
	require.Equal(t, http.StatusSeeOther, status)
	status, html, _ := h.page(admin, http.MethodGet, loc, nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, html, "已保存门店通知设置")
	row := html[strings.Index(html, `<tr data-store="s2">`):]
	row = row[:strings.Index(row, "</tr>")]
	require.Contains(t, row, "本店账号 1400222")
	require.Contains(t, row, "本店应用 corp2")
	for _, secret := range []string{"robot-s3cret-s2", "sms-s3cret-s2", "app-s3cret-s2"} {
		require.NotContains(t, html, secret)
	}
	// The masks sent back keep the secrets.
	for _, k := range []string{"robot_key", "sms_secret_key", "wecom_secret"} {
		form.Set(k, notify.Secret)
	}
	status, _, _ = h.page(admin, http.MethodPost, "/admin/notify/store", form)
	require.Equal(t, http.StatusSeeOther, status)
	set, err := notify.LoadSettings(t.Context(), h.db)
	require.NoError(t, err)
	require.Equal(t, "sms-s3cret-s2", set.Stores["s2"].SMSSecretKey)
	require.Equal(t, "robot-s3cret-s2", set.RobotKeys["s2"])
	require.Equal(t, "app-s3cret-s2", set.Stores["s2"].WeComSecret)

	// Half an account is refused, naming the field; nothing is written.
	status, html, _ = h.page(admin, http.MethodPost, "/admin/notify/store", url.Values{"store_id": {"s2"}, "sms_secret_id": {"AKIDs2"}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Contains(t, html, "本店短信账号须同时填写")
	set, err = notify.LoadSettings(t.Context(), h.db)
	require.NoError(t, err)
	require.Equal(t, "1400222", set.Stores["s2"].SMSAppID)

	// The store's test message goes to the store's SMS account (unreachable here): the
	// failure is shown without any secret.
	require.NoError(t, notify.SaveSettings(t.Context(), h.db, notify.Settings{SMSEndpoint: "127.0.0.1:1", SMSScheme: "HTTP",
		WeComBaseURL: "http://127.0.0.1:1"}, h.now))
	for _, ch := range []string{"sms", "robot", "wecom"} {
		status, html, _ = h.page(admin, http.MethodPost, "/admin/notify/test", url.Values{"store_id": {"s2"}, "channel": {ch}, "to": {"13800000000"}})
		require.Equal(t, http.StatusBadGateway, status, ch)
		require.Contains(t, html, "测试消息发送失败", ch)
		for _, secret := range []string{"robot-s3cret-s2", "sms-s3cret-s2", "app-s3cret-s2"} {
			require.NotContains(t, html, secret, ch)
		}
	}
}

// A message's recipient is shown to staff by name — the staff member a 企业微信 message
// goes to, the store whose 群机器人 gets it — on the customer's timeline and in the
// 发件箱, never as the internal staff or store ID (issue 14).
func TestNotifyRecipientsShownByName(t *testing.T) {
	h := newHarness(t)
	h.customer("c-rcp", "13800000098", "s1", "cm1", "张经理", renoflow.StageFiled, "", nil)
	_, err := h.db.NewRaw(`INSERT INTO outbox (customer_id, key, channel, kind, recipient, store_id, body, status, next_at, created_at)
		VALUES ('c-rcp', 'task:a#wecom', 'wecom', 'assigned', 'cm1', 's1', '【新任务】首谈回访', 'queued', now(), now()),
		       ('c-rcp', 'task:b#robot', 'robot', 'assigned', 's1', 's1', '【新任务】核实报备', 'queued', now(), now())`).Exec(t.Context())
	require.NoError(t, err)
	var store string
	require.NoError(t, h.db.NewRaw(`SELECT name FROM stores WHERE id = 's1'`).Scan(t.Context(), &store))

	status, html, _ := h.page(h.login("cm1"), http.MethodGet, "/customers/c-rcp", nil)
	require.Equal(t, http.StatusOK, status)
	tl := html[strings.Index(html, `id="timeline"`):]
	require.Contains(t, tl, "【新任务】首谈回访 → 张经理 ")
	require.Contains(t, tl, "【新任务】核实报备 → "+store+" ")
	require.NotContains(t, tl, "→ cm1")
	require.NotContains(t, tl, "→ s1")

	status, html, _ = h.page(h.login("admin"), http.MethodGet, "/admin/notify", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, html, `<td data-label="接收人">张经理</td>`)
	require.Contains(t, html, `<td data-label="接收人">`+store+`</td>`)
	require.Contains(t, html, `title="c-rcp">客户c-rcp</a>`, "the 发件箱 names the customer")
}
