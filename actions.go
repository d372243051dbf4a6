package renoflow

import (
	"strings"
	"time"
)

// The staff actions on a customer, declared once (issue 10 §5): the workflow registers an
// update per action from this catalogue, the server routes its API and offers its form
// exactly when the action's Can passes, and the permission matrix test is generated from
// it. A new action touches this catalogue, its stage file (Check and apply) and one form
// row in the server.

// Request is what every staff action carries (the argument of its workflow update, JSON):
// who acts, a note, and the fields of the action. Each action reads the fields its
// Input names; the others stay empty.
type Request struct {
	Actor       Actor             `json:"actor"`
	Note        string            `json:"note,omitempty"`
	Reached     *bool             `json:"reached,omitempty"`      // a call-back's outcome
	Channel     string            `json:"channel,omitempty"`      // how a follow-up was made
	Grade       Grade             `json:"grade,omitempty"`        // B–D by hand
	Person      Person            `json:"person,omitzero"`        // the proposed designer, or the new owner
	AmountYuan  float64           `json:"amount_yuan,omitempty"`  // deposit or contract, 元
	Milestone   Milestone         `json:"milestone,omitempty"`    // the inspection passed
	Category    ComplaintCategory `json:"category,omitempty"`     // a complaint's category
	Handler     Person            `json:"handler,omitzero"`       // who handles a complaint
	ComplaintID string            `json:"complaint_id,omitempty"` // which complaint ("K1")
	Satisfied   *bool             `json:"satisfied,omitempty"`    // the customer's verdict on a resolved complaint
	Outcome     DisputeOutcome    `json:"outcome,omitempty"`      // a dispute ruling: owner, claimant, split
	Store       string            `json:"store_id,omitempty"`     // a reassignment to another store: the store it moves to
	Severity    ComplaintSeverity `json:"severity,omitempty"`     // a complaint's severity: normal ("") or major (重大投诉)
	Date        string            `json:"date,omitempty"`         // the day the customer moved in (YYYY-MM-DD, company zone; "" today)
}

// Read names what an action's apply needs read from the database first (an activity in
// the workflow): counts across customers are not the customer's own state.
type Read int

// What an action may need read.
const (
	ReadPoolStats Read = 1 << iota // PoolStats of the actor, for a claim from the public pool
	ReadDesigners                  // the store's designers (DesignerInfo), for a dispatch
)

// Facts are what the workflow read for an action (Read).
type Facts struct {
	Pool      PoolStats      `json:"pool"`
	Designers []DesignerInfo `json:"designers,omitempty"`
}

// Input fields a Request may carry, by their JSON names (the API and the forms use them).
const (
	InReached   = "reached"
	InChannel   = "channel"
	InGrade     = "grade"
	InPerson    = "person"
	InAmount    = "amount_yuan"
	InMilestone = "milestone"
	InCategory  = "category"
	InHandler   = "handler"
	InComplaint = "complaint_id"
	InSatisfied = "satisfied"
	InOutcome   = "outcome"
	InStore     = "store_id"
	InSeverity  = "severity"
	InDate      = "date"
)

// StaffAction is one staff action on a customer.
type StaffAction struct {
	Update  string     // the workflow update, also the last segment of its API path ("verify")
	Perm    Permission // what the actor's role must grant (SPEC.md "People (roles)")
	Verb    string     // the act in Chinese ("核实报备"): the form's title and button, and what a refusal names
	Section string     // where SPEC.md states it
	// Fields are the input fields the action reads besides the note, in form order.
	Fields []string
	// Note names the note when it is more than a remark; NoteRequired makes it required.
	Note         string
	NoteRequired bool
	// Completes lists the task rules whose work (seq 0) this action is: marking such a
	// task done needs the action's permission.
	Completes []Rule
	// OnComplaint, for an action on one complaint, says whether actor may take it on
	// complaint k (the form lists exactly those complaints).
	OnComplaint func(c *Customer, a Actor, k *Complaint) error
	// can: whatever the input — the permission, the actor's relation to the customer
	// (RelationOf), the stage.
	can func(c *Customer, a Actor) error
	// check: the whole request, after can.
	check func(c *Customer, in Request) error
	// reads: what apply needs read first (0: nothing).
	reads func(c *Customer) Read
	// apply: the action (it checks again).
	apply func(c *Customer, env Env, in Request, f Facts) (Effects, error)
}

