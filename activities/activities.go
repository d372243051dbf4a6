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
	"go.temporal.io/sdk/temporal"
)

// Activities carries the dependencies of the activities; its methods are the activities.
type Activities struct {
	DB bun.IDB
	// snapshots holds the policy snapshots loaded, by policy and calendar version
	// (snapshotKey): a saved version never changes, so a workflow's first transition
	// (a filing) reads only the version numbers once another has loaded that snapshot.
	snapshots sync.Map
}

// snapshotKey names a policy snapshot: its policy and calendar versions.
type snapshotKey struct{ policy, calendar int }

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
	var snap PolicySnapshot
	p, err := postgres.LatestPolicy(ctx, a.DB)
	var invalid *postgres.InvalidPolicyError
	if errors.As(err, &invalid) {
		return snap, temporal.NewNonRetryableApplicationError(invalid.Error(), "invalid_policy", err)
	}
	if err != nil {
		return snap, err
	}
	cv, err := postgres.LatestCalendar(ctx, a.DB)
	if err != nil {
		return snap, err
	}
	cal := cv.Calendar()
	if !p.UsesWorkingDays() {
		// Only working-day spans need the holidays: keep the workflow history small.
		cal.Days = nil
	}
	return PolicySnapshot{Policy: p, Version: p.Version, Calendar: cal}, nil
}

// PolicyHave names the policy and calendar versions a workflow already holds (-1: none).
type PolicyHave struct {
	Policy   int `json:"policy"`
	Calendar int `json:"calendar"`
	// Seen, on a filing's first load, are the newest versions the API read when it
	// accepted the filing (workflows.CustomerInput.Policy): a snapshot of those versions
	// already loaded by this worker is served without reading PostgreSQL.
	Seen *PolicyHave `json:"seen,omitempty"`
}

// PolicyUpdate answers LoadPolicySince: the newest versions, and the snapshot only when
// one of them differs from what the workflow holds.
type PolicyUpdate struct {
	Policy   int             `json:"policy"`
	Calendar int             `json:"calendar"`
	Snapshot *PolicySnapshot `json:"snapshot,omitempty"`
}

// LoadPolicySince is LoadPolicy for a workflow that already holds a snapshot (issue 15
// "per transition cost"): it reads only the newest version numbers, and the policy and
// calendar themselves only when one changed, so the local activity's marker in the
// customer's history stays a few bytes on every transition instead of the whole policy.
// A filing's first load names the versions its API read (have.Seen): when this worker
// has loaded that snapshot before, it is the answer and nothing is read.
func (a *Activities) LoadPolicySince(ctx context.Context, have PolicyHave) (PolicyUpdate, error) {
	var up PolicyUpdate
	if seen := have.Seen; seen != nil {
		if cached, ok := a.snapshots.Load(snapshotKey{seen.Policy, seen.Calendar}); ok {
			snap := cached.(PolicySnapshot)
			return PolicyUpdate{Policy: seen.Policy, Calendar: seen.Calendar, Snapshot: &snap}, nil
		}
	}
	var err error
	if up.Policy, up.Calendar, err = postgres.LatestVersions(ctx, a.DB); err != nil {
		return up, err
	}
	if up.Policy == have.Policy && up.Calendar == have.Calendar {
		return up, nil
	}
	if cached, ok := a.snapshots.Load(snapshotKey{up.Policy, up.Calendar}); ok {
		snap := cached.(PolicySnapshot)
		up.Snapshot = &snap
		return up, nil
	}
	snap, err := a.LoadPolicy(ctx)
	if err != nil {
		return up, err
	}
	a.snapshots.Store(snapshotKey{snap.Version, snap.Calendar.Version}, snap)
	up.Policy, up.Calendar, up.Snapshot = snap.Version, snap.Calendar.Version, &snap
	return up, nil
}
