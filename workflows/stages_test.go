package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// designers makes the Designers activity answer with d1 (eligible) and d2.
func (h *harness) designers() {
	h.env.OnActivity("Designers", mock.Anything, mock.Anything, mock.Anything).Return(
		func(context.Context, string, time.Time) ([]renoflow.DesignerInfo, error) {
			return []renoflow.DesignerInfo{
				{Person: renoflow.Person{ID: "d1", Name: "吴设计"}, OnDuty: true},
				{Person: renoflow.Person{ID: "d2", Name: "郑设计"}, OnDuty: false},
			}, nil
		})
}

var d1 = renoflow.Person{ID: "d1", Name: "吴设计"}

// A refusal suspends the designer for a month (a clock of its own) and returns the
// dispatch to the customer manager; an unanswered dispatch returns after 24 hours.
func TestDispatchRefusalAndTimeout(t *testing.T) {
	h := newHarness(t, nil)
	h.designers()
	h.at(hour, func() { h.update("visit", UpdateStoreVisit, Action{Actor: filer}) })
	h.at(2*hour, func() {
		h.update("ineligible", UpdateDispatchPropose, PersonInput{Action: Action{Actor: filer}, Person: renoflow.Person{ID: "d2", Name: "郑设计"}})
	})
	h.at(2*hour+time.Minute, func() { h.update("p1", UpdateDispatchPropose, PersonInput{Action: Action{Actor: filer}, Person: d1}) })
	h.at(2*hour+2*time.Minute, func() { h.update("cm-confirm", UpdateDispatchConfirm, Action{Actor: filer}) })
	h.at(3*hour, func() { h.update("c1", UpdateDispatchConfirm, Action{Actor: manager}) })
	h.at(4*hour, func() { h.update("refuse-empty", UpdateDispatchRefuse, Action{Actor: designer}) })
	h.at(5*hour, func() { h.update("refuse", UpdateDispatchRefuse, Action{Actor: designer, Note: "档期已满"}) })
	h.at(6*hour, func() { h.update("p2", UpdateDispatchPropose, PersonInput{Action: Action{Actor: filer}, Person: d1}) })
	h.at(7*hour, func() { h.update("c2", UpdateDispatchConfirm, Action{Actor: manager}) })
	h.run(40*day, CustomerInput{})

	h.accepted("visit", "p1", "c1", "refuse", "p2", "c2")
	require.Contains(t, h.refusal("ineligible").Message, "今日不在岗")
	require.Equal(t, renoflow.CodeForbidden, h.refusal("cm-confirm").Code, "a customer manager cannot confirm")
	require.Equal(t, renoflow.CodeInvalid, h.refusal("refuse-empty").Code, "a refusal must give a reason")

	var susp []renoflow.Suspension
	for _, b := range h.batches {
		susp = append(susp, b.Effects.Suspensions...)
	}
	require.Len(t, susp, 2, "suspended on refusal, lifted a month later")
	require.False(t, susp[0].Lift)
	require.True(t, susp[0].Until.Equal(time.Date(2026, 12, 23, 15, 0, 0, 0, renoflow.Zone)))
	require.True(t, susp[1].Lift)

	require.Equal(t, []string{
		"dispatch.confirm/d1/0→store_manager@2h1m0s",
		"dispatch.accept/d1/0→d1@3h0m0s",
		"dispatch.accept/d1/2→cm1@5h0m0s",
		"dispatch.confirm/d2/0→store_manager@6h0m0s",
		"dispatch.accept/d2/0→d1@7h0m0s",
		"dispatch.accept/d2/1→cm1@31h0m0s",
		"designer.suspension/d1/0→store_manager@725h0m0s",
	}, h.taskLines(renoflow.RuleDispatchConfirm, renoflow.RuleDispatchAccept, renoflow.RuleSuspensionEnd))
	ds := h.state().Dispatches
	require.Equal(t, renoflow.DispatchRefused, ds[0].Status)
	require.Equal(t, renoflow.DispatchReturned, ds[1].Status, "not accepted in 24 h: back to the customer manager")
}

