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

// Staff is a row of staff: a staff account (SPEC.md "People (roles)") and, for a
// designer, the attributes dispatch ranks by (SPEC.md step 5).
type Staff struct {
	bun.BaseModel `bun:"table:staff,alias:st"`

	ID           string        `bun:"id,pk"`
	Login        string        `bun:"login,notnull"`
	Name         string        `bun:"name,notnull"`
	Role         renoflow.Role `bun:"role,notnull"`
	StoreID      string        `bun:"store_id,nullzero"` // NULL: works in no single store (supervisor, admin)
	Lead         bool          `bun:"lead,notnull"`
	PasswordHash string        `bun:"password_hash,notnull"` // bcrypt; "" cannot sign in
	Active       bool          `bun:"active,notnull"`
	DesignerAttributes
	WecomUserID string    `bun:"wecom_userid,notnull"` // 企业微信 user id, for app messages
	CreatedAt   time.Time `bun:"created_at,nullzero,notnull,default:current_timestamp"`
	UpdatedAt   time.Time `bun:"updated_at,nullzero,notnull,default:current_timestamp"`

	// Read with the account by the listing functions: the store's name and the stores a
	// supervisor oversees (supervisor_stores).
	StoreName string   `bun:"store_name,scanonly"`
	Stores    []string `bun:"stores,array,scanonly"`
}

// DesignerAttributes are the staff columns dispatch ranks a designer by (SPEC.md step
// 5; renoflow.RankDesigners).
type DesignerAttributes struct {
	OnDuty            bool       `bun:"on_duty,notnull"`             // on duty today (今日在岗)
	Senior            bool       `bun:"senior,notnull"`              // senior designer (资深)
	ChargesFee        bool       `bun:"charges_fee,notnull"`         // charges a design fee (收费)
	MaterialTargetMet bool       `bun:"material_target_met,notnull"` // main-material sales target met (主材达标)
	DepartmentRank    int        `bun:"department_rank,notnull"`     // 1 best, 0 unranked
	SuspendedUntil    *time.Time `bun:"suspended_until"`             // off dispatch until (停派至)
}

// staffListing selects staff accounts with their store's name and the stores a
// supervisor oversees.
func staffListing(db bun.IDB, rows any) *bun.SelectQuery {
	return db.NewSelect().Model(rows).
		Column("st.id", "st.login", "st.name", "st.role", "st.lead", "st.active").
		ColumnExpr("COALESCE(st.store_id, '') AS store_id, COALESCE(so.name, '') AS store_name").
		ColumnExpr("ARRAY(SELECT ss.store_id FROM supervisor_stores AS ss WHERE ss.staff_id = st.id ORDER BY ss.store_id) AS stores").
		Join("LEFT JOIN stores AS so ON so.id = st.store_id")
}

// StaffMember reads one staff account (active or not) with its store's name and
// supervised stores (no password hash, no designer attributes); sql.ErrNoRows when there
// is none.
func StaffMember(ctx context.Context, db bun.IDB, id string) (Staff, error) {
	var m Staff
	if err := staffListing(db, &m).Where("st.id = ?", id).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Staff{}, err
		}
		return Staff{}, fmt.Errorf("postgres.StaffMember %s: %w", id, err)
	}
	return m, nil
}

// ListStaff lists every staff account as StaffMember reads one: active first, then by
// store, role and ID.
func ListStaff(ctx context.Context, db bun.IDB) ([]Staff, error) {
	var rows []Staff
	if err := staffListing(db, &rows).Order("st.active DESC", "st.store_id", "st.role", "st.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("postgres.ListStaff: %w", err)
	}
	return rows, nil
}

