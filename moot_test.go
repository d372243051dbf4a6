package renoflow

import (
	"testing"
	"time"
)

func TestTaskKindOf(t *testing.T) {
	tests := []struct {
		rule Rule
		seq  int
		want TaskKind
	}{
		{RuleVerify, 0, TaskWork},
		{RuleVerify, 1, TaskNotice}, // an escalation copy only informs
		{RuleFirstCallback, 0, TaskWork},
		{RuleFirstCallback, 2, TaskNotice},
		{RuleClaimReminder, 0, TaskNotice},
		{RuleClaimExpiry, 0, TaskNotice},
		{RulePresaleProtection, 0, TaskNotice},
		{RuleFollowUpMonth, 0, TaskNotice},
		{RuleNeglect, 0, TaskNotice},
		{RuleAfterSalesNotice, 0, TaskNotice},
		{RuleSuspensionEnd, 0, TaskNotice},
		{RuleDispatchAccept, 0, TaskWork},
		{RuleDispatchAccept, 1, TaskNotice}, // returned
		{RuleDispatchAccept, 2, TaskNotice}, // refused
		{RuleAfterSalesVisit, 0, TaskWork},
	}
	for _, tt := range tests {
		if got := TaskKindOf(tt.rule, tt.seq); got != tt.want {
			t.Errorf("TaskKindOf(%s, %d) = %s, want %s", tt.rule, tt.seq, got, tt.want)
		}
	}
}

func TestTaskOverdue(t *testing.T) {
	now := at("2026-11-23 10:00")
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	tests := []struct {
		rule   Rule
		seq    int
		status TaskStatus
		due    time.Time
		want   bool
	}{
		{RuleFirstCallback, 0, TaskOpen, past, true},
		{RuleFirstCallback, 0, TaskOpen, future, false},
		{RuleFirstCallback, 0, TaskCancelled, past, false}, // moot work is never overdue
		{RuleFirstCallback, 0, TaskDone, past, false},
		{RuleFirstCallback, 1, TaskOpen, past, false}, // nor is its escalation
		{RuleClaimReminder, 0, TaskOpen, past, false}, // nor any notice
		{RuleClaimExpiry, 0, TaskOpen, past, false},
		{RuleAfterSalesNotice, 0, TaskAcknowledged, past, false},
	}
	for _, tt := range tests {
		if got := TaskOverdue(tt.rule, tt.seq, tt.status, tt.due, now); got != tt.want {
			t.Errorf("TaskOverdue(%s/%d %s) = %v, want %v", tt.rule, tt.seq, tt.status, got, tt.want)
		}
	}
}

