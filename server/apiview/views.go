// Package apiview declares the view models of renoflow's JSON API (/api/...): the shapes
// the server answers with and the typed client (internal/apiclient) decodes. They are the
// API's contract, kept apart from the workflow's state (renoflow.Customer) so that
// internal bookkeeping — the revision, idempotency keys, the raw clock map — never
// travels to a client, and so that a workflow change does not change the API.
//
// The server builds these values (server/views.go); it is a package of its own, not part
// of package server, so that the server's own tests can use the typed client without an
// import cycle. Times are RFC 3339 in JSON (Go's time.Time); money is in yuan, areas in
// square metres, as the field names say.
package apiview

import (
	"time"

	"github.com/renoflow/renoflow"
)

// Session is the answer to POST /api/login: the session token (also set as the
// renoflow_session cookie) and the CSRF token that cookie-authenticated writes send in
// X-CSRF-Token.
type Session struct {
	Token     string         `json:"token"`      // bearer token: Authorization: Bearer <token>
	CSRFToken string         `json:"csrf_token"` // for writes authenticated by the cookie
	Staff     renoflow.Actor `json:"staff"`      // who logged in: id, name, role, store, lead, stores
}

// Filing is the answer to POST /api/customers: 201 with the customer once it is written
// and readable, or 202 (Pending) when the filing is accepted and durable but not yet
// readable; StatusURL then answers 409 "正在建档" until it is.
type Filing struct {
	CustomerID string    `json:"customer_id"`
	WorkflowID string    `json:"workflow_id"`        // the customer's Temporal workflow (customer-<id>)
	Customer   *Customer `json:"customer,omitempty"` // nil while Pending
	Pending    bool      `json:"pending,omitempty"`  // 202: accepted, not yet written
	Message    string    `json:"message,omitempty"`  // 202: what to tell the filer
	StatusURL  string    `json:"status_url,omitempty"`
}

// Customer is one customer as staff see it (SPEC.md "The customer record" and the
// lifecycle steps 1–12): the record, the stage and who holds it, and what happened at
// each step. It is the answer to every action (POST /api/customers/:id/<action>, POST
// /api/tasks/:id/done, under "state") and part of GET /api/customers/:id. The workflow's
// bookkeeping — its revision, its clock map (the due timers; their deadlines show as
// tasks and timeline entries), its list of open task keys, the follow-up slot counter,
// a complaint's task generation — is not part of it.
type Customer struct {
	ID         string          `json:"id"`
	Record     renoflow.Record `json:"record"` // as filed and corrected: name, gender, phone, house, channel, store…
	Stage      renoflow.Stage  `json:"stage"`  // filed, presale, design, contract, construction, aftersales, archived, invalid
	Grade      renoflow.Grade  `json:"grade,omitempty"`
	StoreID    string          `json:"store_id"`
	Owner      renoflow.Person `json:"owner"`       // who holds the customer (归属); empty in the public pool (公海)
	OwnerSince time.Time       `json:"owner_since"` // since when (the protection period counts from here)
	// PreviousOwner lost the customer to the public pool at PreviousOwnerUntil.
	PreviousOwner      renoflow.Person `json:"previous_owner,omitzero"`
	PreviousOwnerUntil time.Time       `json:"previous_owner_until,omitzero"`

	FiledBy    renoflow.Person `json:"filed_by"` // 报备人
	FiledAt    time.Time       `json:"filed_at"` // 报备时间
	VerifiedBy renoflow.Person `json:"verified_by,omitzero"`
	VerifiedAt time.Time       `json:"verified_at,omitzero"`
	ClaimDue   time.Time       `json:"claim_due,omitzero"` // the filing's claim deadline (报备有效期), until verified

	FirstConsultAt time.Time            `json:"first_consult_at,omitzero"`
	FirstConsult   string               `json:"first_consult,omitempty"` // "visit" or "phone"
	LastVisitAt    time.Time            `json:"last_visit_at,omitzero"`
	Measured       bool                 `json:"measured,omitempty"`
	Callbacks      []renoflow.Callback  `json:"callbacks,omitempty"` // first call-back attempts (首谈回访), in order
	LastServiceAt  time.Time            `json:"last_service_at,omitzero"`
	Flag           string               `json:"flag,omitempty"` // why flagged for reassignment (待重新分配); "" when not
	FlagCauses     []renoflow.FlagCause `json:"flag_causes,omitempty"`

	FollowUp    *FollowUpMonth        `json:"follow_up,omitempty"` // the pre-sale follow-up month being counted
	Scores      []renoflow.MonthScore `json:"scores,omitempty"`    // closed follow-up months and their points
	Dispatches  []renoflow.Dispatch   `json:"dispatches,omitempty"`
	Designer    renoflow.Person       `json:"designer,omitzero"` // the designer who accepted the dispatch (派单)
	DesignSince time.Time             `json:"design_since,omitzero"`
	MeasuredAt  time.Time             `json:"measured_at,omitzero"`
	DepositAt   time.Time             `json:"deposit_at,omitzero"`
	DepositYuan float64               `json:"deposit_yuan,omitempty"` // 定金, yuan

	ContractAt   time.Time               `json:"contract_at,omitzero"`
	ContractYuan float64                 `json:"contract_yuan,omitempty"` // contract amount, yuan
	Milestones   []renoflow.MilestoneRec `json:"milestones,omitempty"`
	CompletedAt  time.Time               `json:"completed_at,omitzero"`
	WarrantyEnd  time.Time               `json:"warranty_end,omitzero"`
	WeeklyChecks int                     `json:"weekly_checks,omitempty"`     // construction weekly checks done
	Visits       int                     `json:"aftersales_visits,omitempty"` // after-sales visits scheduled so far
	MovedInAt    time.Time               `json:"moved_in_at,omitzero"`        // 实际入住; zero until recorded

	Disputes        []renoflow.Dispute `json:"disputes,omitempty"` // ownership disputes (撞单)
	Complaints      []Complaint        `json:"complaints,omitempty"`
	InvalidProposal *renoflow.Proposal `json:"invalid_proposal,omitempty"` // a pending proposal to mark the customer invalid
	InvalidAt       time.Time          `json:"invalid_at,omitzero"`
	InvalidBy       renoflow.Person    `json:"invalid_by,omitzero"`
	ArchivedAt      time.Time          `json:"archived_at,omitzero"`
}

