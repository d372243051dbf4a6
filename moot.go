package renoflow

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TaskKind says what a task asks of its recipient: work to do by its due time, or a
// notice that only informs.
type TaskKind string

// Task kinds.
const (
	// TaskWork is work with a due time: it is done (办结) or cancelled, and it is overdue
	// once past due while open.
	TaskWork TaskKind = "work"
	// TaskNotice only informs (a reminder, an escalation copy, a lapse or release notice):
	// it is acknowledged (知悉) or cancelled, and never overdue.
	TaskNotice TaskKind = "notice"
)

// TaskKindOf says whether the task (rule, seq) is work or a notice: the work of a rule
// that has a worker is rung 0; every escalation rung (seq ≥ 1) and every task of a rule
// that only tells someone (RuleSpec.Work == "") is a notice.
func TaskKindOf(rule Rule, seq int) TaskKind {
	if seq != 0 || rule.Spec().Work == "" {
		return TaskNotice
	}
	return TaskWork
}

// TaskOverdue reports whether a task counts as overdue at now — in the task lists, the
// monthly report and anywhere else: open work past its due time. A notice and a closed
// (done, acknowledged, cancelled) task never are.
func TaskOverdue(rule Rule, seq int, status TaskStatus, due, now time.Time) bool {
	return status == TaskOpen && TaskKindOf(rule, seq) == TaskWork && due.Before(now)
}

// Reasons a task is cancelled with, when the change that made it moot does not name its own.
const (
	ReasonWorkDone    = "工作已完成"      // the work a reminder or escalation was about is done
	ReasonWorkClosed  = "工作已结束"      // the work an escalation was about no longer applies
	ReasonFlagCleared = "待重新分配标记已解除" // the flag an escalation raised is cleared
	ReasonInvalid     = "客户已无效"
	ReasonArchived    = "客户已归档"
)

// OpenTask is a task row the customer's workflow opened and that is still open, as the
// workflow's state remembers it.
type OpenTask struct {
	Rule       Rule   `json:"rule"`
	Subject    string `json:"subject,omitempty"`
	Seq        int    `json:"seq"`
	AssigneeID string `json:"assignee_id,omitempty"`
}

// Kind is whether the task is work or a notice.
func (t OpenTask) Kind() TaskKind { return TaskKindOf(t.Rule, t.Seq) }

// FlagCause is one reason the customer is flagged for reassignment (待重新分配): the work
// (Rule, Subject) whose escalation reached the flag rung, or RuleNeglect.
type FlagCause struct {
	Rule    Rule   `json:"rule"`
	Subject string `json:"subject,omitempty"`
	Reason  string `json:"reason"`
}

// Conclude ends every transition (a staff action or the firing of due clocks) once its
// effects are known: a customer whose workflow began under older rules adopts the
// current ones (Adopt), the open tasks the effects create and close are tracked, and
// every tracked task the change made moot is cancelled in the same effects — so the one
// Persist transaction that writes the change also closes them, with the reason (see
// Moot). Cancelled work stops its clocks (rules version 3). Last, the flag for
// reassignment is cleared when no cause of it remains.
func (c *Customer) Conclude(env Env, eff *Effects) {
	eff.Merge(c.Adopt(env))
	c.track(*eff)
	c.sweep(env, eff)
}

// track mirrors on c.OpenTasks what Persist does to the task rows, in the same order:
// new tasks (a key that exists is left alone), closes, close-all, reassignment.
func (c *Customer) track(eff Effects) {
	for _, t := range eff.Tasks {
		if c.openTask(t.Rule, t.Subject, t.Seq) < 0 {
			c.OpenTasks = append(c.OpenTasks, OpenTask{Rule: t.Rule, Subject: t.Subject, Seq: t.Seq, AssigneeID: t.AssigneeID})
		}
	}
	for _, cl := range eff.Closed {
		c.OpenTasks = slices.DeleteFunc(c.OpenTasks, func(t OpenTask) bool {
			return t.Rule == cl.Rule && t.Subject == cl.Subject && (cl.Seq < 0 || t.Seq == cl.Seq)
		})
	}
	if eff.CloseAll != "" {
		c.OpenTasks = nil
	}
	if r := eff.Reassign; r != nil {
		for i := range c.OpenTasks {
			if c.OpenTasks[i].AssigneeID == r.From {
				c.OpenTasks[i].AssigneeID = r.To
			}
		}
	}
}

// openTask is the index of the tracked open task (rule, subject, seq), or -1.
func (c *Customer) openTask(rule Rule, subject string, seq int) int {
	return slices.IndexFunc(c.OpenTasks, func(t OpenTask) bool { return t.Rule == rule && t.Subject == subject && t.Seq == seq })
}

