package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
)

// staffKind says which staff members a staff ID given in a request may name.
type staffKind int

// The kinds of staff a request may name.
const (
	staffDesigner staffKind = iota // a designer of the customer's store (dispatch, SPEC.md step 5)
	staffOwner                     // a new owner: customer manager, sales advisor or store manager of the store
	staffHandler                   // a complaint handler: anyone of the store whose role handles complaints (step 11)
)

// roles lists the roles of the kind.
func (k staffKind) roles() []renoflow.Role {
	switch k {
	case staffDesigner:
		return []renoflow.Role{renoflow.RoleDesigner}
	case staffOwner:
		return []renoflow.Role{renoflow.RoleCustomerManager, renoflow.RoleSalesAdvisor, renoflow.RoleStoreManager}
	}
	var out []renoflow.Role
	for _, o := range renoflow.Roles() {
		if r := renoflow.Role(o.Code); (renoflow.Actor{Role: r}).Can(renoflow.PermComplaintHandle) {
			out = append(out, r)
		}
	}
	return out
}

// label names the kind in Chinese, for error messages.
func (k staffKind) label() string {
	switch k {
	case staffDesigner:
		return "本店设计师"
	case staffOwner:
		return "本店客户经理、家装顾问或店经理"
	}
	return "本店可处理投诉的员工"
}

// hasRole reports whether r is one of the kind's roles.
func (k staffKind) hasRole(r renoflow.Role) bool {
	for _, x := range k.roles() {
		if x == r {
			return true
		}
	}
	return false
}

// StaffMember is a staff account as pickers and the admin pages show it (never the
// password hash).
type StaffMember struct {
	ID        string        `json:"id"`
	Login     string        `json:"login"`
	Name      string        `json:"name"`
	Role      renoflow.Role `json:"role"`
	RoleLabel string        `json:"role_label"`
	StoreID   string        `json:"store_id,omitempty"`
	StoreName string        `json:"store_name,omitempty"`
	Lead      bool          `json:"lead"`
	Active    bool          `json:"active"`
	// Stores are the stores a supervisor oversees.
	Stores []string `json:"stores,omitempty"`
}

// staffMemberOf is the stored account as pickers and the admin pages show it.
func staffMemberOf(m postgres.Staff) StaffMember {
	return StaffMember{ID: m.ID, Login: m.Login, Name: m.Name, Role: m.Role, RoleLabel: m.Role.Label(),
		StoreID: m.StoreID, StoreName: m.StoreName, Lead: m.Lead, Active: m.Active, Stores: m.Stores}
}

// staffMembers converts stored accounts (never nil).
func staffMembers(rows []postgres.Staff) []StaffMember {
	out := make([]StaffMember, 0, len(rows))
	for _, m := range rows {
		out = append(out, staffMemberOf(m))
	}
	return out
}

// worksIn reports whether the staff member belongs to the store: works there, or (a
// supervisor) oversees it.
func (m StaffMember) worksIn(storeID string) bool {
	if m.StoreID == storeID {
		return true
	}
	if m.Role == renoflow.RoleSupervisor {
		for _, st := range m.Stores {
			if st == storeID {
				return true
			}
		}
	}
	return false
}

// resolvePerson turns a staff ID given in a request into the person on the record. The
// staff member must exist, be active, belong to the customer's store and have a role of
// the kind; otherwise field is recorded as bad (422), naming what is wrong.
func (s *Server) resolvePerson(ctx context.Context, p *renoflow.Problems, field, id, storeID string, kind staffKind) (renoflow.Person, error) {
	row, err := postgres.StaffMember(ctx, s.db, id)
	m := staffMemberOf(row)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		p.Add(field, "找不到员工"+id)
		return renoflow.Person{}, nil
	case err != nil:
		return renoflow.Person{}, fmt.Errorf("look up staff %s: %w", id, err)
	case !m.Active:
		p.Add(field, m.Name+"的账号已停用")
	case !kind.hasRole(m.Role):
		p.Add(field, fmt.Sprintf("%s是%s，须为%s", m.Name, m.Role.Label(), kind.label()))
	case !m.worksIn(storeID):
		p.Add(field, fmt.Sprintf("%s不是本店员工，须为%s", m.Name, kind.label()))
	default:
		return renoflow.Person{ID: m.ID, Name: m.Name}, nil
	}
	return renoflow.Person{}, nil
}

// staffOf lists the active staff of a kind in a store, for the pickers of the forms.
func (s *Server) staffOf(ctx context.Context, storeID string, kind staffKind) ([]StaffMember, error) {
	rows, err := postgres.StoreStaff(ctx, s.db, storeID, kind.roles())
	if err != nil {
		return nil, err
	}
	return staffMembers(rows), nil
}

// staffOptions lists the active staff of a kind in a store as form options.
func (s *Server) staffOptions(ctx context.Context, storeID string, kind staffKind) ([]renoflow.Option, error) {
	rows, err := s.staffOf(ctx, storeID, kind)
	if err != nil {
		return nil, err
	}
	out := make([]renoflow.Option, 0, len(rows))
	for _, m := range rows {
		out = append(out, renoflow.Option{Code: m.ID, Label: m.Name + "（" + m.RoleLabel + "）"})
	}
	return out, nil
}

// directory lists the active staff of the stores actor works in or oversees (all for
// the admin), for pickers: whom to dispatch to, whom to give a customer or complaint.
func (s *Server) directory(ctx context.Context, actor renoflow.Actor) ([]StaffMember, error) {
	var stores []string // nil: every store (the admin)
	if actor.Role != renoflow.RoleAdmin {
		stores = actorStores(actor)
	}
	stored, err := postgres.StaffOfStores(ctx, s.db, stores)
	if err != nil {
		return nil, err
	}
	rows := staffMembers(stored)
	for i := range rows {
		rows[i].Login = "" // pickers need no logins
	}
	return rows, nil
}

// actorStores lists the stores actor works in or oversees.
func actorStores(actor renoflow.Actor) []string {
	out := []string{}
	if actor.StoreID != "" {
		out = append(out, actor.StoreID)
	}
	for _, st := range actor.Stores {
		if st != actor.StoreID {
			out = append(out, st)
		}
	}
	return out
}

// apiStaff: GET /api/staff → the active staff of the caller's stores (id, name, role,
// store), so API clients can name a designer, owner or complaint handler.
func (s *Server) apiStaff(c *fiber.Ctx) error {
	rows, err := s.directory(c.UserContext(), actorOf(c))
	if err != nil {
		return err
	}
	return c.JSON(staffListView(rows))
}
