package workflows

import (
	"github.com/renoflow/renoflow"
	"go.temporal.io/sdk/workflow"
)

// registerComplaints registers the complaint steps; several complaints may be open.
func (w *customerImpl) registerComplaints(ctx workflow.Context) []error {
	c := &w.state
	return []error{
		transition(ctx, w, UpdateComplaintOpen,
			func(in ComplaintOpenInput) error {
				return c.CheckOpenComplaint(in.Actor, in.Category, in.Severity, in.Note)
			},
			func(_ workflow.Context, env renoflow.Env, in ComplaintOpenInput) (renoflow.Effects, error) {
				return c.OpenComplaint(env, in.Actor, in.Category, in.Severity, in.Handler, in.Note)
			}),
		transition(ctx, w, UpdateComplaintMajor,
			func(in ComplaintInput) error { return c.CheckMarkComplaintMajor(in.Actor, in.ComplaintID) },
			func(_ workflow.Context, env renoflow.Env, in ComplaintInput) (renoflow.Effects, error) {
				return c.MarkComplaintMajor(env, in.Actor, in.ComplaintID, in.Note)
			}),
		transition(ctx, w, UpdateComplaintAnswer,
			func(in ComplaintInput) error { return c.CheckComplaintStep(in.Actor, in.ComplaintID, "answer") },
			func(_ workflow.Context, env renoflow.Env, in ComplaintInput) (renoflow.Effects, error) {
				return c.AnswerComplaint(env, in.Actor, in.ComplaintID, in.Note)
			}),
		transition(ctx, w, UpdateComplaintResolve,
			func(in ComplaintInput) error { return c.CheckComplaintStep(in.Actor, in.ComplaintID, "resolve") },
			func(_ workflow.Context, env renoflow.Env, in ComplaintInput) (renoflow.Effects, error) {
				return c.ResolveComplaint(env, in.Actor, in.ComplaintID, in.Note)
			}),
		transition(ctx, w, UpdateComplaintReassign,
			func(in ComplaintReassignInput) error {
				return c.CheckReassignComplaint(in.Actor, in.ComplaintID, in.Handler)
			},
			func(_ workflow.Context, env renoflow.Env, in ComplaintReassignInput) (renoflow.Effects, error) {
				return c.ReassignComplaint(env, in.Actor, in.ComplaintID, in.Handler, in.Note)
			}),
		transition(ctx, w, UpdateComplaintClose,
			func(in ComplaintCloseInput) error { return c.CheckCloseComplaint(in.Actor, in.ComplaintID) },
			func(_ workflow.Context, env renoflow.Env, in ComplaintCloseInput) (renoflow.Effects, error) {
				return c.CloseComplaint(env, in.Actor, in.ComplaintID, in.Satisfied, in.Note)
			}),
	}
}
