package workflows

import (
	"fmt"
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/stretchr/testify/require"
)

// taskRow is a task row as Persist leaves it, replayed from the recorded batches.
type taskRow struct {
	task     renoflow.Task
	assignee string
	status   renoflow.TaskStatus
	reason   string
}

// rows replays the batches' task writes as Persist applies them (insert unless the key
// exists, closes of open rows, close-all, reassignment), calling check after each batch.
func (h *harness) rows(check func(i int, rows []*taskRow)) []*taskRow {
	var out []*taskRow
	byKey := map[string]*taskRow{}
	for _, t := range h.carried {
		r := &taskRow{task: renoflow.Task{Rule: t.Rule, Subject: t.Subject, Seq: t.Seq}, assignee: t.AssigneeID, status: renoflow.TaskOpen}
		byKey[r.task.Key()] = r
		out = append(out, r)
	}
	for i, b := range h.batches {
		eff := b.Effects
		for _, t := range eff.Tasks {
			if byKey[t.Key()] == nil {
				r := &taskRow{task: t, assignee: t.AssigneeID, status: renoflow.TaskOpen}
				byKey[t.Key()] = r
				out = append(out, r)
			}
		}
		for _, cl := range eff.Closed {
			for _, r := range out {
				if r.status == renoflow.TaskOpen && r.task.Rule == cl.Rule && r.task.Subject == cl.Subject && (cl.Seq < 0 || cl.Seq == r.task.Seq) {
					r.status, r.reason = cl.Status, cl.Reason
				}
			}
		}
		for _, r := range out {
			if eff.CloseAll != "" && r.status == renoflow.TaskOpen {
				r.status, r.reason = eff.CloseAll, eff.CloseAllReason
			}
			if eff.Reassign != nil && r.status == renoflow.TaskOpen && r.assignee == eff.Reassign.From {
				r.assignee = eff.Reassign.To
			}
		}
		if check != nil {
			check(i, out)
		}
	}
	return out
}

// requireNoStaleTasks walks every state change the workflow persisted and asserts that
// after each one no open task remains whose rule no longer applies (renoflow's
// Customer.Moot), that every cancelled task says why, and that the open tasks the state
// tracks are exactly the open rows.
func (h *harness) requireNoStaleTasks() {
	h.t.Helper()
	h.rows(func(i int, rows []*taskRow) {
		if h.batches[i].SkipCustomer {
			return // an alert about data never written: the customer did not change
		}
		c := h.batches[i].Customer
		var open []string
		for _, r := range rows {
			key := r.task.Key()
			if r.task.Rule == renoflow.RuleUnwritable {
				continue // an alert about data never written is not the customer's state
			}
			switch r.status {
			case renoflow.TaskOpen:
				open = append(open, key)
				ot := renoflow.OpenTask{Rule: r.task.Rule, Subject: r.task.Subject, Seq: r.task.Seq, AssigneeID: r.assignee}
				if why := c.Moot(ot); why != "" {
					h.t.Fatalf("after change %d (stage %s) task %s is still open but moot: %s", i, c.Stage, key, why)
				}
			case renoflow.TaskCancelled:
				require.NotEmpty(h.t, r.reason, "cancelled task %s gives no reason", key)
			}
		}
		// The state tracks every open row; it may track a task whose row was never written
		// (a firing whose data could never be written keeps its state), but never one whose
		// row is closed (a key used twice: the new task would have no row).
		var tracked []string
		for _, t := range c.OpenTasks {
			key := renoflow.TaskKey(t.Rule, t.Subject, t.Seq)
			for _, r := range rows {
				if r.task.Key() == key {
					tracked = append(tracked, key)
				}
			}
		}
		require.ElementsMatch(h.t, open, tracked, "after change %d the state tracks the open rows", i)
	})
}

// openRows lists the open task rows as key→assignee.
func (h *harness) openRows() []string {
	var out []string
	for _, r := range h.rows(nil) {
		if r.status == renoflow.TaskOpen {
			out = append(out, fmt.Sprintf("%s→%s", r.task.Key(), r.assignee))
		}
	}
	return out
}

