package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/uptrace/bun"
)

// PolicyVersion is a row of policy_versions: one saved version of the company policy
// (SPEC.md: every duration is a versioned default policy). The newest row applies to
// clocks armed from its creation on; running clocks keep the version they were armed with.
type PolicyVersion struct {
	bun.BaseModel `bun:"table:policy_versions,alias:pv"`

	Version   int             `bun:"version,pk,autoincrement"` // serial: 1, 2, 3 … in saving order
	Body      json.RawMessage `bun:"body,type:jsonb,notnull"`  // renoflow.Policy as JSON
	Note      string          `bun:"note,notnull"`
	CreatedBy string          `bun:"created_by,notnull"` // staff ID; "system" for the shipped defaults
	CreatedAt time.Time       `bun:"created_at,nullzero,notnull,default:current_timestamp"`
}

// Change says who saves a policy or calendar version and why; At is when (zero: the
// database's clock).
type Change struct {
	By   string
	Note string
	At   time.Time
}

// VersionEntry is a saved policy or calendar version as the history lists show it, with
// the name of the staff member who saved it ("" for the system or a removed account).
type VersionEntry struct {
	Version   int       `bun:"version"`
	Note      string    `bun:"note"`
	CreatedBy string    `bun:"created_by"`
	ByName    string    `bun:"by_name"`
	CreatedAt time.Time `bun:"created_at"`
}

// InvalidPolicyError is a stored policy version that no longer parses (a setting was
// retired, a value is out of range). Retrying cannot fix it; it unwraps to the parse
// error (a *renoflow.Error naming the setting).
type InvalidPolicyError struct {
	Version int
	Err     error
}

func (e *InvalidPolicyError) Error() string {
	return fmt.Sprintf("stored policy version %d is invalid: %v", e.Version, e.Err)
}

func (e *InvalidPolicyError) Unwrap() error { return e.Err }

// policy parses the row's body, with Policy.Version set to its number.
func (row PolicyVersion) policy() (renoflow.Policy, error) {
	p, err := renoflow.ParsePolicy(row.Body)
	if err != nil {
		return renoflow.Policy{}, &InvalidPolicyError{Version: row.Version, Err: err}
	}
	p.Version = row.Version
	return p, nil
}

// PolicyCache holds the policy versions read, parsed: a saved version never changes, so
// the newest policy costs one query for its version number (issue 15). The zero value
// is ready; it is safe for concurrent use.
type PolicyCache struct{ versions sync.Map } // version → renoflow.Policy

// At returns policy version v (the shipped defaults as version 0), reading and parsing
// it only the first time; sql.ErrNoRows when no such version is stored, an
// *InvalidPolicyError when its body no longer parses.
func (c *PolicyCache) At(ctx context.Context, db bun.IDB, v int) (renoflow.Policy, error) {
	if v == 0 {
		return renoflow.DefaultPolicy(), nil
	}
	if p, ok := c.versions.Load(v); ok {
		return p.(renoflow.Policy), nil
	}
	var row PolicyVersion
	if err := db.NewSelect().Model(&row).Column("version", "body").Where("version = ?", v).Scan(ctx); err != nil {
		return renoflow.Policy{}, fmt.Errorf("postgres.PolicyCache.At %d: %w", v, err)
	}
	p, err := row.policy()
	if err != nil {
		return renoflow.Policy{}, err
	}
	c.versions.Store(v, p)
	return p, nil
}

// Latest returns the newest stored policy version, with Policy.Version set to its number
// (the shipped defaults as version 0 when none is stored; keys a stored version lacks,
// settings added later, keep their defaults): one query for its number, then At. A
// stored body that no longer parses is an *InvalidPolicyError.
func (c *PolicyCache) Latest(ctx context.Context, db bun.IDB) (renoflow.Policy, error) {
	v, _, err := LatestVersions(ctx, db)
	if err != nil {
		return renoflow.Policy{}, err
	}
	return c.At(ctx, db, v)
}

// SavePolicy stores p as a new policy version and returns its number (one more than the
// newest, as the serial gives it: concurrent saves get distinct numbers). An invalid
// policy is refused (the *renoflow.Error of Policy.Validate, naming each setting) and
// stores nothing.
func SavePolicy(ctx context.Context, db bun.IDB, p renoflow.Policy, ch Change) (int, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	body, err := json.Marshal(p)
	if err != nil {
		return 0, fmt.Errorf("postgres.SavePolicy: %w", err)
	}
	row := PolicyVersion{Body: body, Note: ch.Note, CreatedBy: ch.By, CreatedAt: ch.At}
	if _, err := db.NewInsert().Model(&row).Returning("version").Exec(ctx); err != nil {
		return 0, fmt.Errorf("postgres.SavePolicy: %w", err)
	}
	return row.Version, nil
}

// SaveMergedPolicy stores merge(newest) as a new policy version and returns it with its
// number. newest is ReadablePolicy's: the newest stored version, or, when it no longer
// parses (invalid, nil otherwise), the policy rebuilt from the stored versions, so
// saving over it repairs the policy. It runs under an exclusive lock on
// policy_versions in one transaction, so of concurrent saves of different settings each
// keeps the others', and version numbers follow the order the saves commit in. merge's
// error (the domain's refusal of a bad setting) and an invalid result store nothing.
func SaveMergedPolicy(ctx context.Context, db bun.IDB, merge func(newest renoflow.Policy) (renoflow.Policy, error),
	ch Change) (saved renoflow.Policy, invalid *InvalidPolicyError, err error) {
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := lockVersions(ctx, tx, "policy_versions"); err != nil {
			return err
		}
		var newest renoflow.Policy
		var err error
		if newest, invalid, err = ReadablePolicy(ctx, tx); err != nil {
			return err
		}
		if saved, err = merge(newest); err != nil {
			return err
		}
		saved.Version, err = SavePolicy(ctx, tx, saved, ch)
		return err
	})
	return saved, invalid, err
}

