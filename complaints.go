package renoflow

import (
	"fmt"
	"strconv"
	"time"
)

// checkSeverity names a bad severity field.
func checkSeverity(p *Problems, sev ComplaintSeverity) {
	switch sev {
	case "", SeverityNormal, SeverityMajor:
	default:
		p.Add("severity", "只能是 normal（一般投诉）或 major（重大投诉）")
	}
}

// Complaint is one complaint of the customer; several may be open at once.
type Complaint struct {
	ID       string            `json:"id"`
	Category ComplaintCategory `json:"category"`
	// Major marks a major complaint (重大投诉), when logged or later (MajorAt, MajorBy).
	Major      bool            `json:"major,omitempty"`
	MajorAt    time.Time       `json:"major_at,omitzero"`
	MajorBy    Person          `json:"major_by,omitzero"`
	Text       string          `json:"text"`
	Status     ComplaintStatus `json:"status"`
	OpenedBy   Person          `json:"opened_by"`
	OpenedAt   time.Time       `json:"opened_at"`
	Handler    Person          `json:"handler"`
	Gen        int             `json:"gen"` // bumped on reassignment or reopening: new tasks get new keys
	AnsweredAt time.Time       `json:"answered_at,omitzero"`
	Answer     string          `json:"answer,omitempty"`
	ResolvedAt time.Time       `json:"resolved_at,omitzero"`
	Resolution string          `json:"resolution,omitempty"`
	Escalated  bool            `json:"escalated,omitempty"`
	ClosedAt   time.Time       `json:"closed_at,omitzero"`
	Archived   bool            `json:"archived,omitempty"`
}

// subject is the task subject of the complaint's current generation.
func (k *Complaint) subject() string { return k.ID + "." + strconv.Itoa(k.Gen) }

func (c *Customer) complaint(id string) *Complaint {
	for i := range c.Complaints {
		if c.Complaints[i].ID == id {
			return &c.Complaints[i]
		}
	}
	return nil
}

func (c *Customer) openComplaints() int {
	n := 0
	for _, k := range c.Complaints {
		if k.Status != ComplaintClosed {
			n++
		}
	}
	return n
}

// CheckOpenComplaint says whether actor may record a complaint of severity sev ("" is
// normal) now.
func (c *Customer) CheckOpenComplaint(actor Actor, cat ComplaintCategory, sev ComplaintSeverity, text string) error {
	if err := c.canOpenComplaint(actor); err != nil {
		return err
	}
	var p Problems
	if !complaintCategories.valid(string(cat)) {
		p.Add("category", "请选择投诉类别：设计、工期、服务态度、材料质量或其他")
	}
	checkSeverity(&p, sev)
	if text == "" {
		p.Add("note", "必填（投诉内容）")
	}
	return p.Err("投诉信息有误")
}

// canOpenComplaint: a complaint may come at any stage after filing (SPEC.md step 11).
func (c *Customer) canOpenComplaint(actor Actor) error {
	if err := actor.Require(PermComplaint, "登记投诉"); err != nil {
		return err
	}
	if c.Stage == StageInvalid {
		return Errorf(CodeConflict, "无效客户不能登记投诉")
	}
	return nil
}

// OpenComplaint records a complaint: its handler (the owner unless named) must answer
// within ComplaintAnswerWithin and resolve within ComplaintResolveWithin, or the store
// manager hears of it (escalation ladder). A major complaint (sev SeverityMajor) is
// marked so when logged (seed 004 重大投诉).
func (c *Customer) OpenComplaint(env Env, actor Actor, cat ComplaintCategory, sev ComplaintSeverity, handler Person, text string) (Effects, error) {
	if err := c.CheckOpenComplaint(actor, cat, sev, text); err != nil {
		return Effects{}, err
	}
	if handler.ID == "" {
		handler = c.Owner
	}
	if handler.ID == "" {
		handler = actor.Person()
	}
	var eff Effects
	k := Complaint{ID: "K" + strconv.Itoa(len(c.Complaints)+1), Category: cat, Text: text, Status: ComplaintOpen,
		OpenedBy: actor.Person(), OpenedAt: env.Now, Handler: handler}
	major := ""
	if sev == SeverityMajor {
		k.Major, k.MajorAt, k.MajorBy = true, env.Now, actor.Person()
		major = "重大"
	}
	c.Complaints = append(c.Complaints, k)
	c.openComplaintWork(env, &eff, &c.Complaints[len(c.Complaints)-1], true)
	eff.log(env, "complaint", actor.Person(), fmt.Sprintf("%s投诉%s（%s）：%s；处理人%s", major, k.ID, cat.Label(), text, handler.Name))
	return eff, nil
}

