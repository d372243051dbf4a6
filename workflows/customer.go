package workflows

import (
	"fmt"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/activities"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// acts refers to the activities by method; the workflow never calls them directly.
var acts *activities.Activities

// CustomerWorkflow holds one customer's whole lifecycle: it files the customer, then
// waits on staff actions and on one timer for the earliest of the customer's clocks,
// until the customer is archived or confirmed invalid. It continues as new when the
// history grows long, carrying the whole state.
func CustomerWorkflow(ctx workflow.Context, in CustomerInput) error {
	w := &customerImpl{in: in}
	if err := w.setup(ctx); err != nil {
		return err
	}
	return w.run(ctx)
}

// customerImpl is the running customer workflow: the state and what guards it.
type customerImpl struct {
	in    CustomerInput
	state renoflow.Customer
	// lock serialises transitions: update handlers and clock firings each check, change
	// and persist the state while holding it.
	lock workflow.Mutex
	// wake tells the main loop that the clocks changed.
	wake workflow.Channel
	// search holds the search attribute values last upserted.
	search map[string]string
	// transitions counts the transitions persisted in this run.
	transitions int
}

func (w *customerImpl) setup(ctx workflow.Context) error {
	w.lock = workflow.NewMutex(ctx)
	w.wake = workflow.NewBufferedChannel(ctx, 1)
	w.search = map[string]string{}
	if err := w.lock.Lock(ctx); err != nil {
		return err
	}
	defer w.lock.Unlock()
	if w.in.State != nil {
		w.state = *w.in.State
		w.in.State = nil
	}
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (renoflow.Customer, error) { return w.state, nil }); err != nil {
		return err
	}
	if err := w.registerUpdates(ctx); err != nil {
		return err
	}
	if w.state.ID != "" { // continued as new
		return w.upsertSearch(ctx)
	}
	env, err := w.env(ctx, "filed")
	if err != nil {
		return err
	}
	env.Now = workflow.GetInfo(ctx).WorkflowStartTime
	c, eff := renoflow.NewCustomer(env, w.in.CustomerID, w.in.Record, w.in.Filer, w.in.Consultation)
	w.state = c
	return w.persist(ctx, eff, "报备")
}

// run is the main loop: sleep until the earliest clock or until a transition changes the
// clocks, fire what is due, and continue as new when the history is long.
func (w *customerImpl) run(ctx workflow.Context) error {
	for {
		if w.finished() {
			return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
		}
		if w.shouldContinueAsNew(ctx) {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			next := w.in
			state := w.state
			next.State = &state
			return workflow.NewContinueAsNewError(ctx, CustomerWorkflow, next)
		}
		due := false
		timerCtx, cancelTimer := workflow.WithCancel(ctx)
		sel := workflow.NewSelector(ctx)
		if next, ok := w.state.Clocks.Next(); ok {
			wait := next.Due.Sub(workflow.Now(ctx))
			if wait <= 0 {
				due = true
			} else {
				timer := workflow.NewTimerWithOptions(timerCtx, wait, workflow.TimerOptions{Summary: fmt.Sprintf(
					"%s %s（%s，策略v%d）", next.Rule.Title(), next.Key(), next.Due.In(renoflow.Zone).Format(renoflow.TimeLayout), next.PolicyVersion)})
				sel.AddFuture(timer, func(f workflow.Future) {
					if f.Get(ctx, nil) == nil {
						due = true
					}
				})
			}
		}
		if !due {
			sel.AddReceive(w.wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
			sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
			sel.Select(ctx)
		}
		cancelTimer()
		if err := ctx.Err(); err != nil {
			return err
		}
		if due {
			if err := w.fireDue(ctx); err != nil {
				return err
			}
		}
	}
}

// finished reports whether the customer's workflow has nothing left to wait for.
func (w *customerImpl) finished() bool {
	return (w.state.Stage == renoflow.StageInvalid || w.state.Stage == renoflow.StageArchived) && len(w.state.Clocks) == 0
}

func (w *customerImpl) shouldContinueAsNew(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	if info.GetContinueAsNewSuggested() {
		return true
	}
	return w.in.ContinueAsNewAfter > 0 && w.transitions >= w.in.ContinueAsNewAfter
}

// fireDue fires every clock that is due, in order, as one transition.
func (w *customerImpl) fireDue(ctx workflow.Context) error {
	if err := w.lock.Lock(ctx); err != nil {
		return err
	}
	defer w.lock.Unlock()
	env, err := w.env(ctx, "")
	if err != nil {
		return err
	}
	var eff renoflow.Effects
	var fired []string
	for {
		clk, ok := w.state.Clocks.PopNext(env.Now)
		if !ok {
			break
		}
		e := env
		e.Key = "clock:" + clk.Key()
		eff.Merge(w.state.Fire(e, clk))
		fired = append(fired, clk.Rule.Title())
	}
	if len(fired) == 0 {
		return nil
	}
	eff.Merge(w.state.Adopt(env))
	return w.persist(ctx, eff, fmt.Sprintf("到期：%v", fired))
}

// env loads the policy and calendar in force (a local activity, recorded in history) and
// stamps the transition with the workflow time and key.
func (w *customerImpl) env(ctx workflow.Context, key string) (renoflow.Env, error) {
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: 30 * time.Second},
		Summary:             "读取策略",
	})
	var snap activities.PolicySnapshot
	if err := workflow.ExecuteLocalActivity(lctx, "LoadPolicy").Get(lctx, &snap); err != nil {
		return renoflow.Env{}, fmt.Errorf("load policy: %w", err)
	}
	snap.Policy.Version = snap.Version
	return renoflow.Env{Now: workflow.Now(ctx), Policy: snap.Policy, Calendar: &snap.Calendar, Key: key, Version: w.rulesVersion(ctx)}, nil
}

