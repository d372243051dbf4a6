package server

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/internal/notify"
	"github.com/renoflow/renoflow/postgres"
)

// notifyFields are the company settings of the 通知设置 page (issue 14), in order.
var notifyFields = []struct{ Key, Label string }{
	{"wecom_corp_id", "企业微信 CorpID"}, {"wecom_secret", "企业微信应用 Secret"}, {"wecom_agent_id", "企业微信应用 AgentID"},
	{"sms_secret_id", "腾讯云 SecretId"}, {"sms_secret_key", "腾讯云 SecretKey"}, {"sms_app_id", "短信 SdkAppId"},
	{"sms_sign", "短信签名"}, {"sms_tpl_contact", "模板ID：定金后联系短信"}, {"sms_tpl_progress", "模板ID：施工进度短信"},
	{"sms_tpl_visit", "模板ID：回访邀约短信"}, {"quiet_start", "免打扰开始（HH:MM）"}, {"quiet_end", "免打扰结束（HH:MM）"},
	{"digest_at", "每日待办推送时间（HH:MM，默认08:30）"},
}

func notifyForm(s notify.Settings) map[string]string {
	p := s.Public()
	f := map[string]string{"wecom_corp_id": p.WeComCorpID, "wecom_secret": p.WeComSecret, "sms_secret_id": p.SMSSecretID,
		"sms_secret_key": p.SMSSecretKey, "sms_app_id": p.SMSAppID, "sms_sign": p.SMSSign,
		"sms_tpl_contact": p.SMSTemplates[renoflow.SMSContact], "sms_tpl_progress": p.SMSTemplates[renoflow.SMSProgress],
		"sms_tpl_visit": p.SMSTemplates[renoflow.SMSVisit], "quiet_start": p.QuietStart, "quiet_end": p.QuietEnd, "digest_at": p.DigestAt}
	if p.WeComAgentID != 0 {
		f["wecom_agent_id"] = strconv.Itoa(p.WeComAgentID)
	}
	return f
}

// deliveryLabel is a message's delivery status in Chinese (issue 14).
func deliveryLabel(status string) string {
	switch status {
	case postgres.OutboxQueued:
		return "待发送"
	case postgres.OutboxSending:
		return "发送中"
	case postgres.OutboxSent:
		return "已发送"
	case postgres.OutboxFailed:
		return "发送失败"
	case postgres.OutboxSkipped:
		return "未发送"
	case postgres.OutboxUnknown:
		return "投递未知"
	}
	return status
}

// notifyPage shows the notification settings (secrets masked), the stores' robot keys,
// the test-message form and the 发件箱: the latest messages with their delivery status
// (with nothing configured, every message that would have been sent, still queued).
func (s *Server) notifyPage(c *fiber.Ctx, status int, p page) error {
	ctx := c.UserContext()
	set, err := notify.LoadSettings(ctx, s.db)
	if err != nil {
		return err
	}
	stores, err := s.listStores(ctx)
	if err != nil {
		return err
	}
	rows, err := postgres.ListOutbox(ctx, s.db, c.Query("status"), 200)
	if err != nil {
		return err
	}
	s.showRecipients(ctx, rows)
	if p.Form == nil {
		p.Form = notifyForm(set)
	}
	p.Title, p.Nav = "通知设置与发件箱", "notify"
	return s.render(c, status, "admin_notify", p, map[string]any{
		"Fields": notifyFields, "StoreFields": storeNotifyFields, "Stores": stores, "Robots": set.Public().RobotKeys,
		"StoreSettings": set.Public().Stores, "StoreForms": storeNotifyForms(set), "Outbox": rows,
		"Configured": set.Apply(notify.Config{}).SMS != nil || set.Apply(notify.Config{}).WeCom != nil || len(set.Apply(notify.Config{}).Stores) > 0 || len(set.RobotKeys) > 0,
	})
}

func (s *Server) pageAdminNotify(c *fiber.Ctx) error { return s.notifyPage(c, fiber.StatusOK, page{}) }

