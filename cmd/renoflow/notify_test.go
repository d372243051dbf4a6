package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/renoflow/renoflow/internal/notify"
	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/renoflow/renoflow/postgres"
	"github.com/renoflow/renoflow/workflows"
)

// Issue 14 on the real stack: a filing's verification task (customer service of store
// s1) is queued in the persist's transaction and delivered by the worker process's sender
// to the store's group robot — a local server speaking the webhook API — once.
func TestDevNotifiesStoreRobot(t *testing.T) {
	var mu sync.Mutex
	var posts []string
	robot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		posts = append(posts, r.URL.Query().Get("key"))
		mu.Unlock()
		_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
	}))
	defer robot.Close()
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	db := d.db(t)
	ctx := context.Background()
	require.NoError(t, notify.SaveSettings(ctx, db, notify.Settings{WeComBaseURL: robot.URL}, time.Now()))
	require.NoError(t, notify.SaveRobotKey(ctx, db, "s1", "key-s1", time.Now()))

	cm := d.login(t, "cm1")
	status, body := cm.call(http.MethodPost, "/customers", filing("138 1234 5678"))
	require.Equal(t, http.StatusCreated, status, "%v", body)
	id := body["customer_id"].(string)
	eventually(t, "the verification reaches the store robot", func() bool {
		var st string
		err := db.NewRaw("SELECT status FROM outbox WHERE customer_id = ? AND key = 'task:verify//0#robot'", id).Scan(ctx, &st)
		return err == nil && st == "sent"
	})
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"key-s1"}, posts)
}

// provider speaks Tencent Cloud SMS SendSms and the 企业微信 gettoken, message/send (with
// its duplicate check: the same text to the same user within duplicate_check_interval is
// answered ok and not delivered again) and group robot APIs. It counts the deliveries of
// each message by name (SMS: its SessionContext after the customer; app and robot
// messages: their first line), and the first request of a name in block it takes and
// never answers — the send is in flight until the sending process dies.
type provider struct {
	mu        sync.Mutex
	delivered map[string]int
	seen      map[string]time.Time // 企业微信 duplicate check: touser + content → first delivery
	block     map[string]bool
	blocked   chan string
	wholeText bool // name app and robot messages by their whole text, not the first line
}

func (p *provider) nameOf(text string) string {
	if p.wholeText {
		return text
	}
	first, _, _ := strings.Cut(text, "\n")
	return first
}

func (p *provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	_ = json.NewDecoder(r.Body).Decode(&in)
	name, answer := "", `{"errcode":0,"errmsg":"ok"}`
	p.mu.Lock()
	switch {
	case r.Header.Get("X-TC-Action") == "SendSms":
		_, name, _ = strings.Cut(fmt.Sprint(in["SessionContext"]), "/")
		answer = `{"Response":{"SendStatusSet":[{"SerialNo":"s1","Code":"Ok","Message":"send success"}],"RequestId":"r1"}}`
	case r.URL.Path == "/cgi-bin/gettoken":
		p.mu.Unlock()
		_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok","access_token":"TOK","expires_in":7200}`))
		return
	case r.URL.Path == "/cgi-bin/message/send":
		content := fmt.Sprint(in["text"].(map[string]any)["content"])
		name = p.nameOf(content)
		dup := fmt.Sprint(in["touser"], "\x00", content)
		if first, ok := p.seen[dup]; ok && fmt.Sprint(in["enable_duplicate_check"]) == "1" &&
			time.Since(first) < time.Duration(in["duplicate_check_interval"].(float64))*time.Second {
			name = "" // dropped by the duplicate check
		} else {
			p.seen[dup] = time.Now()
		}
		answer = `{"errcode":0,"errmsg":"ok","msgid":"m1"}`
	case r.URL.Path == "/cgi-bin/webhook/send":
		name = p.nameOf(fmt.Sprint(in["text"].(map[string]any)["content"]))
	}
	if name != "" {
		p.delivered[name]++
	}
	hold := p.block[name]
	delete(p.block, name)
	p.mu.Unlock()
	if hold {
		p.blocked <- name
		<-r.Context().Done() // the sender's connection dies with its process
		return
	}
	_, _ = w.Write([]byte(answer))
}