// FollowUpMonth is the pre-sale follow-up month being counted (SPEC.md step 5).
type FollowUpMonth struct {
	Month string    `json:"month"` // YYYY-MM in the company zone
	From  time.Time `json:"from"`  // counting starts here: the month's start, or when pre-sale began
	Done  int       `json:"done"`  // follow-ups done so far this month
}

// Complaint is one complaint (SPEC.md step 11) without the workflow's task generation.
type Complaint struct {
	ID         string                     `json:"id"`
	Category   renoflow.ComplaintCategory `json:"category"`
	Major      bool                       `json:"major,omitempty"` // 重大投诉
	MajorAt    time.Time                  `json:"major_at,omitzero"`
	MajorBy    renoflow.Person            `json:"major_by,omitzero"`
	Text       string                     `json:"text"`
	Status     string                     `json:"status"`
	OpenedBy   renoflow.Person            `json:"opened_by"`
	OpenedAt   time.Time                  `json:"opened_at"`
	Handler    renoflow.Person            `json:"handler"`
	AnsweredAt time.Time                  `json:"answered_at,omitzero"`
	Answer     string                     `json:"answer,omitempty"`
	ResolvedAt time.Time                  `json:"resolved_at,omitzero"`
	Resolution string                     `json:"resolution,omitempty"`
	Escalated  bool                       `json:"escalated,omitempty"`
	ClosedAt   time.Time                  `json:"closed_at,omitzero"`
	Archived   bool                       `json:"archived,omitempty"`
}

// Action is the answer to an action on a customer (POST /api/customers/:id/<action>) and
// to a task done (POST /api/tasks/:id/done): the customer after it.
type Action struct {
	State Customer `json:"state"`
}

// CustomerRow is one customer in a list (GET /api/customers): the columns the list page
// shows.
type CustomerRow struct {
	ID           string     `json:"id"`
	Phone        string     `json:"phone"` // normalised, as stored
	Name         string     `json:"name"`
	Gender       string     `json:"gender"`
	Community    string     `json:"community"` // 小区
	Channel      string     `json:"channel"`
	ChannelLabel string     `json:"channel_label"`
	StoreID      string     `json:"store_id"`
	StoreName    string     `json:"store_name,omitempty"`
	Stage        string     `json:"stage"`
	StageLabel   string     `json:"stage_label"`
	Grade        string     `json:"grade"`
	OwnerID      string     `json:"owner_id"` // "" in the public pool (公海)
	OwnerName    string     `json:"owner_name"`
	OwnerSince   *time.Time `json:"owner_since,omitempty"`
	DesignerID   string     `json:"designer_id"`
	DesignerName string     `json:"designer_name"`
	FiledBy      string     `json:"filed_by"`
	FiledByName  string     `json:"filed_by_name"`
	FiledAt      time.Time  `json:"filed_at"`
	ClaimDue     *time.Time `json:"claim_due,omitempty"` // the claim deadline while unverified
	FirstConsult string     `json:"first_consult,omitempty"`
	Flagged      bool       `json:"flagged"` // flagged for reassignment (待重新分配)
	FlagReason   string     `json:"flag_reason,omitempty"`
	Invalid      bool       `json:"invalid"`
	UpdatedAt    time.Time  `json:"updated_at"` // last change written
}