// pageAdminNotifyPost saves the company settings; a masked secret keeps the stored one.
func (s *Server) pageAdminNotifyPost(c *fiber.Ctx) error {
	form := map[string]string{}
	for _, f := range notifyFields {
		form[f.Key] = strings.TrimSpace(c.FormValue(f.Key))
	}
	set := notify.Settings{WeComCorpID: form["wecom_corp_id"], WeComSecret: form["wecom_secret"], SMSSecretID: form["sms_secret_id"],
		SMSSecretKey: form["sms_secret_key"], SMSAppID: form["sms_app_id"], SMSSign: form["sms_sign"],
		SMSTemplates: map[string]string{renoflow.SMSContact: form["sms_tpl_contact"], renoflow.SMSProgress: form["sms_tpl_progress"],
			renoflow.SMSVisit: form["sms_tpl_visit"]},
		QuietStart: form["quiet_start"], QuietEnd: form["quiet_end"], DigestAt: form["digest_at"]}
	errs := map[string]string{}
	if v := form["wecom_agent_id"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			errs["wecom_agent_id"] = "企业微信应用 AgentID 须为正整数"
		}
		set.WeComAgentID = n
	}
	if _, err := set.Quiet(); err != nil {
		errs["quiet_start"] = err.Error()
	}
	if v := form["digest_at"]; v != "" {
		if _, err := notify.ClockMinutes(v); err != nil {
			errs["digest_at"] = "每日待办推送时间须为 HH:MM（如 08:30）"
		}
	}
	if len(errs) > 0 {
		form["wecom_secret"], form["sms_secret_key"] = "", ""
		return s.notifyPage(c, fiber.StatusBadRequest, page{Message: "通知设置有误", Form: form, Errors: errs})
	}
	if err := notify.SaveSettings(c.UserContext(), s.db, set, s.now()); err != nil {
		return err
	}
	return c.Redirect("/admin/notify?ok="+urlQueryEscape("已保存通知设置"), fiber.StatusSeeOther)
}

// pageAdminNotifyRobot saves a store's group robot webhook key.
func (s *Server) pageAdminNotifyRobot(c *fiber.Ctx) error {
	store, key := strings.TrimSpace(c.FormValue("store_id")), strings.TrimSpace(c.FormValue("robot_key"))
	if store == "" {
		return s.notifyPage(c, fiber.StatusBadRequest, page{Message: "请选择门店", Errors: map[string]string{"store_id": "请选择门店"}})
	}
	if err := notify.SaveRobotKey(c.UserContext(), s.db, store, key, s.now()); err != nil {
		return err
	}
	return c.Redirect("/admin/notify?ok="+urlQueryEscape("已保存门店群机器人"), fiber.StatusSeeOther)
}

// storeNotifyFields are a store's own settings on the 通知设置 page (issue 14): its group
// robot and, for a store with accounts of its own, what overrides the company's.
var storeNotifyFields = []struct{ Key, Label string }{
	{"robot_key", "群机器人 Webhook Key"}, {"wecom_corp_id", "本店企业微信 CorpID"}, {"wecom_secret", "本店企业微信应用 Secret"},
	{"wecom_agent_id", "本店企业微信应用 AgentID"}, {"sms_secret_id", "本店腾讯云 SecretId"}, {"sms_secret_key", "本店腾讯云 SecretKey"},
	{"sms_app_id", "本店短信 SdkAppId"}, {"sms_sign", "本店短信签名"}, {"sms_tpl_contact", "本店模板ID：定金后联系短信"},
	{"sms_tpl_progress", "本店模板ID：施工进度短信"}, {"sms_tpl_visit", "本店模板ID：回访邀约短信"},
}

