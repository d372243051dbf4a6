package worker

import (
	"context"
	"log/slog"
	"strings"

	"github.com/renoflow/renoflow/activities"
	"github.com/renoflow/renoflow/internal/metrics"
	"github.com/renoflow/renoflow/workflows"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"
)

// Observe returns the worker interceptor that makes activities observable: a failed
// attempt counts in renoflow_activity_failures_total and is logged (slog) with the
// customer_id and workflow_id; a Persist that writes a clock's firing observes the
// firing's lateness (workflow time of the firing minus the due time, both recorded in the
// history, so the workflow stays deterministic) in renoflow_timer_lateness_seconds; and
// the activity logger carries customer_id. m or log may be nil.
func Observe(m *metrics.Set, log *slog.Logger) interceptor.WorkerInterceptor {
	return &observer{m: m, log: log}
}

type observer struct {
	interceptor.WorkerInterceptorBase
	m   *metrics.Set
	log *slog.Logger
}

func (o *observer) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	a := &observedActivity{o: o}
	a.Next = next
	return a
}

type observedActivity struct {
	interceptor.ActivityInboundInterceptorBase
	o *observer
}

func (a *observedActivity) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	return a.Next.Init(&loggerFields{ActivityOutboundInterceptorBase: interceptor.ActivityOutboundInterceptorBase{Next: outbound}})
}

// customerID returns the customer ID of a customer workflow ID, or "" for another workflow.
func customerID(workflowID string) string {
	if !strings.HasPrefix(workflowID, workflows.CustomerWorkflowID("")) {
		return ""
	}
	return workflows.CustomerIDFromWorkflowID(workflowID)
}

func (a *observedActivity) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	res, err := a.Next.ExecuteActivity(ctx, in)
	info := activity.GetInfo(ctx)
	name := info.ActivityType.Name
	if err != nil {
		if a.o.m != nil {
			a.o.m.ActivityFailures.WithLabelValues(name).Inc()
		}
		if a.o.log != nil {
			a.o.log.Warn("activity failed", "activity", name, "attempt", info.Attempt,
				"customer_id", customerID(info.WorkflowExecution.ID), "workflow_id", info.WorkflowExecution.ID, "err", err)
		}
		return res, err
	}
	if a.o.m != nil && name == "Persist" && len(in.Args) == 1 {
		var b *activities.Batch
		switch v := in.Args[0].(type) {
		case activities.Batch:
			b = &v
		case *activities.Batch:
			b = v
		}
		if b != nil {
			for _, e := range b.Effects.Timeline {
				if e.Kind == "timer" && !e.Due.IsZero() {
					a.o.m.TimerLateness.WithLabelValues(string(e.Rule)).Observe(e.At.Sub(e.Due).Seconds())
				}
			}
		}
	}
	return res, err
}

// loggerFields adds customer_id to the activity logger (the SDK adds workflow_id).
type loggerFields struct {
	interceptor.ActivityOutboundInterceptorBase
}

func (l *loggerFields) GetLogger(ctx context.Context) tlog.Logger {
	lg := l.Next.GetLogger(ctx)
	id := customerID(activity.GetInfo(ctx).WorkflowExecution.ID)
	if id == "" {
		return lg
	}
	return tlog.With(lg, "customer_id", id)
}
