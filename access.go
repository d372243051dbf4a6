package renoflow

// Access follows the current relation between a staff member and a customer, never the
// history (SPEC.md "People (roles)"; issue 10 §3): who filed a customer, or once owned it,
// or was once dispatched to it, sees nothing of it once the relation is gone.

// Relation is how a staff member stands to a customer right now.
type Relation string

// The relations, from the closest.
const (
	RelOwner    Relation = "owner"    // 归属人: the customer belongs to them
	RelDesigner Relation = "designer" // the designer who accepted the dispatch
	RelDispatch Relation = "dispatch" // a dispatch waits for their answer (派单待接)
	RelHandler  Relation = "handler"  // they handle an open complaint
	RelPool     Relation = "pool"     // the customer is in their store's public pool (公海)
	RelStore    Relation = "store"    // the customer is in a store they work in or oversee
	RelAll      Relation = "all"      // the admin
	RelNone     Relation = ""         // none: the customer is not theirs to see (404)
)

// Related lists the staff members tied to the customer in person right now: the owner,
// the designer, the designer a dispatch waits for, the handlers of open complaints. The
// customers table keeps it (related_ids), so a query can scope by it.
func (c *Customer) Related() []string {
	var out []string
	add := func(id string) {
		if id == "" {
			return
		}
		for _, x := range out {
			if x == id {
				return
			}
		}
		out = append(out, id)
	}
	add(c.Owner.ID)
	add(c.Designer.ID)
	if d := c.dispatch(); d != nil && d.Status == DispatchConfirmed {
		add(d.Designer.ID)
	}
	for _, k := range c.Complaints {
		if k.Status != ComplaintClosed {
			add(k.Handler.ID)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// RelationOf says how actor stands to the customer now (RelNone: they may not see it).
// The admin sees every customer; a supervisor the customers of their stores; store
// roles (customer manager, customer service, store manager) the customers of their
// store; a sales advisor and a designer only the customers they are tied to in person
// (Related), and a sales advisor also the public pool of their store, whose customers
// are the first visitor's to claim (SPEC.md step 2).
func (c *Customer) RelationOf(a Actor) Relation {
	personal := func() Relation {
		switch {
		case a.ID == "":
			return RelNone
		case c.Owner.ID == a.ID:
			return RelOwner
		case c.Designer.ID == a.ID:
			return RelDesigner
		}
		if d := c.dispatch(); d != nil && d.Status == DispatchConfirmed && d.Designer.ID == a.ID {
			return RelDispatch
		}
		for _, k := range c.Complaints {
			if k.Status != ComplaintClosed && k.Handler.ID == a.ID {
				return RelHandler
			}
		}
		return RelNone
	}
	switch a.Role {
	case RoleAdmin:
		return RelAll
	case RoleSupervisor:
		if a.InStore(c.StoreID) {
			return RelStore
		}
	case RoleCustomerManager, RoleCustomerService, RoleStoreManager:
		if a.StoreID != "" && a.StoreID == c.StoreID {
			return RelStore
		}
	case RoleSalesAdvisor:
		if r := personal(); r != RelNone {
			return r
		}
		if c.Stage == StagePool && a.StoreID != "" && a.StoreID == c.StoreID {
			return RelPool
		}
	case RoleDesigner:
		return personal()
	}
	return RelNone
}

// Sees reports whether actor may see the customer (its page, phone, timeline, tasks).
func (c *Customer) Sees(a Actor) bool { return c.RelationOf(a) != RelNone }

// notFound is the refusal for a customer the actor may not see: the same answer as for
// a customer that does not exist, so nobody learns that it does.
func notFound() error { return Errorf(CodeNotFound, "找不到该客户，或您无权查看") }

// Scope is RelationOf as a query filter, for lists and searches of the customers table:
// a customer is in scope when any of the set conditions holds (none set: nothing).
type Scope struct {
	All    bool     // every customer
	Stores []string // customers of these stores (store_id)
	// Person: customers whose related_ids (Customer.Related) hold this staff ID.
	Person string
	// PoolStore: customers in the public pool of this store.
	PoolStore string
}

// ScopeOf is the scope of the customers actor may see; it selects exactly the
// customers c with c.Sees(actor).
func ScopeOf(a Actor) Scope {
	switch a.Role {
	case RoleAdmin:
		return Scope{All: true}
	case RoleSupervisor:
		stores := append([]string(nil), a.Stores...)
		if a.StoreID != "" {
			stores = append(stores, a.StoreID)
		}
		return Scope{Stores: stores}
	case RoleCustomerManager, RoleCustomerService, RoleStoreManager:
		if a.StoreID == "" {
			return Scope{}
		}
		return Scope{Stores: []string{a.StoreID}}
	case RoleSalesAdvisor:
		return Scope{Person: a.ID, PoolStore: a.StoreID}
	case RoleDesigner:
		return Scope{Person: a.ID}
	}
	return Scope{}
}

// SeesTemporalUI reports whether actor may open the Temporal Web UI (through the app's own
// session, read-only): it shows every store's customers, with full phones.
func (a Actor) SeesTemporalUI() bool { return a.Is(RoleSupervisor, RoleAdmin) }
