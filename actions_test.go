package renoflow

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Test actors: two stores, every role.
var (
	tCM1  = Actor{ID: "cm1", Name: "张经理", Role: RoleCustomerManager, StoreID: "s1"}
	tCM2  = Actor{ID: "cm2", Name: "郑经理", Role: RoleCustomerManager, StoreID: "s2"}
	tSA1  = Actor{ID: "sa1", Name: "周顾问", Role: RoleSalesAdvisor, StoreID: "s1"}
	tSA2  = Actor{ID: "sa2", Name: "钱顾问", Role: RoleSalesAdvisor, StoreID: "s1"}
	tCS1  = Actor{ID: "cs1", Name: "李客服", Role: RoleCustomerService, StoreID: "s1"}
	tSM1  = Actor{ID: "sm1", Name: "王店长", Role: RoleStoreManager, StoreID: "s1"}
	tSM2  = Actor{ID: "sm2", Name: "赵店长", Role: RoleStoreManager, StoreID: "s2"}
	tD1   = Actor{ID: "d1", Name: "吴设计", Role: RoleDesigner, StoreID: "s1"}
	tD2   = Actor{ID: "d2", Name: "冯设计", Role: RoleDesigner, StoreID: "s1"}
	tSup  = Actor{ID: "sup1", Name: "孙总监", Role: RoleSupervisor, Stores: []string{"s1", "s2"}}
	tSupX = Actor{ID: "sup2", Name: "钱总监", Role: RoleSupervisor, Stores: []string{"s3"}}
	tAdm  = Actor{ID: "admin", Name: "管理员", Role: RoleAdmin}

	testActors = []Actor{tCM1, tCM2, tSA1, tSA2, tCS1, tSM1, tSM2, tD1, tD2, tSup, tSupX, tAdm}
)

// testCustomers are customers of store s1 at every stage and in every relation the
// catalogue's rules look at.
func testCustomers() map[string]*Customer {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, Zone)
	base := func(stage Stage, owner Actor) *Customer {
		return &Customer{ID: "c", Stage: stage, StoreID: "s1", Owner: owner.Person(), FiledBy: owner.Person(), FiledAt: now,
			Record: Record{Name: "客户", Phone: "13800000001", StoreID: "s1"}}
	}
	no, yes := false, true
	k := func(id string, status ComplaintStatus, handler Actor) Complaint {
		return Complaint{ID: id, Category: "design", Text: "慢", Status: status, Handler: handler.Person()}
	}
	out := map[string]*Customer{}
	out["filed by sa1"] = base(StageFiled, tSA1)
	c := base(StagePool, Actor{})
	c.PreviousOwner = tSA1.Person()
	out["pool"] = c
	c = base(StagePresale, tCM1)
	c.VerifiedAt = now
	c.Callbacks = []Callback{{Attempt: 1, Due: now}}
	c.Complaints = []Complaint{k("K1", ComplaintOpen, tCM1), k("K2", ComplaintResolved, tCS1)}
	out["presale, call-back and complaints open"] = c
	c = base(StagePresale, tSA1)
	c.Callbacks = []Callback{{Attempt: 1, Due: now, Reached: &no}, {Attempt: 2, Due: now, Reached: &yes}}
	c.Complaints = []Complaint{k("K1", ComplaintAnswered, tD2)}
	out["owned by sa1, complaint handled by d2"] = c
	c = base(StagePresale, tCM1)
	c.Dispatches = []Dispatch{{Designer: tD1.Person(), Status: DispatchProposed}}
	c.InvalidProposal = &Proposal{By: tCM1.Person(), Reason: "空号"}
	out["dispatch proposed, invalid proposed"] = c
	c = base(StagePresale, tCM1)
	c.Dispatches = []Dispatch{{Designer: tD1.Person(), Status: DispatchConfirmed, AuthorisedBySupervisor: true}}
	c.Disputes = []Dispute{{ID: "D1", Claimant: tSA1.Person(), Owner: tCM1.Person()}}
	out["dispatch waits for d1, dispute open"] = c
	c = base(StagePresale, tCM1)
	c.Dispatches = []Dispatch{{Designer: tD1.Person(), Status: DispatchRefused}}
	out["dispatch refused by d1"] = c
	c = base(StagePresale, tCM1)
	c.Dispatches = []Dispatch{{Designer: tD1.Person(), Status: DispatchReturned}}
	out["dispatch returned"] = c
	c = base(StageDesign, tCM1)
	c.Designer = tD1.Person()
	c.Dispatches = []Dispatch{{Designer: tD1.Person(), Status: DispatchAccepted, AuthorisedBySupervisor: true, ConfirmedBy: tSup.Person()}}
	out["design with d1"] = c
	c = base(StageDeposit, tCM1)
	c.Designer, c.DepositAt, c.Measured, c.MeasuredAt, c.Grade = tD1.Person(), now, true, now, GradeA
	out["deposit"] = c
	c = base(StageConstruction, tCM1)
	c.Designer, c.DepositAt, c.ContractAt = tD1.Person(), now, now
	c.Milestones = []MilestoneRec{{Milestone: MilestoneMaterial, At: now}}
	out["construction"] = c
	c = base(StageAfterSales, tCM1)
	c.Milestones = []MilestoneRec{{Milestone: MilestoneMaterial}, {Milestone: MilestoneConcealed}, {Milestone: MilestoneMid}, {Milestone: MilestoneCompletion}}
	out["after-sales"] = c
	out["archived"] = base(StageArchived, tCM1)
	out["invalid"] = base(StageInvalid, tCM1)
	c = base(StagePresale, tCM2)
	c.StoreID, c.Record.StoreID = "s2", "s2"
	out["store s2"] = c
	return out
}

