package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
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
	ID        string    `bun:"id" json:"id"`
	Name      string    `bun:"name" json:"name"`
	Staff     int       `bun:"staff" json:"staff"` // active staff working there
	CreatedAt time.Time `bun:"created_at" json:"created_at"`
}

// listStores lists every store with its number of active staff.
func (s *Server) listStores(ctx context.Context) ([]Store, error) {
	var rows []Store
	if err := s.db.NewSelect().TableExpr("stores AS so").
		ColumnExpr("so.id, so.name, so.created_at").
		ColumnExpr("(SELECT count(*) FROM staff AS st WHERE st.store_id = so.id AND st.active) AS staff").
		Order("so.id").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("list stores: %w", err)
	}
	return rows, nil
}

// storeOptionsAll lists every store as form options.
func (s *Server) storeOptionsAll(ctx context.Context) ([]renoflow.Option, error) {
	var rows []renoflow.Option
	if err := s.db.NewSelect().Table("stores").ColumnExpr("id AS code, name AS label").Order("id").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("list stores: %w", err)
	}
	return rows, nil
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
	} else if utf8.RuneCountInString(in.Name) > 32 {
		p.Add("name", "不能超过32个字")
	}
	if err := p.Err("门店信息有误"); err != nil {
		return Store{}, err
	}
	var st Store
	err := s.db.NewRaw("INSERT INTO stores (id, name) VALUES (?, ?) RETURNING id, name, created_at", in.ID, in.Name).Scan(ctx, &st)
	if isIntegrityViolation(err) {
		return Store{}, &renoflow.Error{Code: renoflow.CodeConflict, Message: "门店编号" + in.ID + "已存在",
			Fields: []renoflow.FieldError{{Field: "id", Message: "已存在"}}}
	}
	if err != nil {
		return Store{}, fmt.Errorf("create store %s: %w", in.ID, err)
	}
	return st, nil
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
	} else if utf8.RuneCountInString(name) > 32 {
		p.Add("name", "不能超过32个字")
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
	var ids []string
	if err := s.db.NewSelect().Table("stores").Column("id").Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("list stores: %w", err)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
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
		if _, err := tx.NewRaw(`INSERT INTO staff (id, login, name, role, store_id, lead, password_hash) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			in.ID, in.Login, in.Name, string(in.Role), nullable(in.StoreID), in.Lead, hash).Exec(ctx); err != nil {
			return err
		}
		return setSupervisedStores(ctx, tx, in.ID, in.Stores)
	})
	if isIntegrityViolation(err) {
		field, what := "id", "员工编号"+in.ID
		if taken, xerr := s.db.NewSelect().Table("staff").Where("login = ?", in.Login).Exists(ctx); xerr == nil && taken {
			field, what = "login", "登录账号"+in.Login
		}
		return StaffMember{}, &renoflow.Error{Code: renoflow.CodeConflict, Message: what + "已存在",
			Fields: []renoflow.FieldError{{Field: field, Message: "已存在"}}}
	}
	if err != nil {
		return StaffMember{}, fmt.Errorf("create staff %s: %w", in.Login, err)
	}
	return s.staffMember(ctx, in.ID)
}

// staffMember loads one staff account.
func (s *Server) staffMember(ctx context.Context, id string) (StaffMember, error) {
	var m StaffMember
	err := s.staffQuery().Where("st.id = ?", id).Scan(ctx, &m)
	if errors.Is(err, sql.ErrNoRows) {
		return StaffMember{}, renoflow.Errorf(renoflow.CodeNotFound, "找不到员工%s", id)
	}
	if err != nil {
		return StaffMember{}, fmt.Errorf("load staff %s: %w", id, err)
	}
	m.RoleLabel = m.Role.Label()
	return m, nil
}

// listStaff lists every staff account (admin).
func (s *Server) listStaff(ctx context.Context) ([]StaffMember, error) {
	var rows []StaffMember
	if err := s.staffQuery().Order("st.active DESC", "st.store_id", "st.role", "st.id").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	fillStaff(rows)
	return rows, nil
}

// updateStaff changes a staff account (admin): role, store, lead, active, password,
// supervised stores. An admin cannot deactivate themself or give up their own role,
// so the company is never left without one. A new password or a deactivation ends the
// member's other sessions at once.
func (s *Server) updateStaff(ctx context.Context, actor renoflow.Actor, currentSession, id string, in StaffPatch) (StaffMember, error) {
	if err := actor.Require(renoflow.PermManageStaff, "管理员工账号"); err != nil {
		return StaffMember{}, err
	}
	cur, err := s.staffMember(ctx, id)
	if err != nil {
		return StaffMember{}, err
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
		return StaffMember{}, err
	}
	if err := p.Err("员工信息有误"); err != nil {
		return StaffMember{}, err
	}
	if id == actor.ID && (!next.Active || next.Role != renoflow.RoleAdmin) {
		return StaffMember{}, renoflow.Errorf(renoflow.CodeConflict, "不能停用自己的账号，也不能取消自己的管理员角色")
	}
	var hash string
	if in.Password != nil {
		if hash, err = HashPassword(*in.Password); err != nil {
			return StaffMember{}, err
		}
	}
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewUpdate().Table("staff").Where("id = ?", id).
			Set("name = ?", next.Name).Set("role = ?", string(next.Role)).Set("store_id = ?", nullable(next.StoreID)).
			Set("lead = ?", next.Lead).Set("active = ?", next.Active).Set("updated_at = ?", s.now())
		if hash != "" {
			q = q.Set("password_hash = ?", hash)
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Table("supervisor_stores").Where("staff_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		if err := setSupervisedStores(ctx, tx, id, next.Stores); err != nil {
			return err
		}
		if hash != "" || !next.Active {
			_, err := tx.NewDelete().Table("sessions").Where("staff_id = ?", id).
				Where("token_hash <> ?", tokenHash(currentSession)).Exec(ctx)
			return err
		}
		return nil
	})
	if err != nil {
		return StaffMember{}, fmt.Errorf("update staff %s: %w", id, err)
	}
	return s.staffMember(ctx, id)
}

// setSupervisedStores records the stores a supervisor oversees.
func setSupervisedStores(ctx context.Context, db bun.IDB, staffID string, stores []string) error {
	for _, st := range stores {
		if _, err := db.NewRaw("INSERT INTO supervisor_stores (staff_id, store_id) VALUES (?, ?) ON CONFLICT DO NOTHING", staffID, st).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// nullable stores "" as NULL (a staff member without a store).
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
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
	if rows == nil {
		rows = []Store{}
	}
	return c.JSON(fiber.Map{"stores": rows})
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
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"store": st})
}

// apiAdminStaff: GET /api/admin/staff → every staff account.
func (s *Server) apiAdminStaff(c *fiber.Ctx) error {
	rows, err := s.listStaff(c.UserContext())
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []StaffMember{}
	}
	return c.JSON(fiber.Map{"staff": rows})
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
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"staff": m})
}

// apiAdminPatchStaff: PATCH /api/admin/staff/:id with the fields to change → the account.
func (s *Server) apiAdminPatchStaff(c *fiber.Ctx) error {
	var in StaffPatch
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	m, err := s.updateStaff(c.UserContext(), actorOf(c), sessionOf(c).Token, c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"staff": m})
}