// CheckMarkComplaintMajor says whether actor may mark complaint id major (重大投诉) now:
// whoever may log complaints, on any complaint of the customer, open or closed, once.
func (c *Customer) CheckMarkComplaintMajor(actor Actor, id string) error {
	if err := actor.Require(PermComplaint, "标记重大投诉"); err != nil {
		return err
	}
	k := c.complaint(id)
	if k == nil {
		return &Error{Code: CodeNotFound, Message: "没有投诉" + id, Fields: []FieldError{{Field: "complaint_id", Message: "不存在"}}}
	}
	if k.Major {
		return Errorf(CodeConflict, "投诉%s已于%s由%s标记为重大投诉", id, fmtTime(k.MajorAt), k.MajorBy.Name)
	}
	return nil
}

// MarkComplaintMajor marks a complaint major after it was logged (seed 004 重大投诉): from
// then on the customer gets no living-experience visit or house check.
func (c *Customer) MarkComplaintMajor(env Env, actor Actor, id, note string) (Effects, error) {
	if err := c.CheckMarkComplaintMajor(actor, id); err != nil {
		return Effects{}, err
	}
	k := c.complaint(id)
	k.Major, k.MajorAt, k.MajorBy = true, env.Now, actor.Person()
	var eff Effects
	eff.log(env, "complaint_major", actor.Person(), withNote(fmt.Sprintf("投诉%s标记为重大投诉", id), note))
	return eff, nil
}

// MajorComplaint returns the first complaint marked major, if the customer has had one.
func (c *Customer) MajorComplaint() (*Complaint, bool) {
	for i := range c.Complaints {
		if c.Complaints[i].Major {
			return &c.Complaints[i], true
		}
	}
	return nil, false
}

// openComplaintWork opens the answer (if not yet answered) and resolve tasks for the
// complaint's handler.
func (c *Customer) openComplaintWork(env Env, eff *Effects, k *Complaint, answer bool) {
	s := k.subject()
	if answer {
		due := env.Add(env.Now, env.Policy.ComplaintAnswerWithin)
		c.openWorkFor(env, eff, RuleComplaintAnswer, s, due, k.Handler.ID,
			fmt.Sprintf("投诉%s（%s）：%s，请于%s前答复客户", k.ID, k.Category.Label(), k.Text, fmtTime(due)))
	}
	due := env.Add(env.Now, env.Policy.ComplaintResolveWithin)
	c.openWorkFor(env, eff, RuleComplaintResolve, s, due, k.Handler.ID,
		fmt.Sprintf("投诉%s（%s）：%s，请于%s前解决", k.ID, k.Category.Label(), k.Text, fmtTime(due)))
}

// checkComplaint finds an open complaint the actor may act on.
func (c *Customer) checkComplaint(actor Actor, id string, perm Permission, what string) (*Complaint, error) {
	if err := actor.Require(perm, what); err != nil {
		return nil, err
	}
	k := c.complaint(id)
	if k == nil {
		return nil, &Error{Code: CodeNotFound, Message: "没有投诉" + id, Fields: []FieldError{{Field: "complaint_id", Message: "不存在"}}}
	}
	if k.Status == ComplaintClosed {
		return nil, Errorf(CodeConflict, "投诉%s已关闭", id)
	}
	return k, nil
}

// CheckComplaintStep says whether actor may answer or resolve complaint id: its handler,
// or a store manager or supervisor.
func (c *Customer) CheckComplaintStep(actor Actor, id, step string) error {
	k, err := c.checkComplaint(actor, id, PermComplaintHandle, "处理投诉")
	if err != nil {
		return err
	}
	if actor.ID != k.Handler.ID && !actor.Is(RoleStoreManager, RoleSupervisor) {
		return Errorf(CodeForbidden, "投诉%s的处理人是%s", id, k.Handler.Name)
	}
	switch step {
	case "answer":
		if k.Status != ComplaintOpen {
			return Errorf(CodeConflict, "投诉%s已答复", id)
		}
	case "resolve":
		if k.Status == ComplaintResolved {
			return Errorf(CodeConflict, "投诉%s已解决，待客户确认满意", id)
		}
	}
	return nil
}

// AnswerComplaint records the answer given to the customer.
func (c *Customer) AnswerComplaint(env Env, actor Actor, id, answer string) (Effects, error) {
	if err := c.CheckComplaintStep(actor, id, "answer"); err != nil {
		return Effects{}, err
	}
	if answer == "" {
		return Effects{}, &Error{Code: CodeInvalid, Message: "请填写答复内容", Fields: []FieldError{{Field: "note", Message: "必填"}}}
	}
	var eff Effects
	k := c.complaint(id)
	k.Status, k.AnsweredAt, k.Answer = ComplaintAnswered, env.Now, answer
	c.closeWork(env, &eff, RuleComplaintAnswer, k.subject(), TaskDone, actor.Person(), answer)
	c.served(env)
	eff.log(env, "complaint_answered", actor.Person(), fmt.Sprintf("答复投诉%s：%s", id, answer))
	return eff, nil
}