// StoreStaff lists the active staff with one of roles who work in the store, and the
// supervisors among roles who oversee it, by role, name and ID (the pickers of a
// customer's forms).
func StoreStaff(ctx context.Context, db bun.IDB, storeID string, roles []renoflow.Role) ([]Staff, error) {
	var rows []Staff
	q := staffListing(db, &rows).Where("st.active").Where("st.role IN (?)", bun.List(roles)).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("st.store_id = ?", storeID).
				WhereOr("st.role = ? AND EXISTS (SELECT 1 FROM supervisor_stores AS ss WHERE ss.staff_id = st.id AND ss.store_id = ?)",
					renoflow.RoleSupervisor, storeID)
		}).Order("st.role", "st.name", "st.id")
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("postgres.StoreStaff %s: %w", storeID, err)
	}
	return rows, nil
}

// StaffOfStores lists the active staff who work in or oversee any of stores (every
// active account when stores is nil), by store, role and name.
func StaffOfStores(ctx context.Context, db bun.IDB, stores []string) ([]Staff, error) {
	rows := []Staff{}
	q := staffListing(db, &rows).Where("st.active").Order("st.store_id", "st.role", "st.name")
	if stores != nil {
		if len(stores) == 0 {
			return rows, nil
		}
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("st.store_id IN (?)", bun.List(stores)).
				WhereOr("EXISTS (SELECT 1 FROM supervisor_stores AS ss WHERE ss.staff_id = st.id AND ss.store_id IN (?))", bun.List(stores))
		})
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("postgres.StaffOfStores: %w", err)
	}
	return rows, nil
}

// StaffByLogin reads the ID, password hash and active flag of the account with login;
// sql.ErrNoRows when there is none.
func StaffByLogin(ctx context.Context, db bun.IDB, login string) (Staff, error) {
	var m Staff
	err := db.NewSelect().Model(&m).Column("id", "password_hash", "active").Where("login = ?", login).Scan(ctx)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("postgres.StaffByLogin: %w", err)
	}
	return m, err
}

// LoginTaken reports whether an account has login.
func LoginTaken(ctx context.Context, db bun.IDB, login string) (bool, error) {
	ok, err := db.NewSelect().Model((*Staff)(nil)).Where("login = ?", login).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("postgres.LoginTaken: %w", err)
	}
	return ok, nil
}

// ActiveStaff reads an active account as a request's actor needs it (ID, name, role,
// store, lead), with the stores it oversees when it is a supervisor's; sql.ErrNoRows when
// there is no such active account.
func ActiveStaff(ctx context.Context, db bun.IDB, id string) (Staff, error) {
	var m Staff
	err := db.NewSelect().Model(&m).Column("id", "name", "role", "store_id", "lead").
		Where("id = ?", id).Where("active").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Staff{}, err
	}
	if err != nil {
		return Staff{}, fmt.Errorf("postgres.ActiveStaff %s: %w", id, err)
	}
	m.Active = true
	if m.Role == renoflow.RoleSupervisor {
		if m.Stores, err = SupervisedStores(ctx, db, id); err != nil {
			return Staff{}, err
		}
	}
	return m, nil
}

// DesignerAttributesOf reads the dispatch attributes of the designers among ids, by ID
// (accounts of other roles are left out).
func DesignerAttributesOf(ctx context.Context, db bun.IDB, ids []string) (map[string]DesignerAttributes, error) {
	out := map[string]DesignerAttributes{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Staff
	if err := db.NewSelect().Model(&rows).
		Column("id", "on_duty", "senior", "charges_fee", "material_target_met", "department_rank", "suspended_until").
		Where("id IN (?)", bun.List(ids)).Where("role = ?", renoflow.RoleDesigner).Scan(ctx); err != nil {
		return nil, fmt.Errorf("postgres.DesignerAttributesOf: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.DesignerAttributes
	}
	return out, nil
}

// DesignerDuty is an active designer with their store's name and duty, for the duty
// list (SPEC.md step 5: dispatch picks only a designer on duty and not suspended).
type DesignerDuty struct {
	ID             string     `bun:"id"`
	Name           string     `bun:"name"`
	StoreID        string     `bun:"store_id"`
	StoreName      string     `bun:"store_name"`
	OnDuty         bool       `bun:"on_duty"`
	SuspendedUntil *time.Time `bun:"suspended_until"`
}

// designerDuty selects active designers with their store's name and duty.
func designerDuty(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().TableExpr("staff AS st").
		ColumnExpr("st.id, st.name, COALESCE(st.store_id, '') AS store_id, COALESCE(so.name, '') AS store_name, st.on_duty, st.suspended_until").
		Join("LEFT JOIN stores AS so ON so.id = st.store_id").
		Where("st.role = ?", renoflow.RoleDesigner).Where("st.active")
}

// DesignerDuties lists the active designers of stores, by store, name and ID.
func DesignerDuties(ctx context.Context, db bun.IDB, stores []string) ([]DesignerDuty, error) {
	rows := []DesignerDuty{}
	if len(stores) == 0 {
		return rows, nil
	}
	if err := designerDuty(db).Where("st.store_id IN (?)", bun.List(stores)).Order("st.store_id", "st.name", "st.id").
		Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("postgres.DesignerDuties: %w", err)
	}
	return rows, nil
}

// DesignerDutyOf reads one active designer's duty; sql.ErrNoRows when there is none.
func DesignerDutyOf(ctx context.Context, db bun.IDB, id string) (DesignerDuty, error) {
	var d DesignerDuty
	err := designerDuty(db).Where("st.id = ?", id).Scan(ctx, &d)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("postgres.DesignerDutyOf %s: %w", id, err)
	}
	return d, err
}

