package workflows

import (
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/stretchr/testify/require"
)

const (
	hour = time.Hour
	day  = 24 * time.Hour
)

// A filing nobody acts on: verification escalates up the ladder, the owner is reminded
// a day before the claim lapses, and on day 7 the customer goes to the public pool.
func TestClaimLapsesWithoutVisit(t *testing.T) {
	h := newHarness(t, nil)
	h.run(8*day, CustomerInput{})

	require.Equal(t, []string{
		"verify//0→customer_service@0s",
		"verify//1→cs_lead@2h0m0s",
		"verify//2→store_manager@26h0m0s",
		"verify//3→store_manager@74h0m0s",
		"claim.reminder//0→cm1@144h0m0s",
		"claim.expiry//0→cm1@168h0m0s",
	}, h.taskLines())

	c := h.state()
	require.Equal(t, renoflow.StagePool, c.Stage)
	require.Empty(t, c.Owner.ID)
	require.Equal(t, "cm1", c.PreviousOwner.ID)
	require.Empty(t, c.Flag, "the ladder's last rung flagged the customer; in the pool it is not flagged")
	h.requireNoStaleTasks()

	var lapse *renoflow.Entry
	for _, e := range h.timeline() {
		if e.Rule == renoflow.RuleClaimExpiry && e.Kind == "timer" {
			e := e
			lapse = &e
		}
	}
	require.NotNil(t, lapse, "the lapse is on the timeline")
	require.Equal(t, 7, lapse.PolicyVersion)
	require.True(t, lapse.Due.Equal(t0.Add(7*day)))
	var pool []renoflow.PoolMove
	for _, b := range h.batches {
		pool = append(pool, b.Effects.Pool...)
	}
	require.Len(t, pool, 1)
	require.Equal(t, "lapse", pool[0].Kind)
	require.Equal(t, "cm1", pool[0].From)
}

// Verification inside two hours closes the task and raises no alert.
func TestVerifiedInTime(t *testing.T) {
	h := newHarness(t, nil)
	h.at(time.Hour, func() { h.update("v1", UpdateVerify, Action{Actor: cs, Note: "已核实"}) })
	h.at(2*time.Hour, func() { h.update("v2", UpdateVerify, Action{Actor: cs}) })
	h.run(5*hour, CustomerInput{})
	h.accepted("v1")
	require.Equal(t, renoflow.CodeConflict, h.refusal("v2").Code, "a second verification is refused")
	require.Equal(t, []string{"verify//0→customer_service@0s"}, h.taskLines())
	require.Contains(t, h.closed(), "verify/:done")
	require.Equal(t, "cs1", h.state().VerifiedBy.ID)
}

// A designer may not verify: refused by the validator, nothing written.
func TestVerifyRefusedForWrongRole(t *testing.T) {
	h := newHarness(t, nil)
	designer := renoflow.Actor{ID: "d1", Name: "设计师", Role: renoflow.RoleDesigner, StoreID: "s1"}
	var before int
	h.at(time.Minute, func() {
		before = len(h.batches)
		h.update("v", UpdateVerify, Action{Actor: designer})
	})
	h.at(2*time.Minute, func() { require.Equal(t, before, len(h.batches), "a refusal writes nothing") })
	h.run(time.Hour, CustomerInput{})
	require.Equal(t, renoflow.CodeForbidden, h.refusal("v").Code)
}

// A store visit inside the window keeps the claim; the first consultation opens the
// first call-back, due in two days.
func TestStoreVisitKeepsClaim(t *testing.T) {
	h := newHarness(t, nil)
	h.at(30*time.Minute, func() { h.update("v", UpdateVerify, Action{Actor: cs}) })
	h.at(3*day, func() { h.update("visit", UpdateStoreVisit, Action{Actor: cs, Note: "带家人来看样板间"}) })
	h.at(4*day, func() { h.update("cb", UpdateCallback, CallbackInput{Action: Action{Actor: filer}, Reached: true}) })
	h.run(30*day, CustomerInput{})
	h.accepted("v", "visit", "cb")
	c := h.state()
	require.Equal(t, renoflow.StagePresale, c.Stage)
	require.Equal(t, "cm1", c.Owner.ID, "the filer keeps the customer")
	require.Equal(t, renoflow.ConsultVisit, c.FirstConsult)
	require.Equal(t, []string{"verify//0→customer_service@0s", "callback/1/0→cm1@72h0m0s"},
		h.taskLines(renoflow.RuleVerify, renoflow.RuleFirstCallback, renoflow.RuleClaimReminder, renoflow.RuleClaimExpiry),
		"no reminder, no lapse, no escalation")
	require.False(t, c.Clocks.Has(renoflow.RuleClaimExpiry) || c.Clocks.Has(renoflow.RuleClaimReminder) || c.Clocks.Has(renoflow.RuleFirstCallback))
	require.Len(t, c.Callbacks, 1)
	require.True(t, c.Callbacks[0].Due.Equal(t0.Add(5*day)))
}

