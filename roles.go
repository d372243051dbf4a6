package renoflow

// Role is a staff member's job (SPEC.md "People (roles)").
type Role string

// The roles of the rule book.
const (
	RoleCustomerManager Role = "customer_manager" // 客户经理
	RoleSalesAdvisor    Role = "sales_advisor"    // 家装顾问 / 营销员
	RoleCustomerService Role = "customer_service" // 客服
	RoleStoreManager    Role = "store_manager"    // 店经理
	RoleDesigner        Role = "designer"         // 设计师
	RoleSupervisor      Role = "supervisor"       // 总监 / 总经理
	RoleAdmin           Role = "admin"            // 管理员
)

var roles = enum{
	{"customer_manager", "客户经理"}, {"sales_advisor", "家装顾问"}, {"customer_service", "客服"},
	{"store_manager", "店经理"}, {"designer", "设计师"}, {"supervisor", "总监"}, {"admin", "管理员"},
}

// Label is the Chinese name of the role.
func (r Role) Label() string { return roles.label(string(r)) }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return roles.valid(string(r)) }

// Roles lists the roles for forms.
func Roles() []Option { return append([]Option(nil), roles...) }

// Person names a staff member on a record: who owns, who filed, who handled.
type Person struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Actor is the staff member doing something, as the server authenticated them.
type Actor struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Role    Role   `json:"role"`
	StoreID string `json:"store_id,omitempty"`
	Lead    bool   `json:"lead,omitempty"` // leads their role in the store (e.g. the customer-service lead)
	// Stores a supervisor oversees; empty for other roles.
	Stores []string `json:"stores,omitempty"`
}

// Person returns the actor as a person on a record.
func (a Actor) Person() Person { return Person{ID: a.ID, Name: a.Name} }

// Is reports whether the actor has one of the roles.
func (a Actor) Is(roles ...Role) bool {
	for _, r := range roles {
		if a.Role == r {
			return true
		}
	}
	return false
}

// InStore reports whether the actor works in or oversees the store.
func (a Actor) InStore(storeID string) bool {
	if a.Role == RoleAdmin {
		return true
	}
	if a.StoreID == storeID {
		return true
	}
	for _, s := range a.Stores {
		if s == storeID {
			return true
		}
	}
	return false
}
