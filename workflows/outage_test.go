package workflows

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/activities"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

// outage makes an error while the workflow clock is within [from, to) after t0.
func (h *harness) outage(from, to time.Duration) func() error {
	return func() error {
		if now := h.env.Now(); !now.Before(t0.Add(from)) && now.Before(t0.Add(to)) {
			return errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
		}
		return nil
	}
}

// PostgreSQL down for 40 minutes across a due escalation rung and a staff action: the
// workflow never fails (the old code failed it with "load policy: … connection refused"
// as soon as LoadPolicy failed for good), the rung fires once when PostgreSQL is back,
// and the ladder keeps counting from the rung's due time, not from the late firing.
func TestPostgresOutageNeverEndsTheWorkflow(t *testing.T) {
	h := newHarness(t, nil)
	down := h.outage(110*time.Minute, 150*time.Minute) // verify rung 1 is due at 2 h
	h.failPolicy = down
	h.failPersist = func(activities.Batch) error { return down() }
	h.at(2*hour+10*time.Minute, func() { h.update("call", UpdatePhoneEnquiry, Action{Actor: filer, Note: "来电"}) })
	h.run(30*hour, CustomerInput{})

	lines := h.taskLines(renoflow.RuleVerify)
	require.Len(t, lines, 3, "%v", lines)
	require.Equal(t, "verify//0→customer_service@0s", lines[0])
	require.True(t, strings.HasPrefix(lines[1], "verify//1→cs_lead@2h30m"), "fired once, when PostgreSQL was back: %s", lines[1])
	require.Equal(t, "verify//2→store_manager@26h0m0s", lines[2])
	for _, tk := range h.tasks() {
		if tk.Rule == renoflow.RuleVerify && tk.Seq == 2 {
			require.True(t, tk.Due.Equal(t0.Add(26*hour)), "rung 2 is due 24 h after rung 1's due time, not its late firing: %s", tk.Due)
		}
	}
	h.accepted("call")
	require.NotZero(t, h.state().FirstConsultAt, "the action taken during the outage was applied once PostgreSQL was back")
}

// unwritable is the failure Persist reports for data PostgreSQL can never store.
func unwritable() error {
	return temporal.NewNonRetryableApplicationError("SQLSTATE 22021（数据异常）", activities.ErrUnwritable, nil)
}

// poisoned reports whether a batch carries a NUL byte in any timeline summary.
func poisoned(b activities.Batch) bool {
	for _, e := range b.Effects.Timeline {
		if strings.ContainsRune(e.Summary, 0) {
			return true
		}
	}
	return false
}

// alerts lists the alert batches: (task title→role, timeline summary).
func (h *harness) alerts() []activities.Batch {
	var out []activities.Batch
	for _, b := range h.batches {
		if b.SkipCustomer {
			out = append(out, b)
		}
	}
	return out
}

// An action whose data can never be written is refused with a clear error and changes
// nothing; the alert (a timeline entry without the data, a task for the supervisor) is
// written, and the customer's other work goes on: its clocks fire, the next action works.
func TestUnwritableActionIsRefusedWithAlert(t *testing.T) {
	h := newHarness(t, nil)
	h.failPersist = func(b activities.Batch) error {
		if poisoned(b) {
			return unwritable()
		}
		return nil
	}
	h.at(time.Hour, func() { h.update("bad", UpdateVerify, Action{Actor: cs, Note: "已核实\x00"}) })
	h.at(3*hour, func() { h.update("good", UpdateVerify, Action{Actor: cs, Note: "已核实"}) })
	h.run(4*hour, CustomerInput{})

	de := h.refusal("bad")
	require.Equal(t, renoflow.CodeInvalid, de.Code)
	require.Contains(t, de.Message, "数据无法保存")
	h.accepted("good")
	alerts := h.alerts()
	require.Len(t, alerts, 1)
	a := alerts[0]
	require.Len(t, a.Effects.Tasks, 1)
	require.Equal(t, renoflow.RuleUnwritable, a.Effects.Tasks[0].Rule)
	require.Equal(t, renoflow.ToSupervisor, a.Effects.Tasks[0].AssigneeRole)
	require.Len(t, a.Effects.Timeline, 1)
	require.Contains(t, a.Effects.Timeline[0].Summary, UpdateVerify)
	require.Contains(t, a.Effects.Timeline[0].Summary, "SQLSTATE 22021")
	require.False(t, poisoned(a), "the alert is written without the offending data")
	require.False(t, a.Effects.ReleasePhone)
	// The refused action changed nothing: verification was still due at 2 h.
	require.Contains(t, h.taskLines(renoflow.RuleVerify), "verify//1→cs_lead@2h0m0s")
	require.False(t, h.state().VerifiedAt.IsZero(), "the later action was applied")
}

// A clock firing whose data can never be written records the alert and spends its
// clocks; the workflow goes on (the old code failed the whole workflow) and the next
// rung still fires.
func TestUnwritableFiringKeepsTheWorkflow(t *testing.T) {
	h := newHarness(t, nil)
	h.failPersist = func(b activities.Batch) error {
		for _, tk := range b.Effects.Tasks {
			if tk.Rule == renoflow.RuleVerify && tk.Seq == 1 {
				return unwritable()
			}
		}
		return nil
	}
	h.run(30*hour, CustomerInput{})
	require.Equal(t, []string{"verify//0→customer_service@0s", "verify//2→store_manager@26h0m0s"}, h.taskLines(renoflow.RuleVerify))
	alerts := h.alerts()
	require.Len(t, alerts, 1)
	require.Equal(t, "unwritable:clock:verify//1", alerts[0].Effects.Timeline[0].Key)
	require.Contains(t, alerts[0].Effects.Timeline[0].Summary, "到期")
}

// A filing whose data can never be written is refused: the filing hears a clear error,
// the phone is released with the alert, and the workflow ends without failing.
func TestUnwritableFilingIsRefused(t *testing.T) {
	h := newHarness(t, nil)
	h.failPersist = func(b activities.Batch) error {
		if !b.SkipCustomer && b.Customer.Revision == 1 {
			return unwritable()
		}
		return nil
	}
	h.at(time.Second, func() { h.update("filed", UpdateFiled, nil) })
	h.run(time.Hour, CustomerInput{})
	require.NoError(t, h.env.GetWorkflowError(), "the workflow ends, it does not fail")
	de := h.refusal("filed")
	require.Equal(t, renoflow.CodeInvalid, de.Code)
	alerts := h.alerts()
	require.Len(t, alerts, 1)
	require.True(t, alerts[0].Effects.ReleasePhone, "the phone is released")
	require.Equal(t, "unwritable:filed", alerts[0].Effects.Timeline[0].Key)
}