// rulesVersion is the version of the lifecycle rules this run follows: customers whose
// history began before a rules change keep replaying their old behaviour
// (workflow.GetVersion), and adopt the new rules from their next live event.
func (w *customerImpl) rulesVersion(ctx workflow.Context) int {
	return int(workflow.GetVersion(ctx, "lifecycle-rules", workflow.DefaultVersion, renoflow.RulesVersion))
}

// persist writes the state and the effects of a transition (one activity, one
// transaction, idempotent), updates the search attributes and wakes the main loop.
func (w *customerImpl) persist(ctx workflow.Context, eff renoflow.Effects, summary string) error {
	w.state.Revision++
	w.transitions++
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
		Summary:             summary,
	})
	batch := activities.Batch{Customer: w.state, Effects: eff, UpdatedAt: workflow.Now(ctx)}
	if err := workflow.ExecuteActivity(actx, acts.Persist, batch).Get(actx, nil); err != nil {
		return fmt.Errorf("persist %s: %w", summary, err)
	}
	if err := w.upsertSearch(ctx); err != nil {
		return err
	}
	w.wake.SendAsync(nil)
	return nil
}

// upsertSearch sets the search attributes whose values changed.
func (w *customerImpl) upsertSearch(ctx workflow.Context) error {
	c := &w.state
	want := []struct {
		key   temporal.SearchAttributeKeyKeyword
		value string
	}{
		{SearchPhone, string(c.Record.Phone)}, {SearchName, c.Record.Name}, {SearchStage, string(c.Stage)},
		{SearchOwner, c.Owner.ID}, {SearchOwnerName, c.Owner.Name}, {SearchStore, c.StoreID},
		{SearchGrade, string(c.Grade)}, {SearchDesigner, c.Designer.ID},
	}
	var updates []temporal.SearchAttributeUpdate
	for _, sa := range want {
		if old, ok := w.search[sa.key.GetName()]; ok && old == sa.value {
			continue
		}
		w.search[sa.key.GetName()] = sa.value
		if sa.value == "" {
			updates = append(updates, sa.key.ValueUnset())
		} else {
			updates = append(updates, sa.key.ValueSet(sa.value))
		}
	}
	if len(updates) == 0 {
		return nil
	}
	return workflow.UpsertTypedSearchAttributes(ctx, updates...)
}
