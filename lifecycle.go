package renoflow

import (
	"strconv"
	"time"
)

// Customer is the whole state of one customer, as the customer's workflow holds it and
// carries it across Continue-As-New. Transitions are methods that check, change the
// state and return the Effects to write; they never read a clock or do I/O.
type Customer struct {
	ID         string    `json:"id"`
	Record     Record    `json:"record"`
	Stage      Stage     `json:"stage"`
	Grade      Grade     `json:"grade,omitempty"`
	StoreID    string    `json:"store_id"`
	Owner      Person    `json:"owner"`
	OwnerSince time.Time `json:"owner_since"`
	// PreviousOwner lost the customer to the public pool at PreviousOwnerUntil; the
	// pool's cooling-off period is counted from then.
	PreviousOwner      Person    `json:"previous_owner,omitzero"`
	PreviousOwnerUntil time.Time `json:"previous_owner_until,omitzero"`

	FiledBy    Person    `json:"filed_by"`
	FiledAt    time.Time `json:"filed_at"`
	VerifiedBy Person    `json:"verified_by,omitzero"`
	VerifiedAt time.Time `json:"verified_at,omitzero"`
	ClaimDue   time.Time `json:"claim_due,omitzero"`

	FirstConsultAt time.Time `json:"first_consult_at,omitzero"`
	FirstConsult   string    `json:"first_consult,omitempty"` // "visit" or "phone"
	LastVisitAt    time.Time `json:"last_visit_at,omitzero"`
	Measured       bool      `json:"measured,omitempty"`
	// Callbacks are the first call-back attempts (首谈回访), in order.
	Callbacks []Callback `json:"callbacks,omitempty"`

	LastServiceAt time.Time `json:"last_service_at,omitzero"`
	Flag          string    `json:"flag,omitempty"` // why the customer is flagged for reassignment (待重新分配)
	// FlagCauses are what raised the flag, oldest first: overdue work at the last rung of
	// its escalation ladder, or neglect. The flag clears when the last cause is gone.
	FlagCauses []FlagCause `json:"flag_causes,omitempty"`

	// Pre-sale (SPEC.md steps 4–7).
	FollowUp *FollowUpMonth `json:"follow_up,omitempty"` // the month being counted
	// StoppedMonth is the follow-up month last stopped before its end (the customer left
	// pre-sale): a customer back in pre-sale the same month numbers its follow-ups after
	// that month's, so no task key is used twice.
	StoppedMonth *FollowUpMonth `json:"stopped_month,omitempty"`
	Scores       []MonthScore   `json:"scores,omitempty"` // closed months
	Dispatches   []Dispatch     `json:"dispatches,omitempty"`
	Designer     Person         `json:"designer,omitzero"` // the designer who accepted the dispatch
	DesignSince  time.Time      `json:"design_since,omitzero"`
	MeasuredAt   time.Time      `json:"measured_at,omitzero"`
	DepositAt    time.Time      `json:"deposit_at,omitzero"`
	DepositYuan  float64        `json:"deposit_yuan,omitempty"`

	// Contract, construction, after-sales (steps 8–10).
	ContractAt   time.Time      `json:"contract_at,omitzero"`
	ContractYuan float64        `json:"contract_yuan,omitempty"`
	Milestones   []MilestoneRec `json:"milestones,omitempty"`
	CompletedAt  time.Time      `json:"completed_at,omitzero"`
	WarrantyEnd  time.Time      `json:"warranty_end,omitzero"`
	WeeklyChecks int            `json:"weekly_checks,omitempty"`
	Visits       int            `json:"aftersales_visits,omitempty"` // after-sales visits scheduled so far
	// MovedInAt is when the customer moved in (实际入住, seed 004); zero until recorded.
	MovedInAt time.Time `json:"moved_in_at,omitzero"`
	// TableVisits marks a customer completed under seed 004's visit table (rules version
	// 2): the living-experience visit and the house check are announced a week before and
	// wait for the customer to move in.
	TableVisits bool `json:"table_visits,omitempty"`

	// Ownership disputes (step 2 "Disputed ownership").
	Disputes []Dispute `json:"disputes,omitempty"`

	// Complaints (step 11), invalid proposals (step 12).
	Complaints      []Complaint `json:"complaints,omitempty"`
	InvalidProposal *Proposal   `json:"invalid_proposal,omitempty"`
	InvalidAt       time.Time   `json:"invalid_at,omitzero"`
	InvalidBy       Person      `json:"invalid_by,omitzero"`
	ArchivedAt      time.Time   `json:"archived_at,omitzero"`

	Clocks Clocks `json:"clocks"`
	// OpenTasks are the task rows this workflow opened that are still open, so that every
	// change can close the ones it makes moot (see Conclude).
	OpenTasks []OpenTask `json:"open_tasks,omitempty"`
	// TracksTasks is set for a customer whose workflow tracked its tasks from the filing
	// (OpenTasks is then complete); a customer filed before is swept only where its state
	// alone tells.
	TracksTasks bool  `json:"tracks_tasks,omitempty"`
	Revision    int64 `json:"revision"`
}

