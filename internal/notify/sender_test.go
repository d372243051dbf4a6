package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/activities"
	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/renoflow/renoflow/postgres"
	"github.com/renoflow/renoflow/schema"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// fake speaks Tencent Cloud SMS SendSms (API 2021-01-11) and the 企业微信 gettoken,
// message/send and group robot webhook APIs.
type fake struct {
	mu      sync.Mutex
	sms     []map[string]any // SendSms parameters
	app     []map[string]any
	robot   []string     // webhook keys
	failSMS int          // answer the next failSMS SendSms calls with a provider error
	hangSMS atomic.Int64 // > 0: take a SendSms call, then answer nothing for that long (ns)
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d := time.Duration(f.hangSMS.Load()); d > 0 && r.Header.Get("X-TC-Action") == "SendSms" {
		var in map[string]any
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &in)
		f.mu.Lock()
		f.sms = append(f.sms, in)
		f.mu.Unlock()
		select {
		case <-time.After(d):
		case <-r.Context().Done():
		}
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	var in map[string]any
	_ = json.Unmarshal(body, &in)
	switch {
	case r.Header.Get("X-TC-Action") == "SendSms":
		if !strings.HasPrefix(r.Header.Get("Authorization"), "TC3-HMAC-SHA256 Credential=AKID") {
			http.Error(w, "unsigned", http.StatusForbidden)
			return
		}
		if f.failSMS > 0 {
			f.failSMS--
			_, _ = w.Write([]byte(`{"Response":{"Error":{"Code":"FailedOperation.InsufficientBalanceInSmsPackage","Message":"套餐包余量不足"},"RequestId":"r1"}}`))
			return
		}
		f.sms = append(f.sms, in)
		phone := in["PhoneNumberSet"].([]any)[0].(string)
		_, _ = w.Write([]byte(`{"Response":{"SendStatusSet":[{"SerialNo":"2433:1","PhoneNumber":"` + phone + `","Fee":1,"Code":"Ok","Message":"send success"}],"RequestId":"r2"}}`))
	case r.URL.Path == "/cgi-bin/gettoken":
		_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok","access_token":"TOK","expires_in":7200}`))
	case r.URL.Path == "/cgi-bin/message/send" && r.URL.Query().Get("access_token") == "TOK":
		f.app = append(f.app, in)
		_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok","msgid":"m1"}`))
	case r.URL.Path == "/cgi-bin/webhook/send":
		f.robot = append(f.robot, r.URL.Query().Get("key"))
		_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
	default:
		http.Error(w, "not found", http.StatusNotFound)
	}
}

type setup struct {
	db   *bun.DB
	f    *fake
	cfg  Config
	now  time.Time
	logs *bytes.Buffer
}

