// Package notify delivers the outbox (issue 14): the messages activities.Persist queued
// in the transaction of the task or timeline entry that causes them. A Sender claims one
// due row at a time (SELECT … FOR UPDATE SKIP LOCKED, so several workers share the work
// and a row is never taken by two at once) and commits the claim — status 'sending', the
// attempt counted, a lease — before it waits for its channel's rate limit and calls the
// provider; then it records the provider's answer: sent; queued again with a capped
// exponential backoff after a provider error; failed once the attempts are used up. A
// failed message blocks nothing else. A row still 'sending' after its lease was in flight
// when its sender died (kill -9): it is resent only to a provider that deduplicates (企业微信
// app messages, duplicate_check), otherwise marked 'unknown' (投递未知) for a person to
// confirm or resend from the 发件箱 — one message per business key, never a blind
// second send. Customer SMS respect the quiet hours (held until their end) and the
// per-phone opt-out (退订: skipped). Phones are masked in logs.
package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/time/rate"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
)

// AppSender sends a 企业微信 app message to one user (WeCom).
type AppSender interface {
	SendApp(ctx context.Context, userID, text string) (string, error)
}

// RobotSender posts to a store group robot (Robot).
type RobotSender interface {
	SendRobot(ctx context.Context, key, text string) (string, error)
}

// Config is what a Sender delivers with; a nil provider leaves its channel's messages
// queued (the 发件箱 viewer lists them).
type Config struct {
	SMS           SMSSender
	SMSSign       string              // the approved signature (签名)
	SMSTemplates  map[string]string   // renoflow.SMSContact … → approved template id
	SMSParamOrder map[string][]string // template name → parameter order, for positional providers
	WeCom         AppSender
	Robot         RobotSender
	RobotKeys     map[string]string // store id → group robot webhook key
	// Stores are the stores with accounts of their own (store id → what overrides the
	// company's for that store's messages).
	Stores map[string]StoreConfig

	Quiet       renoflow.QuietHours // customer SMS quiet hours; zero value = renoflow.DefaultQuietHours
	NoQuiet     bool                // no quiet hours at all
	MaxAttempts int                 // attempts before failed; default 5
	Backoff     time.Duration       // first retry delay, doubled per attempt; default 30 s
	MaxBackoff  time.Duration       // cap of the retry delay; default 30 min
	PerSecond   rate.Limit          // per-channel rate limit; default 10 messages/s
	SendTimeout time.Duration       // one provider call; default 15 s
	Now         func() time.Time    // default time.Now
	DigestAt    int                 // minutes after midnight (Zone) of the morning digest; default 08:30; <0 = none
	Log         *slog.Logger
}

// StoreConfig is what a store's own settings override for its messages: a nil provider,
// an empty signature or a template without an id falls back to the company's.
type StoreConfig struct {
	WeCom        AppSender
	SMS          SMSSender
	SMSSign      string
	SMSTemplates map[string]string
}

// wecomFor is the 企业微信 app that delivers the messages of store.
func (c Config) wecomFor(store string) AppSender {
	if st, ok := c.Stores[store]; ok && st.WeCom != nil {
		return st.WeCom
	}
	return c.WeCom
}

// smsFor is the SMS provider, signature and template ids for the messages of store.
func (c Config) smsFor(store string) (SMSSender, string, map[string]string) {
	st, ok := c.Stores[store]
	if !ok {
		return c.SMS, c.SMSSign, c.SMSTemplates
	}
	p, sign, tpl := c.SMS, c.SMSSign, map[string]string{}
	if st.SMS != nil {
		p = st.SMS
	}
	if st.SMSSign != "" {
		sign = st.SMSSign
	}
	for k, v := range c.SMSTemplates {
		tpl[k] = v
	}
	for k, v := range st.SMSTemplates {
		if v != "" {
			tpl[k] = v
		}
	}
	return p, sign, tpl
}

// Sender delivers the outbox.
type Sender struct {
	db       *bun.DB
	cfg      Config
	limits   map[renoflow.NotifyChannel]*rate.Limiter
	digested string // the company day whose digest is queued
	fromDB   bool   // NewFromDB: providers from the stored settings, read every pass
	base     Config // the config the stored settings apply to
}