// Complaints: several open at once; an unresolved one escalates to the store manager,
// who reassigns it; an unsatisfied customer reopens it; satisfied closes and archives.
func TestComplaints(t *testing.T) {
	h := newHarness(t, nil)
	h.at(hour, func() { h.update("visit", UpdateStoreVisit, Action{Actor: filer}) })
	h.at(2*hour, func() {
		h.update("k1", UpdateComplaintOpen, ComplaintOpenInput{Action: Action{Actor: cs, Note: "设计师迟到"}, Category: "attitude"})
	})
	h.at(3*hour, func() {
		h.update("k2", UpdateComplaintOpen, ComplaintOpenInput{Action: Action{Actor: cs, Note: "报价不清"}, Category: "design"})
	})
	h.at(3*hour+time.Minute, func() {
		h.update("bad", UpdateComplaintOpen, ComplaintOpenInput{Action: Action{Actor: cs}, Category: "weather"})
	})
	h.at(4*hour, func() {
		h.update("a2", UpdateComplaintAnswer, ComplaintInput{Action: Action{Actor: filer, Note: "已解释"}, ComplaintID: "K2"})
	})
	h.at(5*hour, func() {
		h.update("r2", UpdateComplaintResolve, ComplaintInput{Action: Action{Actor: filer, Note: "重新报价"}, ComplaintID: "K2"})
	})
	h.at(6*hour, func() {
		h.update("unhappy", UpdateComplaintClose, ComplaintCloseInput{ComplaintInput: ComplaintInput{Action: Action{Actor: cs}, ComplaintID: "K2"}, Satisfied: false})
	})
	// K1 is neither answered nor resolved: the answer rung reminds the handler after 24 h,
	// the resolve rung goes to the store manager after 3 days.
	h.at(3*day+3*hour, func() {
		h.update("reassign", UpdateComplaintReassign, ComplaintReassignInput{ComplaintInput: ComplaintInput{Action: Action{Actor: manager}, ComplaintID: "K1"},
			Handler: renoflow.Person{ID: "cm2", Name: "王经理"}})
	})
	h.at(3*day+4*hour, func() {
		h.update("r1", UpdateComplaintResolve, ComplaintInput{Action: Action{Actor: other, Note: "更换设计师"}, ComplaintID: "K1"})
	})
	h.at(3*day+5*hour, func() {
		h.update("happy", UpdateComplaintClose, ComplaintCloseInput{ComplaintInput: ComplaintInput{Action: Action{Actor: cs}, ComplaintID: "K1"}, Satisfied: true})
	})
	h.run(4*day, CustomerInput{})

	h.accepted("visit", "k1", "k2", "a2", "r2", "unhappy", "reassign", "r1", "happy")
	require.Equal(t, renoflow.CodeInvalid, h.refusal("bad").Code)
	require.Equal(t, []string{
		"complaint.answer/K1.0/0→cm1@2h0m0s",
		"complaint.resolve/K1.0/0→cm1@2h0m0s",
		"complaint.answer/K2.0/0→cm1@3h0m0s",
		"complaint.resolve/K2.0/0→cm1@3h0m0s",
		"complaint.resolve/K2.1/0→cm1@6h0m0s",
		"complaint.answer/K1.0/1→cm1@26h0m0s",
		"complaint.answer/K1.0/2→store_manager@50h0m0s",
		"complaint.resolve/K1.0/1→store_manager@74h0m0s",
		"complaint.answer/K1.1/0→cm2@75h0m0s",
		"complaint.resolve/K1.1/0→cm2@75h0m0s",
		"complaint.resolve/K2.1/1→store_manager@78h0m0s",
	}, h.taskLines(renoflow.RuleComplaintAnswer, renoflow.RuleComplaintResolve))
	ks := h.state().Complaints
	require.True(t, ks[0].Escalated, "the overdue resolution reached the store manager")
	require.Equal(t, renoflow.ComplaintClosed, ks[0].Status)
	require.True(t, ks[0].Archived)
	require.Equal(t, "cm2", ks[0].Handler.ID)
	require.Equal(t, renoflow.ComplaintAnswered, ks[1].Status, "an unsatisfied customer reopens the complaint")
}

