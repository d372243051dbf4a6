package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
	"github.com/renoflow/renoflow/server/apiview"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// minPassword is the shortest password an admin may set.
const minPassword = 8

// codePattern is what store IDs, staff IDs and logins look like.
var codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$`)

// StoreInput creates a store (admin).
type StoreInput struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Store is a store as the admin pages list it.
type Store struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Staff     int       `json:"staff"` // active staff working there
	CreatedAt time.Time `json:"created_at"`
}

// listStores lists every store with its number of active staff.
func (s *Server) listStores(ctx context.Context) ([]Store, error) {
	rows, err := postgres.ListStores(ctx, s.db)
	if err != nil {
		return nil, err
	}
	out := make([]Store, 0, len(rows))
	for _, r := range rows {
		out = append(out, Store{ID: r.ID, Name: r.Name, Staff: r.Staff, CreatedAt: r.CreatedAt})
	}
	return out, nil
}

// storeOptionsAll lists every store as form options.
func (s *Server) storeOptionsAll(ctx context.Context) ([]renoflow.Option, error) {
	rows, err := postgres.StoreNames(ctx, s.db)
	if err != nil {
		return nil, err
	}
	out := make([]renoflow.Option, 0, len(rows))
	for _, r := range rows {
		out = append(out, renoflow.Option{Code: r.ID, Label: r.Name})
	}
	return out, nil
}

// addStore creates a store: the ID and name are required, and the ID must be new.
func (s *Server) addStore(ctx context.Context, actor renoflow.Actor, in StoreInput) (Store, error) {
	if err := actor.Require(renoflow.PermManageStaff, "管理门店"); err != nil {
		return Store{}, err
	}
	in.ID, in.Name = strings.TrimSpace(in.ID), strings.TrimSpace(in.Name)
	var p renoflow.Problems
	if in.ID == "" {
		p.Add("id", "必填（门店编号）")
	} else if !codePattern.MatchString(in.ID) {
		p.Add("id", "只能用字母、数字、_ . -，最长32位")
	}
	if in.Name == "" {
		p.Add("name", "必填（门店名称）")
	} else {
		renoflow.CheckTextField(&p, "name", in.Name)
	}
	if err := p.Err("门店信息有误"); err != nil {
		return Store{}, err
	}
	st, err := postgres.AddStore(ctx, s.db, in.ID, in.Name)
	if isIntegrityViolation(err) {
		return Store{}, &renoflow.Error{Code: renoflow.CodeConflict, Message: "门店编号" + in.ID + "已存在",
			Fields: []renoflow.FieldError{{Field: "id", Message: "已存在"}}}
	}
	if err != nil {
		return Store{}, err
	}
	return Store{ID: st.ID, Name: st.Name, CreatedAt: st.CreatedAt}, nil
}

// isIntegrityViolation reports whether err is a unique, foreign-key or similar violation.
func isIntegrityViolation(err error) bool {
	var pe pgdriver.Error
	return errors.As(err, &pe) && pe.IntegrityViolation()
}

// StaffPatch changes a staff account (admin); fields left out stay as they are. A new
// password or a deactivation ends the member's sessions.
type StaffPatch struct {
	Name     *string        `json:"name,omitempty"`
	Role     *renoflow.Role `json:"role,omitempty"`
	StoreID  *string        `json:"store_id,omitempty"`
	Lead     *bool          `json:"lead,omitempty"`
	Active   *bool          `json:"active,omitempty"`
	Password *string        `json:"password,omitempty"`
	// Stores are the stores a supervisor oversees (replaces the list).
	Stores *[]string `json:"stores,omitempty"`

	// A designer's dispatch attributes (SPEC.md step 5); setting one on another role is
	// refused, naming it.
	OnDuty            *bool        `json:"on_duty,omitempty"`
	Senior            *bool        `json:"senior,omitempty"`
	ChargesFee        *bool        `json:"charges_fee,omitempty"`
	MaterialTargetMet *bool        `json:"material_target_met,omitempty"`
	DepartmentRank    *int         `json:"department_rank,omitempty"`
	SuspendedUntil    OptionalTime `json:"suspended_until,omitzero"` // null lifts a suspension
}

// designerFields lists the designer attributes the patch sets, by JSON name.
func (in StaffPatch) designerFields() []string {
	var out []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{fieldOnDuty, in.OnDuty != nil}, {"senior", in.Senior != nil}, {"charges_fee", in.ChargesFee != nil},
		{"material_target_met", in.MaterialTargetMet != nil}, {fieldDepartmentRank, in.DepartmentRank != nil},
		{fieldSuspendedUntil, in.SuspendedUntil.Set},
	} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}

// Field names of the designer attributes that the checks name.
const (
	fieldOnDuty         = "on_duty"
	fieldDepartmentRank = "department_rank"
	fieldSuspendedUntil = "suspended_until"
)

// maxDepartmentRank bounds a designer's department ranking.
const maxDepartmentRank = 10000

// OptionalTime is a time a patch may set, clear (JSON null) or leave out. It reads RFC
// 3339, or a company-zone "YYYY-MM-DDTHH:MM" (what a datetime-local form field sends), or
// a date "YYYY-MM-DD" meaning that day's start in the company zone.
type OptionalTime struct {
	Set  bool       // the patch names the field
	Time *time.Time // nil: cleared
}

// IsZero reports whether the patch leaves the field out.
func (o OptionalTime) IsZero() bool { return !o.Set }

// MarshalJSON writes the time, or null when cleared.
func (o OptionalTime) MarshalJSON() ([]byte, error) {
	if o.Time == nil {
		return []byte("null"), nil
	}
	return json.Marshal(o.Time)
}

// UnmarshalJSON reads a time or null; anything else is an invalid suspended_until.
func (o *OptionalTime) UnmarshalJSON(b []byte) error {
	o.Set, o.Time = true, nil
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return badSuspension()
	}
	t, err := parseOptionalTime(s)
	if err != nil {
		return err
	}
	o.Time = t
	return nil
}

// parseOptionalTime reads a time as OptionalTime does; "" is no time.
func parseOptionalTime(s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil && renoflow.InInputRange(t) {
		return &t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, s, renoflow.Zone); err == nil && renoflow.InInputRange(t) {
			return &t, nil
		}
	}
	return nil, badSuspension()
}

func badSuspension() error {
	return &renoflow.Error{Code: renoflow.CodeInvalid, Message: "员工信息有误",
		Fields: []renoflow.FieldError{{Field: fieldSuspendedUntil, Message: "须为时间（如 2027-01-31T18:00+08:00 或 2027-01-31），或 null 取消停派"}}}
}

// DesignerAttributes are the staff columns dispatch ranks a designer by (SPEC.md step
// 5; renoflow.RankDesigners), as the admin API reads and writes them.
type DesignerAttributes = apiview.DesignerAttributes

// AdminStaffMember is a staff account as the admin API shows it: the account and, for a
// designer, the attributes dispatch ranks by.
type AdminStaffMember struct {
	StaffMember
	Designer *DesignerAttributes `json:"designer,omitempty"`
}

// designerAttributes reads the dispatch attributes of the designers among ids.
func (s *Server) designerAttributes(ctx context.Context, ids []string) (map[string]DesignerAttributes, error) {
	rows, err := postgres.DesignerAttributesOf(ctx, s.db, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]DesignerAttributes, len(rows))
	for id, a := range rows {
		out[id] = DesignerAttributes(a)
	}
	return out, nil
}

// withDesigners adds each designer's dispatch attributes to staff accounts.
func (s *Server) withDesigners(ctx context.Context, staff []StaffMember) ([]AdminStaffMember, error) {
	var ids []string
	for _, m := range staff {
		if m.Role == renoflow.RoleDesigner {
			ids = append(ids, m.ID)
		}
	}
	attrs, err := s.designerAttributes(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]AdminStaffMember, 0, len(staff))
	for _, m := range staff {
		am := AdminStaffMember{StaffMember: m}
		if a, ok := attrs[m.ID]; ok {
			am.Designer = &a
		}
		out = append(out, am)
	}
	return out, nil
}

// adminStaffMember loads one staff account with its designer attributes.
func (s *Server) adminStaffMember(ctx context.Context, id string) (AdminStaffMember, error) {
	m, err := s.staffMember(ctx, id)
	if err != nil {
		return AdminStaffMember{}, err
	}
	out, err := s.withDesigners(ctx, []StaffMember{m})
	if err != nil {
		return AdminStaffMember{}, err
	}
	return out[0], nil
}

// needsStore reports whether a role works in one store (every role but the supervisor,
// who oversees stores, and the admin).
func needsStore(r renoflow.Role) bool {
	return r != renoflow.RoleSupervisor && r != renoflow.RoleAdmin
}

// checkStaff checks a staff account's fields as they will be stored, recording each bad
// one: the name, the role, the store its role needs, the stores a supervisor oversees.
func (s *Server) checkStaff(ctx context.Context, p *renoflow.Problems, name string, role renoflow.Role, storeID string, stores []string) error {
	if name == "" {
		p.Add("name", "必填（姓名）")
	} else {
		renoflow.CheckTextField(p, "name", name)
	}
	if !role.Valid() {
		p.Add("role", "不是已知的角色")
	}
	known, err := s.storeIDs(ctx)
	if err != nil {
		return err
	}
	switch {
	case storeID == "" && role.Valid() && needsStore(role):
		p.Add("store_id", "必选（"+role.Label()+"须属于一个门店）")
	case storeID != "" && !known[storeID]:
		p.Add("store_id", "门店"+storeID+"不存在")
	}
	if role == renoflow.RoleSupervisor && len(stores) == 0 {
		p.Add("stores", "总监须至少负责一个门店")
	}
	if role != renoflow.RoleSupervisor && len(stores) > 0 {
		p.Add("stores", "只有总监可以负责多个门店")
	}
	for _, st := range stores {
		if !known[st] {
			p.Add("stores", "门店"+st+"不存在")
			break
		}
	}
	return nil
}

// storeIDs returns the set of store IDs.
func (s *Server) storeIDs(ctx context.Context) (map[string]bool, error) {
	rows, err := postgres.StoreNames(ctx, s.db)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(rows))
	for _, r := range rows {
		out[r.ID] = true
	}
	return out, nil
}

// addStaff creates a staff account (admin). The login must be new; the ID defaults to
// the login.
func (s *Server) addStaff(ctx context.Context, actor renoflow.Actor, in CreateStaffInput) (StaffMember, error) {
	if err := actor.Require(renoflow.PermManageStaff, "管理员工账号"); err != nil {
		return StaffMember{}, err
	}
	in.Login, in.Name, in.StoreID = strings.TrimSpace(in.Login), strings.TrimSpace(in.Name), strings.TrimSpace(in.StoreID)
	if in.ID = strings.TrimSpace(in.ID); in.ID == "" {
		in.ID = in.Login
	}
	in.Stores = cleanList(in.Stores)
	var p renoflow.Problems
	if in.Login == "" {
		p.Add("login", "必填（登录账号）")
	} else if !codePattern.MatchString(in.Login) {
		p.Add("login", "只能用字母、数字、_ . -，最长32位")
	}
	if in.ID != in.Login && !codePattern.MatchString(in.ID) {
		p.Add("id", "只能用字母、数字、_ . -，最长32位")
	}
	if utf8.RuneCountInString(in.Password) < minPassword {
		p.Add("password", fmt.Sprintf("至少%d位", minPassword))
	}
	if err := s.checkStaff(ctx, &p, in.Name, in.Role, in.StoreID, in.Stores); err != nil {
		return StaffMember{}, err
	}
	if err := p.Err("员工信息有误"); err != nil {
		return StaffMember{}, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return StaffMember{}, err
	}
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return postgres.AddStaff(ctx, tx, newStaff(in, hash))
	})
	if isIntegrityViolation(err) {
		field, what := "id", "员工编号"+in.ID
		if taken, xerr := postgres.LoginTaken(ctx, s.db, in.Login); xerr == nil && taken {
			field, what = "login", "登录账号"+in.Login
		}
		return StaffMember{}, &renoflow.Error{Code: renoflow.CodeConflict, Message: what + "已存在",
			Fields: []renoflow.FieldError{{Field: field, Message: "已存在"}}}
	}
	if err != nil {
		return StaffMember{}, err
	}
	return s.staffMember(ctx, in.ID)
}

// staffMember loads one staff account.
func (s *Server) staffMember(ctx context.Context, id string) (StaffMember, error) {
	m, err := postgres.StaffMember(ctx, s.db, id)
	if errors.Is(err, sql.ErrNoRows) {
		return StaffMember{}, renoflow.Errorf(renoflow.CodeNotFound, "找不到员工%s", id)
	}
	if err != nil {
		return StaffMember{}, err
	}
	return staffMemberOf(m), nil
}

// listStaff lists every staff account (admin).
func (s *Server) listStaff(ctx context.Context) ([]StaffMember, error) {
	rows, err := postgres.ListStaff(ctx, s.db)
	if err != nil {
		return nil, err
	}
	return staffMembers(rows), nil
}

// updateStaff changes a staff account (admin): role, store, lead, active, password,
// supervised stores and, for a designer, the attributes dispatch ranks by. An admin
// cannot deactivate themself or give up their own role, so the company is never left
// without one. A new password or a deactivation ends the member's other sessions at once.
func (s *Server) updateStaff(ctx context.Context, actor renoflow.Actor, currentSession, id string, in StaffPatch) (AdminStaffMember, error) {
	if err := actor.Require(renoflow.PermManageStaff, "管理员工账号"); err != nil {
		return AdminStaffMember{}, err
	}
	cur, err := s.staffMember(ctx, id)
	if err != nil {
		return AdminStaffMember{}, err
	}
	next := cur
	if in.Name != nil {
		next.Name = strings.TrimSpace(*in.Name)
	}
	if in.Role != nil {
		next.Role = *in.Role
	}
	if in.StoreID != nil {
		next.StoreID = strings.TrimSpace(*in.StoreID)
	}
	if in.Lead != nil {
		next.Lead = *in.Lead
	}
	if in.Active != nil {
		next.Active = *in.Active
	}
	if in.Stores != nil {
		next.Stores = cleanList(*in.Stores)
	} else if next.Role != renoflow.RoleSupervisor {
		next.Stores = nil // a former supervisor oversees nothing
	}
	var p renoflow.Problems
	if in.Password != nil && utf8.RuneCountInString(*in.Password) < minPassword {
		p.Add("password", fmt.Sprintf("至少%d位", minPassword))
	}
	if err := s.checkStaff(ctx, &p, next.Name, next.Role, next.StoreID, next.Stores); err != nil {
		return AdminStaffMember{}, err
	}
	checkDesignerPatch(&p, next.Role, in)
	if err := p.Err("员工信息有误"); err != nil {
		return AdminStaffMember{}, err
	}
	if id == actor.ID && (!next.Active || next.Role != renoflow.RoleAdmin) {
		return AdminStaffMember{}, renoflow.Errorf(renoflow.CodeConflict, "不能停用自己的账号，也不能取消自己的管理员角色")
	}
	var hash string
	if in.Password != nil {
		if hash, err = HashPassword(*in.Password); err != nil {
			return AdminStaffMember{}, err
		}
	}
	row := postgres.Staff{ID: id, Name: next.Name, Role: next.Role, StoreID: next.StoreID, Lead: next.Lead,
		Active: next.Active, PasswordHash: hash, UpdatedAt: s.now()}
	columns := []string{"name", "role", "store_id", "lead", "active", "updated_at"}
	if hash != "" {
		columns = append(columns, "password_hash")
	}
	columns = setDesignerAttributes(&row, columns, in)
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := postgres.UpdateStaff(ctx, tx, row, columns...); err != nil {
			return err
		}
		if err := postgres.ReplaceSupervisedStores(ctx, tx, id, next.Stores); err != nil {
			return err
		}
		if hash != "" || !next.Active {
			return postgres.EndStaffSessions(ctx, tx, id, tokenHash(currentSession))
		}
		return nil
	})
	if err != nil {
		return AdminStaffMember{}, err
	}
	return s.adminStaffMember(ctx, id)
}

// checkDesignerPatch records each designer attribute a patch sets on a staff member
// whose role (after the patch) is not designer, and a department ranking out of range.
func checkDesignerPatch(p *renoflow.Problems, role renoflow.Role, in StaffPatch) {
	if role != renoflow.RoleDesigner {
		for _, f := range in.designerFields() {
			p.Add(f, "只有设计师有此派单属性（该员工是"+role.Label()+"）")
		}
		return
	}
	if in.DepartmentRank != nil && (*in.DepartmentRank < 0 || *in.DepartmentRank > maxDepartmentRank) {
		p.Add(fieldDepartmentRank, fmt.Sprintf("须在0到%d之间（1为最好，0为未排名）", maxDepartmentRank))
	}
}

// setDesignerAttributes sets on row each designer attribute the patch sets and returns
// columns with theirs added.
func setDesignerAttributes(row *postgres.Staff, columns []string, in StaffPatch) []string {
	if in.OnDuty != nil {
		row.OnDuty, columns = *in.OnDuty, append(columns, "on_duty")
	}
	if in.Senior != nil {
		row.Senior, columns = *in.Senior, append(columns, "senior")
	}
	if in.ChargesFee != nil {
		row.ChargesFee, columns = *in.ChargesFee, append(columns, "charges_fee")
	}
	if in.MaterialTargetMet != nil {
		row.MaterialTargetMet, columns = *in.MaterialTargetMet, append(columns, "material_target_met")
	}
	if in.DepartmentRank != nil {
		row.DepartmentRank, columns = *in.DepartmentRank, append(columns, "department_rank")
	}
	if in.SuspendedUntil.Set {
		row.SuspendedUntil, columns = in.SuspendedUntil.Time, append(columns, "suspended_until")
	}
	return columns
}

// DutyInput is PATCH /api/staff/:id/duty's body.
type DutyInput struct {
	OnDuty *bool `json:"on_duty"`
}

// DesignerDuty is a designer as the duty list shows them: whether dispatch may pick
// them today (SPEC.md step 5: on duty and not suspended).
type DesignerDuty struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	StoreID        string     `json:"store_id"`
	StoreName      string     `json:"store_name"`
	OnDuty         bool       `json:"on_duty"`
	SuspendedUntil *time.Time `json:"suspended_until"`
}

// dutyList lists the active designers of the stores actor works in or oversees.
func (s *Server) dutyList(ctx context.Context, actor renoflow.Actor) ([]DesignerDuty, error) {
	rows, err := postgres.DesignerDuties(ctx, s.db, dutyStores(actor))
	if err != nil {
		return nil, err
	}
	out := make([]DesignerDuty, 0, len(rows))
	for _, r := range rows {
		out = append(out, DesignerDuty(r))
	}
	return out, nil
}

// dutyStores lists the stores whose designers' duty actor keeps: a supervisor's stores,
// or the actor's own store.
func dutyStores(actor renoflow.Actor) []string {
	if actor.Role == renoflow.RoleSupervisor {
		return actor.Stores
	}
	if actor.StoreID == "" {
		return nil
	}
	return []string{actor.StoreID}
}

// setDuty puts a designer on or off duty (SPEC.md step 5: only a designer on duty today
// gets dispatches). The store manager may for the designers of their store, a supervisor
// for those of the stores they oversee; anyone else, or another store's designer, is
// refused (403). The admin edits it with the other attributes.
func (s *Server) setDuty(ctx context.Context, actor renoflow.Actor, id string, onDuty *bool) (DesignerDuty, error) {
	if err := actor.Require(renoflow.PermDispatchConfirm, "设置设计师在岗状态"); err != nil {
		return DesignerDuty{}, err
	}
	m, err := s.staffMember(ctx, id)
	if err != nil {
		return DesignerDuty{}, err
	}
	if m.StoreID == "" || !slices.Contains(dutyStores(actor), m.StoreID) {
		return DesignerDuty{}, renoflow.Errorf(renoflow.CodeForbidden, "%s只能设置本店设计师的在岗状态", actor.Role.Label())
	}
	var p renoflow.Problems
	switch {
	case m.Role != renoflow.RoleDesigner:
		p.Add(fieldOnDuty, m.Name+"是"+m.Role.Label()+"，只有设计师有在岗状态")
	case onDuty == nil:
		p.Add(fieldOnDuty, "必填（true 在岗，false 不在岗）")
	}
	if err := p.Err("在岗状态有误"); err != nil {
		return DesignerDuty{}, err
	}
	duty := postgres.Staff{ID: id, DesignerAttributes: postgres.DesignerAttributes{OnDuty: *onDuty}, UpdatedAt: s.now()}
	if err := postgres.UpdateStaff(ctx, s.db, duty, "on_duty", "updated_at"); err != nil {
		return DesignerDuty{}, err
	}
	s.log.Info("designer duty set", "designer", id, "on_duty", *onDuty, "by", actor.ID)
	d, err := postgres.DesignerDutyOf(ctx, s.db, id)
	if err != nil {
		return DesignerDuty{}, err
	}
	return DesignerDuty(d), nil
}

// apiStaffDuty: PATCH /api/staff/:id/duty {"on_duty": false} → the designer's duty (store
// manager for their store's designers, supervisor for their stores').
func (s *Server) apiStaffDuty(c *fiber.Ctx) error {
	var in DutyInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	d, err := s.setDuty(c.UserContext(), actorOf(c), c.Params("id"), in.OnDuty)
	if err != nil {
		return err
	}
	return c.JSON(dutyView(d))
}

// newStaff is the account a creation stores: active, on duty (a designer), the password
// hashed.
func newStaff(in CreateStaffInput, hash string) postgres.Staff {
	return postgres.Staff{ID: in.ID, Login: in.Login, Name: in.Name, Role: in.Role, StoreID: in.StoreID, Lead: in.Lead,
		PasswordHash: hash, Active: true, DesignerAttributes: postgres.DesignerAttributes{OnDuty: true}, Stores: in.Stores}
}

// cleanList trims a list and drops empty and repeated entries.
func cleanList(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range in {
		if v = strings.TrimSpace(v); v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// apiAdminStores: GET /api/admin/stores → every store.
func (s *Server) apiAdminStores(c *fiber.Ctx) error {
	rows, err := s.listStores(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(storeListView(rows))
}

// apiAdminAddStore: POST /api/admin/stores {id, name} → 201 with the store.
func (s *Server) apiAdminAddStore(c *fiber.Ctx) error {
	var in StoreInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	st, err := s.addStore(c.UserContext(), actorOf(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(storeAnswerView(st))
}

// apiAdminStaff: GET /api/admin/staff → every staff account (designers with their
// dispatch attributes).
func (s *Server) apiAdminStaff(c *fiber.Ctx) error {
	rows, err := s.listStaff(c.UserContext())
	if err != nil {
		return err
	}
	out, err := s.withDesigners(c.UserContext(), rows)
	if err != nil {
		return err
	}
	return c.JSON(adminStaffListView(out))
}

// apiAdminStaffMember: GET /api/admin/staff/:id → one staff account (a designer with their
// dispatch attributes).
func (s *Server) apiAdminStaffMember(c *fiber.Ctx) error {
	m, err := s.adminStaffMember(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(adminStaffView(m))
}

// apiAdminAddStaff: POST /api/admin/staff {id?, login, name, role, store_id, lead,
// password, stores} → 201 with the account.
func (s *Server) apiAdminAddStaff(c *fiber.Ctx) error {
	var in CreateStaffInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	m, err := s.addStaff(c.UserContext(), actorOf(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(adminStaffView(AdminStaffMember{StaffMember: m}))
}

// apiAdminPatchStaff: PATCH /api/admin/staff/:id with the fields to change (a
// designer's dispatch attributes among them) → the account.
func (s *Server) apiAdminPatchStaff(c *fiber.Ctx) error {
	var in StaffPatch
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	m, err := s.updateStaff(c.UserContext(), actorOf(c), sessionOf(c).Token, c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(adminStaffView(m))
}
