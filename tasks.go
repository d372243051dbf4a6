package renoflow

import (
	"strconv"
	"strings"
	"time"
)

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

// CheckCompleteTask says whether the task (rule, subject, seq) can be marked done now.
// Work that needs an outcome (a call-back: reached or not) must say it.
func (c *Customer) CheckCompleteTask(actor Actor, rule Rule, subject string, seq int, reached *bool) error {
	if seq == 0 && rule.Spec().Work != "" && !c.Sees(actor) {
		return notFound() // work is for those tied to the customer now; a notice is acknowledged by whoever got it
	}
	if seq == 0 {
		switch rule {
		case RuleVerify:
			return c.CheckVerify(actor)
		case RuleInvalidReview:
			return Errorf(CodeConflict, "请在客户页面确认或驳回无效申请")
		case RuleDispute:
			return Errorf(CodeConflict, "请在客户页面裁决归属争议")
		case RuleFollowUp:
			return c.CheckFollowUp(actor)
		case RuleDispatchConfirm:
			return c.CheckConfirmDispatch(actor)
		case RuleDispatchAccept:
			return c.CheckAnswerDispatch(actor)
		case RuleComplaintAnswer:
			return c.CheckComplaintStep(actor, complaintID(subject), "answer")
		case RuleComplaintResolve:
			return c.CheckComplaintStep(actor, complaintID(subject), "resolve")
		case RuleFirstCallback:
			if reached == nil {
				return &Error{Code: CodeInvalid, Message: "回访须填写结果", Fields: []FieldError{{Field: "reached", Message: "请选择已接通或未接通"}}}
			}
			cb, ok := c.openCallbackAttempt()
			if !ok || strconv.Itoa(cb.Attempt) != subject {
				return Errorf(CodeConflict, "该回访任务已办结")
			}
			return c.CheckCallback(actor)
		}
		if rule.Spec().Work != "" {
			perm, what := TaskPermission(rule, seq)
			if err := actor.Require(perm, what); err != nil {
				return err
			}
			if !c.workPending(rule, subject) {
				return Errorf(CodeConflict, "该任务已办结")
			}
			return nil
		}
	}
	return actor.Require(PermAcknowledge, "处理任务")
}

// CompleteTask marks the task (rule, subject, seq) done. Marking work done is doing the
// work (verifying, recording the call-back); marking a notice (a reminder, an escalation,
// TaskKindOf) acknowledges it (TaskAcknowledged, 知悉) and leaves the work's own clock
// running.
func (c *Customer) CompleteTask(env Env, actor Actor, rule Rule, subject string, seq int, reached *bool, note string) (Effects, error) {
	if err := c.CheckCompleteTask(actor, rule, subject, seq, reached); err != nil {
		return Effects{}, err
	}
	if seq == 0 {
		switch rule {
		case RuleVerify:
			return c.Verify(env, actor, note)
		case RuleFirstCallback:
			return c.RecordCallback(env, actor, *reached, note)
		case RuleFollowUp:
			return c.RecordFollowUp(env, actor, "other", note)
		case RuleDispatchConfirm:
			return c.ConfirmDispatch(env, actor, note)
		case RuleDispatchAccept:
			return c.AcceptDispatch(env, actor, note)
		case RuleComplaintAnswer:
			return c.AnswerComplaint(env, actor, complaintID(subject), note)
		case RuleComplaintResolve:
			return c.ResolveComplaint(env, actor, complaintID(subject), note)
		}
		if rule.Spec().Work != "" {
			var eff Effects
			c.served(env)
			c.closeWork(env, &eff, rule, subject, TaskDone, actor.Person(), note)
			eff.log(env, "task_done", actor.Person(), withNote(actor.Name+"完成："+rule.Title(), note))
			c.settle(env, &eff)
			return eff, nil
		}
	}
	// A notice (a reminder, an escalation copy, a lapse notice) is acknowledged: 知悉.
	var eff Effects
	eff.Closed = append(eff.Closed, TaskClose{Rule: rule, Subject: subject, Seq: seq, Status: TaskAcknowledged, By: actor.Person(), At: env.Now, Outcome: note})
	eff.log(env, "task_acknowledged", actor.Person(), withNote(actor.Name+"已知悉："+rule.Title(), note))
	return eff, nil
}

// complaintID is the complaint a task subject ("K1.0") belongs to.
func complaintID(subject string) string {
	id, _, _ := strings.Cut(subject, ".")
	return id
}

// deadline is a task's due time with what computed it: the policy and calendar versions
// under which its duration was counted and, for an escalation rung, when the work itself
// was due. Every task carries them, so its due time can be explained (SPEC.md "Tasks").
type deadline struct {
	At       time.Time
	WorkDue  time.Time
	Policy   int
	Calendar int
}

// dueNow is a due time at counted now, under the policy and calendar in force (a calendar
// may be missing only when an alert is raised before one was loaded: version 0).
func dueNow(env Env, at time.Time) deadline {
	d := deadline{At: at, Policy: env.Policy.Version}
	if env.Calendar != nil {
		d.Calendar = env.Calendar.Version
	}
	return d
}

// dueBy is the due time of clk, under the versions that armed it.
func dueBy(clk Clock) deadline {
	return deadline{At: clk.Due, WorkDue: clk.WorkDue, Policy: clk.PolicyVersion, Calendar: clk.CalendarVersion}
}

// newTask is the one way a transition makes a task: the task (rule, subject, seq) of the
// customer's store, titled as the rule's spec says, addressed as to resolves (assignee; ""
// leaves it unaddressed for the caller to name a person), due at d and stamped with d's
// versions. Callers override Title or AssigneeID only where the task says something else
// or goes to a given person.
func (c *Customer) newTask(env Env, rule Rule, subject string, seq int, to Recipient, d deadline, detail string) Task {
	id, role := c.assignee(to, subject)
	return Task{Rule: rule, Subject: subject, Seq: seq, Title: rule.Title(), Detail: detail,
		AssigneeID: id, AssigneeRole: role, StoreID: c.StoreID, Due: d.At, WorkDue: d.WorkDue,
		PolicyVersion: d.Policy, CalendarVersion: d.Calendar, CreatedAt: env.Now}
}
