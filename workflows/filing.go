package workflows

import (
	"errors"

	"github.com/renoflow/renoflow"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// transition registers an update that checks (validator: a refusal changes nothing and
// is not even recorded), then under the lock checks again, applies and persists.
//
// Exactly once (issue 10 §2): the update ID is the request's idempotency key. Temporal
// dedupes it within one run; w.applied carries the keys applied in earlier runs across
// Continue-As-New, so a repeated key in any run answers with the customer as it is and
// changes nothing. A limit the persist refuses (库容, 公海每日认领, 设计师定金客户) rolls
// the state back, so the refusal changes nothing either.
func transition[T any](ctx workflow.Context, w *customerImpl, name string, check func(T) error,
	apply func(ctx workflow.Context, env renoflow.Env, in T) (renoflow.Effects, error)) error {
	return workflow.SetUpdateHandlerWithOptions(ctx, name,
		func(ctx workflow.Context, in T) (renoflow.Customer, error) {
			if err := w.lock.Lock(ctx); err != nil {
				return renoflow.Customer{}, err
			}
			defer w.lock.Unlock()
			key := workflow.GetCurrentUpdateInfo(ctx).ID
			if w.applied.has(key) {
				return w.state, nil // applied in an earlier run: the first answer stands
			}
			if err := check(in); err != nil {
				return renoflow.Customer{}, toFailure(err)
			}
			env, err := w.env(ctx, key)
			if err != nil {
				return renoflow.Customer{}, err
			}
			before, transitions := w.snapshot(), w.transitions
			eff, err := apply(ctx, env, in)
			if err != nil {
				return renoflow.Customer{}, toFailure(err)
			}
			w.state.Conclude(env, &eff)
			if err := w.persist(ctx, eff, name); err != nil {
				// refused (a limit reached) or never writable: the action changes nothing
				w.state, w.transitions = before, transitions
				return renoflow.Customer{}, toFailure(err)
			}
			w.applied.add(key)
			return w.state, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, in T) error {
			if w.state.ID == "" {
				return nil // the filing is still being written: the handler checks under the lock
			}
			if w.applied.has(workflow.GetCurrentUpdateInfo(ctx).ID) {
				return nil // a repeat: the handler answers without changing anything
			}
			return toFailure(check(in))
		}},
	)
}

// maxApplied bounds the idempotency keys carried across Continue-As-New: the newest
// maxApplied applied keys (a client retries within minutes, not hundreds of actions later).
const maxApplied = 500

// appliedKeys records the idempotency keys (update IDs) of the transitions applied, oldest
// first, bounded by maxApplied; it travels in CustomerInput.Applied.
type appliedKeys struct {
	order []string
	set   map[string]bool
}

func (a *appliedKeys) load(keys []string) {
	a.order, a.set = nil, map[string]bool{}
	for _, k := range keys {
		a.add(k)
	}
}

func (a *appliedKeys) has(key string) bool { return a.set[key] }

func (a *appliedKeys) add(key string) {
	if a.set == nil {
		a.set = map[string]bool{}
	}
	if key == "" || a.set[key] {
		return
	}
	a.order = append(a.order, key)
	a.set[key] = true
	for len(a.order) > maxApplied {
		delete(a.set, a.order[0])
		a.order = a.order[1:]
	}
}

// refusal finds the domain refusal an activity answered with (a limit taken in the
// persist's transaction), if that is why err happened.
func refusal(err error) (*renoflow.Error, bool) {
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || !app.NonRetryable() || !app.HasDetails() {
		return nil, false
	}
	var de renoflow.Error
	if app.Details(&de) != nil || de.Code == "" {
		return nil, false
	}
	return &de, true
}

// registerUpdates registers every staff action the workflow takes.
func (w *customerImpl) registerUpdates(ctx workflow.Context) error {
	c := &w.state
	if err := workflow.SetUpdateHandler(ctx, UpdateFiled, func(ctx workflow.Context) (renoflow.Customer, error) {
		if err := w.lock.Lock(ctx); err != nil {
			return renoflow.Customer{}, err
		}
		defer w.lock.Unlock()
		if w.refused != nil {
			w.filedAnswered = true
			return renoflow.Customer{}, toFailure(w.refused)
		}
		return w.state, nil
	}); err != nil {
		return err
	}
	steps := []error{
		transition(ctx, w, UpdateCompleteTask,
			func(in CompleteTaskInput) error {
				return c.CheckCompleteTask(in.Actor, in.Rule, in.Subject, in.Seq, in.Reached)
			},
			func(_ workflow.Context, env renoflow.Env, in CompleteTaskInput) (renoflow.Effects, error) {
				return c.CompleteTask(env, in.Actor, in.Rule, in.Subject, in.Seq, in.Reached, in.Note)
			}),
	}
	// Every staff action of the domain's catalogue is an update of the same name.
	for _, a := range renoflow.StaffActions() {
		steps = append(steps, transition(ctx, w, a.Update,
			func(in renoflow.Request) error { return a.Check(c, in) },
			func(ctx workflow.Context, env renoflow.Env, in renoflow.Request) (renoflow.Effects, error) {
				f, err := w.read(ctx, env, a.Reads(c), in.Actor)
				if err != nil {
					return renoflow.Effects{}, err
				}
				return a.Apply(c, env, in, f)
			}))
	}
	for _, err := range steps {
		if err != nil {
			return err
		}
	}
	return nil
}

// read reads what an action needs from the database before it applies (an activity each,
// retried until the database answers).
func (w *customerImpl) read(ctx workflow.Context, env renoflow.Env, what renoflow.Read, actor renoflow.Actor) (renoflow.Facts, error) {
	var f renoflow.Facts
	if what&renoflow.ReadPoolStats != 0 {
		actx := readOptions(ctx, "公海认领规则")
		if err := workflow.ExecuteActivity(actx, acts.PoolStats, actor.ID, env.Now).Get(actx, &f.Pool); err != nil {
			return f, err
		}
	}
	if what&renoflow.ReadDesigners != 0 {
		actx := readOptions(ctx, "派单候选设计师")
		if err := workflow.ExecuteActivity(actx, acts.Designers, w.state.StoreID, env.Now).Get(actx, &f.Designers); err != nil {
			return f, err
		}
	}
	return f, nil
}
