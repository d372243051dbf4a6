// Package notify delivers the outbox (issue 14): the messages activities.Persist queued
// in the transaction of the task or timeline entry that causes them. A Sender claims one
// due row at a time (SELECT … FOR UPDATE SKIP LOCKED, so several workers share the work
// and a row is never sent by two at once), waits for its channel's rate limit, sends it
// and records the provider's answer: sent; queued again with a capped exponential
// backoff after a provider error; failed once the attempts are used up. A failed message
// blocks nothing else. Customer SMS respect the quiet hours (held until their end) and
// the per-phone opt-out (退订: skipped). Phones are masked in logs.
package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/time/rate"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/activities"
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
	chans := s.Channels()
	if len(chans) == 0 {
		return 0, nil
	}
	if s.cfg.WeCom != nil {
		if err := s.queueDigest(ctx, s.cfg.Now()); err != nil {
			return 0, err
		}
	}
	n := 0
	for n < 1000 {
		ok, err := s.sendOne(ctx, chans)
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

// sendOne claims the oldest due message of chans and handles it in one transaction.
func (s *Sender) sendOne(ctx context.Context, chans []string) (bool, error) {
	found := false
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		now := s.cfg.Now()
		var m activities.OutboxRow
		err := tx.NewSelect().Model(&m).Where("status = 'queued'").Where("next_at <= ?", now).
			Where("channel IN (?)", bun.In(chans)).OrderExpr("next_at, id").Limit(1).For("UPDATE SKIP LOCKED").Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		return s.handle(ctx, tx, &m, now)
	})
	return found, err
}

func (s *Sender) handle(ctx context.Context, tx bun.Tx, m *activities.OutboxRow, now time.Time) error {
	ch := renoflow.NotifyChannel(m.Channel)
	to := m.Recipient
	if ch == renoflow.ChannelSMS {
		to = renoflow.MaskPhone(m.Recipient)
		var out int
		if err := tx.NewRaw("SELECT count(*) FROM sms_optouts WHERE phone = ?", m.Recipient).Scan(ctx, &out); err != nil {
			return err
		}
		if out > 0 {
			return s.finish(ctx, tx, m, "skipped", "客户已退订短信", now, false)
		}
		if hold := s.cfg.Quiet.Hold(now); hold.After(now) {
			_, err := tx.NewUpdate().Table("outbox").Set("next_at = ?", hold).Where("id = ?", m.ID).Exec(ctx)
			s.cfg.Log.Info("outbox: held for quiet hours", "customer_id", m.CustomerID, "key", m.Key, "to", to, "until", hold)
			return err
		}
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	defer cancel()
	if err := s.limits[ch].Wait(sctx); err != nil {
		return err
	}
	answer, sendErr, final := s.send(sctx, tx, m)
	m.Attempts++
	log := s.cfg.Log.With("customer_id", m.CustomerID, "key", m.Key, "channel", m.Channel, "to", to, "attempt", m.Attempts)
	switch {
	case sendErr == nil:
		log.Info("outbox: sent", "answer", answer)
		return s.finish(ctx, tx, m, "sent", answer, now, true)
	case final || m.Attempts >= s.cfg.MaxAttempts:
		log.Warn("outbox: failed", "err", sendErr)
		return s.finish(ctx, tx, m, "failed", sendErr.Error(), now, true)
	default:
		next := now.Add(s.backoff(m.Attempts))
		log.Info("outbox: provider error, retrying", "err", sendErr, "next", next)
		_, err := tx.NewUpdate().Table("outbox").Set("attempts = ?", m.Attempts).Set("next_at = ?", next).
			Set("answer = ?", fmt.Sprintf("第%d次发送失败：%s", m.Attempts, sendErr)).Where("id = ?", m.ID).Exec(ctx)
		return err
	}
}

// send calls the channel's provider; final reports an error no retry can mend (no
// recipient configured).
func (s *Sender) send(ctx context.Context, tx bun.Tx, m *activities.OutboxRow) (answer string, err error, final bool) {
	switch renoflow.NotifyChannel(m.Channel) {
	case renoflow.ChannelSMS:
		id := s.cfg.SMSTemplates[m.Template]
		if id == "" {
			return "", fmt.Errorf("未配置短信模板 %s", m.Template), true
		}
		a, err := s.cfg.SMS.SendSMS(ctx, SMS{Phone: m.Recipient, Sign: s.cfg.SMSSign, TemplateID: id, Params: m.Params,
			ParamOrder: s.cfg.SMSParamOrder[m.Template], Key: m.CustomerID + "/" + m.Key})
		return a, err, false
	case renoflow.ChannelWeCom:
		var user string
		if err := tx.NewRaw("SELECT wecom_userid FROM staff WHERE id = ?", m.Recipient).Scan(ctx, &user); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return "", err, false
		}
		if user == "" {
			return "", fmt.Errorf("员工未绑定企业微信账号"), true
		}
		a, err := s.cfg.WeCom.SendApp(ctx, user, m.Body)
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

func (s *Sender) finish(ctx context.Context, tx bun.Tx, m *activities.OutboxRow, status, answer string, now time.Time, attempted bool) error {
	q := tx.NewUpdate().Table("outbox").Set("status = ?", status).Set("answer = ?", answer).Set("attempts = ?", m.Attempts).
		Where("id = ?", m.ID)
	if status == "sent" {
		q = q.Set("sent_at = ?", now)
	}
	_, err := q.Exec(ctx)
	return err
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
	_, err := s.db.NewRaw(`INSERT INTO outbox (customer_id, key, channel, kind, recipient, store_id, body, next_at, created_at)
		SELECT '', 'digest:' || ? || '#wecom:' || assignee_id, 'wecom', 'digest', assignee_id, max(store_id),
		       '【今日待办】您有' || count(*) || '项待办' ||
		       CASE WHEN count(*) FILTER (WHERE due_at < ?) > 0 THEN '，其中' || count(*) FILTER (WHERE due_at < ?) || '项已逾期' ELSE '' END,
		       ?, ?
		  FROM tasks WHERE status = 'open' AND kind = 'work' AND assignee_id <> '' GROUP BY assignee_id
		ON CONFLICT (customer_id, key) DO NOTHING`, day, now, now, now, now).Exec(ctx)
	if err == nil {
		s.digested = day
	}
	return err
}
