package workflows

import (
	"encoding/json"
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
// history grows long, carrying the whole state. No infrastructure error ends it: every
// activity retries without limit (options.go), and data that can never be written is
// refused with an alert (persist) while the customer's other work goes on.
func CustomerWorkflow(ctx workflow.Context, in CustomerInput) error {
	w := &customerImpl{in: in}
	if err := w.setup(ctx); err != nil {
		return err
	}
	if w.refused != nil {
		return w.endRefusedFiling(ctx)
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
	// txEnv is the environment of the transition in progress (set by env, under the lock):
	// an alert about the transition is stamped with it.
	txEnv renoflow.Env
	// filing is true while the filing itself is being written.
	filing bool
	// refused is set when the filing itself could never be written: there is no customer
	// to serve, the phone is released and the filing is refused (UpdateFiled answers it).
	refused error
	// filedAnswered records that UpdateFiled answered the refusal.
	filedAnswered bool
	// applied holds the idempotency keys applied, carried across Continue-As-New.
	applied appliedKeys
	// policy is the policy snapshot last loaded in this run (LoadPolicySince).
	policy *activities.PolicySnapshot
}

// filingAnswerWait bounds how long a refused filing's workflow stays open for the
// filing request to hear the refusal.
const filingAnswerWait = 10 * time.Minute

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
	w.applied.load(w.in.Applied)
	w.in.Applied = nil
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (renoflow.Customer, error) { return w.state, nil }); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, QueryApplied, func(key string) (bool, error) { return w.applied.has(key), nil }); err != nil {
		return err
	}
	if err := w.registerUpdates(ctx); err != nil {
		return err
	}
	if w.state.ID != "" { // continued as new
		w.upsertSearch(ctx)
		return nil
	}
	if w.version(ctx, "start-search", startSearchVersion) >= startSearchVersion {
		w.seedSearch(ctx)
	}
	env, err := w.env(ctx, "filed")
	if err != nil {
		return err // cancelled
	}
	env.Now = workflow.GetInfo(ctx).WorkflowStartTime
	w.txEnv.Now = env.Now
	c, eff := renoflow.NewCustomerFiledAt(env, w.in.CustomerID, w.in.Record, w.in.Filer, renoflow.Consultation(w.in.Consultation), w.in.FiledAt)
	w.state = c
	w.filing = true
	defer func() { w.filing = false }()
	if err := w.persist(ctx, eff, "报备"); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.refused = err
	}
	return nil
}