// Invalid: proposed by the customer manager, confirmed only by the store manager; the
// customer leaves the pipeline, its clocks stop, its open tasks are cancelled, its phone
// is released and the workflow ends.
func TestInvalidCustomer(t *testing.T) {
	h := newHarness(t, nil)
	h.at(hour, func() { h.update("visit", UpdateStoreVisit, Action{Actor: filer}) })
	h.at(2*hour, func() { h.update("no-reason", UpdateInvalidPropose, Action{Actor: filer}) })
	h.at(3*hour, func() { h.update("propose", UpdateInvalidPropose, Action{Actor: filer, Note: "空号，无法联系"}) })
	h.at(4*hour, func() { h.update("sup", UpdateInvalidConfirm, Action{Actor: supervisor}) })
	h.at(5*hour, func() { h.update("reject", UpdateInvalidReject, Action{Actor: manager, Note: "再联系一次"}) })
	h.at(6*hour, func() { h.update("propose2", UpdateInvalidPropose, Action{Actor: filer, Note: "确认空号"}) })
	h.at(7*hour, func() { h.update("confirm", UpdateInvalidConfirm, Action{Actor: manager}) })
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, 30*day)
	h.env.ExecuteWorkflow(CustomerWorkflow, CustomerInput{CustomerID: "c1", Record: testRecord(), Filer: filer})
	require.NoError(t, h.env.GetWorkflowError(), "an invalid customer's workflow ends")

	h.accepted("visit", "propose", "reject", "propose2", "confirm")
	require.Equal(t, renoflow.CodeInvalid, h.refusal("no-reason").Code)
	require.Equal(t, renoflow.CodeForbidden, h.refusal("sup").Code, "only the store manager confirms")
	c := h.state()
	require.Equal(t, renoflow.StageInvalid, c.Stage)
	require.Empty(t, c.Clocks, "its timers stop")
	last := h.batches[len(h.batches)-1].Effects
	require.True(t, last.ReleasePhone)
	require.Equal(t, renoflow.TaskCancelled, last.CloseAll)
}

// Neglect: three months without recorded service flag the customer for the store
// manager, who reassigns it: the flag clears and the open tasks move to the new owner.
func TestNeglectAndReassign(t *testing.T) {
	h := newHarness(t, func(p *renoflow.Policy) {
		p.FollowUpsPerMonth = renoflow.GradeQuota{} // keep the month quiet
		p.PresaleProtection = renoflow.MustSpan("1y")
	})
	h.at(hour, func() { h.update("visit", UpdateStoreVisit, Action{Actor: filer}) })
	h.at(2*hour, func() { h.update("cb", UpdateCallback, CallbackInput{Action: Action{Actor: filer}, Reached: true}) })
	var flagged string
	h.at(95*day, func() { flagged = h.state().Flag })
	h.at(96*day, func() {
		h.update("cm-reassign", UpdateReassign, PersonInput{Action: Action{Actor: filer}, Person: renoflow.Person{ID: "cm2", Name: "王经理"}})
	})
	h.at(96*day+hour, func() {
		h.update("reassign", UpdateReassign, PersonInput{Action: Action{Actor: manager, Note: "原归属人离职"}, Person: renoflow.Person{ID: "cm2", Name: "王经理"}})
	})
	h.run(97*day, CustomerInput{})

	h.accepted("visit", "cb", "reassign")
	require.Equal(t, renoflow.CodeForbidden, h.refusal("cm-reassign").Code)
	require.Contains(t, flagged, "服务不到位")
	require.Equal(t, []string{"neglect//0→store_manager@2210h0m0s"}, h.taskLines(renoflow.RuleNeglect),
		"flagged three months after the last service (the call-back)")
	c := h.state()
	require.Equal(t, "cm2", c.Owner.ID)
	require.Empty(t, c.Flag)
	last := h.batches[len(h.batches)-1].Effects
	require.Equal(t, &renoflow.Reassignment{From: "cm1", To: "cm2"}, last.Reassign)
}