// storeNotifyForms are the stores' settings as their forms show them (secrets masked).
func storeNotifyForms(set notify.Settings) map[string]map[string]string {
	out := map[string]map[string]string{}
	for id, st := range set.Public().Stores {
		f := map[string]string{"robot_key": st.RobotKey, "wecom_corp_id": st.WeComCorpID, "wecom_secret": st.WeComSecret,
			"sms_secret_id": st.SMSSecretID, "sms_secret_key": st.SMSSecretKey, "sms_app_id": st.SMSAppID, "sms_sign": st.SMSSign,
			"sms_tpl_contact": st.SMSTemplates[renoflow.SMSContact], "sms_tpl_progress": st.SMSTemplates[renoflow.SMSProgress],
			"sms_tpl_visit": st.SMSTemplates[renoflow.SMSVisit]}
		if st.WeComAgentID != 0 {
			f["wecom_agent_id"] = strconv.Itoa(st.WeComAgentID)
		}
		out[id] = f
	}
	return out
}

// pageAdminNotifyStore saves one store's settings: its group robot key and its own
// 企业微信 / SMS accounts (empty: the company's); a masked secret keeps the stored one.
func (s *Server) pageAdminNotifyStore(c *fiber.Ctx) error {
	store := strings.TrimSpace(c.FormValue("store_id"))
	form := map[string]string{}
	for _, f := range storeNotifyFields {
		form[f.Key] = strings.TrimSpace(c.FormValue(f.Key))
	}
	errs := map[string]string{}
	if store == "" {
		errs["store_id"] = "请选择门店"
	}
	st := notify.StoreSettings{RobotKey: form["robot_key"], WeComCorpID: form["wecom_corp_id"], WeComSecret: form["wecom_secret"],
		SMSSecretID: form["sms_secret_id"], SMSSecretKey: form["sms_secret_key"], SMSAppID: form["sms_app_id"], SMSSign: form["sms_sign"],
		SMSTemplates: map[string]string{renoflow.SMSContact: form["sms_tpl_contact"], renoflow.SMSProgress: form["sms_tpl_progress"],
			renoflow.SMSVisit: form["sms_tpl_visit"]}}
	if v := form["wecom_agent_id"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			errs["wecom_agent_id"] = "本店企业微信应用 AgentID 须为正整数"
		}
		st.WeComAgentID = n
	}
	if (st.WeComCorpID == "") != (st.WeComSecret == "") {
		errs["wecom_corp_id"] = "本店企业微信须同时填写 CorpID 与 Secret（都不填则用公司的）"
	}
	if n := len(slices.DeleteFunc([]string{st.SMSSecretID, st.SMSSecretKey, st.SMSAppID}, func(v string) bool { return v == "" })); n != 0 && n != 3 {
		errs["sms_secret_id"] = "本店短信账号须同时填写 SecretId、SecretKey 与 SdkAppId（都不填则用公司的）"
	}
	if len(errs) > 0 {
		return s.notifyPage(c, fiber.StatusBadRequest, page{Message: "门店通知设置有误", Errors: errs})
	}
	if err := notify.SaveStoreSettings(c.UserContext(), s.db, store, st, s.now()); err != nil {
		return err
	}
	return c.Redirect("/admin/notify?ok="+urlQueryEscape("已保存门店通知设置："+store), fiber.StatusSeeOther)
}

// pageAdminNotifyTest sends a test message on a channel with the settings of the chosen
// store (or the company's) and shows the provider's answer.
func (s *Server) pageAdminNotifyTest(c *fiber.Ctx) error {
	ch, to := renoflow.NotifyChannel(c.FormValue("channel")), strings.TrimSpace(c.FormValue("to"))
	store := strings.TrimSpace(c.FormValue("store_id"))
	if to == "" && !(ch == renoflow.ChannelRobot && store != "") {
		return s.notifyPage(c, fiber.StatusBadRequest, page{Message: "请填写接收人", Errors: map[string]string{"to": "请填写接收人（企业微信账号、门店编号或手机号）"}})
	}
	answer, err := notify.TestMessage(c.UserContext(), s.db, notify.Config{Log: s.log}, store, ch, to)
	if err != nil {
		return s.notifyPage(c, fiber.StatusBadGateway, page{Message: "测试消息发送失败：" + err.Error()})
	}
	return c.Redirect("/admin/notify?ok="+urlQueryEscape("测试消息已发送："+answer), fiber.StatusSeeOther)
}