// ReadablePolicy reads the policy an admin edits: the newest stored version when it
// parses (nil invalid); otherwise invalid is that version's error and the policy is
// rebuilt from every stored version (renoflow.SalvagePolicy: each setting from the newest
// version where it still reads), with Version set to the unreadable version's number.
// The defaults as version 0 when none is stored.
func ReadablePolicy(ctx context.Context, db bun.IDB) (p renoflow.Policy, invalid *InvalidPolicyError, err error) {
	var rows []PolicyVersion
	if err := db.NewSelect().Model(&rows).Column("version", "body").Order("version DESC").Scan(ctx); err != nil {
		return renoflow.Policy{}, nil, fmt.Errorf("postgres.ReadablePolicy: %w", err)
	}
	if len(rows) == 0 {
		return renoflow.DefaultPolicy(), nil, nil
	}
	p, err = rows[0].policy()
	if err == nil {
		return p, nil, nil
	}
	invalid = err.(*InvalidPolicyError)
	bodies := make([][]byte, len(rows))
	for i, row := range rows {
		bodies[i] = row.Body
	}
	if p, _, err = renoflow.SalvagePolicy(bodies); err != nil {
		return renoflow.Policy{}, invalid, &InvalidPolicyError{Version: invalid.Version, Err: err}
	}
	p.Version = invalid.Version
	return p, invalid, nil
}

// PolicyHistory lists the newest limit saved policy versions, newest first.
func PolicyHistory(ctx context.Context, db bun.IDB, limit int) ([]VersionEntry, error) {
	var rows []VersionEntry
	if err := versionHistory(db, "policy_versions", limit).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("postgres.PolicyHistory: %w", err)
	}
	return rows, nil
}

// versionHistory selects the newest versions of a versioned table with their saver's name.
func versionHistory(db bun.IDB, table string, limit int) *bun.SelectQuery {
	return db.NewSelect().TableExpr("? AS v", bun.Ident(table)).
		ColumnExpr("v.version, v.note, v.created_by, v.created_at, COALESCE(st.name, '') AS by_name").
		Join("LEFT JOIN staff AS st ON st.id = v.created_by").
		Order("v.version DESC").Limit(int64(limit))
}

// LatestVersions reads only the newest policy and calendar version numbers (0 and the
// shipped calendar's version when none is stored): what a workflow holding a snapshot
// compares against, without reading the bodies.
func LatestVersions(ctx context.Context, db bun.IDB) (policy, calendar int, err error) {
	err = db.NewRaw(latestVersions, renoflow.DefaultCalendar().Version).Scan(ctx, &policy, &calendar)
	if err != nil {
		return 0, 0, fmt.Errorf("postgres.LatestVersions: %w", err)
	}
	return policy, calendar, nil
}

const latestVersions = `SELECT (SELECT coalesce(max(version), 0) FROM policy_versions),
	(SELECT coalesce(max(version), ?) FROM calendar_versions)`

// StoreAndVersions answers in one query what a filing reads before it reserves the
// phone: whether store storeID exists, and the newest policy and calendar versions (as
// LatestVersions).
func StoreAndVersions(ctx context.Context, db bun.IDB, storeID string) (exists bool, policy, calendar int, err error) {
	err = db.NewRaw(`SELECT EXISTS (SELECT 1 FROM stores WHERE id = ?), v.* FROM (`+latestVersions+`) AS v`,
		storeID, renoflow.DefaultCalendar().Version).Scan(ctx, &exists, &policy, &calendar)
	if err != nil {
		return false, 0, 0, fmt.Errorf("postgres.StoreAndVersions %s: %w", storeID, err)
	}
	return exists, policy, calendar, nil
}

// EnsureDefaults stores the shipped policy and calendar as version 1 when none is
// stored yet, so every clock names a real, readable version. Safe to run concurrently
// (the tables are locked for the check, in a transaction of its own or a savepoint of
// the caller's).
func EnsureDefaults(ctx context.Context, db bun.IDB) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "LOCK TABLE policy_versions, calendar_versions IN EXCLUSIVE MODE"); err != nil {
			return fmt.Errorf("postgres.EnsureDefaults: lock: %w", err)
		}
		if n, err := tx.NewSelect().Model((*PolicyVersion)(nil)).Count(ctx); err != nil {
			return fmt.Errorf("postgres.EnsureDefaults: %w", err)
		} else if n == 0 {
			if _, err := SavePolicy(ctx, tx, renoflow.DefaultPolicy(), Change{By: "system", Note: "默认策略（SPEC.md）"}); err != nil {
				return err
			}
		}
		if n, err := tx.NewSelect().Model((*CalendarVersion)(nil)).Count(ctx); err != nil {
			return fmt.Errorf("postgres.EnsureDefaults: %w", err)
		} else if n == 0 {
			if _, err := SaveCalendar(ctx, tx, renoflow.DefaultCalendar().Days, Change{By: "system", Note: "国务院办公厅节假日安排 2025–2026"}); err != nil {
				return err
			}
		}
		return nil
	})
}
