package workflows

import (
	"github.com/renoflow/renoflow"
	"go.temporal.io/sdk/workflow"
)

// registerConstruction registers deposit, contract and the construction inspections.
func (w *customerImpl) registerConstruction(ctx workflow.Context) []error {
	c := &w.state
	return []error{
		transition(ctx, w, UpdateDeposit,
			func(in PaymentInput) error { return c.CheckDeposit(in.Actor, in.AmountYuan) },
			func(_ workflow.Context, env renoflow.Env, in PaymentInput) (renoflow.Effects, error) {
				return c.Deposit(env, in.Actor, in.AmountYuan, in.Note)
			}),
		transition(ctx, w, UpdateContract,
			func(in PaymentInput) error { return c.CheckContract(in.Actor, in.AmountYuan) },
			func(_ workflow.Context, env renoflow.Env, in PaymentInput) (renoflow.Effects, error) {
				return c.Contract(env, in.Actor, in.AmountYuan, in.Note)
			}),
		transition(ctx, w, UpdateMilestone,
			func(in MilestoneInput) error { return c.CheckMilestone(in.Actor, in.Milestone) },
			func(_ workflow.Context, env renoflow.Env, in MilestoneInput) (renoflow.Effects, error) {
				return c.PassMilestone(env, in.Actor, in.Milestone, in.Note)
			}),
		transition(ctx, w, UpdateMovedIn,
			func(in MovedInInput) error { return c.CheckMovedIn(in.Actor) },
			func(_ workflow.Context, env renoflow.Env, in MovedInInput) (renoflow.Effects, error) {
				return c.RecordMovedIn(env, in.Actor, in.Date, in.Note)
			}),
	}
}