// Callback is one first call-back attempt.
type Callback struct {
	Attempt int       `json:"attempt"`
	Due     time.Time `json:"due"`
	At      time.Time `json:"at,omitzero"`
	By      Person    `json:"by,omitzero"`
	Reached *bool     `json:"reached,omitempty"` // nil while the attempt is open
	Note    string    `json:"note,omitempty"`
}

// Env is what a transition may know of the world: the time, the policy and calendar in
// force (with their versions), and the key that makes its effects idempotent.
type Env struct {
	Now      time.Time
	Policy   Policy
	Calendar *Calendar
	// Key identifies the request or firing (an update ID, a clock key); entries and pool
	// moves derive their keys from it.
	Key string
	// Version is the version of the lifecycle rules the workflow runs (workflow.GetVersion):
	// 0 for customers filed before the pre-sale clocks (follow-ups, protection, neglect)
	// shipped, who keep their old behaviour while their history replays; below 2 the
	// escalation ladder counted each rung from when the previous one fired.
	Version int
}

// RulesVersion is the newest version of the lifecycle rules: 1 added the pre-sale clocks,
// 2 counts each escalation rung from the previous rung's due time (issue 9), 3 stops the
// clocks of work a change makes moot (a customer released to the pool loses its
// call-backs and pending dispatch) and numbers a re-entered month's follow-ups on.
const RulesVersion = 3

// Add is the due time span after start on the calendar in force.
func (e Env) Add(start time.Time, s Span) time.Time { return e.Calendar.Add(start, s) }

// Task is a task the workflow creates for staff: who, what, when due, and which rule and
// policy version made it.
type Task struct {
	Rule            Rule      `json:"rule"`
	Subject         string    `json:"subject,omitempty"`
	Seq             int       `json:"seq"`
	Title           string    `json:"title"`
	Detail          string    `json:"detail,omitempty"`
	AssigneeID      string    `json:"assignee_id,omitempty"`   // a person, or
	AssigneeRole    Recipient `json:"assignee_role,omitempty"` // a role in StoreID
	StoreID         string    `json:"store_id"`
	Due             time.Time `json:"due"`
	WorkDue         time.Time `json:"work_due,omitzero"` // for an escalation: when the work was due
	PolicyVersion   int       `json:"policy_version"`
	CalendarVersion int       `json:"calendar_version"`
	CreatedAt       time.Time `json:"created_at"`
}

// Key is the task's due point key (rule/subject/seq).
func (t Task) Key() string { return TaskKey(t.Rule, t.Subject, t.Seq) }

// TaskStatus is the state of a task row.
type TaskStatus string

// Task states.
const (
	TaskOpen      TaskStatus = "open"
	TaskDone      TaskStatus = "done"
	TaskCancelled TaskStatus = "cancelled" // the work no longer applies (claim lapsed, customer invalid); the reason says why
	// TaskAcknowledged is a notice read by its recipient (知悉): a notice only informs, so
	// it is never "done" and never overdue.
	TaskAcknowledged TaskStatus = "acknowledged"
)

// TaskClose closes the open tasks of (Rule, Subject), every rung, or the one rung Seq
// when Seq ≥ 0.
type TaskClose struct {
	Rule    Rule       `json:"rule"`
	Subject string     `json:"subject,omitempty"`
	Seq     int        `json:"seq"` // -1 = every rung
	Status  TaskStatus `json:"status"`
	By      Person     `json:"by,omitzero"`
	At      time.Time  `json:"at"`
	Outcome string     `json:"outcome,omitempty"`
	// Reason says why a cancelled task no longer applies (客户已被认领, 报备作废 …).
	Reason string `json:"reason,omitempty"`
}