// Can says whether actor may take the action on the customer now, whatever the input:
// nil exactly when the customer page offers its form. A customer the actor may not see
// is CodeNotFound, a permission the role lacks CodeForbidden, the wrong stage
// CodeConflict. Counts across customers and the clock (pool limits, capacity, cooling
// off, designer load) are checked when the action is applied.
func (a *StaffAction) Can(c *Customer, actor Actor) error {
	if err := actor.Require(a.Perm, a.Verb); err != nil {
		return err
	}
	if a.Update != ActDisputeOpen && !c.Sees(actor) { // a dispute's claimant is not (yet) tied to the customer
		return notFound()
	}
	if err := a.can(c, actor); err != nil {
		return err
	}
	if a.OnComplaint != nil && len(c.ComplaintChoices(a, actor)) == 0 {
		return Errorf(CodeConflict, "没有可%s的投诉", a.Verb)
	}
	return nil
}

// Check says whether the request may be applied now: Can, then the input (each bad field
// named, CodeInvalid), then what depends on both.
func (a *StaffAction) Check(c *Customer, in Request) error {
	if err := in.Actor.Require(a.Perm, a.Verb); err != nil {
		return err
	}
	if a.Update != ActDisputeOpen && !c.Sees(in.Actor) {
		return notFound()
	}
	if a.OnComplaint != nil {
		k := c.complaint(in.ComplaintID)
		if k == nil {
			return &Error{Code: CodeInvalid, Message: "没有投诉" + in.ComplaintID, Fields: []FieldError{{Field: InComplaint, Message: "该客户没有此投诉"}}}
		}
		if err := a.OnComplaint(c, in.Actor, k); err != nil {
			return err
		}
	} else if err := a.can(c, in.Actor); err != nil {
		return err
	}
	if err := a.Input(in); err != nil {
		return err
	}
	if a.check != nil {
		return a.check(c, in)
	}
	return nil
}

// Input checks the request's fields alone, every bad one named (CodeInvalid); the server
// runs it before anything is sent, so its bounds are the domain's.
func (a *StaffAction) Input(in Request) error {
	var p Problems
	if a.NoteRequired && in.Note == "" {
		p.Add("note", "必填（"+a.Note+"）")
	}
	for _, f := range a.Fields {
		switch f {
		case InReached:
			if in.Reached == nil {
				p.Add(f, "请选择已接通或未接通")
			}
		case InChannel:
			if in.Channel == "" {
				p.Add(f, "必选（跟进方式）")
			} else if !followUpChannels.valid(in.Channel) {
				p.Add(f, "只能是电话、到店/上门、微信或其他")
			}
		case InGrade:
			if in.Grade == GradeNone {
				p.Add(f, "必选")
			} else if !in.Grade.Valid() {
				p.Add(f, "只能是 A、B、C、D")
			}
		case InPerson:
			if in.Person.ID == "" {
				p.Add(f, "必选")
			}
		case InAmount:
			max, what := MaxContractYuan, "合同"
			if a.Update == ActDeposit {
				max, what = MaxDepositYuan, "定金"
			}
			if err := checkAmount(in.AmountYuan, max, what); err != nil {
				p.Add(f, err.(*Error).Fields[0].Message)
			}
		case InMilestone:
			if in.Milestone == "" {
				p.Add(f, "必选（验收节点）")
			} else if !milestones.valid(string(in.Milestone)) {
				p.Add(f, "不是已知的验收节点")
			}
		case InCategory:
			if in.Category == "" {
				p.Add(f, "必选（投诉类别）")
			} else if !complaintCategories.valid(string(in.Category)) {
				p.Add(f, "不是已知的投诉类别")
			}
		case InHandler:
			if in.Handler.ID == "" && a.Update != ActComplaintOpen { // opening: defaults to the owner
				p.Add(f, "必选")
			}
		case InComplaint:
			if in.ComplaintID == "" {
				p.Add(f, "必选（哪一条投诉）")
			}
		case InSatisfied:
			if in.Satisfied == nil {
				p.Add(f, "请选择客户是否满意")
			}
		case InStore: // optional: the customer's own store
		case InSeverity:
			checkSeverity(&p, in.Severity)
		case InDate: // optional: today
			if d := strings.TrimSpace(in.Date); d != "" {
				if _, err := time.ParseInLocation(time.DateOnly, d, Zone); err != nil {
					p.Add(f, "格式须为 YYYY-MM-DD")
				}
			}
		case InOutcome:
			switch {
			case in.Outcome.Ruling():
			case in.Outcome == "":
				p.Add(f, "必选（裁决结果）")
			default:
				p.Add(f, "只能是 owner（维持原归属人）、claimant（改归申请人）、split（各50%）或 claimant_subsidy（改归申请人，名单分配人补助）")
			}
		}
	}
	return p.Err(a.Verb + "：输入有误")
}