// CustomerList is the answer to GET /api/customers: one page and the total matching.
type CustomerList struct {
	Customers []CustomerRow `json:"customers"`
	Total     int           `json:"total"`
	Page      int           `json:"page"`     // 1-based
	PerPage   int           `json:"per_page"` // rows per page
}

// TimelineEntry is one line of a customer's timeline: what happened, who did it, and for
// a deadline the rule, its due time and the policy and calendar versions that set it.
type TimelineEntry struct {
	At              time.Time         `json:"at"`
	Kind            string            `json:"kind"`
	ActorID         string            `json:"actor_id,omitempty"`
	ActorName       string            `json:"actor_name,omitempty"`
	Summary         string            `json:"summary"` // Chinese, as the page shows it
	Rule            string            `json:"rule,omitempty"`
	PolicyVersion   int               `json:"policy_version,omitempty"`
	CalendarVersion int               `json:"calendar_version,omitempty"`
	Due             *time.Time        `json:"due,omitempty"`
	Data            map[string]string `json:"data,omitempty"`
}

// Task is one task (待办): who must do what by when, and how it ended.
type Task struct {
	ID              int64      `json:"id"`
	CustomerID      string     `json:"customer_id"`
	CustomerName    string     `json:"customer_name"`
	Rule            string     `json:"rule"`
	RuleTitle       string     `json:"rule_title"`
	Subject         string     `json:"subject,omitempty"` // which complaint, milestone, month… of the rule
	Seq             int        `json:"seq"`               // 0: the work; 1, 2…: escalation rungs
	Title           string     `json:"title"`
	Detail          string     `json:"detail,omitempty"`
	AssigneeID      string     `json:"assignee_id,omitempty"`
	AssigneeRole    string     `json:"assignee_role,omitempty"` // a role queue of the store when no one person
	StoreID         string     `json:"store_id"`
	DueAt           time.Time  `json:"due_at"`
	Status          string     `json:"status"`           // open, done, cancelled
	Kind            string     `json:"kind"`             // work or notice
	Reason          string     `json:"reason,omitempty"` // why a cancelled task no longer applies
	PolicyVersion   int        `json:"policy_version"`   // the policy version that set DueAt
	CalendarVersion int        `json:"calendar_version"` // the calendar version that set DueAt
	CreatedAt       time.Time  `json:"created_at"`
	DoneAt          *time.Time `json:"done_at,omitempty"`
	DoneBy          string     `json:"done_by,omitempty"`
	DoneByName      string     `json:"done_by_name,omitempty"`
	Outcome         string     `json:"outcome,omitempty"`
	Overdue         bool       `json:"overdue"`
	Approval        bool       `json:"approval"` // an approval the assignee grants or refuses
}

// TaskList is the answer to GET /api/tasks?view=.
type TaskList struct {
	Tasks []Task `json:"tasks"`
}

// CustomerDetail is the answer to GET /api/customers/:id: the list row, the customer,
// its timeline and tasks, and its workflow (the link only for staff who may open the
// Temporal UI).
type CustomerDetail struct {
	Customer    CustomerRow     `json:"customer"`
	State       Customer        `json:"state"`
	Timeline    []TimelineEntry `json:"timeline"`
	Tasks       []Task          `json:"tasks"`
	WorkflowID  string          `json:"workflow_id"`
	WorkflowURL string          `json:"workflow_url,omitempty"`
}

// Me is the answer to GET /api/me: the logged-in staff member and the session's CSRF
// token.
type Me struct {
	Staff     renoflow.Actor `json:"staff"`
	CSRFToken string         `json:"csrf_token"`
}

// StaffMember is a staff account (GET /api/staff: the directory of the caller's stores;
// the admin API's accounts add Designer).
type StaffMember struct {
	ID        string        `json:"id"`
	Login     string        `json:"login"`
	Name      string        `json:"name"`
	Role      renoflow.Role `json:"role"`
	RoleLabel string        `json:"role_label"` // the role in Chinese
	StoreID   string        `json:"store_id,omitempty"`
	StoreName string        `json:"store_name,omitempty"`
	Lead      bool          `json:"lead"`             // leads their role in the store
	Active    bool          `json:"active"`           // may log in and be assigned work
	Stores    []string      `json:"stores,omitempty"` // the stores a supervisor oversees
	// Designer holds a designer's dispatch attributes (admin API only).
	Designer *DesignerAttributes `json:"designer,omitempty"`
}

