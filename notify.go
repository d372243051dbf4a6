package renoflow

import (
	"strings"
	"time"
)

// NotifyChannel is how a message reaches someone (issue 14).
type NotifyChannel string

// Channels of the outbox.
const (
	// ChannelWeCom is a 企业微信 app message to one staff member (by their WeCom user id).
	ChannelWeCom NotifyChannel = "wecom"
	// ChannelRobot is a message to the store's 企业微信 group robot (webhook key per store),
	// for work addressed to a role of the store rather than to a person.
	ChannelRobot NotifyChannel = "robot"
	// ChannelSMS is a template SMS to the customer.
	ChannelSMS NotifyChannel = "sms"
)

// NotifyChannels lists the channels in display order.
func NotifyChannels() []NotifyChannel { return []NotifyChannel{ChannelWeCom, ChannelRobot, ChannelSMS} }

// Label is the channel's Chinese name.
func (ch NotifyChannel) Label() string {
	switch ch {
	case ChannelWeCom:
		return "企业微信"
	case ChannelRobot:
		return "门店群机器人"
	case ChannelSMS:
		return "短信"
	}
	return string(ch)
}

// SMS templates (an approved template id per company is configured against each name).
const (
	SMSContact  = "contact"  // seed 004: the contact message after the deposit
	SMSProgress = "progress" // seed 004: construction progress the day after each milestone
	SMSVisit    = "visit"    // seed 004 / lifecycle 10: the visit invitation a week before a visit
)

// Message kinds for staff.
const (
	MsgAssigned = "assigned" // new work assigned
	MsgApproval = "approval" // an approval waits (派单确认, 无效审核, 归属裁决)
	MsgOverdue  = "overdue"  // an overdue escalation (a rung of the ladder)
	MsgNotice   = "notice"   // a notice (reminder, lapse, release)
	MsgDigest   = "digest"   // the morning digest of the day's work
)

// Message is one outbox row: a message the transition that wrote Key causes. Key is the
// business key (unique per customer): the key of the task ("task:" + rule/subject/seq) or
// timeline entry ("entry:" + key) that causes it, plus the channel, so that a retried,
// replayed or continued transition writes it once and it is sent once.
type Message struct {
	Key     string        `json:"key"`
	Channel NotifyChannel `json:"channel"`
	Kind    string        `json:"kind"`
	// To is a staff id (wecom), a store id (robot) or the customer's phone (sms).
	To      string `json:"to"`
	StoreID string `json:"store_id"`
	// Template names the SMS template (SMSContact …); Params are its named parameters.
	Template string            `json:"template,omitempty"`
	Params   map[string]string `json:"params,omitempty"`
	// Text is the staff message (Markdown-free plain text).
	Text string `json:"text"`
	// NotBefore is the earliest send time (the day after a milestone); quiet hours may
	// hold it later (QuietUntil).
	NotBefore time.Time `json:"not_before"`
	// TaskKey names the task (rule/subject/seq) the message is about, if any.
	TaskKey string `json:"task_key,omitempty"`
}

// approvalRules are the rules whose work is an approval (派单确认, 无效审核, 归属裁决).
var approvalRules = map[Rule]bool{RuleDispatchConfirm: true, RuleInvalidReview: true, RuleDispute: true}

