package renoflow

import "testing"

func TestEscalation(t *testing.T) {
	p := DefaultPolicy()
	type rung struct {
		to   Recipient
		flag bool
		next string
	}
	tests := []struct {
		rule Rule
		want []rung
	}{
		// verify: the CS lead is alerted, then the store manager copied, then flagged.
		{RuleVerify, []rung{{ToCSLead, false, "1d"}, {ToStoreManager, false, "2d"}, {ToStoreManager, true, "0"}}},
		// follow-up: the owner is reminded first.
		{RuleFollowUp, []rung{{ToOwner, false, "1d"}, {ToStoreManager, false, "2d"}, {ToStoreManager, true, "0"}}},
		// call-back: overdue goes straight to the store manager, so no separate copy rung.
		{RuleFirstCallback, []rung{{ToStoreManager, false, "2d"}, {ToStoreManager, true, "0"}}},
		// notices have no ladder.
		{RuleClaimExpiry, nil},
		{RuleDispatchAccept, nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.rule), func(t *testing.T) {
			if _, ok := Escalation(tt.rule, 0, p); ok {
				t.Fatal("seq 0 is the work, not a rung")
			}
			for i, w := range tt.want {
				got, ok := Escalation(tt.rule, i+1, p)
				if !ok {
					t.Fatalf("rung %d missing", i+1)
				}
				next := "0"
				if !got.Next.IsZero() {
					next = got.Next.String()
				}
				if got.To != w.to || got.Flag != w.flag || next != w.next || got.Seq != i+1 || got.Title == "" {
					t.Fatalf("rung %d = %+v, want %+v", i+1, got, w)
				}
			}
			if _, ok := Escalation(tt.rule, len(tt.want)+1, p); ok {
				t.Fatal("a rung past the last one")
			}
		})
	}
}

func TestEveryRuleHasASpec(t *testing.T) {
	for r, s := range ruleSpecs {
		if s.Rule != r || s.Title == "" || s.Section == "" {
			t.Errorf("rule %q: incomplete spec %+v", r, s)
		}
		if s.Ladder && s.Work == "" {
			t.Errorf("rule %q climbs the ladder but nobody does the work", r)
		}
	}
}

// Rule titles say the durations of the policy in force (issue 13).
func TestRuleTitleForPolicy(t *testing.T) {
	p := DefaultPolicy()
	if got := RuleClaimReminder.TitleFor(p); got != RuleClaimReminder.Title() {
		t.Errorf("default policy: %q, want %q", got, RuleClaimReminder.Title())
	}
	for r, want := range map[Rule]string{RuleClaimExpiry: RuleClaimExpiry.Title(), RuleNeglect: RuleNeglect.Title(),
		RuleLivingExperience: RuleLivingExperience.Title()} {
		if got := r.TitleFor(p); got != want {
			t.Errorf("%s default: %q, want %q", r, got, want)
		}
	}
	p.ClaimReminderBefore, p.ClaimWindow = MustSpan("3min"), MustSpan("10min")
	if got := RuleClaimReminder.TitleFor(p); got != "报备3分钟后到期，请邀约客户到店" {
		t.Errorf("shrunk reminder: %q", got)
	}
	if got := RuleClaimExpiry.TitleFor(p); got != "报备作废：10分钟内未到店，客户进入公海" {
		t.Errorf("shrunk window: %q", got)
	}
	if got := RuleVerify.TitleFor(p); got != "核实报备" {
		t.Errorf("verify: %q", got)
	}
}