// Reads says what the action's Apply needs read first for this customer.
func (a *StaffAction) Reads(c *Customer) Read {
	if a.reads == nil {
		return 0
	}
	return a.reads(c)
}

// Apply checks the request again and takes the action, with the facts Reads asked for.
func (a *StaffAction) Apply(c *Customer, env Env, in Request, f Facts) (Effects, error) {
	if err := a.Check(c, in); err != nil {
		return Effects{}, err
	}
	return a.apply(c, env, in, f)
}

// HasComplaint reports whether the customer has a complaint with the ID.
func (c *Customer) HasComplaint(id string) bool { return c.complaint(id) != nil }

// ComplaintChoices lists the complaints on which actor may take action a (an action on
// one complaint), in order.
func (c *Customer) ComplaintChoices(a *StaffAction, actor Actor) []Complaint {
	if a.OnComplaint == nil || !actor.Can(a.Perm) || !c.Sees(actor) {
		return nil
	}
	var out []Complaint
	for i := range c.Complaints {
		if a.OnComplaint(c, actor, &c.Complaints[i]) == nil {
			out = append(out, c.Complaints[i])
		}
	}
	return out
}

// The actions' update names.
const (
	ActVerify            = "verify"
	ActStoreVisit        = "store-visit"
	ActPhoneEnquiry      = "phone-enquiry"
	ActCallback          = "callback"
	ActFollowUp          = "follow-up"
	ActGrade             = "grade"
	ActDispatchPropose   = "dispatch-propose"
	ActDispatchConfirm   = "dispatch-confirm"
	ActDispatchAccept    = "dispatch-accept"
	ActDispatchRefuse    = "dispatch-refuse"
	ActMeasure           = "measure"
	ActDesignProgress    = "design-progress"
	ActDeposit           = "deposit"
	ActContract          = "contract"
	ActMilestone         = "milestone"
	ActComplaintOpen     = "complaint-open"
	ActComplaintAnswer   = "complaint-answer"
	ActComplaintResolve  = "complaint-resolve"
	ActComplaintReassign = "complaint-reassign"
	ActComplaintClose    = "complaint-close"
	ActComplaintMajor    = "complaint-major"
	ActMovedIn           = "moved-in"
	ActInvalidPropose    = "invalid-propose"
	ActInvalidConfirm    = "invalid-confirm"
	ActInvalidReject     = "invalid-reject"
	ActDisputeOpen       = "dispute-open"
	ActDisputeRule       = "dispute-rule"
	ActReassign          = "reassign"
	ActRelease           = "release" // 放入公海
)

// always is the can of an action with no condition of its own.
func always(*Customer, Actor) error { return nil }