// Messages derives the outbox messages of one transition of c (c after the transition)
// from its effects (issue 14). Pure and deterministic:
//   - every new task reaches its assignee: by 企业微信 app message to the person, or to
//     the store's group robot when it goes to a role of the store; the kind says
//     assigned / approval / overdue (a rung ≥ 1 of a ladder rule) / notice;
//   - the customer gets a template SMS for the deposit (contact), each milestone (the
//     next day: progress) and each after-sales visit notice (visit invitation);
//   - nothing for a customer without a phone, nothing for a task nobody is assigned.
func Messages(c Customer, eff Effects) []Message {
	var out []Message
	for _, t := range eff.Tasks {
		key := "task:" + t.Key()
		kind := MsgNotice
		switch {
		case t.Seq == 0 && approvalRules[t.Rule]:
			kind = MsgApproval
		case t.Seq == 0 && t.Rule.Spec().Work != "":
			kind = MsgAssigned
		case t.Seq > 0 && t.Rule.Spec().Ladder:
			kind = MsgOverdue
		}
		text := "【" + kindLabel(kind) + "】" + t.Title
		if c.Record.Name != "" {
			text += "（客户：" + c.Record.Name + "）"
		}
		if t.Detail != "" {
			text += "\n" + t.Detail
		}
		if !t.Due.IsZero() && kind != MsgNotice {
			text += "\n期限：" + fmtTime(t.Due)
		}
		switch {
		case t.AssigneeID != "":
			out = append(out, Message{Key: key + "#" + string(ChannelWeCom), Channel: ChannelWeCom, Kind: kind, To: t.AssigneeID,
				StoreID: t.StoreID, Text: text, NotBefore: t.CreatedAt, TaskKey: t.Key()})
		case t.AssigneeRole != "" && t.StoreID != "":
			out = append(out, Message{Key: key + "#" + string(ChannelRobot), Channel: ChannelRobot, Kind: kind, To: t.StoreID,
				StoreID: t.StoreID, Text: text, NotBefore: t.CreatedAt, TaskKey: t.Key()})
		}
		if t.Rule == RuleAfterSalesNotice && c.Record.Phone != "" {
			out = append(out, Message{Key: key + "#" + string(ChannelSMS), Channel: ChannelSMS, Kind: SMSVisit, To: string(c.Record.Phone),
				StoreID: c.StoreID, Template: SMSVisit, Params: map[string]string{"name": c.Record.Name, "date": visitDate(c, t)},
				NotBefore: t.CreatedAt, TaskKey: t.Key()})
		}
	}
	if c.Record.Phone == "" {
		return out
	}
	for _, e := range eff.Timeline {
		key := "entry:" + e.Key + "#" + string(ChannelSMS)
		switch e.Kind {
		case "deposit":
			contact := c.Owner.Name
			if c.Designer.Name != "" {
				contact = c.Designer.Name
			}
			out = append(out, Message{Key: key, Channel: ChannelSMS, Kind: SMSContact, To: string(c.Record.Phone), StoreID: c.StoreID,
				Template: SMSContact, Params: map[string]string{"name": c.Record.Name, "contact": contact}, NotBefore: e.At})
		case "milestone":
			m := ""
			for _, r := range c.Milestones {
				if r.At.Equal(e.At) {
					m = r.Milestone.Label()
				}
			}
			out = append(out, Message{Key: key, Channel: ChannelSMS, Kind: SMSProgress, To: string(c.Record.Phone), StoreID: c.StoreID,
				Template: SMSProgress, Params: map[string]string{"name": c.Record.Name, "milestone": m}, NotBefore: e.At.AddDate(0, 0, 1)})
		}
	}
	return out
}

// visitDate is the day of the visit a notice task announces (the visit's pending clock).
func visitDate(c Customer, t Task) string {
	rule, subject := RuleAfterSalesVisit, t.Subject
	if r, s, ok := tableVisitOf(t.Subject); ok {
		rule, subject = r, s
	}
	if clk, ok := c.Clocks.Find(rule, subject); ok {
		return clk.Due.In(Zone).Format("2006-01-02")
	}
	return t.Due.In(Zone).AddDate(0, 0, 7).Format("2006-01-02")
}

func kindLabel(kind string) string {
	switch kind {
	case MsgAssigned:
		return "新任务"
	case MsgApproval:
		return "待审批"
	case MsgOverdue:
		return "逾期升级"
	case MsgDigest:
		return "今日待办"
	}
	return "通知"
}

// QuietHours is the window in which no SMS goes to customers (issue 14: 21:00–08:00
// Asia/Shanghai by default); a message due inside it is held until its end. Start and
// End are minutes after midnight in Zone; Start == End means no quiet hours.
type QuietHours struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// DefaultQuietHours is 21:00–08:00.
var DefaultQuietHours = QuietHours{Start: 21 * 60, End: 8 * 60}

// Hold returns when a customer message due at t may go: t itself outside quiet hours,
// else the end of the quiet window (the next 08:00 by default).
func (q QuietHours) Hold(t time.Time) time.Time {
	if q.Start == q.End {
		return t
	}
	l := t.In(Zone)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, Zone)
	min := l.Hour()*60 + l.Minute()
	in := false
	if q.Start > q.End { // across midnight
		in = min >= q.Start || min < q.End
	} else {
		in = min >= q.Start && min < q.End
	}
	if !in {
		return t
	}
	end := day.Add(time.Duration(q.End) * time.Minute)
	if min >= q.End && q.Start > q.End {
		end = end.AddDate(0, 0, 1)
	}
	return end
}

// MaskPhone masks a phone number for logs: 138****5678.
func MaskPhone(p string) string {
	if len(p) < 7 {
		return strings.Repeat("*", len(p))
	}
	return p[:3] + strings.Repeat("*", len(p)-7) + p[len(p)-4:]
}