// New returns a Sender over db.
func New(db *bun.DB, cfg Config) *Sender {
	if cfg.Quiet == (renoflow.QuietHours{}) && !cfg.NoQuiet {
		cfg.Quiet = renoflow.DefaultQuietHours
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 30 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Minute
	}
	if cfg.PerSecond <= 0 {
		cfg.PerSecond = 10
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 15 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DigestAt == 0 {
		cfg.DigestAt = 8*60 + 30
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Sender{db: db, cfg: cfg, limits: map[renoflow.NotifyChannel]*rate.Limiter{}}
	for _, ch := range renoflow.NotifyChannels() {
		s.limits[ch] = rate.NewLimiter(cfg.PerSecond, 1)
	}
	return s
}

// Channels are the channels this sender delivers (those with a provider).
func (s *Sender) Channels() []string {
	var out []string
	if s.cfg.WeCom != nil {
		out = append(out, string(renoflow.ChannelWeCom))
	}
	if s.cfg.Robot != nil {
		out = append(out, string(renoflow.ChannelRobot))
	}
	if s.cfg.SMS != nil {
		out = append(out, string(renoflow.ChannelSMS))
	}
	return out
}

// storeChannels are the (channel, store) pairs delivered by a store's own provider on a
// channel the company has none for.
func (s *Sender) storeChannels() []postgres.StoreChannel {
	var out []postgres.StoreChannel
	for _, id := range slices.Sorted(maps.Keys(s.cfg.Stores)) {
		st := s.cfg.Stores[id]
		if st.WeCom != nil && s.cfg.WeCom == nil {
			out = append(out, postgres.StoreChannel{Channel: string(renoflow.ChannelWeCom), StoreID: id})
		}
		if st.SMS != nil && s.cfg.SMS == nil {
			out = append(out, postgres.StoreChannel{Channel: string(renoflow.ChannelSMS), StoreID: id})
		}
	}
	return out
}

// Backoff is the delay before attempt n+1 after n failed attempts: Backoff·2^(n-1),
// capped at MaxBackoff.
func (s *Sender) backoff(n int) time.Duration {
	d := s.cfg.Backoff
	for i := 1; i < n && d < s.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.cfg.MaxBackoff)
}

// Run delivers due messages until ctx ends, looking again every poll.
func (s *Sender) Run(ctx context.Context, poll time.Duration) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.SendDue(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Warn("outbox: send pass failed", "err", err)
		}
		t.Reset(poll)
	}
}

// SendDue handles every message due now (at most 1000 per pass) and returns how many
// it handled (sent, retried later, failed, skipped or held for quiet hours).
func (s *Sender) SendDue(ctx context.Context) (int, error) {
	if s.fromDB {
		set, err := LoadSettings(ctx, s.db)
		if err != nil {
			return 0, err
		}
		s.cfg = set.Apply(s.base)
	}
	chans, stores := s.Channels(), s.storeChannels()
	if len(chans) == 0 && len(stores) == 0 {
		return 0, nil
	}
	if s.cfg.WeCom != nil || slices.ContainsFunc(stores, func(sc postgres.StoreChannel) bool { return sc.Channel == string(renoflow.ChannelWeCom) }) {
		if err := s.queueDigest(ctx, s.cfg.Now()); err != nil {
			return 0, err
		}
	}
	if err := s.resolveStale(ctx); err != nil {
		return 0, err
	}
	n := 0
	for n < 1000 {
		ok, err := s.sendOne(ctx, chans, stores)
		if err != nil {
			return n, err
		}
		if !ok {
			return n, nil
		}
		n++
	}
	return n, nil
}

// lease is how long a claim holds its row: the sender settles it within SendTimeout; a
// row still 'sending' after its lease was in flight when its sender died.
func (s *Sender) lease() time.Duration { return 2*s.cfg.SendTimeout + 5*time.Second }

// Deduplicator is a provider that drops a repeat of a message it already delivered
// within DedupWindow of the first (企业微信 app messages with duplicate_check), so a send
// whose outcome is unknown may safely be sent again within that window.
type Deduplicator interface {
	DedupWindow() time.Duration
}

// dedupWindow is the channel's provider's duplicate-check window; 0 when it has none.
func (s *Sender) dedupWindow(ch renoflow.NotifyChannel, store string) time.Duration {
	var p any
	switch ch {
	case renoflow.ChannelWeCom:
		p = s.cfg.wecomFor(store)
	case renoflow.ChannelRobot:
		p = s.cfg.Robot
	case renoflow.ChannelSMS:
		p, _, _ = s.cfg.smsFor(store)
	}
	if d, ok := p.(Deduplicator); ok && p != nil {
		return d.DedupWindow()
	}
	return 0
}