// sweep cancels the tracked tasks that no longer apply: the work first (its clocks stop
// from rules version 3 on; before, only notices are swept so that an older customer's
// clocks run as they did), then the flag is settled, then the notices.
func (c *Customer) sweep(env Env, eff *Effects) {
	cancel := func(kind TaskKind) {
		kept := c.OpenTasks[:0]
		for _, t := range c.OpenTasks {
			reason := ""
			if t.Kind() == kind && (kind == TaskNotice || env.Version >= 3) {
				reason = c.Moot(t)
			}
			if reason == "" {
				kept = append(kept, t)
				continue
			}
			if kind == TaskWork {
				c.Clocks.Cancel(t.Rule, t.Subject)
			}
			eff.Closed = append(eff.Closed, TaskClose{Rule: t.Rule, Subject: t.Subject, Seq: t.Seq, Status: TaskCancelled,
				At: env.Now, Outcome: reason, Reason: reason})
		}
		c.OpenTasks = kept
	}
	cancel(TaskWork)
	c.settleFlag()
	cancel(TaskNotice)
}

// workPending reports whether the work (rule, subject) is known to be still to be done:
// its task is open or one of its clocks is pending.
func (c *Customer) workPending(rule Rule, subject string) bool {
	if c.openTask(rule, subject, 0) >= 0 {
		return true
	}
	_, ok := c.Clocks.Find(rule, subject)
	return ok
}

// workOpen reports whether the work (rule, subject) may still be to be done: pending, or
// — for a customer filed before its workflow tracked its tasks, whose work past the last
// rung of its ladder has no clock and no tracked task — not known to be done.
func (c *Customer) workOpen(rule Rule, subject string) bool {
	return c.workPending(rule, subject) || !c.TracksTasks
}

// Moot says why the open task t no longer applies to the customer as it stands, or ""
// while it still does. This is the one rule of which open tasks a change makes moot
// (issue 10 §4); Conclude applies it after every change:
//
//   - an invalid or archived customer has no open task;
//   - an escalation rung applies while its work is open, and the flag rung while the
//     customer is still flagged;
//   - the claim reminder while the claim runs and the reminded person still owns the
//     customer; the lapse and release notices while the customer is in the pool;
//   - each piece of work while the state still asks for it: the filing unverified, the
//     call-back attempt open (and the customer owned), the follow-up still owed, the
//     dispute unruled, the dispatch waiting for this step, the complaint at this step and
//     with this handler, the invalid proposal pending, the weekly check under construction;
//   - the notices of a returned or refused dispatch until the next dispatch is proposed;
//     the after-sales notice until its visit is done; the neglect notice while neglect
//     flags the customer.
func (c *Customer) Moot(t OpenTask) string {
	switch c.Stage {
	case StageInvalid:
		return ReasonInvalid
	case StageArchived:
		return ReasonArchived
	}
	spec := t.Rule.Spec()
	if t.Seq >= 1 && spec.Ladder {
		if !c.workOpen(t.Rule, t.Subject) {
			return ReasonWorkClosed
		}
		if step, ok := Escalation(t.Rule, t.Seq, Policy{}); ok && step.Flag && c.Flag == "" {
			return ReasonFlagCleared
		}
		return ""
	}
	switch t.Rule {
	case RuleVerify:
		if !c.VerifiedAt.IsZero() {
			return "报备已核实"
		}
	case RuleClaimReminder:
		if c.Stage != StageFiled {
			return "报备保护期已结束"
		}
		if t.AssigneeID != "" && t.AssigneeID != c.Owner.ID {
			return "已不是归属人"
		}
	case RuleClaimExpiry, RulePresaleProtection:
		if c.Stage != StagePool {
			return c.claimedReason()
		}
	case RuleFirstCallback:
		n, _ := strconv.Atoi(t.Subject)
		open := slices.ContainsFunc(c.Callbacks, func(cb Callback) bool { return cb.Attempt == n && cb.Reached == nil })
		switch {
		case c.Stage == StagePool:
			return "客户已进入公海"
		case !open:
			return "该次回访已不需要"
		}
	case RuleFollowUp:
		if c.FollowUp == nil || !slices.Contains(c.FollowUp.Open, t.Subject) {
			return "本次跟进已不需要"
		}
	case RuleDispute:
		switch d := c.disputeByID(t.Subject); {
		case d != nil && d.Outcome == DisputeVoid:
			return "争议已作废：" + d.Ruling
		case d == nil || !d.Open():
			return "争议已裁决"
		}
	case RuleDispatchConfirm, RuleDispatchAccept:
		d := c.dispatchBySubject(t.Subject)
		if t.Seq >= 1 { // the returned / refused notice: until the next dispatch is proposed
			if t.Subject != c.dispatchSubject() || c.Stage != StagePresale {
				return "已重新派单或客户已转入下一阶段"
			}
			return ""
		}
		want := DispatchProposed
		if t.Rule == RuleDispatchAccept {
			want = DispatchConfirmed
		}
		if d == nil || d.Status != want {
			return "派单已" + dispatchStatusLabel(d)
		}
	case RuleComplaintAnswer, RuleComplaintResolve:
		k := c.complaintOf(t.Subject)
		switch {
		case k == nil:
			return "投诉已改派或重新处理"
		case t.Rule == RuleComplaintAnswer && k.Status != ComplaintOpen:
			return "投诉已答复"
		case k.Status == ComplaintResolved || k.Status == ComplaintClosed:
			return "投诉已解决"
		}
	case RuleInvalidReview:
		if c.InvalidProposal == nil {
			return "无效申请已审核"
		}
	case RuleWeeklyCheck:
		if c.Stage != StageConstruction {
			return "已竣工"
		}
	case RuleAfterSalesNotice:
		if rule, subject, ok := tableVisitOf(t.Subject); ok { // seed 004's visit table
			if !c.workOpen(rule, subject) {
				return "回访已完成或不再安排"
			}
		} else if !c.workOpen(RuleAfterSalesVisit, t.Subject) {
			return "售后回访已完成"
		}
	case RuleNeglect:
		if !slices.ContainsFunc(c.FlagCauses, func(f FlagCause) bool { return f.Rule == RuleNeglect }) {
			return "已恢复服务或标记已解除"
		}
	}
	return ""
}

