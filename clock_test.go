package renoflow

import (
	"testing"
	"time"
)

func TestClocks(t *testing.T) {
	t0 := at("2026-11-25 09:00")
	var cs Clocks
	cs.Set(Clock{Rule: RuleClaimExpiry, Due: t0.Add(7 * 24 * time.Hour)})
	cs.Set(Clock{Rule: RuleVerify, Seq: 1, Due: t0.Add(2 * time.Hour)})
	cs.Set(Clock{Rule: RuleClaimReminder, Due: t0.Add(6 * 24 * time.Hour)})
	cs.Set(Clock{Rule: RuleFirstCallback, Subject: "1", Seq: 1, Due: t0.Add(2 * time.Hour)})

	next, ok := cs.Next()
	if !ok || next.Rule != RuleFirstCallback {
		t.Fatalf("Next = %+v: equal due times must order by key", next)
	}
	// Re-arming the same due point replaces it.
	cs.Set(Clock{Rule: RuleVerify, Seq: 1, Due: t0.Add(3 * time.Hour)})
	if len(cs) != 4 {
		t.Fatalf("Set duplicated a clock: %+v", cs)
	}
	var due []Clock
	for {
		c, ok := cs.PopNext(t0.Add(3 * time.Hour))
		if !ok {
			break
		}
		due = append(due, c)
	}
	if len(due) != 2 || due[0].Rule != RuleFirstCallback || due[1].Rule != RuleVerify {
		t.Fatalf("PopNext = %+v", due)
	}
	if len(cs) != 2 || cs[0].Rule != RuleClaimReminder {
		t.Fatalf("left = %+v", cs)
	}
	if n := cs.Cancel(RuleClaimReminder, ""); n != 1 || cs.Has(RuleClaimReminder) {
		t.Fatalf("Cancel = %d, left %+v", n, cs)
	}
	if c, ok := cs.Find(RuleClaimExpiry, ""); !ok || c.Key() != "claim.expiry//0" {
		t.Fatalf("Find = %+v %v", c, ok)
	}
	cs.CancelAll()
	if _, ok := cs.Next(); ok {
		t.Fatal("CancelAll left clocks")
	}
}