// resolveStale settles the messages whose sender died mid-send (still 'sending' after
// their lease): the provider may or may not have delivered them. Where the provider
// deduplicates (Deduplicator) and the first attempt is well inside its window, the
// message is queued again — the resend is dropped by the provider if the first went
// through. Otherwise (SMS, group robots, or too late) it becomes 'unknown' (投递未知) for
// a person to confirm or resend from the 发件箱: never sent twice blindly.
func (s *Sender) resolveStale(ctx context.Context) error {
	now := s.cfg.Now()
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		ms, err := postgres.LockStale(ctx, tx, now, 100)
		if err != nil {
			return err
		}
		for _, m := range ms {
			claimedAt := m.ClaimedAt
			m.ClaimedAt, m.ClaimedUntil = time.Time{}, time.Time{}
			log := s.cfg.Log.With("customer_id", m.CustomerID, "key", m.Key, "channel", m.Channel, "attempt", m.Attempts)
			if w := s.dedupWindow(renoflow.NotifyChannel(m.Channel), m.StoreID); w > 0 && now.Add(s.cfg.SendTimeout+time.Minute).Before(claimedAt.Add(w)) {
				m.Status, m.NextAt = postgres.OutboxQueued, now
				m.Answer = fmt.Sprintf("第%d次发送中断（发送进程退出），已交服务商去重后重发", m.Attempts)
				log.Warn("outbox: send interrupted, resending with the provider's duplicate check")
			} else {
				m.Status = postgres.OutboxUnknown
				m.Answer = fmt.Sprintf("投递未知：第%d次发送时发送进程中断，服务商可能已发出。请向接收人核实后确认或重发", m.Attempts)
				log.Warn("outbox: send interrupted, delivery unknown")
			}
			if err := postgres.SetMessage(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// sendOne claims the oldest due message of chans and delivers it: the claim (status
// sending, the attempt counted, a lease) is committed before the provider is called, and
// the outcome is settled after, so a crash mid-send leaves a 'sending' row for
// resolveStale rather than a rolled-back row that would be sent again blindly.
func (s *Sender) sendOne(ctx context.Context, chans []string, stores []postgres.StoreChannel) (bool, error) {
	found, claimed := false, false
	var m postgres.OutboxMessage
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		now := s.cfg.Now()
		var err error
		m, err = postgres.LockDue(ctx, tx, chans, stores, now)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		if renoflow.NotifyChannel(m.Channel) == renoflow.ChannelSMS {
			out, err := postgres.OptedOut(ctx, tx, m.Recipient)
			if err != nil {
				return err
			}
			if out {
				m.Status, m.Answer = postgres.OutboxSkipped, "客户已退订短信"
				return postgres.SetMessage(ctx, tx, m)
			}
			if hold := s.cfg.Quiet.Hold(now); hold.After(now) {
				s.cfg.Log.Info("outbox: held for quiet hours", "customer_id", m.CustomerID, "key", m.Key,
					"to", renoflow.MaskPhone(m.Recipient), "until", hold)
				m.NextAt = hold
				return postgres.SetMessage(ctx, tx, m)
			}
		}
		m.Status, m.Attempts, m.ClaimedAt, m.ClaimedUntil = postgres.OutboxSending, m.Attempts+1, now, now.Add(s.lease())
		claimed = true
		return postgres.SetMessage(ctx, tx, m)
	})
	if err != nil || !claimed {
		return found, err
	}
	return true, s.deliver(ctx, m)
}

// deliver calls the provider for the claimed m and settles the outcome: sent; queued
// again with a capped backoff after a provider error; failed once the attempts are used
// up or when no retry can mend it. A shutdown does not cut a send short: the call and
// the settling run on until SendTimeout.
func (s *Sender) deliver(ctx context.Context, m postgres.OutboxMessage) error {
	ctx = context.WithoutCancel(ctx)
	claimedAt := m.ClaimedAt
	ch := renoflow.NotifyChannel(m.Channel)
	to := m.Recipient
	if ch == renoflow.ChannelSMS {
		to = renoflow.MaskPhone(m.Recipient)
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	defer cancel()
	answer, sendErr, final := "", s.limits[ch].Wait(sctx), false
	if sendErr == nil {
		answer, sendErr, final = s.send(sctx, m)
	}
	now := s.cfg.Now()
	m.ClaimedAt, m.ClaimedUntil = time.Time{}, time.Time{}
	log := s.cfg.Log.With("customer_id", m.CustomerID, "key", m.Key, "channel", m.Channel, "to", to, "attempt", m.Attempts)
	switch {
	case sendErr == nil:
		log.Info("outbox: sent", "answer", answer)
		m.Status, m.Answer, m.SentAt = postgres.OutboxSent, answer, now
	case errors.Is(sendErr, ErrInDoubt) && s.dedupWindow(ch, m.StoreID) == 0:
		// The provider may have it and cannot drop a repeat: never resent blindly.
		log.Warn("outbox: delivery unknown", "err", sendErr)
		m.Status = postgres.OutboxUnknown
		m.Answer = fmt.Sprintf("投递未知：第%d次发送%s，服务商可能已发出。请向接收人核实后确认或重发", m.Attempts, sendErr)
	case final || m.Attempts >= s.cfg.MaxAttempts:
		log.Warn("outbox: failed", "err", sendErr)
		m.Status, m.Answer = postgres.OutboxFailed, sendErr.Error()
	default:
		m.Status, m.NextAt = postgres.OutboxQueued, now.Add(s.backoff(m.Attempts))
		m.Answer = fmt.Sprintf("第%d次发送失败：%s", m.Attempts, sendErr)
		log.Info("outbox: provider error, retrying", "err", sendErr, "next", m.NextAt)
	}
	ok, err := postgres.SettleMessage(ctx, s.db, m, claimedAt)
	if err == nil && !ok {
		log.Warn("outbox: the claim was resolved before its outcome was recorded", "status", m.Status)
	}
	return err
}

// send calls the channel's provider; final reports an error no retry can mend (no
// recipient configured). A 企业微信 app message carries its outbox id, so that two
// different messages of the same text are never taken for duplicates by the provider's
// duplicate check.
func (s *Sender) send(ctx context.Context, m postgres.OutboxMessage) (answer string, err error, final bool) {
	switch renoflow.NotifyChannel(m.Channel) {
	case renoflow.ChannelSMS:
		sms, sign, tpl := s.cfg.smsFor(m.StoreID)
		id := tpl[m.Template]
		if sms == nil || id == "" {
			return "", fmt.Errorf("未配置短信模板 %s", m.Template), true
		}
		a, err := sms.SendSMS(ctx, SMS{Phone: m.Recipient, Sign: sign, TemplateID: id, Params: m.Params,
			ParamOrder: s.cfg.SMSParamOrder[m.Template], Key: m.CustomerID + "/" + m.Key})
		return a, err, false
	case renoflow.ChannelWeCom:
		user, err := postgres.WecomUserID(ctx, s.db, m.Recipient)
		if err != nil {
			return "", err, false
		}
		if user == "" {
			return "", fmt.Errorf("员工未绑定企业微信账号"), true
		}
		app := s.cfg.wecomFor(m.StoreID)
		if app == nil {
			return "", fmt.Errorf("未配置企业微信应用"), true
		}
		a, err := app.SendApp(ctx, user, AppText(m))
		return a, err, false
	case renoflow.ChannelRobot:
		key := s.cfg.RobotKeys[m.StoreID]
		if key == "" {
			return "", fmt.Errorf("门店未配置群机器人"), true
		}
		a, err := s.cfg.Robot.SendRobot(ctx, key, m.Body)
		return a, err, false
	}
	return "", fmt.Errorf("未知渠道 %s", m.Channel), true
}

// AppText is the text of m as a 企业微信 app message: its body and its outbox number.
func AppText(m postgres.OutboxMessage) string {
	return fmt.Sprintf("%s\n（消息编号 %d）", m.Body, m.ID)
}

// queueDigest queues, once per company day from DigestAt on, the morning digest of each
// staff member's open work (企业微信): how many, how many overdue. Keyed by the day and
// the staff member, so several senders queue it once.
func (s *Sender) queueDigest(ctx context.Context, now time.Time) error {
	if s.cfg.DigestAt < 0 {
		return nil
	}
	l := now.In(renoflow.Zone)
	day := l.Format("2006-01-02")
	if s.digested == day || l.Hour()*60+l.Minute() < s.cfg.DigestAt {
		return nil
	}
	err := postgres.QueueDigest(ctx, s.db, day, now)
	if err == nil {
		s.digested = day
	}
	return err
}