// Issue 14: one message per business key across a kill -9 mid-send. Nine messages (three
// per channel) are queued; three times the worker process (a child `renoflow dev`) is
// killed with SIGKILL while a message is at the provider, unanswered — an SMS, a 企业微信
// app message, a group robot message. After a restart every message was delivered
// exactly once: the SMS and the robot message in flight are 投递未知 (not sent again), the
// app message was sent again with 企业微信's duplicate check, which dropped the repeat.
func TestNotifyOnceAcrossKill9(t *testing.T) {
	p := &provider{delivered: map[string]int{}, seen: map[string]time.Time{}, blocked: make(chan string, 1),
		block: map[string]bool{"k-sms-1": true, "k-app-1": true, "k-robot-1": true}}
	srv := httptest.NewServer(p)
	defer srv.Close()
	data, dbURL := tempDir(t), testdb.URL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "RENOFLOW_DATA": data, "NOTIFY_POLL": "200ms", "NOTIFY_SEND_TIMEOUT": "3s"}
	d := startDev(t, env) // migrates and seeds; nothing configured: nothing is sent
	db := d.db(t)
	ctx := context.Background()
	_, err := db.NewRaw("UPDATE staff SET wecom_userid = 'ZhangJingLi' WHERE id = 'cm1'").Exec(ctx)
	require.NoError(t, err)
	var rows []postgres.OutboxMessage
	at := time.Now().Add(-time.Hour)
	for i := 1; i <= 3; i++ {
		n := fmt.Sprint(i)
		rows = append(rows,
			postgres.OutboxMessage{CustomerID: "kill-c", Key: "k-sms-" + n, Channel: "sms", Kind: "contact", Recipient: "1380000000" + n,
				StoreID: "s1", Template: "contact", Params: map[string]string{"name": "陈", "contact": "张"}},
			postgres.OutboxMessage{CustomerID: "kill-c", Key: "k-app-" + n, Channel: "wecom", Kind: "assigned", Recipient: "cm1",
				StoreID: "s1", Body: "k-app-" + n + "\n新任务"},
			postgres.OutboxMessage{CustomerID: "kill-c", Key: "k-robot-" + n, Channel: "robot", Kind: "assigned", Recipient: "s1",
				StoreID: "s1", Body: "k-robot-" + n + "\n新任务"})
	}
	for i := range rows {
		rows[i].NextAt, rows[i].CreatedAt = at.Add(time.Duration(i)*time.Second), at
	}
	require.NoError(t, postgres.QueueMessages(ctx, db, rows))
	d.stop(t)
	require.NoError(t, notify.SaveSettings(ctx, db, notify.Settings{WeComCorpID: "corp", WeComSecret: "s3cret", WeComAgentID: 1000002,
		WeComBaseURL: srv.URL, SMSSecretID: "AKIDtest", SMSSecretKey: "k3y", SMSAppID: "1400000000", SMSSign: "装修公司",
		SMSTemplates: map[string]string{"contact": "1001"}, SMSEndpoint: strings.TrimPrefix(srv.URL, "http://"), SMSScheme: "HTTP",
		QuietStart: "00:00", QuietEnd: "00:00"}, time.Now()))
	require.NoError(t, notify.SaveRobotKey(ctx, db, "s1", "key-s1", time.Now()))

	for _, want := range []string{"k-sms-1", "k-app-1", "k-robot-1"} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"=1", "RENOFLOW_DATA="+data, "DATABASE_URL="+dbURL, "HTTP_ADDR=127.0.0.1:0",
			"TEMPORAL_PORT=0", "TEMPORAL_UI_PORT=0", "PG_PORT=0", "TEMPORAL_ADDRESS=", "NOTIFY_POLL=200ms", "NOTIFY_SEND_TIMEOUT=3s")
		out := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		require.NoError(t, cmd.Start())
		select {
		case got := <-p.blocked:
			require.Equal(t, want, got)
		case <-time.After(90 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("no send of %s reached the provider:\n%s", want, out.String())
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
	}

	d2 := startDev(t, env)
	db = d2.db(t)
	status := func() map[string]string {
		var got []postgres.OutboxMessage
		require.NoError(t, db.NewSelect().Model(&got).Where("customer_id = 'kill-c'").Scan(ctx))
		st := map[string]string{}
		for _, m := range got {
			st[m.Key] = m.Status
		}
		return st
	}
	eventually(t, "every message settled", func() bool {
		for _, s := range status() {
			if s == "queued" || s == "sending" {
				return false
			}
		}
		return true
	})
	require.Equal(t, map[string]string{"k-sms-1": "unknown", "k-app-1": "sent", "k-robot-1": "unknown",
		"k-sms-2": "sent", "k-app-2": "sent", "k-robot-2": "sent", "k-sms-3": "sent", "k-app-3": "sent", "k-robot-3": "sent"}, status())
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range rows {
		require.Equal(t, 1, p.delivered[m.Key], "%s delivered once: %v", m.Key, p.delivered)
	}
}

