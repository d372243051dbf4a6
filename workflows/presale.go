package workflows

import (
	"github.com/renoflow/renoflow"
	"go.temporal.io/sdk/workflow"
)

// registerPresale registers grading, follow-ups, invalid proposals, ownership disputes
// and reassignment.
func (w *customerImpl) registerPresale(ctx workflow.Context) []error {
	c := &w.state
	return []error{
		transition(ctx, w, UpdateFollowUp,
			func(in FollowUpInput) error { return c.CheckFollowUp(in.Actor) },
			func(_ workflow.Context, env renoflow.Env, in FollowUpInput) (renoflow.Effects, error) {
				return c.RecordFollowUp(env, in.Actor, in.Channel, in.Note)
			}),
		transition(ctx, w, UpdateGrade,
			func(in GradeInput) error { return c.CheckGrade(in.Actor, in.Grade) },
			func(_ workflow.Context, env renoflow.Env, in GradeInput) (renoflow.Effects, error) {
				return c.SetGrade(env, in.Actor, in.Grade, in.Note)
			}),
		transition(ctx, w, UpdateInvalidPropose,
			func(in Action) error { return c.CheckProposeInvalid(in.Actor, in.Note) },
			func(_ workflow.Context, env renoflow.Env, in Action) (renoflow.Effects, error) {
				return c.ProposeInvalid(env, in.Actor, in.Note)
			}),
		transition(ctx, w, UpdateInvalidConfirm,
			func(in Action) error { return c.CheckRuleInvalid(in.Actor) },
			func(_ workflow.Context, env renoflow.Env, in Action) (renoflow.Effects, error) {
				return c.ConfirmInvalid(env, in.Actor, in.Note)
			}),
		transition(ctx, w, UpdateInvalidReject,
			func(in Action) error { return c.CheckRuleInvalid(in.Actor) },
			func(_ workflow.Context, env renoflow.Env, in Action) (renoflow.Effects, error) {
				return c.RejectInvalid(env, in.Actor, in.Note)
			}),
		transition(ctx, w, UpdateDisputeOpen,
			func(in Action) error { return c.CheckOpenDispute(in.Actor, in.Note) },
			func(_ workflow.Context, env renoflow.Env, in Action) (renoflow.Effects, error) {
				return c.OpenDispute(env, in.Actor, in.Note)
			}),
		transition(ctx, w, UpdateDisputeRule,
			func(in DisputeRuleInput) error { return c.CheckRuleDispute(in.Actor, in.Outcome) },
			func(_ workflow.Context, env renoflow.Env, in DisputeRuleInput) (renoflow.Effects, error) {
				return c.RuleDispute(env, in.Actor, in.Outcome, in.Note)
			}),
		transition(ctx, w, UpdateReassign,
			func(in PersonInput) error { return c.CheckReassign(in.Actor, in.Person) },
			func(_ workflow.Context, env renoflow.Env, in PersonInput) (renoflow.Effects, error) {
				return c.Reassign(env, in.Actor, in.Person, in.Note)
			}),
	}
}