var staffActions = []StaffAction{
	{Update: ActVerify, Perm: PermVerify, Verb: "核实报备", Section: "lifecycle 1", Completes: []Rule{RuleVerify},
		can: func(c *Customer, a Actor) error { return c.CheckVerify(a) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.Verify(env, in.Actor, in.Note)
		}},
	{Update: ActStoreVisit, Perm: PermStoreVisit, Verb: "登记到店", Section: "lifecycle 2",
		can: func(c *Customer, a Actor) error { return c.canStoreVisit(a) },
		reads: func(c *Customer) Read {
			if c.Stage == StagePool {
				return ReadPoolStats
			}
			return 0
		},
		apply: func(c *Customer, env Env, in Request, f Facts) (Effects, error) {
			return c.StoreVisit(env, in.Actor, f.Pool, in.Note)
		}},
	{Update: ActPhoneEnquiry, Perm: PermPhoneEnquiry, Verb: "登记来电咨询", Section: "lifecycle 3",
		can: func(c *Customer, a Actor) error { return c.CheckPhoneEnquiry(a) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.PhoneEnquiry(env, in.Actor, in.Note)
		}},
	{Update: ActCallback, Perm: PermCallback, Verb: "登记首谈回访", Section: "lifecycle 3", Fields: []string{InReached},
		Completes: []Rule{RuleFirstCallback},
		can:       func(c *Customer, a Actor) error { return c.CheckCallback(a) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.RecordCallback(env, in.Actor, *in.Reached, in.Note)
		}},
	{Update: ActFollowUp, Perm: PermFollowUp, Verb: "登记跟进", Section: "lifecycle 4", Fields: []string{InChannel},
		Completes: []Rule{RuleFollowUp},
		can:       func(c *Customer, a Actor) error { return c.CheckFollowUp(a) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.RecordFollowUp(env, in.Actor, in.Channel, in.Note)
		}},
	{Update: ActGrade, Perm: PermGrade, Verb: "调整客户分级", Section: "lifecycle 4", Fields: []string{InGrade},
		can:   func(c *Customer, a Actor) error { return c.canGrade(a) },
		check: func(c *Customer, in Request) error { return c.CheckGrade(in.Actor, in.Grade) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.SetGrade(env, in.Actor, in.Grade, in.Note)
		}},
	{Update: ActDispatchPropose, Perm: PermDispatchPropose, Verb: "提出派单", Section: "lifecycle 5", Fields: []string{InPerson},
		can:   func(c *Customer, a Actor) error { return c.canProposeDispatch(a) },
		reads: func(*Customer) Read { return ReadDesigners },
		apply: func(c *Customer, env Env, in Request, f Facts) (Effects, error) {
			ranked := RankDesigners(f.Designers, c.Order(), env.Now, env.Policy, env.Calendar)
			return c.ProposeDispatch(env, in.Actor, in.Person, ranked, in.Note)
		}},
	{Update: ActDispatchConfirm, Perm: PermDispatchConfirm, Verb: "确认派单", Section: "lifecycle 5", Completes: []Rule{RuleDispatchConfirm},
		can: func(c *Customer, a Actor) error { return c.CheckConfirmDispatch(a) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.ConfirmDispatch(env, in.Actor, in.Note)
		}},
	{Update: ActDispatchAccept, Perm: PermDispatchRespond, Verb: "接单", Section: "lifecycle 5", Completes: []Rule{RuleDispatchAccept},
		can: func(c *Customer, a Actor) error { return c.CheckAnswerDispatch(a) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.AcceptDispatch(env, in.Actor, in.Note)
		}},
	{Update: ActDispatchRefuse, Perm: PermDispatchRespond, Verb: "拒单", Section: "lifecycle 5", Note: "拒单原因", NoteRequired: true,
		can: func(c *Customer, a Actor) error { return c.CheckAnswerDispatch(a) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.RefuseDispatch(env, in.Actor, in.Note)
		}},
	{Update: ActMeasure, Perm: PermDesign, Verb: "登记量房", Section: "lifecycle 6",
		can: func(c *Customer, a Actor) error { return c.CheckMeasure(a) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.Measure(env, in.Actor, in.Note)
		}},
	{Update: ActDesignProgress, Perm: PermDesign, Verb: "登记方案进度", Section: "lifecycle 6", Note: "方案进度", NoteRequired: true,
		can: func(c *Customer, a Actor) error { return c.CheckDesign(a) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.DesignProgress(env, in.Actor, in.Note)
		}},
	{Update: ActDeposit, Perm: PermDeposit, Verb: "登记定金", Section: "lifecycle 7", Fields: []string{InAmount},
		can: func(c *Customer, a Actor) error { return c.canDeposit(a) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.Deposit(env, in.Actor, in.AmountYuan, in.Note)
		}},
	{Update: ActContract, Perm: PermContract, Verb: "登记签约", Section: "lifecycle 8", Fields: []string{InAmount},
		can: func(c *Customer, a Actor) error { return c.canContract(a) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.Contract(env, in.Actor, in.AmountYuan, in.Note)
		}},
	{Update: ActMilestone, Perm: PermMilestone, Verb: "登记工程验收", Section: "lifecycle 9", Fields: []string{InMilestone},
		can:   func(c *Customer, a Actor) error { return c.canMilestone(a) },
		check: func(c *Customer, in Request) error { return c.CheckMilestone(in.Actor, in.Milestone) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.PassMilestone(env, in.Actor, in.Milestone, in.Note)
		}},
	{Update: ActComplaintOpen, Perm: PermComplaint, Verb: "登记投诉", Section: "lifecycle 11", Fields: []string{InCategory, InSeverity, InHandler},
		Note: "投诉内容", NoteRequired: true,
		can: func(c *Customer, a Actor) error { return c.canOpenComplaint(a) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.OpenComplaint(env, in.Actor, in.Category, in.Severity, in.Handler, in.Note)
		}},
	{Update: ActComplaintAnswer, Perm: PermComplaintHandle, Verb: "答复投诉", Section: "lifecycle 11", Fields: []string{InComplaint},
		Note: "答复内容", NoteRequired: true, Completes: []Rule{RuleComplaintAnswer}, can: always,
		OnComplaint: func(c *Customer, a Actor, k *Complaint) error { return c.CheckComplaintStep(a, k.ID, "answer") },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.AnswerComplaint(env, in.Actor, in.ComplaintID, in.Note)
		}},
	{Update: ActComplaintResolve, Perm: PermComplaintHandle, Verb: "解决投诉", Section: "lifecycle 11", Fields: []string{InComplaint},
		Note: "解决办法", NoteRequired: true, Completes: []Rule{RuleComplaintResolve}, can: always,
		OnComplaint: func(c *Customer, a Actor, k *Complaint) error { return c.CheckComplaintStep(a, k.ID, "resolve") },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.ResolveComplaint(env, in.Actor, in.ComplaintID, in.Note)
		}},
	{Update: ActComplaintReassign, Perm: PermComplaintAssign, Verb: "改派投诉处理人", Section: "lifecycle 11",
		Fields: []string{InComplaint, InHandler}, can: always,
		OnComplaint: func(c *Customer, a Actor, k *Complaint) error { _, err := c.canReassignComplaint(a, k.ID); return err },
		check: func(c *Customer, in Request) error {
			return c.CheckReassignComplaint(in.Actor, in.ComplaintID, in.Handler)
		},
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.ReassignComplaint(env, in.Actor, in.ComplaintID, in.Handler, in.Note)
		}},
	{Update: ActComplaintClose, Perm: PermComplaint, Verb: "关闭投诉", Section: "lifecycle 11", Fields: []string{InComplaint, InSatisfied},
		can:         always,
		OnComplaint: func(c *Customer, a Actor, k *Complaint) error { return c.CheckCloseComplaint(a, k.ID) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.CloseComplaint(env, in.Actor, in.ComplaintID, *in.Satisfied, in.Note)
		}},
	{Update: ActComplaintMajor, Perm: PermComplaint, Verb: "标记重大投诉", Section: "seed 004 重大投诉", Fields: []string{InComplaint},
		Note: "原因", can: always,
		OnComplaint: func(c *Customer, a Actor, k *Complaint) error { return c.CheckMarkComplaintMajor(a, k.ID) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.MarkComplaintMajor(env, in.Actor, in.ComplaintID, in.Note)
		}},
	{Update: ActMovedIn, Perm: PermReturnVisit, Verb: "登记实际入住", Section: "seed 004 实际入住", Fields: []string{InDate},
		can: func(c *Customer, a Actor) error { return c.CheckMovedIn(a) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.RecordMovedIn(env, in.Actor, in.Date, in.Note)
		}},
	{Update: ActInvalidPropose, Perm: PermInvalidPropose, Verb: "申请无效客户", Section: "lifecycle 12", Note: "无效原因", NoteRequired: true,
		can: func(c *Customer, a Actor) error { return c.canProposeInvalid(a) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.ProposeInvalid(env, in.Actor, in.Note)
		}},
	{Update: ActInvalidConfirm, Perm: PermInvalidConfirm, Verb: "确认无效客户", Section: "lifecycle 12", Completes: []Rule{RuleInvalidReview},
		can: func(c *Customer, a Actor) error { return c.CheckRuleInvalid(a) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.ConfirmInvalid(env, in.Actor, in.Note)
		}},
	{Update: ActInvalidReject, Perm: PermInvalidConfirm, Verb: "驳回无效客户申请", Section: "lifecycle 12", Completes: []Rule{RuleInvalidReview},
		can: func(c *Customer, a Actor) error { return c.CheckRuleInvalid(a) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.RejectInvalid(env, in.Actor, in.Note)
		}},
	{Update: ActDisputeOpen, Perm: PermDispute, Verb: "申请归属裁决", Section: "lifecycle 2", Note: "您的依据（报备时间、邀约、通话记录等）",
		NoteRequired: true,
		can:          func(c *Customer, a Actor) error { return c.canOpenDispute(a) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.OpenDispute(env, in.Actor, in.Note)
		}},
	{Update: ActDisputeRule, Perm: PermDisputeRule, Verb: "裁决归属争议", Section: "lifecycle 2", Fields: []string{InOutcome}, Note: "裁决说明",
		Completes: []Rule{RuleDispute},
		can:       func(c *Customer, a Actor) error { return c.canRuleDispute(a) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.RuleDispute(env, in.Actor, in.Outcome, in.Note)
		}},
	{Update: ActReassign, Perm: PermReassign, Verb: "重新分配客户", Section: "lifecycle 13", Fields: []string{InPerson, InStore},
		can:   func(c *Customer, a Actor) error { return c.canReassign(a) },
		check: func(c *Customer, in Request) error { return c.CheckReassignTo(in.Actor, in.Person, in.Store) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.ReassignTo(env, in.Actor, in.Person, in.Store, in.Note)
		}},
	{Update: ActRelease, Perm: PermReassign, Verb: "放入公海", Section: "lifecycle 2", Note: "放入公海原因", NoteRequired: true,
		can: func(c *Customer, a Actor) error { return c.CheckRelease(a) },
		apply: func(c *Customer, env Env, in Request, _ Facts) (Effects, error) {
			return c.Release(env, in.Actor, in.Note)
		}},
}