// customerMessages are the customer's outbox messages, newest first, with their delivery
// status and the provider's answer (issue 14); phones masked. A read error shows none.
func (s *Server) customerMessages(ctx context.Context, id string) []postgres.OutboxMessage {
	rows, err := postgres.CustomerMessages(ctx, s.db, id, 100)
	if err != nil {
		s.log.Warn("read customer messages", "customer_id", id, "err", err)
		return nil
	}
	s.showRecipients(ctx, rows)
	return rows
}

// showRecipients rewrites each message's recipient as staff see it (issue 14): the staff
// member's name for a 企业微信 message (stored as the staff ID), the store's name for a
// 群机器人 message (stored as the store ID), the phone masked for an SMS. An ID whose
// name cannot be read stays as it is.
func (s *Server) showRecipients(ctx context.Context, rows []postgres.OutboxMessage) {
	var staff, stores map[string]string
	for i := range rows {
		r := &rows[i]
		switch renoflow.NotifyChannel(r.Channel) {
		case renoflow.ChannelSMS:
			r.Recipient = renoflow.MaskPhone(r.Recipient)
		case renoflow.ChannelWeCom:
			if staff == nil {
				staff = map[string]string{}
				if list, err := postgres.ListStaff(ctx, s.db); err != nil {
					s.log.Warn("read staff names for messages", "err", err)
				} else {
					for _, m := range list {
						staff[m.ID] = m.Name
					}
				}
			}
			if n := staff[r.Recipient]; n != "" {
				r.Recipient = n
			}
		case renoflow.ChannelRobot:
			if stores == nil {
				var err error
				if stores, err = s.storeNames(ctx); err != nil {
					s.log.Warn("read store names for messages", "err", err)
					stores = map[string]string{}
				}
			}
			if n := stores[r.Recipient]; n != "" {
				r.Recipient = n
			}
		}
	}
}

// pageAdminNotifyStaff binds a staff member to their 企业微信 user id (app messages).
func (s *Server) pageAdminNotifyStaff(c *fiber.Ctx) error {
	id, user := strings.TrimSpace(c.FormValue("staff_id")), strings.TrimSpace(c.FormValue("wecom_userid"))
	found, err := postgres.SetWecomUserID(c.UserContext(), s.db, id, user)
	if err != nil {
		return err
	}
	if !found {
		return s.notifyPage(c, fiber.StatusBadRequest, page{Message: "员工不存在", Errors: map[string]string{"staff_id": "员工编号不存在"}})
	}
	return c.Redirect("/admin/notify?ok="+urlQueryEscape("已设置"+id+"的企业微信账号"), fiber.StatusSeeOther)
}

// pageAdminNotifyOptOut records a customer's SMS opt-out (退订) by phone, or lifts it.
func (s *Server) pageAdminNotifyOptOut(c *fiber.Ctx) error {
	phone, err := renoflow.ParsePhone(c.FormValue("phone"))
	if err != nil {
		return s.notifyPage(c, fiber.StatusBadRequest, page{Message: "手机号无效", Errors: map[string]string{"phone": "请输入11位手机号"}})
	}
	if c.FormValue("lift") != "" {
		err = postgres.LiftOptOut(c.UserContext(), s.db, string(phone))
	} else {
		err = postgres.OptOut(c.UserContext(), s.db, string(phone), s.now())
	}
	if err != nil {
		return err
	}
	return c.Redirect("/admin/notify?ok="+urlQueryEscape("已更新短信退订："+renoflow.MaskPhone(string(phone))), fiber.StatusSeeOther)
}

