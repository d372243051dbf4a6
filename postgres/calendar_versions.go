package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// CalendarVersion is a row of calendar_versions: one saved version of the company
// calendar (SPEC.md "Escalation ladder": working days are counted on it), the listed
// holidays and make-up working days.
type CalendarVersion struct {
	bun.BaseModel `bun:"table:calendar_versions,alias:cv"`

	Version   int                    `bun:"version,pk,autoincrement"` // 0: the shipped calendar, none stored
	Days      []renoflow.CalendarDay `bun:"days,type:jsonb,notnull"`
	Note      string                 `bun:"note,notnull"`
	CreatedBy string                 `bun:"created_by,notnull"`
	CreatedAt time.Time              `bun:"created_at,nullzero,notnull,default:current_timestamp"` // zero for the shipped calendar
}

// Calendar is the version as the domain counts working days on it.
func (v CalendarVersion) Calendar() renoflow.Calendar {
	return renoflow.Calendar{Version: v.Version, Days: v.Days}
}

// LatestCalendar reads the newest stored calendar version; when none is stored, the
// shipped calendar as version 0 (no note, no creation time).
func LatestCalendar(ctx context.Context, db bun.IDB) (CalendarVersion, error) {
	var row CalendarVersion
	err := db.NewSelect().Model(&row).Order("version DESC").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		def := renoflow.DefaultCalendar()
		return CalendarVersion{Version: def.Version, Days: def.Days}, nil
	}
	if err != nil {
		return CalendarVersion{}, fmt.Errorf("postgres.LatestCalendar: %w", err)
	}
	return row, nil
}

// CalendarAt reads calendar version v; version 0 is the shipped calendar. sql.ErrNoRows
// when no such version is stored.
func CalendarAt(ctx context.Context, db bun.IDB, v int) (CalendarVersion, error) {
	if def := renoflow.DefaultCalendar(); v == def.Version {
		return CalendarVersion{Version: def.Version, Days: def.Days}, nil
	}
	var row CalendarVersion
	if err := db.NewSelect().Model(&row).Where("version = ?", v).Scan(ctx); err != nil {
		return CalendarVersion{}, fmt.Errorf("postgres.CalendarAt %d: %w", v, err)
	}
	return row, nil
}

// SaveCalendar stores days as a new calendar version and returns the stored row (its
// number, one more than the newest, and its creation time).
func SaveCalendar(ctx context.Context, db bun.IDB, days []renoflow.CalendarDay, ch Change) (CalendarVersion, error) {
	row := CalendarVersion{Days: days, Note: ch.Note, CreatedBy: ch.By, CreatedAt: ch.At}
	if _, err := db.NewInsert().Model(&row).Returning("version, created_at").Exec(ctx); err != nil {
		return CalendarVersion{}, fmt.Errorf("postgres.SaveCalendar: %w", err)
	}
	return row, nil
}

// SaveMergedCalendar stores merge(newest) as a new calendar version and returns the
// stored row: under an exclusive lock on calendar_versions in one transaction, so of
// concurrent imports of different years each keeps the others', and version numbers
// follow the order the saves commit in (a whole calendar saved last is the one in
// force). merge's error stores nothing.
func SaveMergedCalendar(ctx context.Context, db bun.IDB, merge func(newest CalendarVersion) ([]renoflow.CalendarDay, error),
	ch Change) (saved CalendarVersion, err error) {
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := lockVersions(ctx, tx, "calendar_versions"); err != nil {
			return err
		}
		newest, err := LatestCalendar(ctx, tx)
		if err != nil {
			return err
		}
		days, err := merge(newest)
		if err != nil {
			return err
		}
		saved, err = SaveCalendar(ctx, tx, days, ch)
		return err
	})
	return saved, err
}

// VersionLockWait bounds how long a save of a versioned setting waits for another's
// lock before it is refused (503, "正被他人保存"); tests shorten it.
var VersionLockWait = 5 * time.Second

// lockVersions takes the exclusive lock a merged save of a versioned setting holds: other
// saves wait, at most VersionLockWait; readers do not.
func lockVersions(ctx context.Context, tx bun.Tx, table string) error {
	if _, err := tx.ExecContext(ctx, "SET LOCAL lock_timeout = ?", fmt.Sprintf("%dms", VersionLockWait.Milliseconds())); err != nil {
		return fmt.Errorf("postgres: lock %s: %w", table, err)
	}
	_, err := tx.ExecContext(ctx, "LOCK TABLE ? IN EXCLUSIVE MODE", bun.Ident(table))
	var pg pgdriver.Error
	if errors.As(err, &pg) && pg.Field('C') == "55P03" { // lock_not_available
		return &renoflow.Error{Code: renoflow.CodeUnavailable, Message: "设置正被他人保存，请稍后重试"}
	}
	if err != nil {
		return fmt.Errorf("postgres: lock %s: %w", table, err)
	}
	return nil
}

// CalendarHistory lists the newest limit saved calendar versions, newest first.
func CalendarHistory(ctx context.Context, db bun.IDB, limit int) ([]VersionEntry, error) {
	var rows []VersionEntry
	if err := versionHistory(db, "calendar_versions", limit).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("postgres.CalendarHistory: %w", err)
	}
	return rows, nil
}
