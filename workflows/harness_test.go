package workflows

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/activities"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
)

// t0 is a Monday morning in the company zone, far from holidays.
var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, renoflow.Zone)

var (
	filer   = renoflow.Actor{ID: "cm1", Name: "张经理", Role: renoflow.RoleCustomerManager, StoreID: "s1"}
	cs      = renoflow.Actor{ID: "cs1", Name: "李客服", Role: renoflow.RoleCustomerService, StoreID: "s1"}
	other   = renoflow.Actor{ID: "cm2", Name: "王经理", Role: renoflow.RoleCustomerManager, StoreID: "s1"}
	manager = renoflow.Actor{ID: "sm1", Name: "赵店长", Role: renoflow.RoleStoreManager, StoreID: "s1"}
)

func testRecord() renoflow.Record {
	return renoflow.Record{Name: "陈", Gender: renoflow.GenderFemale, Phone: "13812345678",
		House: renoflow.House{Community: "翠湖苑", Layout: "三室两厅", AreaM2: 120}, Situation: "朋友介绍",
		Channel: renoflow.ChannelReferral, StoreID: "s1"}
}

// harness runs the customer workflow in the time-skipping test environment with the
// activities replaced by recorders: every batch the workflow persists is kept in order.
type harness struct {
	t       *testing.T
	env     *testsuite.TestWorkflowEnvironment
	policy  renoflow.Policy
	batches []activities.Batch
	results map[string]error // update ID → outcome
	stats   renoflow.PoolStats
	// failPolicy and failPersist, when set, make LoadPolicy and Persist fail (an outage,
	// data that can never be written); a failed Persist records nothing.
	failPolicy  func() error
	failPersist func(activities.Batch) error
	carried     []renoflow.OpenTask // the open tasks of a state carried into the run
}

func newHarness(t *testing.T, edit func(*renoflow.Policy)) *harness {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	h := &harness{t: t, env: suite.NewTestWorkflowEnvironment(), policy: renoflow.DefaultPolicy(), results: map[string]error{}}
	if edit != nil {
		edit(&h.policy)
	}
	h.env.SetStartTime(t0)
	h.env.RegisterWorkflow(CustomerWorkflow)
	h.env.RegisterActivity(&activities.Activities{})
	h.env.OnActivity("LoadPolicy", mock.Anything).Return(func(context.Context) (activities.PolicySnapshot, error) {
		if h.failPolicy != nil {
			if err := h.failPolicy(); err != nil {
				return activities.PolicySnapshot{}, err
			}
		}
		return activities.PolicySnapshot{Policy: h.policy, Version: 7, Calendar: renoflow.DefaultCalendar()}, nil
	})
	// LoadPolicySince answers the whole snapshot every time here, so a test that edits
	// h.policy sees the edit at the next transition (the real activity's answer without
	// a snapshot is tested in activities and TestPolicyReadOnlyWhenChanged).
	h.env.OnActivity("LoadPolicySince", mock.Anything, mock.Anything).Return(func(context.Context, activities.PolicyHave) (activities.PolicyUpdate, error) {
		if h.failPolicy != nil {
			if err := h.failPolicy(); err != nil {
				return activities.PolicyUpdate{}, err
			}
		}
		snap := activities.PolicySnapshot{Policy: h.policy, Version: 7, Calendar: renoflow.DefaultCalendar()}
		return activities.PolicyUpdate{Policy: 7, Calendar: snap.Calendar.Version, Snapshot: &snap}, nil
	})
	h.env.OnActivity("Persist", mock.Anything, mock.Anything).Return(func(_ context.Context, b activities.Batch) error {
		if h.failPersist != nil {
			if err := h.failPersist(b); err != nil {
				return err
			}
		}
		h.batches = append(h.batches, b)
		return nil
	})
	h.env.OnActivity("PoolStats", mock.Anything, mock.Anything, mock.Anything).Return(
		func(context.Context, string, time.Time) (renoflow.PoolStats, error) { return h.stats, nil })
	return h
}

// at runs fn when the workflow clock reaches t0+d.
func (h *harness) at(d time.Duration, fn func()) { h.env.RegisterDelayedCallback(fn, d) }