// TestMoot is the table of which open task each state leaves applicable (issue 10 §4).
func TestMoot(t *testing.T) {
	cm1, cm2 := Person{ID: "cm1", Name: "张经理"}, Person{ID: "cm2", Name: "王经理"}
	no := false
	open := []Callback{{Attempt: 1}}
	done := []Callback{{Attempt: 1, Reached: &no}, {Attempt: 2}}
	step := func(c Customer, f func(*Customer)) Customer { f(&c); return c }
	filed := Customer{Stage: StageFiled, Owner: cm1, Callbacks: open, TracksTasks: true}
	pool := Customer{Stage: StagePool, PreviousOwner: cm1, TracksTasks: true}
	presale := Customer{Stage: StagePresale, Owner: cm2, Callbacks: open, TracksTasks: true,
		FollowUp: &FollowUpMonth{Month: "2026-11", Open: []string{"2026-11/2"}}}
	clk := func(r Rule, subject string) Clocks { return Clocks{{Rule: r, Subject: subject, Seq: 2}} }
	tests := []struct {
		name string
		c    Customer
		task OpenTask
		want string // "" = still applies
	}{
		{"claim reminder while the claim runs", filed, OpenTask{Rule: RuleClaimReminder, AssigneeID: "cm1"}, ""},
		{"claim reminder after the lapse", pool, OpenTask{Rule: RuleClaimReminder, AssigneeID: "cm1"}, "报备保护期已结束"},
		{"claim reminder after the visit", presale, OpenTask{Rule: RuleClaimReminder, AssigneeID: "cm1"}, "报备保护期已结束"},
		{"claim reminder to a former owner", step(filed, func(c *Customer) { c.Owner = cm2 }), OpenTask{Rule: RuleClaimReminder, AssigneeID: "cm1"}, "已不是归属人"},
		{"lapse notice in the pool", pool, OpenTask{Rule: RuleClaimExpiry, AssigneeID: "cm1"}, ""},
		{"lapse notice once claimed", presale, OpenTask{Rule: RuleClaimExpiry, AssigneeID: "cm1"}, "客户已由王经理认领"},
		{"release notice once claimed", presale, OpenTask{Rule: RulePresaleProtection}, "客户已由王经理认领"},
		{"open call-back", presale, OpenTask{Rule: RuleFirstCallback, Subject: "1"}, ""},
		{"call-back in the pool", step(presale, func(c *Customer) { c.Stage = StagePool }), OpenTask{Rule: RuleFirstCallback, Subject: "1"}, "客户已进入公海"},
		{"call-back attempt recorded", step(presale, func(c *Customer) { c.Callbacks = done }), OpenTask{Rule: RuleFirstCallback, Subject: "1"}, "该次回访已不需要"},
		{"escalation of an open call-back", step(presale, func(c *Customer) { c.Clocks = clk(RuleFirstCallback, "1") }), OpenTask{Rule: RuleFirstCallback, Subject: "1", Seq: 1}, ""},
		{"escalation of work done", presale, OpenTask{Rule: RuleVerify, Seq: 1}, ReasonWorkClosed},
		{"escalation on a customer filed before tasks were tracked", step(presale, func(c *Customer) { c.TracksTasks, c.Flag = false, "x" }), OpenTask{Rule: RuleVerify, Seq: 3}, ""},
		{"flag rung while flagged", step(presale, func(c *Customer) { c.Flag = "x"; c.OpenTasks = []OpenTask{{Rule: RuleFirstCallback, Subject: "1"}} }),
			OpenTask{Rule: RuleFirstCallback, Subject: "1", Seq: 2}, ""},
		{"flag rung after the flag is cleared", step(presale, func(c *Customer) { c.OpenTasks = []OpenTask{{Rule: RuleFirstCallback, Subject: "1"}} }),
			OpenTask{Rule: RuleFirstCallback, Subject: "1", Seq: 2}, ReasonFlagCleared},
		{"follow-up still owed", presale, OpenTask{Rule: RuleFollowUp, Subject: "2026-11/2"}, ""},
		{"follow-up no longer owed", presale, OpenTask{Rule: RuleFollowUp, Subject: "2026-11/1"}, "本次跟进已不需要"},
		{"verification of a verified filing", step(filed, func(c *Customer) { c.VerifiedAt = at("2026-11-23 10:00") }), OpenTask{Rule: RuleVerify}, "报备已核实"},
		{"dispute unruled", step(presale, func(c *Customer) { c.Disputes = []Dispute{{ID: "D1"}} }), OpenTask{Rule: RuleDispute, Subject: "D1"}, ""},
		{"dispute void", step(pool, func(c *Customer) { c.Disputes = []Dispute{{ID: "D1", Outcome: DisputeVoid, Ruling: "报备作废"}} }), OpenTask{Rule: RuleDispute, Subject: "D1"}, "争议已作废：报备作废"},
		{"dispute ruled", step(presale, func(c *Customer) { c.Disputes = []Dispute{{ID: "D1", Outcome: DisputeOwner}} }), OpenTask{Rule: RuleDispute, Subject: "D1"}, "争议已裁决"},
		{"dispatch to confirm", step(presale, func(c *Customer) { c.Dispatches = []Dispatch{{Status: DispatchProposed}} }), OpenTask{Rule: RuleDispatchConfirm, Subject: "d1"}, ""},
		{"dispatch returned", step(presale, func(c *Customer) { c.Dispatches = []Dispatch{{Status: DispatchReturned}} }), OpenTask{Rule: RuleDispatchConfirm, Subject: "d1"}, "派单已退回"},
		{"dispatch to accept, refused", step(presale, func(c *Customer) { c.Dispatches = []Dispatch{{Status: DispatchRefused}} }), OpenTask{Rule: RuleDispatchAccept, Subject: "d1"}, "派单已被拒"},
		{"refusal notice before the next dispatch", step(presale, func(c *Customer) { c.Dispatches = []Dispatch{{Status: DispatchRefused}} }), OpenTask{Rule: RuleDispatchAccept, Subject: "d1", Seq: 2}, ""},
		{"refusal notice after the next dispatch", step(presale, func(c *Customer) { c.Dispatches = []Dispatch{{Status: DispatchRefused}, {Status: DispatchProposed}} }),
			OpenTask{Rule: RuleDispatchAccept, Subject: "d1", Seq: 2}, "已重新派单或客户已转入下一阶段"},
		{"complaint answer", step(presale, func(c *Customer) { c.Complaints = []Complaint{{ID: "K1", Status: ComplaintOpen}} }), OpenTask{Rule: RuleComplaintAnswer, Subject: "K1.0"}, ""},
		{"complaint reassigned", step(presale, func(c *Customer) { c.Complaints = []Complaint{{ID: "K1", Status: ComplaintOpen, Gen: 1}} }), OpenTask{Rule: RuleComplaintAnswer, Subject: "K1.0"}, "投诉已改派或重新处理"},
		{"complaint answered", step(presale, func(c *Customer) { c.Complaints = []Complaint{{ID: "K1", Status: ComplaintAnswered}} }), OpenTask{Rule: RuleComplaintAnswer, Subject: "K1.0"}, "投诉已答复"},
		{"complaint resolved", step(presale, func(c *Customer) { c.Complaints = []Complaint{{ID: "K1", Status: ComplaintResolved}} }), OpenTask{Rule: RuleComplaintResolve, Subject: "K1.0"}, "投诉已解决"},
		{"invalid proposal pending", step(presale, func(c *Customer) { c.InvalidProposal = &Proposal{} }), OpenTask{Rule: RuleInvalidReview}, ""},
		{"invalid proposal ruled", presale, OpenTask{Rule: RuleInvalidReview}, "无效申请已审核"},
		{"neglect notice while neglected", step(presale, func(c *Customer) { c.FlagCauses = []FlagCause{{Rule: RuleNeglect}} }), OpenTask{Rule: RuleNeglect}, ""},
		{"neglect notice after service", presale, OpenTask{Rule: RuleNeglect}, "已恢复服务或标记已解除"},
		{"weekly check after completion", Customer{Stage: StageAfterSales}, OpenTask{Rule: RuleWeeklyCheck, Subject: "3"}, "已竣工"},
		{"after-sales notice before its visit", Customer{Stage: StageAfterSales, Clocks: Clocks{{Rule: RuleAfterSalesVisit, Subject: "1"}}}, OpenTask{Rule: RuleAfterSalesNotice, Subject: "1"}, ""},
		{"after-sales notice after its visit", Customer{Stage: StageAfterSales, TracksTasks: true}, OpenTask{Rule: RuleAfterSalesNotice, Subject: "1"}, "售后回访已完成"},
		{"anything on an invalid customer", Customer{Stage: StageInvalid}, OpenTask{Rule: RuleFollowUpMonth}, ReasonInvalid},
		{"anything on an archived customer", Customer{Stage: StageArchived}, OpenTask{Rule: RuleAfterSalesNotice, Subject: "4"}, ReasonArchived},
		{"a month's score stays until read", presale, OpenTask{Rule: RuleFollowUpMonth, Subject: "2026-10"}, ""},
	}
	for _, tt := range tests {
		if got := tt.c.Moot(tt.task); got != tt.want {
			t.Errorf("%s: Moot(%s) = %q, want %q", tt.name, TaskKey(tt.task.Rule, tt.task.Subject, tt.task.Seq), got, tt.want)
		}
	}
}