// DesignerAttributes are what dispatch (派单) ranks a designer by (SPEC.md step 6).
type DesignerAttributes struct {
	OnDuty            bool       `json:"on_duty"`             // on duty today (今日在岗)
	Senior            bool       `json:"senior"`              // senior designer (资深), first for large orders
	ChargesFee        bool       `json:"charges_fee"`         // charges a design fee (收费), first for large orders
	MaterialTargetMet bool       `json:"material_target_met"` // main-material sales target met (主材达标)
	DepartmentRank    int        `json:"department_rank"`     // department ranking: 1 best, 0 unranked
	SuspendedUntil    *time.Time `json:"suspended_until"`     // off dispatch until (停派至); null when not suspended
}

// StaffList is the answer to GET /api/staff and GET /api/admin/staff.
type StaffList struct {
	Staff []StaffMember `json:"staff"`
}

// StaffAnswer is the answer to one account: GET, POST (201) and PATCH /api/admin/staff.
type StaffAnswer struct {
	Staff StaffMember `json:"staff"`
}

// Store is one store with its number of active staff.
type Store struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Staff     int       `json:"staff"` // active staff working there
	CreatedAt time.Time `json:"created_at"`
}

// StoreList is the answer to GET /api/admin/stores.
type StoreList struct {
	Stores []Store `json:"stores"`
}

// StoreAnswer is the answer to POST /api/admin/stores (201).
type StoreAnswer struct {
	Store Store `json:"store"`
}

// DesignerDuty is a designer's duty: on duty today, or suspended until a day.
type DesignerDuty struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	StoreID        string     `json:"store_id"`
	StoreName      string     `json:"store_name"`
	OnDuty         bool       `json:"on_duty"`
	SuspendedUntil *time.Time `json:"suspended_until"` // null when not suspended
}

// DutyAnswer is the answer to PATCH /api/staff/:id/duty.
type DutyAnswer struct {
	Designer DesignerDuty `json:"designer"`
}

// BatchResult is one customer's result of a batch action (POST /api/customers/batch).
type BatchResult struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	OK      bool   `json:"ok"`
	Message string `json:"message,omitempty"` // why it was refused, in Chinese
}

// BatchAnswer is the answer to POST /api/customers/batch: one result per customer, in
// the order asked.
type BatchAnswer struct {
	Results []BatchResult `json:"results"`
}

// DisputeFiled is the answer to POST /api/disputes (201).
type DisputeFiled struct {
	Status  string `json:"status"`  // "submitted"
	Message string `json:"message"` // what to tell the claimant, in Chinese
}

// Health is the answer to GET /healthz (200 ok, 503 degraded).
type Health struct {
	Status   string `json:"status"`   // "ok" or "degraded"
	Database string `json:"database"` // "ok" or the error
	Temporal string `json:"temporal"` // "ok" or the error
	// Calendar is "ok", or the warning that the company calendar runs out soon or has;
	// a warning does not make the service unhealthy.
	Calendar string `json:"calendar"`
}

// Calendar is a version of the company calendar (GET/PUT /api/calendar, POST
// /api/calendar/import): the days that differ from the ordinary week.
type Calendar struct {
	Version   int                    `json:"version"` // 0: the shipped calendar, none stored yet
	Days      []renoflow.CalendarDay `json:"days"`
	Note      string                 `json:"note,omitempty"`
	CreatedBy string                 `json:"created_by,omitempty"` // staff ID of who saved it
	CreatedAt *time.Time             `json:"created_at,omitempty"`
}

// Policy is the answer to GET and PUT /api/policy: the policy in force (durations as
// "7d", "30min", "4s"; counts; SPEC.md "Policy") and its version. PUT takes this answer,
// or only the keys to change, as its body.
type Policy struct {
	Version int             `json:"version"`
	Policy  renoflow.Policy `json:"policy"`
}

// ImportCell is one bad cell of an imported sheet: row (1-based, as the spreadsheet
// numbers it), column header, reason in Chinese.
type ImportCell struct {
	Row    int    `json:"row"`
	Column string `json:"column"`
	Reason string `json:"reason"`
}

// ImportRow is one data row of an imported sheet and its outcome.
type ImportRow struct {
	Row        int          `json:"row"`
	Name       string       `json:"name"`
	Problems   []ImportCell `json:"problems,omitempty"`
	CustomerID string       `json:"customer_id,omitempty"` // the customer filed (import, not preview)
}

// ImportReport is the answer to POST /api/customers/import (?preview=1: nothing filed):
// rows read, rows without a problem, customers filed, the rows refused and every bad cell.
type ImportReport struct {
	Rows     int          `json:"rows"`
	Good     int          `json:"good"`
	Filed    int          `json:"filed"`
	Refused  []ImportRow  `json:"refused"`
	Problems []ImportCell `json:"problems"`
}