// AddStaff creates an account and the stores it oversees, in one transaction when db
// is one; a login or ID that exists is the driver's unique violation. Active and OnDuty
// are stored as given (a new account is normally both).
func AddStaff(ctx context.Context, db bun.IDB, m Staff) error {
	if _, err := db.NewInsert().Model(&m).Exec(ctx); err != nil {
		return fmt.Errorf("postgres.AddStaff %s: %w", m.Login, err)
	}
	return SetSupervisedStores(ctx, db, m.ID, m.Stores)
}

// EnsureStaff creates an account and the stores it oversees unless its login exists (then
// the account stays as it is, and the listed stores are added); idempotent.
func EnsureStaff(ctx context.Context, db bun.IDB, m Staff) error {
	if _, err := db.NewInsert().Model(&m).On("CONFLICT (login) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("postgres.EnsureStaff %s: %w", m.Login, err)
	}
	return SetSupervisedStores(ctx, db, m.ID, m.Stores)
}

// UpdateStaff writes the named columns of m to the account m.ID (bun's generated SET of
// exactly those columns); the others stay as they are.
func UpdateStaff(ctx context.Context, db bun.IDB, m Staff, columns ...string) error {
	if _, err := db.NewUpdate().Model(&m).Column(columns...).WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("postgres.UpdateStaff %s: %w", m.ID, err)
	}
	return nil
}

// ActiveWithRole lists the active accounts with role working in one of stores (ID,
// name, store), by ID.
func ActiveWithRole(ctx context.Context, db bun.IDB, role renoflow.Role, stores []string) ([]Staff, error) {
	var rows []Staff
	if len(stores) == 0 {
		return rows, nil
	}
	if err := db.NewSelect().Model(&rows).Column("id", "name", "store_id").
		Where("role = ?", role).Where("active").Where("store_id IN (?)", bun.List(stores)).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("postgres.ActiveWithRole %s: %w", role, err)
	}
	return rows, nil
}

// SetWecomUserID binds the account id to a 企业微信 user id ("" unbinds); false when
// there is no such account.
func SetWecomUserID(ctx context.Context, db bun.IDB, id, user string) (bool, error) {
	res, err := db.NewUpdate().Model(&Staff{ID: id, WecomUserID: user}).Column("wecom_userid").WherePK().Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("postgres.SetWecomUserID %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// WecomUserID reads the 企业微信 user id an account is bound to; "" when it is bound to
// none or there is no such account.
func WecomUserID(ctx context.Context, db bun.IDB, id string) (string, error) {
	var user string
	err := db.NewSelect().Model((*Staff)(nil)).Column("wecom_userid").Where("id = ?", id).Scan(ctx, &user)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("postgres.WecomUserID %s: %w", id, err)
	}
	return user, nil
}