// claimedReason says who owns a customer that has left the pool.
func (c *Customer) claimedReason() string {
	if c.Owner.ID == "" {
		return "客户已离开公海"
	}
	return "客户已由" + c.Owner.Name + "认领"
}

func (c *Customer) disputeByID(id string) *Dispute {
	for i := range c.Disputes {
		if c.Disputes[i].ID == id {
			return &c.Disputes[i]
		}
	}
	return nil
}

// dispatchBySubject is the dispatch a task subject ("d2") names.
func (c *Customer) dispatchBySubject(subject string) *Dispatch {
	n, err := strconv.Atoi(strings.TrimPrefix(subject, "d"))
	if err != nil || n < 1 || n > len(c.Dispatches) {
		return nil
	}
	return &c.Dispatches[n-1]
}

func dispatchStatusLabel(d *Dispatch) string {
	if d == nil {
		return "撤销"
	}
	switch d.Status {
	case DispatchConfirmed:
		return "确认"
	case DispatchAccepted:
		return "接单"
	case DispatchRefused:
		return "被拒"
	case DispatchReturned:
		return "退回"
	}
	return "变更"
}

// raiseFlag flags the customer for reassignment (待重新分配) for cause.
func (c *Customer) raiseFlag(cause FlagCause) {
	c.FlagCauses = slices.DeleteFunc(c.FlagCauses, func(f FlagCause) bool { return f.Rule == cause.Rule && f.Subject == cause.Subject })
	c.FlagCauses = append(c.FlagCauses, cause)
	c.Flag = cause.Reason
}

// clearFlag removes every cause of the flag and the flag (reassigned, owner confirmed,
// claimed from the pool).
func (c *Customer) clearFlag() {
	c.Flag, c.FlagCauses = "", nil
}

// settleFlag drops the causes that are gone — overdue work now done or cancelled,
// neglect once service is recorded — and clears the flag when none remains. A customer
// in the public pool is not flagged: the pool is where it gets a new owner. A flag raised
// before its causes were recorded stays until a store manager reassigns or confirms.
func (c *Customer) settleFlag() {
	if c.Stage == StagePool || c.Stage == StageInvalid || c.Stage == StageArchived {
		c.clearFlag()
		return
	}
	if len(c.FlagCauses) == 0 {
		return
	}
	c.FlagCauses = slices.DeleteFunc(c.FlagCauses, func(f FlagCause) bool {
		return f.Rule != RuleNeglect && !c.workOpen(f.Rule, f.Subject)
	})
	if len(c.FlagCauses) == 0 {
		c.Flag = ""
		return
	}
	c.Flag = c.FlagCauses[len(c.FlagCauses)-1].Reason
}

// neglectReason is the flag reason of neglect.
func neglectReason(p Policy) string {
	return fmt.Sprintf("服务不到位：%s无服务记录", p.NeglectAfter.Label())
}