// validRequests are well-formed requests of action a on c by actor: one per complaint
// the action may take, else one.
func validRequests(c *Customer, a *StaffAction, actor Actor) []Request {
	in := Request{Actor: actor, Note: "备注"}
	yes := true
	for _, f := range a.Fields {
		switch f {
		case InReached:
			in.Reached = &yes
		case InChannel:
			in.Channel = "phone"
		case InGrade:
			in.Grade = GradeB
		case InPerson:
			in.Person = Person{ID: "new", Name: "新人"}
		case InAmount:
			in.AmountYuan = 20000
		case InMilestone:
			in.Milestone = c.NextMilestone()
			if in.Milestone == "" {
				in.Milestone = MilestoneMaterial
			}
		case InCategory:
			in.Category = "design"
		case InHandler:
			in.Handler = Person{ID: "new", Name: "新人"}
		case InSatisfied:
			in.Satisfied = &yes
		case InOutcome:
			in.Outcome = DisputeSplit
		}
	}
	if a.OnComplaint == nil {
		return []Request{in}
	}
	var out []Request
	for _, k := range c.Complaints {
		r := in
		r.ComplaintID = k.ID
		out = append(out, r)
	}
	if out == nil {
		in.ComplaintID = "K1"
		out = []Request{in}
	}
	return out
}

// The customer page offers a form exactly when the domain's check passes: for every
// action, actor and customer, Can passes if and only if some well-formed request of the
// action passes Check; and the complaints a form lists are exactly those its check accepts.
func TestCanAgreesWithCheck(t *testing.T) {
	offered := map[string]bool{}
	for name, c := range testCustomers() {
		for _, a := range StaffActions() {
			for _, actor := range testActors {
				can := a.Can(c, actor)
				var passed []string
				for _, in := range validRequests(c, a, actor) {
					if a.Check(c, in) == nil {
						passed = append(passed, in.ComplaintID)
					}
				}
				require.Equal(t, can == nil, len(passed) > 0, "%s by %s on %q: Can says %v, Check passes %v", a.Update, actor.ID, name, can, passed)
				if a.OnComplaint != nil {
					var choices []string
					for _, k := range c.ComplaintChoices(a, actor) {
						choices = append(choices, k.ID)
					}
					require.ElementsMatch(t, choices, passed, "%s by %s on %q", a.Update, actor.ID, name)
				}
				if can == nil {
					offered[a.Update] = true
				}
				if !actor.Can(a.Perm) {
					require.Equal(t, CodeForbidden, ErrorCodeOf(can), "%s by %s", a.Update, actor.ID)
				} else if a.Update != ActDisputeOpen && !c.Sees(actor) {
					require.Equal(t, CodeNotFound, ErrorCodeOf(can), "%s by %s on %q", a.Update, actor.ID, name)
				}
			}
		}
	}
	for _, a := range StaffActions() {
		require.True(t, offered[a.Update], "the test customers exercise %s", a.Update)
	}
}

// Every action names its verb, permission and section; the update names are unique; the
// task a rule's work opens is completed by the action with the same permission
// TaskPermission asks for.
func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range StaffActions() {
		require.False(t, seen[a.Update], a.Update)
		seen[a.Update] = true
		require.NotEmpty(t, a.Verb, a.Update)
		require.NotEmpty(t, a.Perm, a.Update)
		require.NotEmpty(t, a.Section, a.Update)
		got, ok := ActionByUpdate(a.Update)
		require.True(t, ok)
		require.Same(t, a, got)
		for _, r := range a.Completes {
			perm, _ := TaskPermission(r, 0)
			require.Equal(t, a.Perm, perm, "%s completes %s", a.Update, r)
		}
	}
	cases := []struct {
		rule Rule
		seq  int
		perm Permission
	}{
		{RuleVerify, 0, PermVerify}, {RuleFirstCallback, 0, PermCallback}, {RuleFollowUp, 0, PermFollowUp},
		{RuleWeeklyCheck, 0, PermMilestone}, {RuleDispatchConfirm, 0, PermDispatchConfirm}, {RuleDispatchAccept, 0, PermDispatchRespond},
		{RuleComplaintAnswer, 0, PermComplaintHandle}, {RuleComplaintResolve, 0, PermComplaintHandle},
		{RuleInvalidReview, 0, PermInvalidConfirm}, {RuleDispute, 0, PermDisputeRule},
		{RuleDepositVisit, 0, PermReturnVisit}, {RuleAfterSalesVisit, 0, PermReturnVisit}, {RuleHouseCheck, 0, PermReturnVisit},
		{RuleVerify, 1, PermAcknowledge}, {RuleClaimReminder, 0, PermAcknowledge}, {RuleDispatchAccept, 2, PermAcknowledge},
	}
	for _, tc := range cases {
		perm, what := TaskPermission(tc.rule, tc.seq)
		require.Equal(t, tc.perm, perm, "%s/%d", tc.rule, tc.seq)
		require.NotEmpty(t, what)
	}
}