func newSetup(t *testing.T) *setup {
	db := testdb.New(t, schema.Migrate)
	f := &fake{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	s := &setup{db: db, f: f, now: time.Date(2026, 4, 1, 10, 0, 0, 0, renoflow.Zone), logs: &bytes.Buffer{}}
	s.cfg = Config{
		SMS:          &TencentSMS{SecretID: "AKIDtest", SecretKey: "secret", SdkAppID: "1400000000", Endpoint: host, Scheme: "HTTP"},
		SMSSign:      "装修公司",
		SMSTemplates: map[string]string{renoflow.SMSContact: "1001", renoflow.SMSProgress: "1002", renoflow.SMSVisit: "1003"},
		WeCom:        &WeCom{BaseURL: srv.URL, CorpID: "corp", Secret: "s3cret", AgentID: 1000002},
		Robot:        &Robot{BaseURL: srv.URL},
		RobotKeys:    map[string]string{"s1": "robot-key-s1"},
		Backoff:      time.Minute, MaxBackoff: 4 * time.Minute, MaxAttempts: 3, PerSecond: 1000,
		Now: func() time.Time { return s.now }, DigestAt: -1,
		Log: slog.New(slog.NewTextHandler(s.logs, nil)),
	}
	ctx := t.Context()
	_, err := db.NewRaw("INSERT INTO stores (id, name) VALUES ('s1', '一店')").Exec(ctx)
	require.NoError(t, err)
	_, err = db.NewRaw("INSERT INTO staff (id, login, name, role, store_id, wecom_userid) VALUES ('cm1', 'cm1', '张经理', 'customer_manager', 's1', 'ZhangJingLi')").Exec(ctx)
	require.NoError(t, err)
	return s
}

// persist writes a deposit of customer id by the activities' Persist: the contact SMS,
// the return visit to the store robot and a call-back to 张经理 by 企业微信.
func (s *setup) persist(t *testing.T, id, phone string, at time.Time) {
	s.persistIn(t, id, phone, "s1", at)
}

// persistIn is persist for a customer of store.
func (s *setup) persistIn(t *testing.T, id, phone, store string, at time.Time) {
	c := renoflow.Customer{ID: id, Record: renoflow.Record{Name: "陈女士", Phone: renoflow.Phone(phone), StoreID: store},
		Stage: renoflow.StageDeposit, StoreID: store, Owner: renoflow.Person{ID: "cm1", Name: "张经理"},
		Designer: renoflow.Person{ID: "d1", Name: "吴设计"}, FiledAt: at, Revision: 5}
	b := activities.Batch{Customer: c, UpdatedAt: at, Effects: renoflow.Effects{
		Tasks: []renoflow.Task{
			{Rule: renoflow.RuleDepositVisit, Title: "定金后回访", AssigneeRole: renoflow.ToCustomerService, StoreID: store, Due: at.Add(24 * time.Hour), CreatedAt: at},
			{Rule: renoflow.RuleFirstCallback, Subject: "1", Title: "首谈回访", AssigneeID: "cm1", StoreID: store, Due: at.Add(24 * time.Hour), CreatedAt: at},
		},
		Timeline: []renoflow.Entry{{Key: "dep-" + id + "#0", At: at, Kind: "deposit", Summary: "交定金"}},
	}}
	require.NoError(t, (&activities.Activities{DB: s.db}).Persist(t.Context(), b))
}

func (s *setup) statuses(t *testing.T) map[string]string {
	var rows []postgres.OutboxMessage
	require.NoError(t, s.db.NewSelect().Model(&rows).Scan(t.Context()))
	out := map[string]string{}
	for _, r := range rows {
		out[r.CustomerID+" "+r.Channel] = r.Status
	}
	return out
}

// Every channel delivers through the provider's API shape; each business key is sent
// once across repeated persists (retries, replays) and repeated or concurrent passes.
func TestSendOncePerKey(t *testing.T) {
	s := newSetup(t)
	for range 3 {
		s.persist(t, "c1", "13812345678", s.now)
	}
	senders := []*Sender{New(s.db, s.cfg), New(s.db, s.cfg)}
	var wg sync.WaitGroup
	for _, snd := range senders {
		wg.Go(func() {
			_, err := snd.SendDue(context.Background())
			require.NoError(t, err)
		})
	}
	wg.Wait()
	for _, snd := range senders {
		n, err := snd.SendDue(t.Context())
		require.NoError(t, err)
		require.Zero(t, n)
	}
	require.Equal(t, map[string]string{"c1 sms": "sent", "c1 robot": "sent", "c1 wecom": "sent"}, s.statuses(t))
	require.Len(t, s.f.sms, 1)
	sms := s.f.sms[0]
	require.Equal(t, []any{"+8613812345678"}, sms["PhoneNumberSet"])
	require.Equal(t, "1001", sms["TemplateId"])
	require.Equal(t, "装修公司", sms["SignName"])
	require.Equal(t, []any{"吴设计", "陈女士"}, sms["TemplateParamSet"]) // contact, name (sorted)
	require.Equal(t, "c1/entry:dep-c1#0#sms", sms["SessionContext"])
	require.Len(t, s.f.app, 1)
	require.Equal(t, "ZhangJingLi", s.f.app[0]["touser"])
	require.Equal(t, []string{"robot-key-s1"}, s.f.robot)
	var answer string
	require.NoError(t, s.db.NewRaw("SELECT answer FROM outbox WHERE channel = 'sms'").Scan(t.Context(), &answer))
	require.Equal(t, "Ok 2433:1", answer)
	// Phones are masked in logs; credentials never appear.
	require.Contains(t, s.logs.String(), "138****5678")
	require.NotContains(t, s.logs.String(), "13812345678")
	require.NotContains(t, s.logs.String(), "s3cret")
	require.NotContains(t, s.logs.String(), "robot-key-s1")
}

// No SMS between 21:00 and 08:00: held until the morning; staff messages go at once.
func TestQuietHoursHoldSMS(t *testing.T) {
	s := newSetup(t)
	s.now = time.Date(2026, 4, 1, 22, 30, 0, 0, renoflow.Zone)
	s.persist(t, "c1", "13812345678", s.now)
	snd := New(s.db, s.cfg)
	_, err := snd.SendDue(t.Context())
	require.NoError(t, err)
	require.Equal(t, map[string]string{"c1 sms": "queued", "c1 robot": "sent", "c1 wecom": "sent"}, s.statuses(t))
	require.Empty(t, s.f.sms)
	s.now = time.Date(2026, 4, 2, 7, 59, 0, 0, renoflow.Zone)
	_, err = snd.SendDue(t.Context())
	require.NoError(t, err)
	require.Empty(t, s.f.sms)
	s.now = time.Date(2026, 4, 2, 8, 0, 0, 0, renoflow.Zone)
	_, err = snd.SendDue(t.Context())
	require.NoError(t, err)
	require.Len(t, s.f.sms, 1)
}

// A customer who opted out (退订) gets no SMS; the row says why.
func TestOptOut(t *testing.T) {
	s := newSetup(t)
	_, err := s.db.NewRaw("INSERT INTO sms_optouts (phone) VALUES ('13812345678')").Exec(t.Context())
	require.NoError(t, err)
	s.persist(t, "c1", "13812345678", s.now)
	s.persist(t, "c2", "13900000000", s.now)
	_, err = New(s.db, s.cfg).SendDue(t.Context())
	require.NoError(t, err)
	st := s.statuses(t)
	require.Equal(t, "skipped", st["c1 sms"])
	require.Equal(t, "sent", st["c2 sms"])
	require.Len(t, s.f.sms, 1)
	require.Equal(t, []any{"+8613900000000"}, s.f.sms[0]["PhoneNumberSet"])
}

// A provider error is retried with a capped backoff, then shown as failed with the
// provider's answer; nothing else is blocked meanwhile.
func TestProviderErrorRetriedThenFailed(t *testing.T) {
	s := newSetup(t)
	s.f.failSMS = 100
	s.persist(t, "c1", "13812345678", s.now)
	snd := New(s.db, s.cfg)
	_, err := snd.SendDue(t.Context())
	require.NoError(t, err)
	require.Equal(t, map[string]string{"c1 sms": "queued", "c1 robot": "sent", "c1 wecom": "sent"}, s.statuses(t))
	var row postgres.OutboxMessage
	get := func() {
		require.NoError(t, s.db.NewSelect().Model(&row).Where("channel = 'sms' AND customer_id = 'c1'").Scan(t.Context()))
	}
	get()
	require.Equal(t, 1, row.Attempts)
	require.True(t, row.NextAt.Equal(s.now.Add(time.Minute)), row.NextAt)
	require.Contains(t, row.Answer, "套餐包余量不足")
	// Not due yet: untouched.
	_, err = snd.SendDue(t.Context())
	require.NoError(t, err)
	get()
	require.Equal(t, 1, row.Attempts)
	s.now = s.now.Add(time.Minute)
	_, err = snd.SendDue(t.Context())
	require.NoError(t, err)
	get()
	require.Equal(t, 2, row.Attempts)
	require.True(t, row.NextAt.Equal(s.now.Add(2*time.Minute)), row.NextAt)
	// Another customer's messages go meanwhile.
	s.persist(t, "c2", "13900000000", s.now)
	s.f.mu.Lock()
	s.f.failSMS = 0
	s.f.mu.Unlock()
	_, err = snd.SendDue(t.Context())
	require.NoError(t, err)
	require.Equal(t, "sent", s.statuses(t)["c2 sms"])
	s.f.mu.Lock()
	s.f.failSMS = 100
	s.f.mu.Unlock()
	s.now = s.now.Add(2 * time.Minute)
	_, err = snd.SendDue(t.Context())
	require.NoError(t, err)
	get()
	require.Equal(t, "failed", row.Status)
	require.Equal(t, 3, row.Attempts)
	require.Contains(t, row.Answer, "FailedOperation.InsufficientBalanceInSmsPackage")
}

func TestBackoffCapped(t *testing.T) {
	s := New(nil, Config{Backoff: time.Minute, MaxBackoff: 5 * time.Minute})
	var got []time.Duration
	for n := 1; n <= 5; n++ {
		got = append(got, s.backoff(n))
	}
	require.Equal(t, []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute}, got)
}

