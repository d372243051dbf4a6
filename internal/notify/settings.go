package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
)

// Settings are the company's notification settings (table notify_settings, scope
// "company"), edited on the admin page 通知设置. Secrets (WeComSecret, SMSSecretKey,
// store robot keys) are never logged nor sent back to a browser: Public blanks them.
type Settings struct {
	WeComCorpID  string `json:"wecom_corp_id"`
	WeComSecret  string `json:"wecom_secret"`
	WeComAgentID int    `json:"wecom_agent_id"`
	WeComBaseURL string `json:"wecom_base_url,omitempty"` // default https://qyapi.weixin.qq.com

	SMSSecretID  string            `json:"sms_secret_id"`
	SMSSecretKey string            `json:"sms_secret_key"`
	SMSAppID     string            `json:"sms_app_id"`
	SMSRegion    string            `json:"sms_region,omitempty"`
	SMSSign      string            `json:"sms_sign"`
	SMSTemplates map[string]string `json:"sms_templates"`          // renoflow.SMSContact … → approved template id
	SMSEndpoint  string            `json:"sms_endpoint,omitempty"` // default sms.tencentcloudapi.com
	SMSScheme    string            `json:"sms_scheme,omitempty"`

	QuietStart string `json:"quiet_start"` // "21:00"; equal to QuietEnd: no quiet hours
	QuietEnd   string `json:"quiet_end"`   // "08:00"
	DigestAt   string `json:"digest_at"`   // the morning digest, "08:30" by default

	// Stores are the stores' own settings (scope "store:<id>"); RobotKeys repeats their
	// group robot webhook keys.
	Stores    map[string]StoreSettings `json:"-"`
	RobotKeys map[string]string        `json:"-"`
}

// StoreSettings are one store's settings (scope "store:<id>"): its group robot's webhook
// key and, for a store with accounts of its own, its 企业微信 app and SMS credentials, its
// SMS signature and template ids; an empty field falls back to the company's.
type StoreSettings struct {
	RobotKey     string            `json:"robot_key"`
	WeComCorpID  string            `json:"wecom_corp_id,omitempty"`
	WeComSecret  string            `json:"wecom_secret,omitempty"`
	WeComAgentID int               `json:"wecom_agent_id,omitempty"`
	SMSSecretID  string            `json:"sms_secret_id,omitempty"`
	SMSSecretKey string            `json:"sms_secret_key,omitempty"`
	SMSAppID     string            `json:"sms_app_id,omitempty"`
	SMSSign      string            `json:"sms_sign,omitempty"`
	SMSTemplates map[string]string `json:"sms_templates,omitempty"`
}

// OwnWeCom reports whether the store has its own 企业微信 app.
func (st StoreSettings) OwnWeCom() bool { return st.WeComCorpID != "" && st.WeComSecret != "" }

// OwnSMS reports whether the store has its own SMS account.
func (st StoreSettings) OwnSMS() bool {
	return st.SMSSecretID != "" && st.SMSSecretKey != "" && st.SMSAppID != ""
}

func hideSecret(v string) string {
	if v == "" {
		return ""
	}
	return Secret
}

// Public is the store's settings as a page may show them: secrets (the robot key, the
// app secret, the SMS secret key) replaced by Secret when set.
func (st StoreSettings) Public() StoreSettings {
	st.RobotKey, st.WeComSecret, st.SMSSecretKey = hideSecret(st.RobotKey), hideSecret(st.WeComSecret), hideSecret(st.SMSSecretKey)
	return st
}

// Secret marks a stored secret in Public.
const Secret = "••••••"

// Public is the settings as a page or API may show them: secrets replaced by Secret
// when set.
func (s Settings) Public() Settings {
	s.WeComSecret, s.SMSSecretKey = hideSecret(s.WeComSecret), hideSecret(s.SMSSecretKey)
	keys := map[string]string{}
	for k, v := range s.RobotKeys {
		keys[k] = hideSecret(v)
	}
	stores := map[string]StoreSettings{}
	for k, v := range s.Stores {
		stores[k] = v.Public()
	}
	s.RobotKeys, s.Stores = keys, stores
	return s
}