// An unreachable customer gets two more attempts, one day apart; the third failure ends
// the series.
func TestUnreachableCallbackRetries(t *testing.T) {
	h := newHarness(t, nil)
	h.at(time.Minute, func() { h.update("v", UpdateVerify, Action{Actor: cs}) })
	h.at(hour, func() { h.update("p", UpdatePhoneEnquiry, Action{Actor: filer}) })
	h.at(day, func() { h.update("c1", UpdateCallback, CallbackInput{Action: Action{Actor: filer}, Reached: false}) })
	h.at(day+2*hour, func() { h.update("c2", UpdateCallback, CallbackInput{Action: Action{Actor: filer}, Reached: false}) })
	h.at(day+4*hour, func() { h.update("c3", UpdateCallback, CallbackInput{Action: Action{Actor: filer}, Reached: false}) })
	h.at(day+6*hour, func() { h.update("c4", UpdateCallback, CallbackInput{Action: Action{Actor: filer}, Reached: true}) })
	h.run(6*day+23*hour, CustomerInput{})
	h.accepted("v", "p", "c1", "c2", "c3")
	require.Equal(t, renoflow.CodeConflict, h.refusal("c4").Code, "no attempt left open")
	require.Equal(t, []string{
		"verify//0→customer_service@0s",
		"callback/1/0→cm1@1h0m0s",
		"callback/2/0→cm1@24h0m0s",
		"callback/3/0→cm1@26h0m0s",
		"claim.reminder//0→cm1@144h0m0s",
	}, h.taskLines(renoflow.RuleVerify, renoflow.RuleFirstCallback, renoflow.RuleClaimReminder))
	cbs := h.state().Callbacks
	require.Len(t, cbs, 3)
	require.True(t, cbs[1].Due.Equal(t0.Add(2*day)), "second attempt due a day after the first failed")
	require.True(t, cbs[2].Due.Equal(t0.Add(2*day+2*hour)))
}

// An overdue call-back escalates to the store manager, then flags the customer.
func TestOverdueCallbackEscalates(t *testing.T) {
	h := newHarness(t, nil)
	h.at(time.Minute, func() { h.update("v", UpdateVerify, Action{Actor: cs}) })
	h.at(hour, func() { h.update("visit", UpdateStoreVisit, Action{Actor: filer}) })
	h.run(5*day, CustomerInput{})
	require.Equal(t, []string{
		"verify//0→customer_service@0s",
		"callback/1/0→cm1@1h0m0s",
		"callback/1/1→store_manager@49h0m0s",
		"callback/1/2→store_manager@97h0m0s",
	}, h.taskLines(renoflow.RuleVerify, renoflow.RuleFirstCallback))
	require.Contains(t, h.state().Flag, "首谈回访")
}

// After the lapse the first staff member to bring the customer to the store owns them;
// the previous owner is refused during the cooling-off period, and so is anyone over
// the daily pool limit.
func TestPublicPoolClaim(t *testing.T) {
	h := newHarness(t, func(p *renoflow.Policy) { p.PoolDailyClaimLimit = 2 })
	h.at(8*day, func() { h.update("prev", UpdateStoreVisit, Action{Actor: filer}) })
	h.at(8*day+hour, func() {
		h.stats = renoflow.PoolStats{ClaimedToday: 2}
		h.update("limit", UpdateStoreVisit, Action{Actor: other})
	})
	h.at(8*day+2*hour, func() {
		h.stats = renoflow.PoolStats{ClaimedToday: 1, Held: 10}
		h.update("claim", UpdateStoreVisit, Action{Actor: other})
	})
	h.run(9*day, CustomerInput{})
	require.Contains(t, h.refusal("prev").Message, "冷静期")
	require.Contains(t, h.refusal("limit").Message, "每日上限")
	h.accepted("claim")
	c := h.state()
	require.Equal(t, "cm2", c.Owner.ID)
	require.Equal(t, renoflow.StagePresale, c.Stage)
	var kinds []string
	for _, b := range h.batches {
		for _, p := range b.Effects.Pool {
			kinds = append(kinds, p.Kind+":"+p.To)
		}
	}
	require.Equal(t, []string{"lapse:", "claim:cm2"}, kinds)
}

// Durations are policy: a three-day claim window lapses on day three.
func TestShrunkenPolicy(t *testing.T) {
	h := newHarness(t, func(p *renoflow.Policy) {
		p.ClaimWindow = renoflow.MustSpan("3min")
		p.ClaimReminderBefore = renoflow.MustSpan("1min")
		p.VerifyWithin = renoflow.MustSpan("30s")
		p.EscalateCopyAfter = renoflow.MustSpan("10s")
		p.EscalateFlagAfter = renoflow.MustSpan("10s")
	})
	h.run(5*time.Minute, CustomerInput{})
	require.Equal(t, []string{
		"verify//0→customer_service@0s",
		"verify//1→cs_lead@30s",
		"verify//2→store_manager@40s",
		"verify//3→store_manager@50s",
		"claim.reminder//0→cm1@2m0s",
		"claim.expiry//0→cm1@3m0s",
	}, h.taskLines())
	require.Equal(t, renoflow.StagePool, h.state().Stage)
}