// Entry is one line of the customer's timeline.
type Entry struct {
	Key             string            `json:"key"`
	At              time.Time         `json:"at"`
	Kind            string            `json:"kind"`
	Actor           Person            `json:"actor,omitzero"`
	Summary         string            `json:"summary"`
	Rule            Rule              `json:"rule,omitempty"`
	PolicyVersion   int               `json:"policy_version,omitempty"`
	CalendarVersion int               `json:"calendar_version,omitempty"`
	Due             time.Time         `json:"due,omitzero"`
	Data            map[string]string `json:"data,omitempty"`
}

// PoolMove records a customer entering or leaving the public pool (公海).
type PoolMove struct {
	Key           string    `json:"key"`
	Kind          string    `json:"kind"` // "lapse", "release" (into the pool) or "claim" (out of it)
	At            time.Time `json:"at"`
	StoreID       string    `json:"store_id"`
	From          string    `json:"from,omitempty"`
	To            string    `json:"to,omitempty"`
	Rule          Rule      `json:"rule,omitempty"`
	PolicyVersion int       `json:"policy_version,omitempty"`
	Due           time.Time `json:"due,omitzero"`
}

// Effects are the writes one transition asks for; the workflow hands them to an activity.
type Effects struct {
	Tasks        []Task      `json:"tasks,omitempty"`
	Closed       []TaskClose `json:"closed,omitempty"`
	Timeline     []Entry     `json:"timeline,omitempty"`
	Pool         []PoolMove  `json:"pool,omitempty"`
	ReleasePhone bool        `json:"release_phone,omitempty"`
	// CloseAll closes every open task of the customer with this status (invalid or
	// archived customer), for CloseAllReason.
	CloseAll       TaskStatus `json:"close_all,omitempty"`
	CloseAllReason string     `json:"close_all_reason,omitempty"`
	// Scores are closed follow-up months for the scorecard.
	Scores []MonthScore `json:"scores,omitempty"`
	// Suspensions take designers off dispatch until a time; a zero Until lifts one.
	Suspensions []Suspension `json:"suspensions,omitempty"`
	// Reassign moves the open tasks addressed to one person to another.
	Reassign *Reassignment `json:"reassign,omitempty"`
	// Limits are the cross-customer limits the transition takes (库容, 公海每日认领,
	// 设计师定金客户); the persist checks each atomically and refuses the whole
	// transition when one is reached.
	Limits []LimitTake `json:"limits,omitempty"`
}

// Suspension takes a designer off dispatch until Until (SPEC.md step 5); Lift ends the
// suspension that was set until Until.
type Suspension struct {
	DesignerID string    `json:"designer_id"`
	Until      time.Time `json:"until"`
	Lift       bool      `json:"lift,omitempty"`
}

// Reassignment moves open tasks addressed to From to To.
type Reassignment struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Empty reports whether there is nothing to write.
func (e Effects) Empty() bool {
	return len(e.Tasks) == 0 && len(e.Closed) == 0 && len(e.Timeline) == 0 && len(e.Pool) == 0 && !e.ReleasePhone &&
		e.CloseAll == "" && len(e.Scores) == 0 && len(e.Suspensions) == 0 && e.Reassign == nil && len(e.Limits) == 0
}

// Merge appends other's effects to e.
func (e *Effects) Merge(other Effects) {
	e.Tasks = append(e.Tasks, other.Tasks...)
	e.Closed = append(e.Closed, other.Closed...)
	e.Timeline = append(e.Timeline, other.Timeline...)
	e.Pool = append(e.Pool, other.Pool...)
	e.ReleasePhone = e.ReleasePhone || other.ReleasePhone
	if other.CloseAll != "" {
		e.CloseAll, e.CloseAllReason = other.CloseAll, other.CloseAllReason
	}
	e.Scores = append(e.Scores, other.Scores...)
	e.Suspensions = append(e.Suspensions, other.Suspensions...)
	if other.Reassign != nil {
		e.Reassign = other.Reassign
	}
	e.Limits = append(e.Limits, other.Limits...)
}

// log adds a timeline entry for an action by actor.
func (e *Effects) log(env Env, kind string, actor Person, summary string) *Entry {
	e.Timeline = append(e.Timeline, Entry{Key: env.Key + "#" + strconv.Itoa(len(e.Timeline)), At: env.Now, Kind: kind, Actor: actor, Summary: summary})
	return &e.Timeline[len(e.Timeline)-1]
}