// Quiet parses the quiet hours (default 21:00–08:00).
func (s Settings) Quiet() (renoflow.QuietHours, error) {
	if s.QuietStart == "" && s.QuietEnd == "" {
		return renoflow.DefaultQuietHours, nil
	}
	start, err := ClockMinutes(s.QuietStart)
	if err != nil {
		return renoflow.QuietHours{}, fmt.Errorf("免打扰开始时间：%w", err)
	}
	end, err := ClockMinutes(s.QuietEnd)
	if err != nil {
		return renoflow.QuietHours{}, fmt.Errorf("免打扰结束时间：%w", err)
	}
	return renoflow.QuietHours{Start: start, End: end}, nil
}

// ClockMinutes parses "HH:MM" into minutes after midnight.
func ClockMinutes(v string) (int, error) {
	h, m, ok := strings.Cut(v, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("须为 HH:MM（如 21:00）")
	}
	return hh*60 + mm, nil
}

// Apply returns base with the providers the settings configure (nil for a channel not
// configured: its messages stay queued for the 发件箱 viewer).
func (s Settings) Apply(base Config) Config {
	c := base
	if s.WeComCorpID != "" && s.WeComSecret != "" {
		c.WeCom = &WeCom{BaseURL: s.WeComBaseURL, CorpID: s.WeComCorpID, Secret: s.WeComSecret, AgentID: s.WeComAgentID}
	}
	if len(s.RobotKeys) > 0 {
		c.Robot = &Robot{BaseURL: s.WeComBaseURL}
		c.RobotKeys = s.RobotKeys
	}
	if s.SMSSecretID != "" && s.SMSSecretKey != "" && s.SMSAppID != "" {
		c.SMS = &TencentSMS{SecretID: s.SMSSecretID, SecretKey: s.SMSSecretKey, SdkAppID: s.SMSAppID, Region: s.SMSRegion,
			Endpoint: s.SMSEndpoint, Scheme: s.SMSScheme}
		c.SMSSign, c.SMSTemplates = s.SMSSign, s.SMSTemplates
	}
	c.Stores = map[string]StoreConfig{}
	for id, st := range s.Stores {
		var sc StoreConfig
		if st.OwnWeCom() {
			sc.WeCom = &WeCom{BaseURL: s.WeComBaseURL, CorpID: st.WeComCorpID, Secret: st.WeComSecret, AgentID: st.WeComAgentID}
		}
		if st.OwnSMS() {
			sc.SMS = &TencentSMS{SecretID: st.SMSSecretID, SecretKey: st.SMSSecretKey, SdkAppID: st.SMSAppID, Region: s.SMSRegion,
				Endpoint: s.SMSEndpoint, Scheme: s.SMSScheme}
		}
		sc.SMSSign = st.SMSSign
		sc.SMSTemplates = st.SMSTemplates
		if sc.WeCom != nil || sc.SMS != nil || sc.SMSSign != "" || len(sc.SMSTemplates) > 0 {
			c.Stores[id] = sc
		}
	}
	if m, err := ClockMinutes(s.DigestAt); err == nil {
		c.DigestAt = m
		if m == 0 {
			c.DigestAt = 1 // 00:00 is the zero value (default): a minute later
		}
	}
	if q, err := s.Quiet(); err == nil {
		c.Quiet, c.NoQuiet = q, q.Start == q.End
	}
	return c
}

// LoadSettings reads the company's settings and the stores' robot keys.
func LoadSettings(ctx context.Context, db bun.IDB) (Settings, error) {
	rows, err := postgres.NotifySettings(ctx, db)
	if err != nil {
		return Settings{}, err
	}
	s := Settings{RobotKeys: map[string]string{}, Stores: map[string]StoreSettings{}}
	for _, r := range rows {
		if r.Scope == "company" {
			keys, stores := s.RobotKeys, s.Stores
			if err := json.Unmarshal(r.Settings, &s); err != nil {
				return Settings{}, fmt.Errorf("notify settings: %w", err)
			}
			s.RobotKeys, s.Stores = keys, stores
			continue
		}
		if store, ok := strings.CutPrefix(r.Scope, "store:"); ok {
			var st StoreSettings
			if err := json.Unmarshal(r.Settings, &st); err != nil {
				return Settings{}, fmt.Errorf("notify settings of %s: %w", store, err)
			}
			s.Stores[store] = st
			if st.RobotKey != "" {
				s.RobotKeys[store] = st.RobotKey
			}
		}
	}
	return s, nil
}

