// Package activities holds renoflow's Temporal activities: every write the customer
// workflow makes to PostgreSQL, and the reads it needs to decide. Every write is
// idempotent by a business key, so a retried activity or a replayed workflow never writes
// twice.
package activities

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/temporal"
)

// Activities carries the dependencies of the activities; its methods are the activities.
type Activities struct {
	DB bun.IDB
}

// PolicySnapshot is the policy and calendar in force when a clock is armed.
type PolicySnapshot struct {
	Policy   renoflow.Policy   `json:"policy"`
	Version  int               `json:"version"`
	Calendar renoflow.Calendar `json:"calendar"`
}

// LoadPolicy returns the newest policy and calendar versions (the defaults as version 0
// when the company has saved none).
func (a *Activities) LoadPolicy(ctx context.Context) (PolicySnapshot, error) {
	var snap PolicySnapshot
	p, version, err := LatestPolicy(ctx, a.DB)
	if err != nil {
		return snap, err
	}
	cal, err := LatestCalendar(ctx, a.DB)
	if err != nil {
		return snap, err
	}
	if !p.UsesWorkingDays() {
		// Only working-day spans need the holidays: keep the workflow history small.
		cal.Days = nil
	}
	return PolicySnapshot{Policy: p, Version: version, Calendar: cal}, nil
}

// LatestPolicy reads the newest stored policy version.
func LatestPolicy(ctx context.Context, db bun.IDB) (renoflow.Policy, int, error) {
	var row struct {
		Version int
		Body    json.RawMessage
	}
	err := db.NewSelect().Table("policy_versions").Column("version", "body").
		Order("version DESC").Limit(1).Scan(ctx, &row.Version, &row.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return renoflow.DefaultPolicy(), 0, nil
	}
	if err != nil {
		return renoflow.Policy{}, 0, fmt.Errorf("read policy: %w", err)
	}
	p, err := renoflow.ParsePolicy(row.Body)
	if err != nil {
		return renoflow.Policy{}, 0, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("stored policy version %d is invalid: %v", row.Version, err), "invalid_policy", err)
	}
	p.Version = row.Version
	return p, row.Version, nil
}

// LatestCalendar reads the newest stored calendar version (the shipped calendar as
// version 0 when none is stored).
func LatestCalendar(ctx context.Context, db bun.IDB) (renoflow.Calendar, error) {
	var version int
	var days json.RawMessage
	err := db.NewSelect().Table("calendar_versions").Column("version", "days").
		Order("version DESC").Limit(1).Scan(ctx, &version, &days)
	if errors.Is(err, sql.ErrNoRows) {
		return renoflow.DefaultCalendar(), nil
	}
	if err != nil {
		return renoflow.Calendar{}, fmt.Errorf("read calendar: %w", err)
	}
	cal := renoflow.Calendar{Version: version}
	if err := json.Unmarshal(days, &cal.Days); err != nil {
		return renoflow.Calendar{}, fmt.Errorf("calendar version %d: %w", version, err)
	}
	return cal, nil
}

// SavePolicy stores p as a new policy version and returns its number. It applies to
// clocks armed from now on; running clocks keep the version they were armed with.
func SavePolicy(ctx context.Context, db bun.IDB, p renoflow.Policy, by, note string) (int, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	body, err := json.Marshal(p)
	if err != nil {
		return 0, err
	}
	var version int
	err = db.NewRaw("INSERT INTO policy_versions (body, created_by, note) VALUES (?, ?, ?) RETURNING version",
		string(body), by, note).Scan(ctx, &version)
	if err != nil {
		return 0, fmt.Errorf("save policy: %w", err)
	}
	return version, nil
}

// SaveCalendar stores the listed days as a new calendar version.
func SaveCalendar(ctx context.Context, db bun.IDB, days []renoflow.CalendarDay, by, note string) (int, error) {
	body, err := json.Marshal(days)
	if err != nil {
		return 0, err
	}
	var version int
	err = db.NewRaw("INSERT INTO calendar_versions (days, created_by, note) VALUES (?, ?, ?) RETURNING version",
		string(body), by, note).Scan(ctx, &version)
	if err != nil {
		return 0, fmt.Errorf("save calendar: %w", err)
	}
	return version, nil
}

// EnsureDefaults stores the shipped policy and calendar as version 1 when none is
// stored yet, so every clock names a real, readable version. Safe to run concurrently.
func EnsureDefaults(ctx context.Context, db *bun.DB) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "LOCK TABLE policy_versions, calendar_versions IN EXCLUSIVE MODE"); err != nil {
			return fmt.Errorf("lock policy tables: %w", err)
		}
		if n, err := tx.NewSelect().Table("policy_versions").Count(ctx); err != nil {
			return err
		} else if n == 0 {
			if _, err := SavePolicy(ctx, tx, renoflow.DefaultPolicy(), "system", "默认策略（SPEC.md）"); err != nil {
				return err
			}
		}
		if n, err := tx.NewSelect().Table("calendar_versions").Count(ctx); err != nil {
			return err
		} else if n == 0 {
			if _, err := SaveCalendar(ctx, tx, renoflow.DefaultCalendar().Days, "system", "国务院办公厅节假日安排 2025–2026"); err != nil {
				return err
			}
		}
		return nil
	})
}

// now is the activities' clock for audit columns (created_at); business times come from
// the workflow.
func now() time.Time { return time.Now().UTC() }

// PolicyHave names the policy and calendar versions a workflow already holds (-1: none).
type PolicyHave struct {
	Policy   int `json:"policy"`
	Calendar int `json:"calendar"`
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
func (a *Activities) LoadPolicySince(ctx context.Context, have PolicyHave) (PolicyUpdate, error) {
	var up PolicyUpdate
	err := a.DB.NewRaw(`SELECT (SELECT coalesce(max(version), 0) FROM policy_versions),
		(SELECT coalesce(max(version), ?) FROM calendar_versions)`, renoflow.DefaultCalendar().Version).Scan(ctx, &up.Policy, &up.Calendar)
	if err != nil {
		return up, fmt.Errorf("read policy version: %w", err)
	}
	if up.Policy == have.Policy && up.Calendar == have.Calendar {
		return up, nil
	}
	snap, err := a.LoadPolicy(ctx)
	if err != nil {
		return up, err
	}
	up.Policy, up.Calendar, up.Snapshot = snap.Version, snap.Calendar.Version, &snap
	return up, nil
}
