package workflows

import (
	"github.com/renoflow/renoflow"
	"go.temporal.io/sdk/workflow"
)

// transition registers an update that checks (validator: a refusal changes nothing and
// is not even recorded), then under the lock checks again, applies and persists.
func transition[T any](ctx workflow.Context, w *customerImpl, name string, check func(T) error,
	apply func(ctx workflow.Context, env renoflow.Env, in T) (renoflow.Effects, error)) error {
	return workflow.SetUpdateHandlerWithOptions(ctx, name,
		func(ctx workflow.Context, in T) (renoflow.Customer, error) {
			if err := w.lock.Lock(ctx); err != nil {
				return renoflow.Customer{}, err
			}
			defer w.lock.Unlock()
			if err := check(in); err != nil {
				return renoflow.Customer{}, toFailure(err)
			}
			env, err := w.env(ctx, workflow.GetCurrentUpdateInfo(ctx).ID)
			if err != nil {
				return renoflow.Customer{}, err
			}
			before := w.snapshot()
			eff, err := apply(ctx, env, in)
			if err != nil {
				return renoflow.Customer{}, toFailure(err)
			}
			eff.Merge(w.state.Adopt(env))
			if err := w.persist(ctx, eff, name); err != nil {
				w.state = before // data that can never be written: the action changes nothing
				return renoflow.Customer{}, toFailure(err)
			}
			return w.state, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(in T) error {
			if w.state.ID == "" {
				return nil // the filing is still being written: the handler checks under the lock
			}
			return toFailure(check(in))
		}},
	)
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
		transition(ctx, w, UpdateVerify,
			func(in Action) error { return c.CheckVerify(in.Actor) },
			func(_ workflow.Context, env renoflow.Env, in Action) (renoflow.Effects, error) {
				return c.Verify(env, in.Actor, in.Note)
			}),
		transition(ctx, w, UpdateStoreVisit,
			func(in Action) error {
				if err := in.Actor.Require(renoflow.PermStoreVisit, "登记到店"); err != nil {
					return err
				}
				if c.Stage == renoflow.StageInvalid {
					return renoflow.Errorf(renoflow.CodeConflict, "无效客户不能登记到店")
				}
				return nil
			},
			func(ctx workflow.Context, env renoflow.Env, in Action) (renoflow.Effects, error) {
				var stats renoflow.PoolStats
				if c.Stage == renoflow.StagePool {
					actx := readOptions(ctx, "公海认领规则")
					if err := workflow.ExecuteActivity(actx, acts.PoolStats, in.Actor.ID, env.Now).Get(actx, &stats); err != nil {
						return renoflow.Effects{}, err
					}
				}
				return c.StoreVisit(env, in.Actor, stats, in.Note)
			}),
		transition(ctx, w, UpdatePhoneEnquiry,
			func(in Action) error { return c.CheckPhoneEnquiry(in.Actor) },
			func(_ workflow.Context, env renoflow.Env, in Action) (renoflow.Effects, error) {
				return c.PhoneEnquiry(env, in.Actor, in.Note)
			}),
		transition(ctx, w, UpdateCallback,
			func(in CallbackInput) error { return c.CheckCallback(in.Actor) },
			func(_ workflow.Context, env renoflow.Env, in CallbackInput) (renoflow.Effects, error) {
				return c.RecordCallback(env, in.Actor, in.Reached, in.Note)
			}),
		transition(ctx, w, UpdateCompleteTask,
			func(in CompleteTaskInput) error {
				return c.CheckCompleteTask(in.Actor, in.Rule, in.Subject, in.Seq, in.Reached)
			},
			func(_ workflow.Context, env renoflow.Env, in CompleteTaskInput) (renoflow.Effects, error) {
				return c.CompleteTask(env, in.Actor, in.Rule, in.Subject, in.Seq, in.Reached, in.Note)
			}),
	}
	steps = append(steps, w.registerPresale(ctx)...)
	steps = append(steps, w.registerDispatch(ctx)...)
	steps = append(steps, w.registerConstruction(ctx)...)
	steps = append(steps, w.registerComplaints(ctx)...)
	for _, err := range steps {
		if err != nil {
			return err
		}
	}
	return nil
}