// SaveSettings stores the company's settings; a secret given as Secret or "" keeps the
// stored one (the page never holds it).
func SaveSettings(ctx context.Context, db bun.IDB, s Settings, at time.Time) error {
	old, err := LoadSettings(ctx, db)
	if err != nil {
		return err
	}
	if s.WeComSecret == Secret || s.WeComSecret == "" {
		s.WeComSecret = old.WeComSecret
	}
	if s.SMSSecretKey == Secret || s.SMSSecretKey == "" {
		s.SMSSecretKey = old.SMSSecretKey
	}
	if _, err := s.Quiet(); err != nil {
		return err
	}
	if _, err := ClockMinutes(s.DigestAt); s.DigestAt != "" && err != nil {
		return fmt.Errorf("每日待办推送时间：%w", err)
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return postgres.SaveNotifySetting(ctx, db, postgres.NotifySetting{Scope: "company", Settings: raw, UpdatedAt: at})
}

// SaveStoreSettings stores a store's settings; a secret (robot key, app secret, SMS
// secret key) given as Secret keeps the stored one, "" clears it.
func SaveStoreSettings(ctx context.Context, db bun.IDB, storeID string, st StoreSettings, at time.Time) error {
	old, err := LoadSettings(ctx, db)
	if err != nil {
		return err
	}
	prev := old.Stores[storeID]
	keep := func(v *string, was string) {
		if *v == Secret {
			*v = was
		}
	}
	keep(&st.RobotKey, prev.RobotKey)
	keep(&st.WeComSecret, prev.WeComSecret)
	keep(&st.SMSSecretKey, prev.SMSSecretKey)
	for k, v := range st.SMSTemplates {
		if v == "" {
			delete(st.SMSTemplates, k)
		}
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return postgres.SaveNotifySetting(ctx, db, postgres.NotifySetting{Scope: "store:" + storeID, Settings: raw, UpdatedAt: at})
}

// SaveRobotKey stores a store's group robot webhook key, keeping its other settings;
// Secret keeps the stored key.
func SaveRobotKey(ctx context.Context, db bun.IDB, storeID, key string, at time.Time) error {
	old, err := LoadSettings(ctx, db)
	if err != nil {
		return err
	}
	st := old.Stores[storeID]
	st.RobotKey = key
	return SaveStoreSettings(ctx, db, storeID, st, at)
}

// NewFromDB returns a Sender whose providers come from the stored settings, read again
// on every pass (an admin's change applies without a restart); base supplies the rest.
func NewFromDB(db *bun.DB, base Config) *Sender {
	s := New(db, base)
	s.fromDB, s.base = true, s.cfg
	return s
}

// TestMessage sends a test message on one channel with the stored settings as they apply
// to storeID ("" = the company's): to a WeCom user id, the store's group robot (to is
// then ignored), or a phone (the contact template); the answer is the provider's.
func TestMessage(ctx context.Context, db *bun.DB, base Config, storeID string, channel renoflow.NotifyChannel, to string) (string, error) {
	set, err := LoadSettings(ctx, db)
	if err != nil {
		return "", err
	}
	c := set.Apply(New(db, base).cfg)
	text := "【renoflow】测试消息：通知设置有效"
	switch channel {
	case renoflow.ChannelWeCom:
		app := c.wecomFor(storeID)
		if app == nil {
			return "", fmt.Errorf("未配置企业微信应用")
		}
		return app.SendApp(ctx, to, text)
	case renoflow.ChannelRobot:
		if storeID == "" {
			storeID = to
		}
		if c.Robot == nil || c.RobotKeys[storeID] == "" {
			return "", fmt.Errorf("门店未配置群机器人")
		}
		return c.Robot.SendRobot(ctx, c.RobotKeys[storeID], text)
	case renoflow.ChannelSMS:
		sms, sign, tpl := c.smsFor(storeID)
		if sms == nil || tpl[renoflow.SMSContact] == "" {
			return "", fmt.Errorf("未配置短信服务或联系短信模板")
		}
		return sms.SendSMS(ctx, SMS{Phone: to, Sign: sign, TemplateID: tpl[renoflow.SMSContact],
			Params: map[string]string{"name": "测试", "contact": "测试"}, Key: "test"})
	}
	return "", fmt.Errorf("未知渠道")
}
