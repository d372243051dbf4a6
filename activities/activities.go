// Package activities holds renoflow's Temporal activities: every write the customer
// workflow makes to PostgreSQL, and the reads it needs to decide. Every write is
// idempotent by a business key, so a retried activity or a replayed workflow never writes
// twice.
package activities

import (
	"context"
	"errors"
	"sync"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// Activities carries the dependencies of the activities; its methods are the activities.
type Activities struct {
	DB bun.IDB
	// snapshots holds the policy snapshots loaded, by policy and calendar version
	// (PolicyVersions): a saved version never changes, so a workflow's first transition
	// reads at most the version numbers once another has loaded that snapshot, and a
	// filing, which names the versions its API read, nothing.
	snapshots sync.Map
	policies  postgres.PolicyCache
}

// PolicyVersions names a policy version and a calendar version (0: the shipped one).
type PolicyVersions struct {
	Policy   int `json:"policy"`
	Calendar int `json:"calendar"`
}

// PolicySnapshot is the policy and calendar in force when a clock is armed.
type PolicySnapshot struct {
	Policy   renoflow.Policy   `json:"policy"`
	Version  int               `json:"version"`
	Calendar renoflow.Calendar `json:"calendar"`
}

// LoadPolicy returns the newest policy and calendar versions (the defaults as version 0
// when the company has saved none). A stored policy that no longer parses is a
// non-retryable "invalid_policy" error: retrying cannot fix it.
func (a *Activities) LoadPolicy(ctx context.Context) (PolicySnapshot, error) {
	policy, calendar, err := postgres.LatestVersions(ctx, a.DB)
	if err != nil {
		return PolicySnapshot{}, err
	}
	snap, err := a.snapshotAt(ctx, PolicyVersions{Policy: policy, Calendar: calendar})
	return snap, policyFailure(err)
}

// policyFailure makes a stored policy that no longer parses the non-retryable
// "invalid_policy" error (retrying cannot fix it; the workflow waits for an admin's save);
// other errors pass as they are.
func policyFailure(err error) error {
	var invalid *postgres.InvalidPolicyError
	if errors.As(err, &invalid) {
		return temporal.NewNonRetryableApplicationError(invalid.Error(), "invalid_policy", err)
	}
	return err
}

// snapshotAt returns the snapshot of versions v, reading it only the first time.
func (a *Activities) snapshotAt(ctx context.Context, v PolicyVersions) (PolicySnapshot, error) {
	if cached, ok := a.snapshots.Load(v); ok {
		return cached.(PolicySnapshot), nil
	}
	p, err := a.policies.At(ctx, a.DB, v.Policy)
	if err != nil {
		return PolicySnapshot{}, err
	}
	cv, err := postgres.CalendarAt(ctx, a.DB, v.Calendar)
	if err != nil {
		return PolicySnapshot{}, err
	}
	cal := cv.Calendar()
	if !p.UsesWorkingDays() {
		// Only working-day spans need the holidays: keep the workflow history small.
		cal.Days = nil
	}
	snap := PolicySnapshot{Policy: p, Version: p.Version, Calendar: cal}
	a.snapshots.Store(v, snap)
	return snap, nil
}

// PolicyHave names the policy and calendar versions a workflow already holds (-1: none).
type PolicyHave struct {
	Policy   int `json:"policy"`
	Calendar int `json:"calendar"`
	// Seen, on a filing's first load, are the versions in force when its API accepted it
	// (workflows.CustomerInput.Policy): the answer is their snapshot, not the newest.
	Seen *PolicyVersions `json:"seen,omitempty"`
}

// PolicyUpdate answers LoadPolicySince: the versions in force for the transition (the
// newest, the filing's own, or those held while the newest cannot be read), and the
// snapshot only when they differ from what the workflow holds.
type PolicyUpdate struct {
	Policy   int             `json:"policy"`
	Calendar int             `json:"calendar"`
	Snapshot *PolicySnapshot `json:"snapshot,omitempty"`
}

// LoadPolicySince is LoadPolicy for a workflow that already holds a snapshot (issue 15
// "per transition cost"): it reads only the newest version numbers, and the policy and
// calendar themselves only when one changed, so the local activity's marker in the
// customer's history stays a few bytes on every transition instead of the whole policy.
// A filing's first load names the versions its API read (have.Seen) and gets their
// snapshot: from this worker's cache when it loaded them before, with nothing read,
// otherwise read by number (a version this worker cannot parse, in a rolling upgrade:
// the newest instead).
//
// When the newest version no longer parses, a workflow holding a snapshot keeps it (the
// answer names the versions it holds), so staff actions go on and the clocks they arm
// use the version held, recorded as always; a workflow holding none gets the
// non-retryable "invalid_policy" error and waits for an admin's save.
func (a *Activities) LoadPolicySince(ctx context.Context, have PolicyHave) (PolicyUpdate, error) {
	if have.Seen != nil {
		snap, err := a.snapshotAt(ctx, *have.Seen)
		var invalid *postgres.InvalidPolicyError
		if !errors.As(err, &invalid) {
			if err != nil {
				return PolicyUpdate{}, err
			}
			return PolicyUpdate{Policy: have.Seen.Policy, Calendar: have.Seen.Calendar, Snapshot: &snap}, nil
		}
	}
	var v PolicyVersions
	var err error
	if v.Policy, v.Calendar, err = postgres.LatestVersions(ctx, a.DB); err != nil {
		return PolicyUpdate{}, err
	}
	if v.Policy == have.Policy && v.Calendar == have.Calendar {
		return PolicyUpdate{Policy: v.Policy, Calendar: v.Calendar}, nil
	}
	snap, err := a.snapshotAt(ctx, v)
	var invalid *postgres.InvalidPolicyError
	if errors.As(err, &invalid) && have.Policy >= 0 {
		if activity.IsActivity(ctx) {
			activity.GetLogger(ctx).Warn("the newest policy version cannot be read; keeping the version held", "held", have.Policy, "err", err)
		}
		return PolicyUpdate{Policy: have.Policy, Calendar: have.Calendar}, nil
	}
	if err != nil {
		return PolicyUpdate{}, policyFailure(err)
	}
	return PolicyUpdate{Policy: v.Policy, Calendar: v.Calendar, Snapshot: &snap}, nil
}