// endRefusedFiling ends the workflow of a filing that could never be written, once the
// filing request heard the refusal (or after filingAnswerWait): nothing of the customer
// was written, the phone is released, so there is nothing left to serve.
func (w *customerImpl) endRefusedFiling(ctx workflow.Context) error {
	if _, err := workflow.AwaitWithTimeout(ctx, filingAnswerWait, func() bool { return w.filedAnswered }); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

// run is the main loop: sleep until the earliest clock or until a transition changes the
// clocks, fire what is due, and continue as new when the history is long.
func (w *customerImpl) run(ctx workflow.Context) error {
	keepTimer := w.version(ctx, "keep-timer", keepTimerVersion) >= keepTimerVersion
	var armed armedTimer
	for {
		if w.finished() {
			if armed.timer != nil {
				armed.cancel()
			}
			return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
		}
		if w.shouldContinueAsNew(ctx) {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			next := w.in
			state := w.state
			next.State = &state
			next.Applied = w.applied.order
			next.Versions = FilingVersions() // the new run starts with this worker's behaviour
			next.Policy = nil
			return workflow.NewContinueAsNewError(ctx, CustomerWorkflow, next)
		}
		var due bool
		if keepTimer {
			due = w.waitKeepingTimer(ctx, &armed)
		} else {
			due = w.wait(ctx)
		}
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

// keepTimerVersion is the workflow.GetVersion of the main loop that keeps its timer while
// the earliest clock stays the same (issue 15): before it, every transition cancelled the
// timer and started it again — two commands and two history events for nothing.
const keepTimerVersion = 1

// wait is the main loop's wait before keepTimerVersion: a timer for the earliest clock,
// cancelled whenever anything wakes the loop. It reports whether a clock is due.
func (w *customerImpl) wait(ctx workflow.Context) bool {
	due := false
	timerCtx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	sel := workflow.NewSelector(ctx)
	if next, ok := w.state.Clocks.Next(); ok {
		wait := next.Due.Sub(workflow.Now(ctx))
		if wait <= 0 {
			return true
		}
		timer := workflow.NewTimerWithOptions(timerCtx, wait, timerOptions(next))
		sel.AddFuture(timer, func(f workflow.Future) {
			if f.Get(ctx, nil) == nil {
				due = true
			}
		})
	}
	sel.AddReceive(w.wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
	sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
	sel.Select(ctx)
	return due
}

// armedTimer is the main loop's running timer and the due time it was started for.
type armedTimer struct {
	due    time.Time
	timer  workflow.Future
	cancel workflow.CancelFunc
}

// waitKeepingTimer waits like wait, but keeps the running timer across wake-ups while the
// earliest clock's due time is unchanged: a staff action that does not move the earliest
// clock costs no timer commands. It reports whether a clock is due.
func (w *customerImpl) waitKeepingTimer(ctx workflow.Context, armed *armedTimer) bool {
	next, ok := w.state.Clocks.Next()
	if armed.timer != nil && (!ok || !next.Due.Equal(armed.due)) {
		armed.cancel()
		*armed = armedTimer{}
	}
	if !ok {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(w.wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
		sel.Select(ctx)
		return false
	}
	if armed.timer == nil {
		wait := next.Due.Sub(workflow.Now(ctx))
		if wait <= 0 {
			return true
		}
		timerCtx, cancel := workflow.WithCancel(ctx)
		*armed = armedTimer{due: next.Due, timer: workflow.NewTimerWithOptions(timerCtx, wait, timerOptions(next)), cancel: cancel}
	}
	due := false
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(armed.timer, func(f workflow.Future) {
		if f.Get(ctx, nil) == nil {
			due = true
		}
		*armed = armedTimer{} // spent (fired, or cancelled with the workflow)
	})
	sel.AddReceive(w.wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
	sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
	sel.Select(ctx)
	return due
}

// timerOptions name the main loop's timer after the clock it waits for.
func timerOptions(next renoflow.Clock) workflow.TimerOptions {
	return workflow.TimerOptions{Summary: fmt.Sprintf("%s %s（%s，策略v%d）", next.Rule.Title(), next.Key(),
		next.Due.In(renoflow.Zone).Format(renoflow.TimeLayout), next.PolicyVersion)}
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

// fireDue fires every clock that is due, in order, as one transition. It fails only when
// the workflow is cancelled: when the firing's data can never be written, the alert is
// recorded and the firing's clocks stay spent, so they do not fire again and the
// customer's other clocks and actions go on.
func (w *customerImpl) fireDue(ctx workflow.Context) error {
	if err := w.lock.Lock(ctx); err != nil {
		return err
	}
	defer w.lock.Unlock()
	env, err := w.env(ctx, "")
	if err != nil {
		return err // cancelled
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
		if w.txEnv.Key == "" {
			w.txEnv.Key = e.Key // an alert about this firing is keyed by its first clock
		}
		eff.Merge(w.state.Fire(e, clk))
		fired = append(fired, clk.Rule.Title())
	}
	if len(fired) == 0 {
		return nil
	}
	w.state.Conclude(env, &eff)
	if err := w.persist(ctx, eff, fmt.Sprintf("到期：%v", fired)); err != nil && ctx.Err() == nil {
		workflow.GetLogger(ctx).Error("firing not written: data can never be written (alert recorded)", "clocks", fired)
	}
	return ctx.Err()
}

// env loads the policy and calendar in force (a local activity, recorded in history) and
// stamps the transition with the workflow time and key. The local activity retries
// without limit; if it ever fails for good (a stored policy that cannot be read, for a
// run holding no snapshot yet: one holding a snapshot keeps it), env logs, waits
// retryCap and loads again, so an admin saving a valid policy unblocks it.
// It fails only when the workflow is cancelled.
//
// From policySinceVersion on, the local activity is LoadPolicySince: it answers the
// version numbers only, and the policy and calendar only when one changed since the
// snapshot this run holds (w.policy), so a transition's marker is a few bytes.
func (w *customerImpl) env(ctx workflow.Context, key string) (renoflow.Env, error) {
	lctx := policyOptions(ctx)
	since := w.version(ctx, "policy-since", policySinceVersion) >= policySinceVersion
	for {
		var snap activities.PolicySnapshot
		var err error
		if since {
			snap, err = w.loadPolicySince(lctx)
		} else {
			err = workflow.ExecuteLocalActivity(lctx, "LoadPolicy").Get(lctx, &snap)
		}
		if err == nil {
			snap.Policy.Version = snap.Version
			e := renoflow.Env{Now: workflow.Now(ctx), Policy: snap.Policy, Calendar: &snap.Calendar, Key: key, Version: w.rulesVersion(ctx)}
			w.txEnv = e
			return e, nil
		}
		if ctx.Err() != nil {
			return renoflow.Env{}, ctx.Err()
		}
		workflow.GetLogger(ctx).Error("load policy failed for good; retrying", "error", err)
		if serr := workflow.Sleep(ctx, retryCap); serr != nil {
			return renoflow.Env{}, ctx.Err()
		}
	}
}

// policySinceVersion is the workflow.GetVersion from which env reads the policy with
// LoadPolicySince (issue 15).
const policySinceVersion = 1

// loadPolicySince runs LoadPolicySince with the versions of the snapshot held and returns
// the snapshot in force, keeping a new one when the policy or calendar changed.
func (w *customerImpl) loadPolicySince(lctx workflow.Context) (activities.PolicySnapshot, error) {
	have := activities.PolicyHave{Policy: -1, Calendar: -1, Seen: w.in.Policy}
	if w.policy != nil {
		have = activities.PolicyHave{Policy: w.policy.Version, Calendar: w.policy.Calendar.Version}
	}
	var up activities.PolicyUpdate
	if err := workflow.ExecuteLocalActivity(lctx, "LoadPolicySince", have).Get(lctx, &up); err != nil {
		return activities.PolicySnapshot{}, err
	}
	if up.Snapshot != nil {
		w.policy = up.Snapshot
	}
	if w.policy == nil { // an answer without a snapshot to a workflow holding none: cannot happen
		return activities.PolicySnapshot{}, temporal.NewApplicationError("LoadPolicySince answered no snapshot", "no_snapshot")
	}
	return *w.policy, nil
}

// version is workflow.GetVersion(changeID) with maxSupported, unless the run's input pins
// the change (CustomerInput.Versions): then the pinned version, with no marker and no
// search attribute upsert. A pinned version this code does not support fails the
// workflow task (like GetVersion), so a newer worker takes it.
func (w *customerImpl) version(ctx workflow.Context, changeID string, maxSupported workflow.Version) workflow.Version {
	if v, ok := w.in.Versions[changeID]; ok {
		if workflow.Version(v) > maxSupported || v < int(workflow.DefaultVersion) {
			panic(fmt.Sprintf("workflow code supports %q up to version %d, the run pins %d", changeID, maxSupported, v))
		}
		return workflow.Version(v)
	}
	return workflow.GetVersion(ctx, changeID, workflow.DefaultVersion, maxSupported)
}

// FilingVersions are the versions a new run pins (CustomerInput.Versions): every
// versioned behaviour of the workflow at its newest. A new workflow.GetVersion change is
// added here with its newest version; a run filed before keeps the versions it was
// stamped with.
func FilingVersions() map[string]int {
	return map[string]int{
		"keep-timer": keepTimerVersion, "policy-since": policySinceVersion, "lifecycle-rules": renoflow.RulesVersion,
		"local-persist": localPersistVersion, "start-search": startSearchVersion,
	}
}

// startSearchVersion ("start-search") is the version from which a filing's search
// attributes are set by its start (FilingSearchAttributes) and the workflow upserts only
// those that differ (issue 15): the first workflow task then writes no visibility record.
const startSearchVersion = 1

// rulesVersion is the version of the lifecycle rules this run follows: customers whose
// history began before a rules change keep replaying their old behaviour
// (workflow.GetVersion), and adopt the new rules from their next live event.
func (w *customerImpl) rulesVersion(ctx workflow.Context) int {
	return int(w.version(ctx, "lifecycle-rules", renoflow.RulesVersion))
}

// persist writes the state and the effects of a transition (one activity, one
// transaction, idempotent), updates the search attributes and wakes the main loop. The
// activity retries infrastructure errors without limit (options.go). When the data can
// never be written (activities.ErrUnwritable) persist records the alert — a timeline
// entry and a task for the supervisor, without the offending data — and returns the
// refusal (a domain error); the caller decides what the state becomes. It fails
// otherwise only when the workflow is cancelled.
func (w *customerImpl) persist(ctx workflow.Context, eff renoflow.Effects, summary string) error {
	w.state.Revision++
	w.transitions++
	batch := activities.Batch{Customer: w.state, Effects: eff, UpdatedAt: workflow.Now(ctx), Filing: w.filing}
	if err := w.executePersist(ctx, summary, batch); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if de, ok := refusal(err); ok {
			return de // a limit reached (库容, 公海每日认领, 设计师定金客户): refused, nothing written
		}
		reason, ok := activities.IsUnwritable(err)
		if !ok {
			reason = "无法重试的写入错误"
		}
		w.alert(ctx, summary, reason)
		return renoflow.Errorf(renoflow.CodeInvalid, "数据无法保存（%s），本次操作未生效，已通知督导核查", reason)
	}
	w.upsertSearch(ctx)
	w.wake.SendAsync(nil)
	return nil
}

// localPersistVersion is the workflow.GetVersion ("local-persist") from which Persist
// runs as a local activity (issue 15): the transition's read, apply, write and search
// attribute upsert then complete in the one workflow task that received the update or
// the timer, instead of a task that schedules the activity, the activity task, and a
// second workflow task for its result (with the whole customer state recorded in the
// ActivityTaskScheduled event). Persist is idempotent (revision and business keys), so
// a local activity run again after a lost workflow task writes nothing twice.
const localPersistVersion = 1

// executePersist runs Persist with batch: a local activity from localPersistVersion on,
// an activity before it. Both retry infrastructure errors without limit (options.go).
func (w *customerImpl) executePersist(ctx workflow.Context, summary string, batch activities.Batch) error {
	if w.version(ctx, "local-persist", localPersistVersion) >= localPersistVersion {
		// A local activity's arguments are handed over as Go values, not encoded: the
		// copy keeps the activity (and an attempt still running after its timeout) off
		// the state the workflow goes on changing.
		lctx := persistLocalOptions(ctx, summary)
		return workflow.ExecuteLocalActivity(lctx, "Persist", copyBatch(batch)).Get(lctx, nil)
	}
	actx := persistOptions(ctx, summary)
	return workflow.ExecuteActivity(actx, acts.Persist, batch).Get(actx, nil)
}

// copyBatch is a deep copy of b, as an activity would receive it (the same encoding).
func copyBatch(b activities.Batch) activities.Batch {
	var c activities.Batch
	data, err := json.Marshal(b)
	if err == nil {
		err = json.Unmarshal(data, &c)
	}
	if err != nil {
		panic(fmt.Sprintf("copy persist batch: %v", err)) // a batch always encodes (it is an activity's input)
	}
	return c
}

// alert writes the alert of a transition whose data can never be written: only the
// alert's own effects (and, for the filing itself, the phone's release), never the
// customer row. The alert's data is clean, so it is written once PostgreSQL answers.
func (w *customerImpl) alert(ctx workflow.Context, summary, reason string) {
	env := w.txEnv
	if env.Key == "" {
		env.Key = "filed"
	}
	env.Now = workflow.Now(ctx)
	eff := w.state.Unwritable(env, summary, reason)
	eff.ReleasePhone = w.filing
	who := renoflow.Customer{ID: w.state.ID, StoreID: w.state.StoreID}
	batch := activities.Batch{Customer: who, Effects: eff, UpdatedAt: env.Now, SkipCustomer: true, Filing: w.filing}
	if err := w.executePersist(ctx, "数据无法保存："+summary, batch); err != nil && ctx.Err() == nil {
		workflow.GetLogger(ctx).Error("alert not written", "summary", summary, "error", err)
	}
}

// snapshot is a deep copy of the state, to restore when a transition is refused.
func (w *customerImpl) snapshot() renoflow.Customer {
	var c renoflow.Customer
	b, err := json.Marshal(w.state)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil {
		panic(fmt.Sprintf("snapshot customer state: %v", err)) // the state always encodes (it crosses Continue-As-New)
	}
	return c
}

// searchValue is a search attribute and its value for a customer.
type searchValue struct {
	key   temporal.SearchAttributeKeyKeyword
	value string
}

// searchValues are the search attributes of customer c ("" for none).
func searchValues(c *renoflow.Customer) []searchValue {
	return []searchValue{
		{SearchPhone, string(c.Record.Phone)}, {SearchName, c.Record.Name}, {SearchStage, string(c.Stage)},
		{SearchOwner, c.Owner.ID}, {SearchOwnerName, c.Owner.Name}, {SearchStore, c.StoreID},
		{SearchGrade, string(c.Grade)}, {SearchDesigner, c.Designer.ID},
	}
}

// FilingSearchAttributes are the search attributes of a customer just filed by filer
// (stage filed, owned by the filer), for the start of its workflow (startSearchVersion).
func FilingSearchAttributes(rec renoflow.Record, filer renoflow.Actor) temporal.SearchAttributes {
	c := renoflow.Customer{Record: rec, Stage: renoflow.StageFiled, Owner: filer.Person(), StoreID: rec.StoreID}
	var set []temporal.SearchAttributeUpdate
	for _, sa := range searchValues(&c) {
		if sa.value != "" {
			set = append(set, sa.key.ValueSet(sa.value))
		}
	}
	return temporal.NewSearchAttributes(set...)
}

// seedSearch records the search attribute values the workflow started with, so
// upsertSearch sets only those that differ (startSearchVersion).
func (w *customerImpl) seedSearch(ctx workflow.Context) {
	start := workflow.GetTypedSearchAttributes(ctx)
	for _, sa := range searchValues(&w.state) {
		v, _ := start.GetKeyword(sa.key)
		w.search[sa.key.GetName()] = v
	}
}

// upsertSearch sets the search attributes whose values changed. A refusal (an invalid
// value) is logged, never fatal: the attributes only help people search.
func (w *customerImpl) upsertSearch(ctx workflow.Context) {
	want := searchValues(&w.state)
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
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Error("upsert search attributes", "error", err)
	}
}
