package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/uptrace/bun"
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

// CalendarHistory lists the newest limit saved calendar versions, newest first.
func CalendarHistory(ctx context.Context, db bun.IDB, limit int) ([]VersionEntry, error) {
	var rows []VersionEntry
	if err := versionHistory(db, "calendar_versions", limit).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("postgres.CalendarHistory: %w", err)
	}
	return rows, nil
}