// The input bounds are the domain's: a deposit above 1 亿 is refused (the server's API
// and forms run the same Input), a contract up to 10 亿 is not; NaN is never an amount.
func TestActionInputBounds(t *testing.T) {
	dep, _ := ActionByUpdate(ActDeposit)
	con, _ := ActionByUpdate(ActContract)
	nan := 0.0
	nan /= nan
	for _, tc := range []struct {
		a      *StaffAction
		amount float64
		ok     bool
	}{
		{dep, 1e8, true}, {dep, 1e8 + 1, false}, {dep, 5e8, false}, {dep, 0, false}, {dep, -1, false}, {dep, nan, false},
		{con, 5e8, true}, {con, 1e9, true}, {con, 1e9 + 1, false}, {con, nan, false},
	} {
		err := tc.a.Input(Request{AmountYuan: tc.amount})
		if tc.ok {
			require.NoError(t, err, "%s %v", tc.a.Update, tc.amount)
			continue
		}
		var de *Error
		require.ErrorAs(t, err, &de, "%s %v", tc.a.Update, tc.amount)
		require.Equal(t, CodeInvalid, de.Code)
		require.Equal(t, InAmount, de.Fields[0].Field)
	}
	require.Contains(t, dep.Input(Request{AmountYuan: 2e8}).Error(), "1亿")
}

// Access follows the current relation: the filer of a lapsed filing claimed by someone
// else, the designer of a dispatch refused or returned, the staff of a store the
// customer left — none of them sees the customer any more. ScopeOf selects exactly the
// customers Sees allows.
func TestAccessFollowsTheCurrentRelation(t *testing.T) {
	cs := testCustomers()
	cases := []struct {
		customer string
		actor    Actor
		want     Relation
	}{
		{"filed by sa1", tSA1, RelOwner},
		{"filed by sa1", tSA2, RelNone},
		{"filed by sa1", tCM1, RelStore},
		{"filed by sa1", tD1, RelNone},
		{"pool", tSA1, RelPool}, // the public pool of their store: first to bring them in claims them
		{"pool", tSA2, RelPool},
		{"owned by sa1, complaint handled by d2", tSA1, RelOwner},
		{"owned by sa1, complaint handled by d2", tD2, RelHandler},
		{"presale, call-back and complaints open", tSA1, RelNone}, // not theirs
		{"presale, call-back and complaints open", tCS1, RelStore},
		{"dispatch proposed, invalid proposed", tD1, RelNone}, // not confirmed yet
		{"dispatch waits for d1, dispute open", tD1, RelDispatch},
		{"dispatch waits for d1, dispute open", tSA1, RelNone}, // a claimant is not tied to the customer
		{"dispatch refused by d1", tD1, RelNone},
		{"dispatch returned", tD1, RelNone},
		{"design with d1", tD1, RelDesigner},
		{"design with d1", tD2, RelNone},
		{"store s2", tCM1, RelNone},
		{"store s2", tSM1, RelNone},
		{"store s2", tSM2, RelStore},
		{"store s2", tSup, RelStore},
		{"store s2", tSupX, RelNone},
		{"store s2", tAdm, RelAll},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, cs[tc.customer].RelationOf(tc.actor), "%s to %q", tc.actor.ID, tc.customer)
	}

	// The lapsed filing claimed by another customer manager: sa1 loses it.
	c := cs["pool"]
	c.Owner, c.Stage = tCM1.Person(), StagePresale
	require.Equal(t, RelNone, c.RelationOf(tSA1))
	// A customer moved to store s2: the store roles of s1 lose it, those of s2 gain it.
	c.StoreID = "s2"
	require.Equal(t, RelNone, c.RelationOf(tSM1))
	require.Equal(t, RelStore, c.RelationOf(tSM2))
	require.Equal(t, RelNone, c.RelationOf(tCM1), "a store role sees its store's customers")

	// ScopeOf, as a query over (store_id, stage, related_ids), selects what Sees allows.
	for name, c := range testCustomers() {
		for _, a := range testActors {
			sc := ScopeOf(a)
			in := sc.All || slices.Contains(sc.Stores, c.StoreID) || (sc.Person != "" && slices.Contains(c.Related(), sc.Person)) ||
				(sc.PoolStore != "" && c.StoreID == sc.PoolStore && c.Stage == StagePool)
			require.Equal(t, c.Sees(a), in, "%s on %q", a.ID, name)
		}
	}
}