// assignee resolves a recipient to a person or a role of the customer's store; subject
// names the complaint for its handler.
func (c *Customer) assignee(to Recipient, subject string) (id string, role Recipient) {
	switch to {
	case ToOwner:
		if c.Owner.ID != "" {
			return c.Owner.ID, ""
		}
		return "", ToStoreManager
	case ToDesigner:
		if c.Designer.ID != "" {
			return c.Designer.ID, ""
		}
		if d := c.dispatch(); d != nil {
			return d.Designer.ID, ""
		}
		return "", ToStoreManager
	case ToHandler:
		if k := c.complaintOf(subject); k != nil && k.Handler.ID != "" {
			return k.Handler.ID, ""
		}
		return c.assignee(ToOwner, "")
	default:
		return "", to
	}
}

// arm sets a clock stamped with the policy and calendar versions in force.
func (c *Customer) arm(env Env, rule Rule, subject string, seq int, due time.Time, workDue time.Time) Clock {
	clk := Clock{Rule: rule, Subject: subject, Seq: seq, Due: due, ArmedAt: env.Now,
		PolicyVersion: env.Policy.Version, CalendarVersion: env.Calendar.Version, WorkDue: workDue}
	c.Clocks.Set(clk)
	return clk
}

// openWork creates the work task (rung 0) of (rule, subject) due at due for the rule's
// worker, and arms the clock whose firing means the work is overdue.
func (c *Customer) openWork(env Env, eff *Effects, rule Rule, subject string, due time.Time, detail string) {
	spec := rule.Spec()
	id, role := c.assignee(spec.Work, subject)
	eff.Tasks = append(eff.Tasks, Task{Rule: rule, Subject: subject, Seq: 0, Title: spec.Title, Detail: detail,
		AssigneeID: id, AssigneeRole: role, StoreID: c.StoreID, Due: due,
		PolicyVersion: env.Policy.Version, CalendarVersion: env.Calendar.Version, CreatedAt: env.Now})
	c.arm(env, rule, subject, 1, due, due)
}

// closeWork cancels every clock of (rule, subject) and closes its open tasks. Work done
// closes the work itself (rung 0) as done and cancels the reminders and escalations it
// raised: a notice about work that is done no longer applies.
func (c *Customer) closeWork(env Env, eff *Effects, rule Rule, subject string, status TaskStatus, by Person, outcome string) {
	c.Clocks.Cancel(rule, subject)
	if status == TaskDone {
		eff.Closed = append(eff.Closed, TaskClose{Rule: rule, Subject: subject, Seq: 0, Status: TaskDone, By: by, At: env.Now, Outcome: outcome},
			TaskClose{Rule: rule, Subject: subject, Seq: -1, Status: TaskCancelled, At: env.Now, Reason: ReasonWorkDone})
		return
	}
	eff.Closed = append(eff.Closed, TaskClose{Rule: rule, Subject: subject, Seq: -1, Status: status, By: by, At: env.Now, Outcome: outcome, Reason: outcome})
}

// notify creates the single task a notice rule's firing makes.
func (c *Customer) notify(env Env, eff *Effects, clk Clock, to Recipient, title, detail string) {
	id, role := c.assignee(to, clk.Subject)
	eff.Tasks = append(eff.Tasks, Task{Rule: clk.Rule, Subject: clk.Subject, Seq: clk.Seq, Title: title, Detail: detail,
		AssigneeID: id, AssigneeRole: role, StoreID: c.StoreID, Due: clk.Due, WorkDue: clk.WorkDue,
		PolicyVersion: clk.PolicyVersion, CalendarVersion: clk.CalendarVersion, CreatedAt: env.Now})
}

// fired adds the timeline entry of a clock's firing, naming its rule, policy version and due time.
func fired(env Env, eff *Effects, clk Clock, summary string) *Entry {
	eff.Timeline = append(eff.Timeline, Entry{Key: "clock:" + clk.Key(), At: env.Now, Kind: "timer", Summary: summary,
		Rule: clk.Rule, PolicyVersion: clk.PolicyVersion, CalendarVersion: clk.CalendarVersion, Due: clk.Due})
	return &eff.Timeline[len(eff.Timeline)-1]
}