// The flag clears when the last work that raised it is no longer open; a customer filed
// before its tasks were tracked keeps it until reassigned or confirmed.
func TestSettleFlag(t *testing.T) {
	cause := FlagCause{Rule: RuleFirstCallback, Subject: "1", Reason: "逾期未办，标记待重新分配：首谈回访"}
	tests := []struct {
		name string
		c    Customer
		want string
	}{
		{"work still open", Customer{Stage: StagePresale, TracksTasks: true, FlagCauses: []FlagCause{cause},
			OpenTasks: []OpenTask{{Rule: RuleFirstCallback, Subject: "1"}}}, cause.Reason},
		{"work done", Customer{Stage: StagePresale, TracksTasks: true, FlagCauses: []FlagCause{cause}}, ""},
		{"work done, neglect remains", Customer{Stage: StagePresale, TracksTasks: true,
			FlagCauses: []FlagCause{{Rule: RuleNeglect, Reason: "服务不到位"}, cause}}, "服务不到位"},
		{"filed before tracking", Customer{Stage: StagePresale, FlagCauses: []FlagCause{cause}}, cause.Reason},
		{"in the pool", Customer{Stage: StagePool, TracksTasks: true, FlagCauses: []FlagCause{cause},
			OpenTasks: []OpenTask{{Rule: RuleFirstCallback, Subject: "1"}}}, ""},
	}
	for _, tt := range tests {
		tt.c.Flag = "old"
		tt.c.settleFlag()
		if tt.c.Flag != tt.want {
			t.Errorf("%s: flag %q, want %q", tt.name, tt.c.Flag, tt.want)
		}
	}
}