// Settings stored by the admin page configure the sender on its next pass; secrets are
// kept when the page sends the mask back and never appear in Public.
func TestSettingsFromDB(t *testing.T) {
	s := newSetup(t)
	s.persist(t, "c1", "13812345678", s.now)
	base := s.cfg
	base.SMS, base.WeCom, base.Robot, base.RobotKeys, base.SMSTemplates = nil, nil, nil, nil, nil
	snd := NewFromDB(s.db, base)
	n, err := snd.SendDue(t.Context())
	require.NoError(t, err)
	require.Zero(t, n, "nothing configured: everything stays queued")
	sms := s.cfg.SMS.(*TencentSMS)
	set := Settings{WeComCorpID: "corp", WeComSecret: "s3cret", WeComAgentID: 1, WeComBaseURL: s.cfg.WeCom.(*WeCom).BaseURL,
		SMSSecretID: "AKIDx", SMSSecretKey: "k3y", SMSAppID: "1400", SMSSign: "装修公司", SMSTemplates: s.cfg.SMSTemplates,
		SMSEndpoint: sms.Endpoint, SMSScheme: "HTTP"}
	require.NoError(t, SaveSettings(t.Context(), s.db, set, s.now))
	require.NoError(t, SaveRobotKey(t.Context(), s.db, "s1", "robot-key-s1", s.now))
	set.WeComSecret, set.SMSSecretKey = Secret, "" // the page sends the mask back
	require.NoError(t, SaveSettings(t.Context(), s.db, set, s.now))
	got, err := LoadSettings(t.Context(), s.db)
	require.NoError(t, err)
	require.Equal(t, "s3cret", got.WeComSecret)
	require.Equal(t, "k3y", got.SMSSecretKey)
	pub, _ := json.Marshal(got.Public())
	require.NotContains(t, string(pub), "s3cret")
	require.NotContains(t, string(pub), "k3y")
	require.NotContains(t, string(pub), "robot-key-s1")
	n, err = snd.SendDue(t.Context())
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.Equal(t, map[string]string{"c1 sms": "sent", "c1 robot": "sent", "c1 wecom": "sent"}, s.statuses(t))
	a, err := TestMessage(t.Context(), s.db, base, "", renoflow.ChannelRobot, "s1")
	require.NoError(t, err)
	require.Equal(t, "ok", a)
	require.Error(t, SaveSettings(t.Context(), s.db, Settings{QuietStart: "25:00", QuietEnd: "08:00"}, s.now))
}

