package renoflow

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Issue 14: which transitions notify whom on which channel, keyed by the business key of
// the task or timeline entry that causes the message.
func TestMessages(t *testing.T) {
	env := testEnv(at("2026-11-24 10:00"))
	cm := Actor{ID: "cm1", Name: "张经理", Role: RoleCustomerManager, StoreID: "s1"}
	des := Actor{ID: "d1", Name: "吴设计", Role: RoleDesigner, StoreID: "s1"}
	rec := Record{Name: "陈女士", Phone: "13812345678", StoreID: "s1"}
	type msg struct {
		Channel NotifyChannel
		Kind    string
		To      string
	}
	summary := func(ms []Message) []msg {
		var out []msg
		for _, m := range ms {
			out = append(out, msg{m.Channel, m.Kind, m.To})
		}
		return out
	}
	tests := []struct {
		name  string
		c     Customer
		apply func(c *Customer) (Effects, error)
		want  []msg
	}{
		{"dispatch proposed: the store manager's approval to the store robot", Customer{ID: "c", Record: rec, Stage: StagePresale, StoreID: "s1", Owner: cm.Person()},
			func(c *Customer) (Effects, error) {
				return c.ProposeDispatch(env, cm, des.Person(), []Ranked{{DesignerInfo: DesignerInfo{Person: des.Person()}, Eligible: true}}, "")
			}, []msg{{ChannelRobot, MsgApproval, "s1"}}},
		{"deposit: the contact SMS and the return visit to customer service", Customer{ID: "c", Record: rec, Stage: StageDesign, StoreID: "s1", Owner: cm.Person(), Designer: des.Person()},
			func(c *Customer) (Effects, error) { return c.Deposit(env, cm, 20000, "") },
			[]msg{{ChannelRobot, MsgAssigned, "s1"}, {ChannelSMS, SMSContact, "13812345678"}}},
		{"milestone: progress SMS", Customer{ID: "c", Record: rec, Stage: StageConstruction, StoreID: "s1", Owner: cm.Person()},
			func(c *Customer) (Effects, error) { return c.PassMilestone(env, cm, MilestoneMaterial, "") },
			[]msg{{ChannelRobot, MsgAssigned, "s1"}, {ChannelSMS, SMSProgress, "13812345678"}}},
		{"no phone, no SMS", Customer{ID: "c", Record: Record{Name: "陈"}, Stage: StageConstruction, StoreID: "s1", Owner: cm.Person()},
			func(c *Customer) (Effects, error) { return c.PassMilestone(env, cm, MilestoneMaterial, "") },
			[]msg{{ChannelRobot, MsgAssigned, "s1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			eff, err := tt.apply(&c)
			require.NoError(t, err)
			ms := Messages(c, eff)
			require.Equal(t, tt.want, summary(ms))
			keys := map[string]bool{}
			for _, m := range ms {
				require.False(t, keys[m.Key], "duplicate key %s", m.Key)
				keys[m.Key] = true
				require.Equal(t, ms, Messages(c, eff), "pure")
			}
		})
	}
	// The progress SMS goes the day after the milestone.
	c := Customer{ID: "c", Record: rec, Stage: StageConstruction, StoreID: "s1", Owner: cm.Person()}
	eff, err := c.PassMilestone(env, cm, MilestoneMaterial, "")
	require.NoError(t, err)
	sms := Messages(c, eff)[1]
	require.Equal(t, env.Now.AddDate(0, 0, 1), sms.NotBefore)
	require.Equal(t, MilestoneMaterial.Label(), sms.Params["milestone"])
}

// A task to a person goes to them by 企业微信; an escalation rung is "overdue".
func TestMessagesOfTasks(t *testing.T) {
	now := at("2026-11-24 10:00")
	c := Customer{ID: "c", Record: Record{Name: "陈", Phone: "13812345678"}, StoreID: "s1"}
	eff := Effects{Tasks: []Task{
		{Rule: RuleFirstCallback, Subject: "1", Seq: 0, Title: "首谈回访", AssigneeID: "cm1", StoreID: "s1", Due: now, CreatedAt: now},
		{Rule: RuleFirstCallback, Subject: "1", Seq: 1, Title: "首谈回访逾期", AssigneeID: "sm1", StoreID: "s1", Due: now, CreatedAt: now},
		{Rule: RuleClaimReminder, Seq: 0, Title: "报备即将到期", AssigneeID: "cm1", StoreID: "s1", Due: now, CreatedAt: now},
		{Rule: RuleInvalidReview, Seq: 0, Title: "无效审核", AssigneeRole: ToStoreManager, StoreID: "s1", Due: now, CreatedAt: now},
		{Rule: RuleAfterSalesNotice, Subject: "1", Seq: 0, Title: "通知客户", AssigneeRole: ToCustomerService, StoreID: "s1", Due: now, CreatedAt: now},
		{Rule: RuleVerify, Seq: 0, Title: "nobody"},
	}}
	var got []string
	for _, m := range Messages(c, eff) {
		got = append(got, m.Key+" "+string(m.Channel)+" "+m.Kind+" "+m.To)
	}
	require.Equal(t, []string{
		"task:callback/1/0#wecom wecom assigned cm1",
		"task:callback/1/1#wecom wecom overdue sm1",
		"task:claim.reminder//0#wecom wecom notice cm1",
		"task:invalid.review//0#robot robot approval s1",
		"task:aftersales.notice/1/0#robot robot notice s1",
		"task:aftersales.notice/1/0#sms sms visit 13812345678",
	}, got)
}

func TestQuietHours(t *testing.T) {
	q := DefaultQuietHours
	tests := []struct{ at, want string }{
		{"2026-11-24 10:00", "2026-11-24 10:00"},
		{"2026-11-24 20:59", "2026-11-24 20:59"},
		{"2026-11-24 21:00", "2026-11-25 08:00"},
		{"2026-11-24 23:30", "2026-11-25 08:00"},
		{"2026-11-25 03:00", "2026-11-25 08:00"},
		{"2026-11-25 07:59", "2026-11-25 08:00"},
		{"2026-11-25 08:00", "2026-11-25 08:00"},
	}
	for _, tt := range tests {
		require.Equal(t, at(tt.want), q.Hold(at(tt.at)), tt.at)
	}
	require.Equal(t, at("2026-11-24 23:00"), QuietHours{}.Hold(at("2026-11-24 23:00")))
	day := QuietHours{Start: 12 * 60, End: 14 * 60}
	require.Equal(t, at("2026-11-24 14:00"), day.Hold(at("2026-11-24 13:00")))
	require.Equal(t, at("2026-11-24 15:00"), day.Hold(at("2026-11-24 15:00")))
	_ = time.Second
}

func TestMaskPhone(t *testing.T) {
	require.Equal(t, "138****5678", MaskPhone("13812345678"))
	require.Equal(t, "***", MaskPhone("123"))
}
