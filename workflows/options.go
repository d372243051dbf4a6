package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Every activity option of the customer workflow is here (issue 9 "Outages"). No
// infrastructure error may end a customer's workflow, so every activity and local
// activity retries without limit, backing off from retryInitial to at most retryCap; only
// an error the activity itself marks non-retryable (a domain refusal, data that can
// never be written: activities.ErrUnwritable) comes back to the workflow.
const (
	// retryInitial is the first backoff after a failed attempt.
	retryInitial = time.Second
	// retryCap caps the backoff: once PostgreSQL is back, every customer resumes within it.
	retryCap = 10 * time.Second
	// noLimit bounds the retries of a local activity: its ScheduleToCloseTimeout
	// otherwise defaults to its StartToCloseTimeout (SDK internal_activity.go,
	// getValidatedLocalActivityOptions), which would give up after one 10 s window — the
	// cause of the workflows that failed when PostgreSQL was down for more than 10 s.
	noLimit = 100 * 365 * 24 * time.Hour
)

// infraRetry is the retry policy of every activity: unlimited attempts, capped backoff.
func infraRetry() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{InitialInterval: retryInitial, BackoffCoefficient: 2, MaximumInterval: retryCap}
}

// policyOptions are the options of the LoadPolicy local activity: each attempt may take
// 10 s, attempts go on without limit.
func policyOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: noLimit,
		RetryPolicy:            infraRetry(),
		Summary:                "读取策略",
	})
}

// persistOptions are the options of the Persist activity writing one transition.
func persistOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         infraRetry(),
		Summary:             summary,
	})
}

// persistLocalOptions are the options of Persist run as a local activity
// (localPersistVersion): each attempt may take 30 s (the workflow task is heartbeated
// meanwhile), attempts go on without limit.
func persistLocalOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: noLimit,
		RetryPolicy:            infraRetry(),
		Summary:                summary,
	})
}

// readOptions are the options of the activities a transition reads with (pool rules,
// dispatch candidates).
func readOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         infraRetry(),
		Summary:             summary,
	})
}