// The morning digest goes once a day from DigestAt, to each staff member with open work.
func TestMorningDigest(t *testing.T) {
	s := newSetup(t)
	s.now = time.Date(2026, 4, 1, 8, 0, 0, 0, renoflow.Zone)
	s.persist(t, "c1", "13812345678", s.now.Add(-48*time.Hour)) // the call-back to cm1 is overdue
	s.cfg.NoQuiet, s.cfg.DigestAt = true, 8*60+30
	snd := New(s.db, s.cfg)
	_, err := snd.SendDue(t.Context())
	require.NoError(t, err)
	require.Len(t, s.f.app, 1, "the call-back itself; no digest before 08:30")
	s.now = time.Date(2026, 4, 1, 8, 30, 0, 0, renoflow.Zone)
	for range 2 {
		_, err = New(s.db, s.cfg).SendDue(t.Context())
		require.NoError(t, err)
	}
	require.Len(t, s.f.app, 2)
	require.Regexp(t, `^【今日待办】您有1项待办，其中1项已逾期\n（消息编号 \d+）$`, s.f.app[1]["text"].(map[string]any)["content"])
}

// A message still 'sending' after its lease was in flight when its sender died: the
// 企业微信 app message is sent again with the provider's duplicate check (same text, so
// 企业微信 drops it if the first went through); the SMS and the robot message, whose
// providers cannot deduplicate, become 投递未知 (unknown) and are not sent again until a
// person resends them.
func TestInterruptedSendResolved(t *testing.T) {
	s := newSetup(t)
	s.persist(t, "c1", "13812345678", s.now)
	claimed := s.now.Add(-time.Minute)
	_, err := s.db.NewRaw("UPDATE outbox SET status = 'sending', attempts = 1, claimed_at = ?, claimed_until = ?", claimed, claimed.Add(35*time.Second)).Exec(t.Context())
	require.NoError(t, err)
	s.cfg.SendTimeout = 15 * time.Second
	snd := New(s.db, s.cfg)
	_, err = snd.SendDue(t.Context())
	require.NoError(t, err)
	require.Equal(t, map[string]string{"c1 sms": "unknown", "c1 robot": "unknown", "c1 wecom": "sent"}, s.statuses(t))
	require.Empty(t, s.f.sms)
	require.Empty(t, s.f.robot)
	require.Len(t, s.f.app, 1)
	require.Equal(t, float64(1), s.f.app[0]["enable_duplicate_check"])
	require.Equal(t, float64(14400), s.f.app[0]["duplicate_check_interval"])
	var m postgres.OutboxMessage
	require.NoError(t, s.db.NewSelect().Model(&m).Where("channel = 'sms'").Scan(t.Context()))
	require.Contains(t, m.Answer, "投递未知")
	require.True(t, m.ClaimedAt.IsZero())
	// Nothing more goes by itself; a person's resend sends it once more.
	_, err = snd.SendDue(t.Context())
	require.NoError(t, err)
	require.Empty(t, s.f.sms)
	ok, err := postgres.ResolveUnknown(t.Context(), s.db, m.ID, true, "人工重发", s.now)
	require.NoError(t, err)
	require.True(t, ok)
	_, err = snd.SendDue(t.Context())
	require.NoError(t, err)
	require.Len(t, s.f.sms, 1)
	require.Equal(t, "sent", s.statuses(t)["c1 sms"])

	// Past the provider's duplicate-check window a 企业微信 message is unknown too.
	s.persist(t, "c2", "13900000000", s.now)
	late := s.now.Add(-4 * time.Hour)
	_, err = s.db.NewRaw("UPDATE outbox SET status = 'sending', attempts = 1, claimed_at = ?, claimed_until = ? WHERE customer_id = 'c2'", late, late.Add(35*time.Second)).Exec(t.Context())
	require.NoError(t, err)
	_, err = snd.SendDue(t.Context())
	require.NoError(t, err)
	require.Equal(t, "unknown", s.statuses(t)["c2 wecom"])
	require.Len(t, s.f.app, 1)

	// A claim whose lease has not ended is left to its sender.
	s.persist(t, "c3", "13700000000", s.now)
	_, err = s.db.NewRaw("UPDATE outbox SET status = 'sending', attempts = 1, claimed_at = ?, claimed_until = ? WHERE customer_id = 'c3'", s.now, s.now.Add(35*time.Second)).Exec(t.Context())
	require.NoError(t, err)
	_, err = snd.SendDue(t.Context())
	require.NoError(t, err)
	require.Equal(t, "sending", s.statuses(t)["c3 sms"])
}