// ResolveComplaint records the resolution; the customer must then say they are satisfied.
func (c *Customer) ResolveComplaint(env Env, actor Actor, id, resolution string) (Effects, error) {
	if err := c.CheckComplaintStep(actor, id, "resolve"); err != nil {
		return Effects{}, err
	}
	if resolution == "" {
		return Effects{}, &Error{Code: CodeInvalid, Message: "请填写解决方案", Fields: []FieldError{{Field: "note", Message: "必填"}}}
	}
	var eff Effects
	k := c.complaint(id)
	if k.Status == ComplaintOpen {
		k.AnsweredAt = env.Now
		c.closeWork(env, &eff, RuleComplaintAnswer, k.subject(), TaskDone, actor.Person(), resolution)
	}
	k.Status, k.ResolvedAt, k.Resolution = ComplaintResolved, env.Now, resolution
	c.closeWork(env, &eff, RuleComplaintResolve, k.subject(), TaskDone, actor.Person(), resolution)
	c.served(env)
	eff.log(env, "complaint_resolved", actor.Person(), fmt.Sprintf("投诉%s已解决：%s（待客户确认满意）", id, resolution))
	return eff, nil
}

// CheckReassignComplaint says whether actor may give complaint id to handler.
func (c *Customer) CheckReassignComplaint(actor Actor, id string, handler Person) error {
	k, err := c.canReassignComplaint(actor, id)
	if err != nil {
		return err
	}
	if handler.ID == "" {
		return &Error{Code: CodeInvalid, Message: "请选择新的处理人", Fields: []FieldError{{Field: "handler", Message: "必选"}}}
	}
	if handler.ID == k.Handler.ID {
		return Errorf(CodeConflict, "%s已是投诉%s的处理人", handler.Name, id)
	}
	return nil
}

// canReassignComplaint: a complaint not yet resolved may get a new handler.
func (c *Customer) canReassignComplaint(actor Actor, id string) (*Complaint, error) {
	k, err := c.checkComplaint(actor, id, PermComplaintAssign, "改派投诉")
	if err != nil {
		return nil, err
	}
	if k.Status == ComplaintResolved {
		return nil, Errorf(CodeConflict, "投诉%s已解决，待客户确认满意", id)
	}
	return k, nil
}

// ReassignComplaint gives the complaint a new handler (store manager), with fresh
// deadlines.
func (c *Customer) ReassignComplaint(env Env, actor Actor, id string, handler Person, note string) (Effects, error) {
	if err := c.CheckReassignComplaint(actor, id, handler); err != nil {
		return Effects{}, err
	}
	k := c.complaint(id)
	var eff Effects
	old := k.Handler
	c.closeWork(env, &eff, RuleComplaintAnswer, k.subject(), TaskCancelled, actor.Person(), "改派")
	c.closeWork(env, &eff, RuleComplaintResolve, k.subject(), TaskCancelled, actor.Person(), "改派")
	k.Handler = handler
	k.Gen++
	c.openComplaintWork(env, &eff, k, k.Status == ComplaintOpen)
	eff.log(env, "complaint_reassigned", actor.Person(), withNote(fmt.Sprintf("投诉%s改派：%s → %s", id, old.Name, handler.Name), note))
	return eff, nil
}

// CheckCloseComplaint says whether actor may record the customer's verdict on complaint id.
func (c *Customer) CheckCloseComplaint(actor Actor, id string) error {
	k, err := c.checkComplaint(actor, id, PermComplaint, "关闭投诉")
	if err != nil {
		return err
	}
	if k.Status != ComplaintResolved {
		return Errorf(CodeConflict, "投诉%s尚未解决，不能关闭", id)
	}
	return nil
}

// CloseComplaint: a satisfied customer closes (and archives) the complaint; an
// unsatisfied one reopens it with a fresh resolve deadline.
func (c *Customer) CloseComplaint(env Env, actor Actor, id string, satisfied bool, note string) (Effects, error) {
	if err := c.CheckCloseComplaint(actor, id); err != nil {
		return Effects{}, err
	}
	k := c.complaint(id)
	var eff Effects
	if satisfied {
		k.Status, k.ClosedAt, k.Archived = ComplaintClosed, env.Now, true
		eff.log(env, "complaint_closed", actor.Person(), withNote(fmt.Sprintf("客户对投诉%s的处理满意，投诉关闭并归档", id), note))
		c.settle(env, &eff)
		return eff, nil
	}
	k.Status = ComplaintAnswered
	k.Gen++
	c.openComplaintWork(env, &eff, k, false)
	eff.log(env, "complaint_reopened", actor.Person(), withNote(fmt.Sprintf("客户对投诉%s的处理不满意，重新处理", id), note))
	return eff, nil
}

// complaintOf returns the complaint a task subject ("K1.0") belongs to.
func (c *Customer) complaintOf(subject string) *Complaint {
	for i := range c.Complaints {
		if c.Complaints[i].subject() == subject {
			return &c.Complaints[i]
		}
	}
	return nil
}
