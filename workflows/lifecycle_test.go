package workflows

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/activities"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files")

var (
	designer   = renoflow.Actor{ID: "d1", Name: "吴设计", Role: renoflow.RoleDesigner, StoreID: "s1"}
	supervisor = renoflow.Actor{ID: "sup1", Name: "孙总监", Role: renoflow.RoleSupervisor, StoreID: "s1", Stores: []string{"s1"}}
)

// golden compares got with testdata/<name>.golden (rewritten with -update).
func golden(t *testing.T, name string, got []string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	text := strings.Join(got, "\n") + "\n"
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./workflows -run %s -update to create it", t.Name())
	require.Equal(t, string(want), text)
}

// describeTasks writes every task created, in order: when, key, who, due, title.
func describeTasks(ts []renoflow.Task) []string {
	var out []string
	for _, t := range ts {
		who := t.AssigneeID
		if who == "" {
			who = "@" + string(t.AssigneeRole)
		}
		out = append(out, fmt.Sprintf("%s  %-32s → %-18s due %s  %s", t.CreatedAt.In(renoflow.Zone).Format(renoflow.TimeLayout),
			t.Key(), who, t.Due.In(renoflow.Zone).Format(renoflow.TimeLayout), t.Title))
	}
	return out
}

// One customer from filing to the last after-sales visit, about two and a half simulated
// years: every task the workflow creates, in order, exactly once (golden file), and the
// customer archived at the end with the workflow finished.
func TestWholeLifecycle(t *testing.T) {
	h := newHarness(t, nil)
	h.env.OnActivity("Designers", mock.Anything, mock.Anything, mock.Anything).Return(
		func(context.Context, string, time.Time) ([]renoflow.DesignerInfo, error) {
			return []renoflow.DesignerInfo{
				{Person: renoflow.Person{ID: "d1", Name: "吴设计"}, OnDuty: true, MaterialTargetMet: true, DepartmentRank: 1},
				{Person: renoflow.Person{ID: "d2", Name: "郑设计"}, OnDuty: true, DepositCustomers: 3},
			}, nil
		})
	cal := renoflow.DefaultCalendar()
	at := func(when time.Time, id, name string, arg any) {
		h.env.RegisterDelayedCallback(func() { h.update(id, name, arg) }, when.Sub(t0))
	}
	d := func(days int) time.Time { return t0.AddDate(0, 0, days) }
	done := func(actor renoflow.Actor, rule renoflow.Rule, subject string) CompleteTaskInput {
		return CompleteTaskInput{Action: Action{Actor: actor}, Rule: rule, Subject: subject}
	}

	// Filing, verification, the store visit that keeps the claim, grading, first call-back.
	at(t0.Add(30*time.Minute), "verify", UpdateVerify, Action{Actor: cs})
	at(t0.Add(time.Hour), "visit", UpdateStoreVisit, Action{Actor: filer, Note: "看样板间"})
	at(t0.Add(2*time.Hour), "grade-c", UpdateGrade, GradeInput{Action: Action{Actor: filer}, Grade: renoflow.GradeC})
	at(d(1), "callback", UpdateCallback, CallbackInput{Action: Action{Actor: filer}, Reached: true})
	// November: no follow-up (1 owed, pro rata); December: one of two.
	at(d(17), "fu-dec", UpdateFollowUp, FollowUpInput{Action: Action{Actor: filer}, Channel: "phone"})
	// January: dispatch, authorised by the supervisor and signed late by the store manager.
	at(d(42), "propose-d2", UpdateDispatchPropose, PersonInput{Action: Action{Actor: filer}, Person: renoflow.Person{ID: "d2", Name: "郑设计"}})
	at(d(42).Add(time.Minute), "propose", UpdateDispatchPropose, PersonInput{Action: Action{Actor: filer}, Person: renoflow.Person{ID: "d1", Name: "吴设计"}})
	at(d(42).Add(time.Hour), "authorise", UpdateDispatchConfirm, Action{Actor: supervisor, Note: "店经理外出"})
	at(d(42).Add(3*time.Hour), "late-sign", UpdateDispatchConfirm, Action{Actor: manager})
	at(d(43), "accept", UpdateDispatchAccept, Action{Actor: designer})
	at(d(44), "measure", UpdateMeasure, Action{Actor: designer})
	at(d(46), "design", UpdateDesignProgress, Action{Actor: designer, Note: "平面方案初稿"})
	at(d(48), "fu-jan", UpdateFollowUp, FollowUpInput{Action: Action{Actor: filer}, Channel: "visit"})
	at(d(53), "deposit", UpdateDeposit, PaymentInput{Action: Action{Actor: filer}, AmountYuan: 20000})
	at(d(54), "deposit-visit", UpdateCompleteTask, done(cs, renoflow.RuleDepositVisit, ""))
	contract := d(63)
	at(contract, "contract", UpdateContract, PaymentInput{Action: Action{Actor: filer}, AmountYuan: 280000})
	at(d(64), "contract-visit", UpdateCompleteTask, done(cs, renoflow.RuleContractVisit, "")) // seed 004: within a week
	// Construction: inspections in order (one out of order refused), each return visit done.
	at(d(70), "early-mid", UpdateMilestone, MilestoneInput{Action: Action{Actor: filer}, Milestone: renoflow.MilestoneMid})
	completion := d(158)
	for i, m := range []struct {
		day int
		m   renoflow.Milestone
	}{{74, renoflow.MilestoneMaterial}, {95, renoflow.MilestoneConcealed}, {123, renoflow.MilestoneMid}, {158, renoflow.MilestoneCompletion}} {
		at(d(m.day), fmt.Sprintf("milestone-%d", i), UpdateMilestone, MilestoneInput{Action: Action{Actor: filer}, Milestone: m.m})
		at(d(m.day+1), fmt.Sprintf("inspection-visit-%d", i), UpdateCompleteTask, done(cs, renoflow.RuleInspectionVisit, string(m.m)))
	}
	for k, when := 1, contract.AddDate(0, 0, 7); when.Before(completion); k, when = k+1, when.AddDate(0, 0, 7) {
		at(when.Add(time.Hour), fmt.Sprintf("weekly-%d", k), UpdateCompleteTask, done(filer, renoflow.RuleWeeklyCheck, fmt.Sprint(k)))
	}
	// A complaint during construction: answered, resolved, the customer satisfied.
	at(d(98), "complaint", UpdateComplaintOpen, ComplaintOpenInput{Action: Action{Actor: cs, Note: "瓦工进场晚了一周"}, Category: "schedule"})
	at(d(98).Add(2*time.Hour), "answer", UpdateComplaintAnswer, ComplaintInput{Action: Action{Actor: filer, Note: "已致电道歉并说明原因"}, ComplaintID: "K1"})
	at(d(99), "resolve", UpdateComplaintResolve, ComplaintInput{Action: Action{Actor: filer, Note: "增派瓦工，追回工期"}, ComplaintID: "K1"})
	at(d(100), "close", UpdateComplaintClose, ComplaintCloseInput{ComplaintInput: ComplaintInput{Action: Action{Actor: cs}, ComplaintID: "K1"}, Satisfied: true})
	// After-sales: the customer moves in (seed 004 实际入住); every visit done the day
	// after it falls due.
	at(d(170), "moved-in", UpdateMovedIn, MovedInInput{Action: Action{Actor: cs}, Date: d(165).In(renoflow.Zone).Format(time.DateOnly)})
	p := renoflow.DefaultPolicy()
	at(cal.Add(completion, p.LivingExperienceAfter).AddDate(0, 0, 1), "living", UpdateCompleteTask, done(cs, renoflow.RuleLivingExperience, ""))
	at(cal.Add(completion, p.HouseCheckAfter).AddDate(0, 0, 1), "check", UpdateCompleteTask, done(cs, renoflow.RuleHouseCheck, ""))
	visit := completion
	for k := 1; k <= 4; k++ {
		visit = cal.Add(visit, p.AfterSalesEvery)
		at(visit.AddDate(0, 0, 1), fmt.Sprintf("visit-%d", k), UpdateCompleteTask, done(cs, renoflow.RuleAfterSalesVisit, fmt.Sprint(k)))
	}

	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, 4*365*24*time.Hour)
	h.env.ExecuteWorkflow(CustomerWorkflow, CustomerInput{CustomerID: "c1", Record: testRecord(), Filer: filer})
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError(), "the workflow ends by itself once the customer is archived")

	h.accepted("verify", "visit", "grade-c", "callback", "fu-dec", "propose", "authorise", "late-sign", "accept", "measure",
		"design", "fu-jan", "deposit", "deposit-visit", "contract", "contract-visit", "complaint", "moved-in", "answer", "resolve", "close", "living", "check",
		"visit-1", "visit-2", "visit-3", "visit-4")
	require.Contains(t, h.refusal("propose-d2").Message, "已有3位交定金客户", "an ineligible designer is refused")
	require.Contains(t, h.refusal("early-mid").Message, "须按顺序", "a milestone out of order is refused")

	c := h.state()
	require.Equal(t, renoflow.StageArchived, c.Stage)
	require.Equal(t, renoflow.GradeA, c.Grade)
	require.Empty(t, c.Clocks)
	require.Equal(t, []renoflow.MonthScore{
		{Month: "2026-11", OwnerID: "cm1", StoreID: "s1", Grade: renoflow.GradeC, Quota: 1, Done: 0, Missing: 1, Points: 1},
		{Month: "2026-12", OwnerID: "cm1", StoreID: "s1", Grade: renoflow.GradeC, Quota: 2, Done: 1, Missing: 1, Points: 1},
	}, c.Scores, "each missing follow-up costs the owner a point")
	d1 := c.Dispatches[len(c.Dispatches)-1]
	require.True(t, d1.AuthorisedBySupervisor)
	require.Equal(t, "sm1", d1.LateSignedBy.ID, "the store manager's later signature is marked 补签")
	require.True(t, c.Complaints[0].Archived)
	for _, task := range h.tasks() {
		require.Equal(t, 7, task.PolicyVersion, "every task names its policy version")
	}
	golden(t, "lifecycle", describeTasks(h.tasks()))
	// Issue 14: the messages of the whole customer, one per business key (as the outbox
	// keeps them), against a golden list ending with the count per channel.
	golden(t, "lifecycle-messages", describeMessages(h.batches))
}

// describeMessages writes the outbox messages of the persisted batches, once per key:
// not before, channel, kind, recipient, key; then the count per channel.
func describeMessages(bs []activities.Batch) []string {
	var out []string
	seen, per := map[string]bool{}, map[renoflow.NotifyChannel]int{}
	for _, b := range bs {
		for _, m := range renoflow.Messages(b.Customer, b.Effects) {
			if seen[m.Key] {
				continue
			}
			seen[m.Key] = true
			per[m.Channel]++
			out = append(out, fmt.Sprintf("%s  %-6s %-9s → %-12s %s", m.NotBefore.In(renoflow.Zone).Format(renoflow.TimeLayout),
				m.Channel, m.Kind, m.To, m.Key))
		}
	}
	return append(out, fmt.Sprintf("total %d: wecom %d, robot %d, sms %d", len(seen), per[renoflow.ChannelWeCom],
		per[renoflow.ChannelRobot], per[renoflow.ChannelSMS]))
}