// A send that times out may have reached the provider: the SMS becomes 投递未知 at once
// (the provider cannot drop a repeat, so it is not retried blindly); the other channels
// go on.
func TestTimedOutSMSInDoubt(t *testing.T) {
	s := newSetup(t)
	s.f.hangSMS.Store(int64(3 * time.Second))
	s.cfg.SendTimeout = 300 * time.Millisecond
	s.persist(t, "c1", "13812345678", s.now)
	snd := New(s.db, s.cfg)
	for range 2 {
		_, err := snd.SendDue(t.Context())
		require.NoError(t, err)
	}
	require.Equal(t, map[string]string{"c1 sms": "unknown", "c1 robot": "sent", "c1 wecom": "sent"}, s.statuses(t))
	s.f.mu.Lock()
	require.Len(t, s.f.sms, 1, "sent once, not retried")
	s.f.mu.Unlock()
	var m postgres.OutboxMessage
	require.NoError(t, s.db.NewSelect().Model(&m).Where("channel = 'sms'").Scan(t.Context()))
	require.Equal(t, 1, m.Attempts)
	require.Contains(t, m.Answer, "投递未知")
	require.NotContains(t, m.Answer, "13812345678")
}

// A store with accounts of its own: its customers' SMS go through its SMS account, with
// its signature and template ids, its staff messages through its 企业微信 app; the other
// store's through the company's. No secret of either appears in the logs or in Public;
// a masked secret sent back keeps the stored one; a test message uses the store's
// account.
func TestStoreOverridesCompanySettings(t *testing.T) {
	s := newSetup(t)
	_, err := s.db.NewRaw("INSERT INTO stores (id, name) VALUES ('s2', '二店')").Exec(t.Context())
	require.NoError(t, err)
	s.persistIn(t, "c1", "13812345678", "s1", s.now)
	s.persistIn(t, "c2", "13900000000", "s2", s.now)
	base := s.cfg
	base.SMS, base.WeCom, base.Robot, base.RobotKeys, base.SMSTemplates = nil, nil, nil, nil, nil
	sms := s.cfg.SMS.(*TencentSMS)
	require.NoError(t, SaveSettings(t.Context(), s.db, Settings{WeComCorpID: "corp", WeComSecret: "company-app-s3cret", WeComAgentID: 1000002,
		WeComBaseURL: s.cfg.WeCom.(*WeCom).BaseURL, SMSSecretID: "AKIDcompany", SMSSecretKey: "company-sms-s3cret", SMSAppID: "1400111",
		SMSSign: "装修公司", SMSTemplates: s.cfg.SMSTemplates, SMSEndpoint: sms.Endpoint, SMSScheme: "HTTP"}, s.now))
	require.NoError(t, SaveRobotKey(t.Context(), s.db, "s1", "robot-key-s1", s.now))
	require.NoError(t, SaveStoreSettings(t.Context(), s.db, "s2", StoreSettings{RobotKey: "robot-key-s2", WeComCorpID: "corp2",
		WeComSecret: "store-app-s3cret", WeComAgentID: 2000002, SMSSecretID: "AKIDstore", SMSSecretKey: "store-sms-s3cret",
		SMSAppID: "1400222", SMSSign: "二店装饰", SMSTemplates: map[string]string{renoflow.SMSContact: "2001"}}, s.now))
	// The page sends the masks back; a robot key saved alone keeps the rest.
	require.NoError(t, SaveStoreSettings(t.Context(), s.db, "s2", StoreSettings{RobotKey: Secret, WeComCorpID: "corp2",
		WeComSecret: Secret, WeComAgentID: 2000002, SMSSecretID: "AKIDstore", SMSSecretKey: Secret,
		SMSAppID: "1400222", SMSSign: "二店装饰", SMSTemplates: map[string]string{renoflow.SMSContact: "2001", renoflow.SMSVisit: ""}}, s.now))
	require.NoError(t, SaveRobotKey(t.Context(), s.db, "s2", Secret, s.now))
	set, err := LoadSettings(t.Context(), s.db)
	require.NoError(t, err)
	require.Equal(t, "store-sms-s3cret", set.Stores["s2"].SMSSecretKey)
	require.Equal(t, "store-app-s3cret", set.Stores["s2"].WeComSecret)
	require.Equal(t, "robot-key-s2", set.RobotKeys["s2"])
	pub, err := json.Marshal(set.Public())
	require.NoError(t, err)
	pubStores, err := json.Marshal(set.Public().Stores)
	require.NoError(t, err)
	for _, secret := range []string{"company-app-s3cret", "company-sms-s3cret", "store-app-s3cret", "store-sms-s3cret", "robot-key-s1", "robot-key-s2"} {
		require.NotContains(t, string(pub), secret)
		require.NotContains(t, string(pubStores), secret)
	}

	n, err := NewFromDB(s.db, base).SendDue(t.Context())
	require.NoError(t, err)
	require.Equal(t, 6, n)
	require.Equal(t, map[string]string{"c1 sms": "sent", "c1 robot": "sent", "c1 wecom": "sent",
		"c2 sms": "sent", "c2 robot": "sent", "c2 wecom": "sent"}, s.statuses(t))
	bySMSApp := map[string][]any{}
	for _, m := range s.f.sms {
		bySMSApp[m["SessionContext"].(string)] = []any{m["SmsSdkAppId"], m["SignName"], m["TemplateId"]}
	}
	require.Equal(t, []any{"1400111", "装修公司", "1001"}, bySMSApp["c1/entry:dep-c1#0#sms"])
	require.Equal(t, []any{"1400222", "二店装饰", "2001"}, bySMSApp["c2/entry:dep-c2#0#sms"])
	var agents []float64
	for _, m := range s.f.app {
		agents = append(agents, m["agentid"].(float64))
	}
	require.ElementsMatch(t, []float64{1000002, 2000002}, agents)
	require.ElementsMatch(t, []string{"robot-key-s1", "robot-key-s2"}, s.f.robot)
	for _, secret := range []string{"company-app-s3cret", "company-sms-s3cret", "store-app-s3cret", "store-sms-s3cret", "robot-key-s1", "robot-key-s2"} {
		require.NotContains(t, s.logs.String(), secret)
	}

	// The store's test message goes through the store's account.
	_, err = TestMessage(t.Context(), s.db, base, "s2", renoflow.ChannelSMS, "13700000000")
	require.NoError(t, err)
	last := s.f.sms[len(s.f.sms)-1]
	require.Equal(t, "1400222", last["SmsSdkAppId"])
	a, err := TestMessage(t.Context(), s.db, base, "s2", renoflow.ChannelRobot, "")
	require.NoError(t, err)
	require.Equal(t, "ok", a)
	require.Equal(t, "robot-key-s2", s.f.robot[len(s.f.robot)-1])
}