// update sends an update and records its outcome under id.
func (h *harness) update(id, name string, arg any) {
	h.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
		OnAccept: func() {},
		OnReject: func(err error) { h.results[id] = err },
		OnComplete: func(_ any, err error) {
			if _, done := h.results[id]; !done {
				h.results[id] = err
			}
		},
	}, arg)
}

// run files the customer at t0 and runs the workflow until `until` after t0.
func (h *harness) run(until time.Duration, in CustomerInput) {
	if in.CustomerID == "" {
		in.CustomerID = "c1"
		in.Record = testRecord()
		in.Filer = filer
	}
	if in.State != nil {
		h.carried = in.State.OpenTasks
	}
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, until)
	h.env.ExecuteWorkflow(CustomerWorkflow, in)
	require.True(h.t, h.env.IsWorkflowCompleted())
	if err := h.env.GetWorkflowError(); err != nil && !strings.Contains(err.Error(), "canceled") {
		h.t.Fatalf("workflow failed: %v", err)
	}
	h.requireNoStaleTasks() // every workflow test walks its state changes (issue 10 §4)
}

// state is the customer's last persisted state.
func (h *harness) state() renoflow.Customer {
	for i := len(h.batches) - 1; i >= 0; i-- {
		if !h.batches[i].SkipCustomer { // an alert carries no state
			return h.batches[i].Customer
		}
	}
	h.t.Fatal("no state persisted")
	return renoflow.Customer{}
}

// tasks lists every task created, in creation order, failing on a due point created twice.
func (h *harness) tasks() []renoflow.Task {
	var out []renoflow.Task
	seen := map[string]bool{}
	for _, b := range h.batches {
		for _, t := range b.Effects.Tasks {
			require.False(h.t, seen[t.Key()], "task %s created twice", t.Key())
			seen[t.Key()] = true
			out = append(out, t)
		}
	}
	return out
}

// taskLine describes a task for comparisons: key → assignee @ offset from t0.
func taskLine(t renoflow.Task) string {
	who := t.AssigneeID
	if who == "" {
		who = string(t.AssigneeRole)
	}
	return fmt.Sprintf("%s→%s@%s", t.Key(), who, t.CreatedAt.Sub(t0))
}

// taskLines describes every task created, or only those of the given rules.
func (h *harness) taskLines(rules ...renoflow.Rule) []string {
	var out []string
	for _, t := range h.tasks() {
		keep := len(rules) == 0
		for _, r := range rules {
			keep = keep || t.Rule == r
		}
		if keep {
			out = append(out, taskLine(t))
		}
	}
	return out
}

// timeline lists every timeline entry, failing on a key written twice.
func (h *harness) timeline() []renoflow.Entry {
	var out []renoflow.Entry
	seen := map[string]bool{}
	for _, b := range h.batches {
		for _, e := range b.Effects.Timeline {
			require.False(h.t, seen[e.Key], "timeline key %s written twice", e.Key)
			seen[e.Key] = true
			out = append(out, e)
		}
	}
	return out
}

// closed lists the task closings in order as rule/subject/status.
func (h *harness) closed() []string {
	var out []string
	for _, b := range h.batches {
		for _, c := range b.Effects.Closed {
			out = append(out, fmt.Sprintf("%s/%s:%s", c.Rule, c.Subject, c.Status))
		}
	}
	return out
}

// refusal returns the domain error an update was refused with.
func (h *harness) refusal(id string) *renoflow.Error {
	err, ok := h.results[id]
	require.True(h.t, ok, "update %s never answered", id)
	require.Error(h.t, err, "update %s was not refused", id)
	de, ok := DomainError(err).(*renoflow.Error)
	require.True(h.t, ok, "not a domain error: %v", err)
	return de
}

func (h *harness) accepted(ids ...string) {
	for _, id := range ids {
		err, ok := h.results[id]
		require.True(h.t, ok, "update %s never answered", id)
		require.NoError(h.t, err, "update %s", id)
	}
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var _ = errors.New
var _ = sortedKeys

func quietLog() log.Logger {
	return log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}
