package workflows

import (
	"github.com/renoflow/renoflow"
	"go.temporal.io/sdk/workflow"
)

// registerDispatch registers the dispatch of a designer (派单) and the design steps.
func (w *customerImpl) registerDispatch(ctx workflow.Context) []error {
	c := &w.state
	return []error{
		transition(ctx, w, UpdateDispatchPropose,
			func(in PersonInput) error { return c.CheckProposeDispatch(in.Actor, in.Person) },
			func(ctx workflow.Context, env renoflow.Env, in PersonInput) (renoflow.Effects, error) {
				var designers []renoflow.DesignerInfo
				actx := readOptions(ctx, "派单候选设计师")
				if err := workflow.ExecuteActivity(actx, acts.Designers, c.StoreID, env.Now).Get(actx, &designers); err != nil {
					return renoflow.Effects{}, err
				}
				ranked := renoflow.RankDesigners(designers, c.Order(), env.Now, env.Policy, env.Calendar)
				return c.ProposeDispatch(env, in.Actor, in.Person, ranked, in.Note)
			}),
		transition(ctx, w, UpdateDispatchConfirm,
			func(in Action) error { return c.CheckConfirmDispatch(in.Actor) },
			func(_ workflow.Context, env renoflow.Env, in Action) (renoflow.Effects, error) {
				return c.ConfirmDispatch(env, in.Actor, in.Note)
			}),
		transition(ctx, w, UpdateDispatchAccept,
			func(in Action) error { return c.CheckAnswerDispatch(in.Actor) },
			func(_ workflow.Context, env renoflow.Env, in Action) (renoflow.Effects, error) {
				return c.AcceptDispatch(env, in.Actor, in.Note)
			}),
		transition(ctx, w, UpdateDispatchRefuse,
			func(in Action) error { return c.CheckAnswerDispatch(in.Actor) },
			func(_ workflow.Context, env renoflow.Env, in Action) (renoflow.Effects, error) {
				return c.RefuseDispatch(env, in.Actor, in.Note)
			}),
		transition(ctx, w, UpdateMeasure,
			func(in Action) error { return c.CheckDesign(in.Actor) },
			func(_ workflow.Context, env renoflow.Env, in Action) (renoflow.Effects, error) {
				return c.Measure(env, in.Actor, in.Note)
			}),
		transition(ctx, w, UpdateDesignProgress,
			func(in Action) error { return c.CheckDesign(in.Actor) },
			func(_ workflow.Context, env renoflow.Env, in Action) (renoflow.Effects, error) {
				return c.DesignProgress(env, in.Actor, in.Note)
			}),
	}
}
