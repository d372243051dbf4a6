package renoflow

import (
	"fmt"
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

	FirstConsultAt time.Time    `json:"first_consult_at,omitzero"`
	FirstConsult   Consultation `json:"first_consult,omitempty"` // "visit" or "phone"
	LastVisitAt    time.Time    `json:"last_visit_at,omitzero"`
	Measured       bool         `json:"measured,omitempty"`
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
	eff.Tasks = append(eff.Tasks, c.newTask(env, rule, subject, 0, rule.Spec().Work, dueNow(env, due), detail))
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
	t := c.newTask(env, clk.Rule, clk.Subject, clk.Seq, to, dueBy(clk), detail)
	t.Title = title
	eff.Tasks = append(eff.Tasks, t)
}

// fired adds the timeline entry of a clock's firing, naming its rule, policy version and due time.
func fired(env Env, eff *Effects, clk Clock, summary string) *Entry {
	eff.Timeline = append(eff.Timeline, Entry{Key: "clock:" + clk.Key(), At: env.Now, Kind: "timer", Summary: summary,
		Rule: clk.Rule, PolicyVersion: clk.PolicyVersion, CalendarVersion: clk.CalendarVersion, Due: clk.Due})
	return &eff.Timeline[len(eff.Timeline)-1]
}

// Fire applies a clock that fell due: a notice makes its one task, a lapse or release
// moves the customer, a scheduled visit opens its work, an overdue work task climbs the
// escalation ladder. Every firing writes one task and one timeline entry keyed by the
// clock, naming its rule, policy version and due time.
func (c *Customer) Fire(env Env, clk Clock) Effects {
	var eff Effects
	switch {
	case clk.Rule == RuleClaimReminder:
		c.notify(env, &eff, clk, ToOwner, "报备即将到期：请邀约客户到店",
			fmt.Sprintf("%s的报备保护期将于%s到期", c.Record.Name, fmtTime(c.ClaimDue)))
		fired(env, &eff, clk, fmt.Sprintf("提醒%s：报备保护期将于%s到期", c.Owner.Name, fmtTime(c.ClaimDue)))
	case clk.Rule == RuleClaimExpiry:
		c.lapse(env, &eff, clk)
	case clk.Rule == RuleFollowUpMonth:
		c.closeMonth(env, &eff, clk)
	case clk.Rule == RulePresaleProtection:
		c.release(env, &eff, clk)
	case clk.Rule == RuleNeglect:
		c.neglected(env, &eff, clk)
	case clk.Rule == RuleSuspensionEnd:
		c.suspensionEnded(env, &eff, clk)
	case clk.Rule == RuleAfterSalesNotice:
		c.visitNotice(env, &eff, clk)
	case clk.Rule == RuleDispatchAccept && clk.Seq == 1:
		c.returnDispatch(env, &eff, clk)
	case clk.Seq == 0:
		c.scheduledWork(env, &eff, clk)
	default:
		c.escalate(env, &eff, clk)
	}
	c.settle(env, &eff)
	return eff
}

// escalate applies one rung of the escalation ladder to overdue work.
func (c *Customer) escalate(env Env, eff *Effects, clk Clock) {
	step, ok := Escalation(clk.Rule, clk.Seq, env.Policy)
	if !ok {
		return
	}
	detail := fmt.Sprintf("%s：应于%s完成", c.Record.Name, fmtTime(clk.WorkDue))
	if clk.Subject != "" {
		detail += "（" + clk.Subject + "）"
	}
	c.notify(env, eff, clk, step.To, step.Title, detail)
	if clk.Rule == RuleComplaintResolve && step.To == ToStoreManager {
		if k := c.complaintOf(clk.Subject); k != nil {
			k.Escalated = true
		}
	}
	summary := step.Title + "（应于" + fmtTime(clk.WorkDue) + "完成）"
	if step.Flag {
		c.raiseFlag(FlagCause{Rule: clk.Rule, Subject: clk.Subject, Reason: step.Title})
	}
	fired(env, eff, clk, summary)
	if !step.Next.IsZero() {
		// The next rung counts from this rung's due time, not from when it fired: after
		// an outage the ladder keeps its schedule (rules version 2; issue 9).
		from := clk.Due
		if env.Version < 2 {
			from = env.Now
		}
		c.arm(env, clk.Rule, clk.Subject, clk.Seq+1, env.Add(from, step.Next), clk.WorkDue)
	}
}

// Adopt brings a customer whose workflow began under older rules up to the rules of
// env.Version at its next live event: a pre-sale customer filed before the pre-sale
// clocks shipped gets this month's follow-ups, the protection period and the neglect
// watch. It changes nothing for a customer already under the current rules.
func (c *Customer) Adopt(env Env) Effects {
	var eff Effects
	if env.Version >= 1 && c.presale() && c.FollowUp == nil && c.Owner.ID != "" {
		c.enterPresale(env, &eff)
	}
	c.noteCalendarFallbacks(env, &eff)
	return eff
}