// Issue 14 on the real stack: two customers taken through the same steps (filing to the
// first milestone, with a deposit's contact SMS) while each workflow continues as new
// every 2 transitions and the worker keeps one workflow in its cache (so every workflow
// task of either customer replays its run's history). Every outbox row has exactly one
// cause — a task (to its assignee or the store's robot) or a timeline entry (an SMS) —
// keyed by it, both customers queue the same messages, and the provider receives none
// twice.
func TestNotifyOnceAcrossContinueAsNewAndReplay(t *testing.T) {
	p := &provider{delivered: map[string]int{}, seen: map[string]time.Time{}, blocked: make(chan string, 1), block: map[string]bool{},
		wholeText: true}
	srv := httptest.NewServer(p)
	defer srv.Close()
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t),
		"RENOFLOW_CONTINUE_AS_NEW_AFTER": "2", "WORKER_STICKY_CACHE": "1", "NOTIFY_POLL": "200ms"})
	db := d.db(t)
	ctx := context.Background()
	_, err := db.NewRaw("UPDATE staff SET wecom_userid = 'u-' || id").Exec(ctx)
	require.NoError(t, err)
	require.NoError(t, notify.SaveSettings(ctx, db, notify.Settings{WeComCorpID: "corp", WeComSecret: "s3cret", WeComAgentID: 1000002,
		WeComBaseURL: srv.URL, SMSSecretID: "AKIDtest", SMSSecretKey: "k3y", SMSAppID: "1400000000", SMSSign: "装修公司",
		SMSTemplates: map[string]string{"contact": "1001", "progress": "1002", "visit": "1003"}, SMSEndpoint: strings.TrimPrefix(srv.URL, "http://"),
		SMSScheme: "HTTP", QuietStart: "00:00", QuietEnd: "00:00"}, time.Now()))
	require.NoError(t, notify.SaveRobotKey(ctx, db, "s1", "key-s1", time.Now()))

	cm, cs, sm, dz := d.login(t, "cm1"), d.login(t, "cs1"), d.login(t, "sm1"), d.login(t, "d1")
	var ids []string
	for i, phone := range []string{"13911112222", "13933334444"} {
		in := filing(phone)
		in["name"] = []string{"陈", "林"}[i] // the provider tells the messages apart by their text
		status, body := cm.call(http.MethodPost, "/customers", in)
		require.Equal(t, http.StatusCreated, status, "%v", body)
		ids = append(ids, body["customer_id"].(string))
	}
	steps := []struct {
		c    *apiClient
		path string
		in   map[string]any
	}{
		{cs, "verify", map[string]any{"note": "已核实"}}, {cm, "store-visit", map[string]any{}}, {cm, "grade", map[string]any{"grade": "B"}},
		{cm, "callback", map[string]any{"reached": true}}, {cm, "follow-up", map[string]any{"channel": "phone", "note": "约量房"}},
		{cm, "dispatch-propose", map[string]any{"designer_id": "d1"}}, {sm, "dispatch-confirm", map[string]any{}},
		{dz, "dispatch-accept", map[string]any{}}, {dz, "measure", map[string]any{}}, {cm, "deposit", map[string]any{"amount_yuan": 20000}},
		{cm, "contract", map[string]any{"amount_yuan": 300000}}, {cm, "milestone", map[string]any{"milestone": "material"}},
	}
	for _, st := range steps {
		for _, id := range ids { // interleaved: the one-workflow cache evicts the other
			status, body := st.c.call(http.MethodPost, "/customers/"+id+"/"+st.path, st.in)
			require.Equal(t, http.StatusOK, status, "POST %s: %v", st.path, body)
		}
	}
	tc := d.temporal(t)
	for _, id := range ids {
		runs, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("WorkflowId = %q", workflows.CustomerWorkflowID(id))})
		require.NoError(t, err)
		require.Greater(t, len(runs.GetExecutions()), 3, "the workflow continued as new")
	}

	// Each outbox row has one cause, keyed by it; every cause has its message.
	causes := func(id string) []string {
		var tasks []struct {
			Rule, Subject, AssigneeID, AssigneeRole string
			Seq                                     int
		}
		require.NoError(t, db.NewRaw("SELECT rule, subject, seq, assignee_id, assignee_role FROM tasks WHERE customer_id = ?", id).Scan(ctx, &tasks))
		var out []string
		for _, tk := range tasks {
			key := fmt.Sprintf("task:%s/%s/%d", tk.Rule, tk.Subject, tk.Seq)
			switch {
			case tk.AssigneeID != "":
				out = append(out, key+"#wecom")
			case tk.AssigneeRole != "":
				out = append(out, key+"#robot")
			}
		}
		var entries []string
		require.NoError(t, db.NewRaw("SELECT key FROM timeline WHERE customer_id = ? AND kind IN ('deposit', 'milestone')", id).Scan(ctx, &entries))
		for _, e := range entries {
			out = append(out, "entry:"+e+"#sms")
		}
		return out
	}
	outbox := func(id string) []string {
		var keys []string
		require.NoError(t, db.NewRaw("SELECT key FROM outbox WHERE customer_id = ?", id).Scan(ctx, &keys))
		return keys
	}
	eventually(t, "every cause's message queued", func() bool { return len(outbox(ids[0])) == len(causes(ids[0])) })
	for _, id := range ids {
		require.ElementsMatch(t, causes(id), outbox(id), "customer %s", id)
	}
	shape := func(keys []string) []string { // timeline keys are the requests' own keys
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = k
			if strings.HasPrefix(k, "entry:") {
				out[i] = "entry#sms"
			}
		}
		return out
	}
	require.ElementsMatch(t, shape(outbox(ids[0])), shape(outbox(ids[1])), "the same steps, the same messages")
	sms := 0
	for _, k := range shape(outbox(ids[0])) {
		if k == "entry#sms" {
			sms++
		}
	}
	require.Equal(t, 2, sms, "the contact and the progress SMS")

	// Everything due is sent, once.
	eventually(t, "every due message sent", func() bool {
		var n int
		err := db.NewRaw("SELECT count(*) FROM outbox WHERE customer_id IN (?) AND status IN ('queued', 'sending') AND next_at <= now()", bun.In(ids)).Scan(ctx, &n)
		return err == nil && n == 0
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	require.NotEmpty(t, p.delivered)
	for name, n := range p.delivered {
		require.Equal(t, 1, n, "%q delivered once", name)
	}
}

// Issue 14 in headless Chromium: the 发件箱 lists each message with its delivery status
// (投递未知 with its two buttons; a person confirms it), and the customer's timeline shows
// each of the customer's messages with its status and the provider's answer. Screenshots
// (RENOFLOW_SCREENSHOTS) for people to look at.
func TestNotifyPagesInBrowser(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	cm := d.login(t, "cm1")
	status, body := cm.call(http.MethodPost, "/customers", filing("13855556666"))
	require.Equal(t, http.StatusCreated, status, "%v", body)
	id := body["customer_id"].(string)
	db := d.db(t)
	at := time.Now().Add(-time.Hour)
	require.NoError(t, postgres.QueueMessages(context.Background(), db, []postgres.OutboxMessage{
		{CustomerID: id, Key: "entry:dep#0#sms", Channel: "sms", Kind: "contact", Recipient: "13855556666", StoreID: "s1", Template: "contact",
			Params: map[string]string{"name": "陈", "contact": "张经理"}, Status: "failed", Attempts: 5, Answer: "FailedOperation.InsufficientBalanceInSmsPackage: 套餐包余量不足", NextAt: at, CreatedAt: at},
		{CustomerID: id, Key: "entry:m1#0#sms", Channel: "sms", Kind: "progress", Recipient: "13855556666", StoreID: "s1", Template: "progress",
			Params: map[string]string{"name": "陈", "milestone": "材料验收"}, Status: "unknown", Attempts: 1,
			Answer: "投递未知：第1次发送时发送进程中断，服务商可能已发出。请向接收人核实后确认或重发", NextAt: at, CreatedAt: at.Add(time.Minute)},
		{CustomerID: id, Key: "task:callback/1/0#wecom", Channel: "wecom", Kind: "assigned", Recipient: "cm1", StoreID: "s1", Body: "【新任务】首谈回访（客户：陈）",
			TaskKey: "callback/1/0", Status: "sent", Attempts: 1, Answer: "ok msgid m1", NextAt: at, CreatedAt: at.Add(2 * time.Minute), SentAt: at.Add(2 * time.Minute)},
	}))

	b := newBrowser(t, d.Web)
	admin := b.as("admin")
	require.Equal(t, http.StatusOK, admin.open("/admin/notify"))
	require.Contains(t, admin.text("#outbox"), "短信 投递未知")
	require.Contains(t, admin.text("#outbox"), "门店群机器人 待发送") // the filing's verification, nothing configured
	require.Contains(t, admin.text("#notify-unconfigured"), "尚未配置")
	admin.screenshot("notify-outbox")

	tb := b.as("cm1")
	require.Equal(t, http.StatusOK, tb.open("/customers/"+id))
	tl := tb.text("#timeline")
	require.Contains(t, tl, "定金后联系短信 → 138****6666 短信 发送失败")
	require.Contains(t, tl, "套餐包余量不足")
	require.Contains(t, tl, "施工进度短信 → 138****6666 短信 投递未知")
	require.Contains(t, tl, "【新任务】首谈回访（客户：陈） → 张经理 企业微信 已发送")
	require.NotContains(t, tl, "13855556666")
	tb.screenshot("customer-timeline-deliveries")

	// A person confirms the message of unknown delivery.
	require.Equal(t, http.StatusOK, admin.open("/admin/notify?status=unknown"))
	require.Equal(t, http.StatusOK, admin.submit(`#outbox form button[value=confirm]`))
	require.Contains(t, admin.text(".notice, .ok, [role=status], main"), "确认送达")
	var st string
	require.NoError(t, db.NewRaw("SELECT status FROM outbox WHERE customer_id = ? AND key = 'entry:m1#0#sms'", id).Scan(context.Background(), &st))
	require.Equal(t, "sent", st)
}