// rowStatus is the status and reason of the task row key.
func (h *harness) rowStatus(key string) (renoflow.TaskStatus, string) {
	for _, r := range h.rows(nil) {
		if r.task.Key() == key {
			return r.status, r.reason
		}
	}
	h.t.Fatalf("no task %s", key)
	return "", ""
}

// Issue 10 §4: the claim lapses (the owner was reminded), then another customer manager
// brings the customer to the store. The previous owner keeps no open task: the reminder
// is cancelled when the claim lapses, the lapse notice when the customer is claimed, and
// neither is ever overdue.
func TestLapseAndClaimLeaveNoStaleTasks(t *testing.T) {
	h := newHarness(t, nil)
	h.at(8*day, func() { h.update("claim", UpdateStoreVisit, Action{Actor: other}) })
	h.run(9*day, CustomerInput{})
	h.accepted("claim")
	h.requireNoStaleTasks()

	st, why := h.rowStatus("claim.reminder//0")
	require.Equal(t, renoflow.TaskCancelled, st)
	require.Equal(t, "报备作废", why)
	st, why = h.rowStatus("claim.expiry//0")
	require.Equal(t, renoflow.TaskCancelled, st)
	require.Equal(t, "客户已由王经理认领", why)
	for _, r := range h.openRows() {
		require.NotContains(t, r, "→cm1", "the previous owner keeps no open task")
	}
	c := h.state()
	require.Equal(t, "cm2", c.Owner.ID)
	require.Empty(t, c.Flag)
	require.Equal(t, renoflow.TaskNotice, renoflow.TaskKindOf(renoflow.RuleClaimExpiry, 0))
	require.False(t, renoflow.TaskOverdue(renoflow.RuleClaimReminder, 0, renoflow.TaskOpen, t0, t0.Add(day)),
		"a notice is never overdue")
}

// Issue 10 §4: an overdue call-back climbs the ladder to the flag (待重新分配); recording
// the call-back clears the flag and cancels the escalations it raised.
func TestFlagClearsWhenTheWorkIsDone(t *testing.T) {
	h := newHarness(t, nil)
	h.at(hour, func() { h.update("visit", UpdateStoreVisit, Action{Actor: filer}) })
	h.at(hour+time.Minute, func() { h.update("verify", UpdateVerify, Action{Actor: cs}) })
	var flagged string
	h.at(6*day, func() {
		flagged = h.state().Flag
		h.update("cb", UpdateCallback, CallbackInput{Action: Action{Actor: filer}, Reached: true})
	})
	h.at(6*day+time.Minute, func() {
		h.update("fu", UpdateFollowUp, FollowUpInput{Action: Action{Actor: filer}, Channel: "phone"})
	})
	h.run(7*day, CustomerInput{})
	h.accepted("visit", "verify", "cb", "fu")
	h.requireNoStaleTasks()
	require.Contains(t, flagged, "待重新分配", "the overdue call-back flagged the customer")
	c := h.state()
	require.Empty(t, c.Flag, "the work that raised the flag is done")
	require.Empty(t, c.FlagCauses)
	st, _ := h.rowStatus("callback/1/0")
	require.Equal(t, renoflow.TaskDone, st)
	for _, seq := range []int{1, 2} {
		st, why := h.rowStatus(renoflow.TaskKey(renoflow.RuleFirstCallback, "1", seq))
		require.Equal(t, renoflow.TaskCancelled, st, "escalation rung %d", seq)
		require.Equal(t, renoflow.ReasonWorkDone, why)
	}
}