// rowStore applies effects to task rows as the Persist activity does.
type rowStore map[string]*struct {
	task   OpenTask
	status TaskStatus
	reason string
}

func (s rowStore) apply(eff Effects) {
	for _, t := range eff.Tasks {
		if s[t.Key()] == nil {
			s[t.Key()] = &struct {
				task   OpenTask
				status TaskStatus
				reason string
			}{OpenTask{Rule: t.Rule, Subject: t.Subject, Seq: t.Seq, AssigneeID: t.AssigneeID}, TaskOpen, ""}
		}
	}
	for _, cl := range eff.Closed {
		for _, r := range s {
			if r.status == TaskOpen && r.task.Rule == cl.Rule && r.task.Subject == cl.Subject && (cl.Seq < 0 || cl.Seq == r.task.Seq) {
				r.status, r.reason = cl.Status, cl.Reason
			}
		}
	}
	for _, r := range s {
		if eff.CloseAll != "" && r.status == TaskOpen {
			r.status, r.reason = eff.CloseAll, eff.CloseAllReason
		}
		if eff.Reassign != nil && r.status == TaskOpen && r.task.AssigneeID == eff.Reassign.From {
			r.task.AssigneeID = eff.Reassign.To
		}
	}
}

// TestConcludeClosesMootTasks walks state changes of one customer — filed with a phone
// consultation, reminded, lapsed, claimed by another customer manager, flagged for an
// overdue call-back… — applying each change's effects to task rows as Persist does, and
// asserts after each that no open row is moot and every cancelled row says why.
func TestConcludeClosesMootTasks(t *testing.T) {
	cm1 := Actor{ID: "cm1", Name: "张经理", Role: RoleCustomerManager, StoreID: "s1"}
	cm2 := Actor{ID: "cm2", Name: "王经理", Role: RoleCustomerManager, StoreID: "s1"}
	sm := Actor{ID: "sm1", Name: "赵店长", Role: RoleStoreManager, StoreID: "s1"}
	start := at("2026-11-23 10:00")
	env := testEnv(start)
	rec := Record{Name: "陈", Gender: GenderFemale, Phone: "13812345678", Situation: "x", House: House{AreaM2: 90}, Channel: ChannelReferral, StoreID: "s1"}
	c, eff := NewCustomer(env, "c1", rec, cm1, ConsultPhone)
	rows := rowStore{}
	rows.apply(eff)
	check := func(what string) {
		t.Helper()
		for key, r := range rows {
			switch {
			case r.status == TaskOpen && c.Moot(r.task) != "":
				t.Fatalf("%s: open task %s is moot: %s", what, key, c.Moot(r.task))
			case r.status == TaskCancelled && r.reason == "":
				t.Fatalf("%s: cancelled task %s gives no reason", what, key)
			}
		}
	}
	fire := func(until time.Time) {
		t.Helper()
		for {
			clk, ok := c.Clocks.PopNext(until)
			if !ok {
				return
			}
			e := testEnv(clk.Due)
			eff := c.Fire(e, clk)
			c.Conclude(e, &eff)
			rows.apply(eff)
			check("fire " + clk.Key())
		}
	}
	act := func(what string, now time.Time, f func(Env) (Effects, error)) {
		t.Helper()
		fire(now)
		e := testEnv(now)
		eff, err := f(e)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		c.Conclude(e, &eff)
		rows.apply(eff)
		check(what)
	}
	fire(start.AddDate(0, 0, 8)) // reminded, the call-back escalates, the claim lapses
	if c.Stage != StagePool || rows["claim.reminder//0"].status != TaskCancelled || rows["callback/1/0"].status != TaskCancelled {
		t.Fatalf("after the lapse: stage %s, reminder %s, call-back %s", c.Stage, rows["claim.reminder//0"].status, rows["callback/1/0"].status)
	}
	now := start.AddDate(0, 0, 9)
	act("claim", now, func(e Env) (Effects, error) { return c.StoreVisit(e, cm2, PoolStats{}, "") })
	if r := rows["claim.expiry//0"]; r.status != TaskCancelled || r.reason != "客户已由王经理认领" {
		t.Fatalf("the lapse notice: %s %q", r.status, r.reason)
	}
	now = now.Add(time.Hour)
	act("reassign", now, func(e Env) (Effects, error) { return c.Reassign(e, sm, cm1.Person(), "") })
	now = now.Add(time.Hour)
	act("dispute", now, func(e Env) (Effects, error) { return c.OpenDispute(e, cm2, "我先带来的") })
	now = now.Add(time.Hour)
	act("ruling", now, func(e Env) (Effects, error) { return c.RuleDispute(e, sm, DisputeClaimant, "") })
	now = now.Add(time.Hour)
	act("complaint", now, func(e Env) (Effects, error) { return c.OpenComplaint(e, sm, "attitude", "", Person{}, "迟到") })
	now = now.Add(5 * 24 * time.Hour) // overdue: the complaint climbs its ladder to the flag
	fire(now)
	if c.Flag == "" {
		t.Fatal("the overdue complaint flags the customer")
	}
	act("complaint reassigned", now, func(e Env) (Effects, error) {
		return c.ReassignComplaint(e, sm, "K1", cm1.Person(), "")
	})
	act("complaint resolved", now.Add(time.Hour), func(e Env) (Effects, error) { return c.ResolveComplaint(e, cm1, "K1", "道歉") })
	act("invalid proposed", now.Add(2*time.Hour), func(e Env) (Effects, error) { return c.ProposeInvalid(e, cm2, "重复客户") })
	act("invalid", now.Add(3*time.Hour), func(e Env) (Effects, error) { return c.ConfirmInvalid(e, sm, "") })
	for key, r := range rows {
		if r.status == TaskOpen {
			t.Errorf("an invalid customer keeps task %s open", key)
		}
	}
}