// StaffActions lists every staff action on a customer, in the order the customer page
// shows them. The entries are shared: do not change them.
func StaffActions() []*StaffAction {
	out := make([]*StaffAction, len(staffActions))
	for i := range staffActions {
		out[i] = &staffActions[i]
	}
	return out
}

// ActionByUpdate finds the action whose update is name.
func ActionByUpdate(name string) (*StaffAction, bool) {
	for i := range staffActions {
		if staffActions[i].Update == name {
			return &staffActions[i], true
		}
	}
	return nil, false
}

// TaskPermission is the permission marking task (rule, seq) done needs, and the act a
// refusal names: doing the work of an action (seq 0 of a rule the action Completes) needs
// the action's permission; the visits customer service runs need PermReturnVisit, the
// weekly check PermMilestone; acknowledging a reminder, an escalation or a notice needs
// PermAcknowledge.
func TaskPermission(rule Rule, seq int) (Permission, string) {
	if seq == 0 {
		for i := range staffActions {
			for _, r := range staffActions[i].Completes {
				if r == rule {
					return staffActions[i].Perm, staffActions[i].Verb
				}
			}
		}
		switch rule {
		case RuleDepositVisit, RuleContractVisit, RuleInspectionVisit, RuleAfterSalesVisit, RuleLivingExperience, RuleHouseCheck:
			return PermReturnVisit, "登记回访"
		case RuleWeeklyCheck:
			return PermMilestone, "登记每周检查"
		}
	}
	return PermAcknowledge, "处理任务"
}