// pageAdminNotifyResolve settles a message whose delivery is unknown (投递未知: its send
// was interrupted and its provider cannot drop a repeat): action "confirm" records that it
// arrived (已送达, after asking the recipient), "resend" queues it again.
func (s *Server) pageAdminNotifyResolve(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	action := c.FormValue("action")
	if err != nil || (action != "confirm" && action != "resend") {
		return s.notifyPage(c, fiber.StatusBadRequest, page{Message: "操作无效", Errors: map[string]string{"action": "请选择确认已送达或重新发送"}})
	}
	who := actorOf(c).Name
	answer := "已由" + who + "确认送达"
	if action == "resend" {
		answer = "已由" + who + "安排重新发送"
	}
	ok, err := postgres.ResolveUnknown(c.UserContext(), s.db, id, action == "resend", answer, s.now())
	if err != nil {
		return err
	}
	if !ok {
		return s.notifyPage(c, fiber.StatusConflict, page{Message: "该消息不是投递未知状态，无需处理"})
	}
	return c.Redirect("/admin/notify?status=unknown&ok="+urlQueryEscape(answer), fiber.StatusSeeOther)
}

// timelineItem is one line of the customer page's timeline (issue 14): an entry, or a
// message of the outbox with its delivery status and the provider's answer.
type timelineItem struct {
	TimelineRow
	Message *postgres.OutboxMessage
}

// timelineWithMessages merges the customer's timeline (oldest first) with its messages
// (by when they were queued, each after its cause at the same time), newest first.
func timelineWithMessages(rows []TimelineRow, msgs []postgres.OutboxMessage) []timelineItem {
	ms := slices.Clone(msgs)
	slices.SortStableFunc(ms, func(a, b postgres.OutboxMessage) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	out := make([]timelineItem, 0, len(rows)+len(ms))
	i := 0
	for _, r := range rows {
		for i < len(ms) && ms[i].CreatedAt.Before(r.At) {
			out = append(out, timelineItem{Message: &ms[i]})
			i++
		}
		out = append(out, timelineItem{TimelineRow: r})
	}
	for ; i < len(ms); i++ {
		out = append(out, timelineItem{Message: &ms[i]})
	}
	slices.Reverse(out)
	return out
}

// taskKey is a task's business key, rule/subject/seq (renoflow.Task.Key).
func taskKey(t TaskRow) string { return t.Rule + "/" + t.Subject + "/" + strconv.Itoa(t.Seq) }

// deliveriesByTask maps each task's id to the messages about it (issue 14).
func deliveriesByTask(tasks []TaskRow, msgs []postgres.OutboxMessage) map[int64][]postgres.OutboxMessage {
	byKey := map[string][]postgres.OutboxMessage{}
	for _, m := range msgs {
		if m.TaskKey != "" {
			byKey[m.CustomerID+"|"+m.TaskKey] = append(byKey[m.CustomerID+"|"+m.TaskKey], m)
		}
	}
	out := map[int64][]postgres.OutboxMessage{}
	for _, t := range tasks {
		if ms := byKey[t.CustomerID+"|"+taskKey(t)]; len(ms) > 0 {
			out[t.ID] = ms
		}
	}
	return out
}

// taskDeliveries reads the messages about tasks and maps them by task id; a read error
// shows none (the list still answers).
func (s *Server) taskDeliveries(ctx context.Context, tasks []TaskRow) map[int64][]postgres.OutboxMessage {
	refs := make([]postgres.TaskRef, len(tasks))
	for i, t := range tasks {
		refs[i] = postgres.TaskRef{CustomerID: t.CustomerID, TaskKey: taskKey(t)}
	}
	msgs, err := postgres.TaskMessages(ctx, s.db, refs)
	if err != nil {
		s.log.Warn("read task messages", "err", err)
		return nil
	}
	return deliveriesByTask(tasks, msgs)
}

// smsTemplateLabels name the customer SMS templates.
var smsTemplateLabels = map[string]string{renoflow.SMSContact: "定金后联系", renoflow.SMSProgress: "施工进度", renoflow.SMSVisit: "回访邀约"}

// messageSummary is what a message says, in one line: the SMS template's name, or the
// first line of a staff message.
func messageSummary(m postgres.OutboxMessage) string {
	if m.Template != "" {
		if l, ok := smsTemplateLabels[m.Template]; ok {
			return l + "短信"
		}
		return "短信模板 " + m.Template
	}
	first, _, _ := strings.Cut(m.Body, "\n")
	return first
}