// A consulted customer without a deposit is released to the public pool when the
// pre-sale protection period ends.
func TestPresaleProtectionReleases(t *testing.T) {
	h := newHarness(t, func(p *renoflow.Policy) { p.PresaleProtection = renoflow.MustSpan("10d") })
	h.at(hour, func() { h.update("visit", UpdateStoreVisit, Action{Actor: filer}) })
	h.run(12*day, CustomerInput{})
	c := h.state()
	require.Equal(t, renoflow.StagePool, c.Stage)
	require.Equal(t, "cm1", c.PreviousOwner.ID)
	require.Nil(t, c.FollowUp, "follow-ups stop in the pool")
	var kinds []string
	for _, b := range h.batches {
		for _, p := range b.Effects.Pool {
			kinds = append(kinds, p.Kind)
		}
	}
	require.Equal(t, []string{"release"}, kinds)
	require.Equal(t, []string{"presale.protection//0→store_manager@241h0m0s"}, h.taskLines(renoflow.RulePresaleProtection))
}

// Continue-As-New carries the whole state, clocks included, after every handler finished.
func TestContinueAsNewCarriesState(t *testing.T) {
	h := newHarness(t, nil)
	h.at(hour, func() { h.update("visit", UpdateStoreVisit, Action{Actor: filer}) })
	for i := 0; i < 5; i++ {
		h.at(2*hour+time.Duration(i)*time.Minute, func() {
			h.update("fu"+string(rune('a'+i)), UpdateFollowUp, FollowUpInput{Action: Action{Actor: filer}, Channel: "phone"})
		})
	}
	h.env.ExecuteWorkflow(CustomerWorkflow, CustomerInput{CustomerID: "c1", Record: testRecord(), Filer: filer, ContinueAsNewAfter: 5})
	require.True(t, h.env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(h.env.GetWorkflowError(), &can), "want Continue-As-New, got %v", h.env.GetWorkflowError())
	var next CustomerInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.State)
	last := h.state()
	require.Equal(t, last.Revision, next.State.Revision)
	require.Equal(t, len(last.Clocks), len(next.State.Clocks), "open clocks are carried")
	require.NotEmpty(t, next.State.Clocks)
	for i := range last.Clocks {
		require.True(t, last.Clocks[i].Due.Equal(next.State.Clocks[i].Due))
	}
	require.Equal(t, 5, next.ContinueAsNewAfter)

	// The next run starts from that state without filing again.
	h2 := newHarness(t, nil)
	h2.at(hour, func() {
		h2.update("fu", UpdateFollowUp, FollowUpInput{Action: Action{Actor: filer}, Channel: "wechat"})
	})
	next.ContinueAsNewAfter = 0
	h2.run(2*hour, next)
	require.Len(t, h2.batches, 1, "no second filing: only the follow-up is written")
	require.Equal(t, last.FollowUp.Done+1, h2.state().FollowUp.Done)
}