// A store with its own SMS account while the company has none: only that store's SMS are
// sent; the others stay queued for the 发件箱.
func TestStoreOnlyAccount(t *testing.T) {
	s := newSetup(t)
	_, err := s.db.NewRaw("INSERT INTO stores (id, name) VALUES ('s2', '二店')").Exec(t.Context())
	require.NoError(t, err)
	s.persistIn(t, "c1", "13812345678", "s1", s.now)
	s.persistIn(t, "c2", "13900000000", "s2", s.now)
	base := s.cfg
	base.SMS, base.WeCom, base.Robot, base.RobotKeys, base.SMSTemplates = nil, nil, nil, nil, nil
	sms := s.cfg.SMS.(*TencentSMS)
	require.NoError(t, SaveSettings(t.Context(), s.db, Settings{SMSEndpoint: sms.Endpoint, SMSScheme: "HTTP"}, s.now))
	require.NoError(t, SaveStoreSettings(t.Context(), s.db, "s2", StoreSettings{SMSSecretID: "AKIDstore", SMSSecretKey: "k",
		SMSAppID: "1400222", SMSSign: "二店装饰", SMSTemplates: map[string]string{renoflow.SMSContact: "2001"}}, s.now))
	n, err := NewFromDB(s.db, base).SendDue(t.Context())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, map[string]string{"c1 sms": "queued", "c1 robot": "queued", "c1 wecom": "queued",
		"c2 sms": "sent", "c2 robot": "queued", "c2 wecom": "queued"}, s.statuses(t))
}