// Issue 10 §4: a flagged customer can be kept with its owner: the store manager
// "reassigns" it to the current owner, which confirms the owner and clears the flag; the
// overdue work itself stays open with its owner. Without a flag, it is refused as before.
func TestConfirmOwnerClearsFlag(t *testing.T) {
	h := newHarness(t, nil)
	h.at(hour, func() { h.update("visit", UpdateStoreVisit, Action{Actor: filer}) })
	h.at(hour+time.Minute, func() { h.update("verify", UpdateVerify, Action{Actor: cs}) })
	h.at(2*day, func() {
		h.update("early", UpdateReassign, PersonInput{Action: Action{Actor: manager}, Person: filer.Person()})
	})
	h.at(6*day, func() {
		h.update("confirm", UpdateReassign, PersonInput{Action: Action{Actor: manager, Note: "客户出差，下周回访"}, Person: filer.Person()})
	})
	h.run(6*day+hour, CustomerInput{})
	h.accepted("visit", "verify", "confirm")
	require.Equal(t, renoflow.CodeConflict, h.refusal("early").Code, "an unflagged customer's owner is not reassigned to itself")
	h.requireNoStaleTasks()
	c := h.state()
	require.Empty(t, c.Flag)
	require.Equal(t, "cm1", c.Owner.ID)
	require.Contains(t, h.openRows(), "callback/1/0→cm1", "the overdue work stays with its owner")
	st, why := h.rowStatus("callback/1/2")
	require.Equal(t, renoflow.TaskCancelled, st, "the flag rung no longer applies")
	require.Equal(t, renoflow.ReasonFlagCleared, why)
}

// A customer released to the pool at the end of pre-sale protection loses the work that
// was its owner's — the open call-back and a dispatch waiting for the store manager —
// with their clocks, and the release notice is cancelled when someone claims it.
func TestReleaseCancelsTheOwnersWork(t *testing.T) {
	h := newHarness(t, func(p *renoflow.Policy) {
		p.PresaleProtection = renoflow.MustSpan("3d")
	})
	h.designers()
	h.at(hour, func() { h.update("visit", UpdateStoreVisit, Action{Actor: filer}) })
	h.at(2*hour, func() {
		h.update("propose", UpdateDispatchPropose, PersonInput{Action: Action{Actor: filer}, Person: d1})
	})
	h.at(5*day, func() { h.update("claim", UpdateStoreVisit, Action{Actor: other}) })
	h.run(6*day, CustomerInput{})
	h.accepted("visit", "propose", "claim")
	h.requireNoStaleTasks()
	st, _ := h.rowStatus("callback/1/0")
	require.Equal(t, renoflow.TaskCancelled, st)
	st, _ = h.rowStatus("dispatch.confirm/d1/0")
	require.Equal(t, renoflow.TaskCancelled, st)
	st, why := h.rowStatus("presale.protection//0")
	require.Equal(t, renoflow.TaskCancelled, st)
	require.Equal(t, "客户已由王经理认领", why)
	c := h.state()
	require.Equal(t, renoflow.DispatchReturned, c.Dispatches[0].Status)
	require.False(t, c.Clocks.Has(renoflow.RuleFirstCallback), "the cancelled call-back's clocks stop")
	require.False(t, c.Clocks.Has(renoflow.RuleDispatchConfirm))
}

// A notice is acknowledged (知悉), not done.
func TestNoticeIsAcknowledged(t *testing.T) {
	h := newHarness(t, nil)
	h.at(3*hour, func() {
		h.update("ack", UpdateCompleteTask, CompleteTaskInput{Action: Action{Actor: cs}, Rule: renoflow.RuleVerify, Seq: 1})
	})
	h.run(4*hour, CustomerInput{})
	h.accepted("ack")
	h.requireNoStaleTasks()
	st, _ := h.rowStatus("verify//1")
	require.Equal(t, renoflow.TaskAcknowledged, st)
	st, _ = h.rowStatus("verify//0")
	require.Equal(t, renoflow.TaskOpen, st, "the work itself stays open")
}

// A dispute nobody ruled on before the claim lapsed is void: the ruling task and its
// escalations are cancelled with the lapse, and no credit is given.
func TestLapseVoidsAnOpenDispute(t *testing.T) {
	h := newHarness(t, nil)
	h.at(hour, func() { h.update("dispute", UpdateDisputeOpen, Action{Actor: other, Note: "我先接待的"}) })
	h.run(8*day, CustomerInput{})
	h.accepted("dispute")
	st, why := h.rowStatus("dispute/D1/0")
	require.Equal(t, renoflow.TaskCancelled, st)
	require.Equal(t, "争议已作废：报备作废，客户进入公海", why)
	d := h.state().Disputes[0]
	require.Equal(t, renoflow.DisputeVoid, d.Outcome)
	require.Empty(t, d.Credit)
	require.False(t, h.state().Clocks.Has(renoflow.RuleDispute), "its clocks stop")
}