// Disputed ownership: each side's evidence is attached, the store manager rules (late:
// the supervisor hears of it), the ruling is recorded with who made it; a split shares the
// credit, a ruling for the claimant moves the customer and its open tasks.
func TestOwnershipDispute(t *testing.T) {
	h := newHarness(t, nil)
	h.at(hour, func() { h.update("visit", UpdateStoreVisit, Action{Actor: filer}) })
	h.at(2*hour, func() { h.update("own", UpdateDisputeOpen, Action{Actor: filer, Note: "我的客户"}) })
	h.at(3*hour, func() {
		h.update("d1", UpdateDisputeOpen, Action{Actor: other, Note: "我在小区活动中先接触客户，有通话记录"})
	})
	h.at(4*hour, func() { h.update("d1-again", UpdateDisputeOpen, Action{Actor: other, Note: "再次申请"}) })
	h.at(3*day+4*hour, func() {
		h.update("cm-rules", UpdateDisputeRule, DisputeRuleInput{Action: Action{Actor: filer}, Outcome: "owner"})
	})
	h.at(3*day+5*hour, func() {
		h.update("rule1", UpdateDisputeRule, DisputeRuleInput{Action: Action{Actor: manager, Note: "两人共同带客"}, Outcome: "split"})
	})
	h.at(4*day, func() { h.update("d2", UpdateDisputeOpen, Action{Actor: other, Note: "客户要求由我跟进"}) })
	h.at(4*day+hour, func() {
		h.update("rule2", UpdateDisputeRule, DisputeRuleInput{Action: Action{Actor: supervisor}, Outcome: "claimant"})
	})
	h.run(5*day, CustomerInput{})

	h.accepted("visit", "d1", "rule1", "d2", "rule2")
	require.Equal(t, renoflow.CodeConflict, h.refusal("own").Code, "the owner cannot dispute their own customer")
	require.Equal(t, renoflow.CodeConflict, h.refusal("d1-again").Code, "one open dispute at a time")
	require.Equal(t, renoflow.CodeForbidden, h.refusal("cm-rules").Code)
	require.Equal(t, []string{
		"dispute/D1/0→store_manager@3h0m0s",
		"dispute/D1/1→supervisor@75h0m0s",
		"dispute/D2/0→store_manager@96h0m0s",
	}, h.taskLines(renoflow.RuleDispute))
	c := h.state()
	require.Len(t, c.Disputes, 2)
	require.Equal(t, map[string]int{"cm1": 50, "cm2": 50}, c.Disputes[0].Credit)
	require.Equal(t, "sm1", c.Disputes[0].RuledBy.ID)
	require.GreaterOrEqual(t, len(c.Disputes[0].Evidence), 3, "both sides' evidence: %v", c.Disputes[0].Evidence)
	require.Equal(t, "sup1", c.Disputes[1].RuledBy.ID)
	require.Equal(t, "cm2", c.Owner.ID, "the claimant won the second dispute")
	var moves []renoflow.Reassignment
	for _, b := range h.batches {
		if b.Effects.Reassign != nil {
			moves = append(moves, *b.Effects.Reassign)
		}
	}
	require.Equal(t, []renoflow.Reassignment{{From: "cm1", To: "cm2"}}, moves, "the open tasks move once")
}

// A pre-sale customer whose workflow began before the pre-sale clocks shipped (state
// carried without them) adopts them at its next live event.
func TestInFlightCustomerAdoptsNewRules(t *testing.T) {
	old := renoflow.Customer{ID: "c1", Record: testRecord(), Stage: renoflow.StagePresale, StoreID: "s1",
		Owner: renoflow.Person{ID: "cm1", Name: "张经理"}, FiledBy: renoflow.Person{ID: "cm1", Name: "张经理"},
		FiledAt: t0.AddDate(0, 0, -20), VerifiedAt: t0.AddDate(0, 0, -20), FirstConsultAt: t0.AddDate(0, 0, -19),
		FirstConsult: renoflow.ConsultVisit, Revision: 9}
	h := newHarness(t, nil)
	h.at(hour, func() {
		h.update("grade", UpdateGrade, GradeInput{Action: Action{Actor: filer}, Grade: renoflow.GradeB})
	})
	h.run(2*hour, CustomerInput{CustomerID: "c1", Record: testRecord(), Filer: filer, State: &old})
	h.accepted("grade")
	c := h.state()
	require.NotNil(t, c.FollowUp, "this month's follow-ups are scheduled")
	require.True(t, c.Clocks.Has(renoflow.RuleFollowUpMonth))
	require.True(t, c.Clocks.Has(renoflow.RulePresaleProtection))
	require.True(t, c.Clocks.Has(renoflow.RuleNeglect))
	require.NotEmpty(t, h.taskLines(renoflow.RuleFollowUp))
}
