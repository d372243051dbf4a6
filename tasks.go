package renoflow

import (
	"strconv"
	"strings"
)

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
