package server

import (
	"context"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/workflows"
	"go.temporal.io/sdk/client"
)

// ActionInput is what a staff action on a customer takes, from the JSON API
// (POST /api/customers/:id/<action>) or from a form on the customer's page. Each action
// reads the fields it lists (see actionSpec.Fields); the API refuses the others.
type ActionInput struct {
	Note        string   `json:"note,omitempty"`         // free note; for some actions the required reason or content
	Reached     *bool    `json:"reached,omitempty"`      // call-back outcome
	Channel     string   `json:"channel,omitempty"`      // how a follow-up was made
	Grade       string   `json:"grade,omitempty"`        // A–D
	DesignerID  string   `json:"designer_id,omitempty"`  // the proposed designer (staff ID)
	OwnerID     string   `json:"owner_id,omitempty"`     // the new owner (staff ID)
	HandlerID   string   `json:"handler_id,omitempty"`   // who handles a complaint (staff ID)
	AmountYuan  *float64 `json:"amount_yuan,omitempty"`  // deposit or contract amount in 元
	Milestone   string   `json:"milestone,omitempty"`    // the inspection passed
	Category    string   `json:"category,omitempty"`     // complaint category
	ComplaintID string   `json:"complaint_id,omitempty"` // which complaint
	Satisfied   *bool    `json:"satisfied,omitempty"`    // whether the customer is satisfied (closing a complaint)
	Outcome     string   `json:"outcome,omitempty"`      // a dispute's ruling: owner, claimant or split
	Severity    string   `json:"severity,omitempty"`     // a complaint's severity: normal or major (重大投诉)
	Date        string   `json:"date,omitempty"`         // the day the customer moved in (YYYY-MM-DD)
}

// Input field names, shared by the JSON API, the forms and the field errors.
const (
	fieldNote      = "note"
	fieldReached   = "reached"
	fieldChannel   = "channel"
	fieldGrade     = "grade"
	fieldDesigner  = "designer_id"
	fieldOwner     = "owner_id"
	fieldHandler   = "handler_id"
	fieldAmount    = "amount_yuan"
	fieldMilestone = "milestone"
	fieldCategory  = "category"
	fieldComplaint = "complaint_id"
	fieldSatisfied = "satisfied"
	fieldOutcome   = "outcome"
	fieldSeverity  = "severity"
	fieldDate      = "date"
)

// maxAmountYuan bounds a deposit or contract amount (1 billion 元); the domain may bound
// a deposit tighter.
const maxAmountYuan = 1e9

// actionSpec is one event the customer workflow takes from staff: the update it sends,
// the permission it needs (SPEC.md "People (roles)"), the fields its form has, the
// stages the customer page offers it in, and how its input becomes the update's argument.
type actionSpec struct {
	Update string              // the workflow update, also the last segment of the API path
	Label  string              // the form's title and button, in Chinese
	Perm   renoflow.Permission // what the actor's role must grant
	What   string              // the act, as the refusal names it ("客服不能<What>")
	Fields []string            // input fields besides the note, in form order
	// NoteLabel names the note field when it is more than a remark; NoteRequired makes
	// it required (a refusal's reason, a complaint's content).
	NoteLabel    string
	NoteRequired bool
	// PersonField is the field whose staff ID becomes the update's Person; the domain
	// calls it "person" in its errors.
	PersonField string
	// Offer says whether the customer page offers the action to the actor at the
	// customer's stage.
	Offer func(c *renoflow.Customer, a renoflow.Actor) bool
	// Build turns checked input into the update's argument; it records bad fields in r.
	Build func(r *actionRequest) any
}

// actionSpecs lists every staff action on a customer, in the order the customer page shows them.
var actionSpecs = []actionSpec{
	{Update: workflows.UpdateVerify, Label: "核实报备", Perm: renoflow.PermVerify, What: "核实报备", Offer: offerVerify, Build: plainAction},
	{Update: workflows.UpdateStoreVisit, Label: "登记到店", Perm: renoflow.PermStoreVisit, What: "登记到店", Offer: offerStoreVisit, Build: plainAction},
	{Update: workflows.UpdatePhoneEnquiry, Label: "登记来电咨询", Perm: renoflow.PermPhoneEnquiry, What: "登记来电咨询", Offer: offerPhoneEnquiry, Build: plainAction},
	{Update: workflows.UpdateCallback, Label: "登记首谈回访", Perm: renoflow.PermCallback, What: "登记首谈回访", Fields: []string{fieldReached}, Offer: offerCallback, Build: buildCallback},
	{Update: workflows.UpdateFollowUp, Label: "登记跟进", Perm: renoflow.PermFollowUp, What: "登记跟进", Fields: []string{fieldChannel}, Offer: offerPresale, Build: buildFollowUp},
	{Update: workflows.UpdateGrade, Label: "调整分级", Perm: renoflow.PermGrade, What: "调整客户分级", Fields: []string{fieldGrade}, Offer: offerGrade, Build: buildGrade},
	{Update: workflows.UpdateDispatchPropose, Label: "提出派单", Perm: renoflow.PermDispatchPropose, What: "提出派单", Fields: []string{fieldDesigner}, PersonField: fieldDesigner, Offer: offerDispatchPropose, Build: buildDispatchPropose},
	{Update: workflows.UpdateDispatchConfirm, Label: "确认派单", Perm: renoflow.PermDispatchConfirm, What: "确认派单", Offer: offerDispatchConfirm, Build: plainAction},
	{Update: workflows.UpdateDispatchAccept, Label: "接单", Perm: renoflow.PermDispatchRespond, What: "接单", Offer: offerDispatchRespond, Build: plainAction},
	{Update: workflows.UpdateDispatchRefuse, Label: "拒单", Perm: renoflow.PermDispatchRespond, What: "拒单", NoteLabel: "拒单原因", NoteRequired: true, Offer: offerDispatchRespond, Build: plainAction},
	{Update: workflows.UpdateMeasure, Label: "登记量房", Perm: renoflow.PermDesign, What: "登记量房", Offer: offerMeasure, Build: plainAction},
	{Update: workflows.UpdateDesignProgress, Label: "登记方案进度", Perm: renoflow.PermDesign, What: "登记方案进度", NoteLabel: "方案进度", NoteRequired: true, Offer: offerDesign, Build: plainAction},
	{Update: workflows.UpdateDeposit, Label: "登记定金", Perm: renoflow.PermDeposit, What: "登记定金", Fields: []string{fieldAmount}, Offer: offerDeposit, Build: buildPayment},
	{Update: workflows.UpdateContract, Label: "登记签约", Perm: renoflow.PermContract, What: "登记签约", Fields: []string{fieldAmount}, Offer: offerContract, Build: buildPayment},
	{Update: workflows.UpdateMilestone, Label: "登记工程验收", Perm: renoflow.PermMilestone, What: "登记工程验收", Fields: []string{fieldMilestone}, Offer: offerMilestone, Build: buildMilestone},
	{Update: workflows.UpdateComplaintOpen, Label: "登记投诉", Perm: renoflow.PermComplaint, What: "登记投诉", Fields: []string{fieldCategory, fieldSeverity, fieldHandler}, NoteLabel: "投诉内容", NoteRequired: true, Offer: offerComplaintOpen, Build: buildComplaintOpen},
	{Update: workflows.UpdateComplaintAnswer, Label: "答复投诉", Perm: renoflow.PermComplaintHandle, What: "答复投诉", Fields: []string{fieldComplaint}, NoteLabel: "答复内容", NoteRequired: true, Offer: offerComplaintAnswer, Build: buildComplaint},
	{Update: workflows.UpdateComplaintResolve, Label: "解决投诉", Perm: renoflow.PermComplaintHandle, What: "解决投诉", Fields: []string{fieldComplaint}, NoteLabel: "解决办法", NoteRequired: true, Offer: offerComplaintResolve, Build: buildComplaint},
	{Update: workflows.UpdateComplaintReassign, Label: "改派投诉处理人", Perm: renoflow.PermComplaintAssign, What: "改派投诉处理人", Fields: []string{fieldComplaint, fieldHandler}, Offer: offerComplaintResolve, Build: buildComplaintReassign},
	{Update: workflows.UpdateComplaintClose, Label: "关闭投诉", Perm: renoflow.PermComplaint, What: "关闭投诉", Fields: []string{fieldComplaint, fieldSatisfied}, Offer: offerComplaintClose, Build: buildComplaintClose},
	{Update: workflows.UpdateComplaintMajor, Label: "标记重大投诉", Perm: renoflow.PermComplaint, What: "标记重大投诉", Fields: []string{fieldComplaint}, NoteLabel: "原因", Offer: offerComplaintMajor, Build: buildComplaint},
	{Update: workflows.UpdateMovedIn, Label: "登记实际入住", Perm: renoflow.PermReturnVisit, What: "登记实际入住", Fields: []string{fieldDate}, Offer: offerMovedIn, Build: buildMovedIn},
	{Update: workflows.UpdateInvalidPropose, Label: "申请无效客户", Perm: renoflow.PermInvalidPropose, What: "申请无效客户", NoteLabel: "无效原因", NoteRequired: true, Offer: offerInvalidPropose, Build: plainAction},
	{Update: workflows.UpdateInvalidConfirm, Label: "确认无效客户", Perm: renoflow.PermInvalidConfirm, What: "确认无效客户", Offer: offerInvalidRule, Build: plainAction},
	{Update: workflows.UpdateInvalidReject, Label: "驳回无效申请", Perm: renoflow.PermInvalidConfirm, What: "驳回无效客户申请", Offer: offerInvalidRule, Build: plainAction},
	{Update: workflows.UpdateDisputeOpen, Label: "申请归属裁决", Perm: renoflow.PermDispute, What: "申请归属裁决", NoteLabel: "您的依据（报备时间、邀约、通话记录等）", NoteRequired: true, Offer: offerDisputeOpen, Build: plainAction},
	{Update: workflows.UpdateDisputeRule, Label: "裁决归属争议", Perm: renoflow.PermDisputeRule, What: "裁决归属争议", Fields: []string{fieldOutcome}, NoteLabel: "裁决说明", Offer: offerDisputeRule, Build: buildDisputeRule},
	{Update: workflows.UpdateReassign, Label: "重新分配归属人", Perm: renoflow.PermReassign, What: "重新分配客户", Fields: []string{fieldOwner}, PersonField: fieldOwner, Offer: offerReassign, Build: buildReassign},
}

// actionByUpdate finds the action whose update is name.
func actionByUpdate(name string) (*actionSpec, bool) {
	for i := range actionSpecs {
		if actionSpecs[i].Update == name {
			return &actionSpecs[i], true
		}
	}
	return nil, false
}

// takes reports whether the action reads field.
func (a *actionSpec) takes(field string) bool {
	if field == fieldNote {
		return true
	}
	for _, f := range a.Fields {
		if f == field {
			return true
		}
	}
	return false
}

// actionRequest is one action being checked before it is sent: who asks, about which
// customer (as the actor may see it), with what input. Bad fields collect in Problems.
type actionRequest struct {
	ctx      context.Context
	s        *Server
	actor    renoflow.Actor
	customer *CustomerRow
	state    renoflow.Customer
	in       ActionInput
	renoflow.Problems
	// err is a failure that is not the caller's fault (the database did not answer).
	err error
}

// action is the common part of every update's argument: the actor and the note.
func (r *actionRequest) action() workflows.Action {
	return workflows.Action{Actor: r.actor, Note: r.in.Note}
}

// person resolves the staff ID in field to a person of the kind the action needs.
func (r *actionRequest) person(field, id string, kind staffKind, required bool) renoflow.Person {
	if id == "" {
		if required {
			r.Add(field, "必选")
		}
		return renoflow.Person{}
	}
	p, err := r.s.resolvePerson(r.ctx, &r.Problems, field, id, r.customer.StoreID, kind)
	if err != nil && r.err == nil {
		r.err = err
	}
	return p
}

func plainAction(r *actionRequest) any { return r.action() }

func buildCallback(r *actionRequest) any {
	if r.in.Reached == nil {
		r.Add(fieldReached, "请选择已接通或未接通")
		return nil
	}
	return workflows.CallbackInput{Action: r.action(), Reached: *r.in.Reached}
}

func buildFollowUp(r *actionRequest) any {
	if r.in.Channel == "" {
		r.Add(fieldChannel, "必选（跟进方式）")
	} else if !validOption(renoflow.FollowUpChannels(), r.in.Channel) {
		r.Add(fieldChannel, "只能是电话、到店/上门、微信或其他")
	}
	return workflows.FollowUpInput{Action: r.action(), Channel: r.in.Channel}
}

func buildGrade(r *actionRequest) any {
	g := renoflow.Grade(strings.ToUpper(r.in.Grade))
	if g == renoflow.GradeNone {
		r.Add(fieldGrade, "必选")
	} else if !g.Valid() {
		r.Add(fieldGrade, "只能是 A、B、C、D")
	}
	return workflows.GradeInput{Action: r.action(), Grade: g}
}

func buildDispatchPropose(r *actionRequest) any {
	return workflows.PersonInput{Action: r.action(), Person: r.person(fieldDesigner, r.in.DesignerID, staffDesigner, true)}
}

func buildReassign(r *actionRequest) any {
	return workflows.PersonInput{Action: r.action(), Person: r.person(fieldOwner, r.in.OwnerID, staffOwner, true)}
}

func buildPayment(r *actionRequest) any {
	var amount float64
	switch {
	case r.in.AmountYuan == nil:
		r.Add(fieldAmount, "必填（金额，元）")
	case math.IsNaN(*r.in.AmountYuan) || *r.in.AmountYuan <= 0 || *r.in.AmountYuan > maxAmountYuan:
		r.Add(fieldAmount, "金额须大于0且不超过10亿元")
	default:
		amount = *r.in.AmountYuan
	}
	return workflows.PaymentInput{Action: r.action(), AmountYuan: amount}
}

func buildMilestone(r *actionRequest) any {
	if r.in.Milestone == "" {
		r.Add(fieldMilestone, "必选（验收节点）")
	} else if !validOption(renoflow.Milestones(), r.in.Milestone) {
		r.Add(fieldMilestone, "不是已知的验收节点")
	}
	return workflows.MilestoneInput{Action: r.action(), Milestone: renoflow.Milestone(r.in.Milestone)}
}

func buildComplaintOpen(r *actionRequest) any {
	if r.in.Category == "" {
		r.Add(fieldCategory, "必选（投诉类别）")
	} else if !validOption(renoflow.ComplaintCategories(), r.in.Category) {
		r.Add(fieldCategory, "不是已知的投诉类别")
	}
	if r.in.Severity != "" && !validOption(renoflow.ComplaintSeverities(), r.in.Severity) {
		r.Add(fieldSeverity, "只能是 normal（一般投诉）或 major（重大投诉）")
	}
	return workflows.ComplaintOpenInput{Action: r.action(), Category: renoflow.ComplaintCategory(r.in.Category),
		Severity: renoflow.ComplaintSeverity(r.in.Severity), Handler: r.person(fieldHandler, r.in.HandlerID, staffHandler, false)}
}

// buildMovedIn: the day the customer moved in (实际入住, seed 004); empty is today. The
// domain checks the day against completion and today.
func buildMovedIn(r *actionRequest) any {
	if d := strings.TrimSpace(r.in.Date); d != "" {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			r.Add(fieldDate, "格式须为 YYYY-MM-DD")
		}
	}
	return workflows.MovedInInput{Action: r.action(), Date: strings.TrimSpace(r.in.Date)}
}

// complaint checks the complaint ID common to the actions on one complaint.
func (r *actionRequest) complaint() workflows.ComplaintInput {
	switch {
	case r.in.ComplaintID == "":
		r.Add(fieldComplaint, "必选（哪一条投诉）")
	case len(complaintsWithID(&r.state, r.in.ComplaintID)) == 0:
		r.Add(fieldComplaint, "该客户没有投诉"+r.in.ComplaintID)
	}
	return workflows.ComplaintInput{Action: r.action(), ComplaintID: r.in.ComplaintID}
}

func buildComplaint(r *actionRequest) any { return r.complaint() }

func buildComplaintReassign(r *actionRequest) any {
	ci := r.complaint()
	return workflows.ComplaintReassignInput{ComplaintInput: ci, Handler: r.person(fieldHandler, r.in.HandlerID, staffHandler, true)}
}

func buildComplaintClose(r *actionRequest) any {
	ci := r.complaint()
	if r.in.Satisfied == nil {
		r.Add(fieldSatisfied, "请选择客户是否满意")
		return nil
	}
	return workflows.ComplaintCloseInput{ComplaintInput: ci, Satisfied: *r.in.Satisfied}
}

// disputeOutcomes are the rulings on an ownership dispute (SPEC.md step 2).
var disputeOutcomes = []renoflow.Option{{Code: renoflow.DisputeOwner, Label: "维持原归属人"},
	{Code: renoflow.DisputeClaimant, Label: "改归申请人"}, {Code: renoflow.DisputeSplit, Label: "共同带客，业绩各50%"},
	{Code: renoflow.DisputeClaimantSubsidy, Label: "改归申请人，小区名单分配人获补助"}}

func buildDisputeRule(r *actionRequest) any {
	if r.in.Outcome == "" {
		r.Add(fieldOutcome, "必选（裁决结果）")
	} else if !validOption(disputeOutcomes, r.in.Outcome) {
		r.Add(fieldOutcome, "只能是 owner（维持原归属人）、claimant（改归申请人）、split（各50%）或 claimant_subsidy（改归申请人，名单分配人补助）")
	}
	return workflows.DisputeRuleInput{Action: r.action(), Outcome: r.in.Outcome}
}

func validOption(opts []renoflow.Option, code string) bool {
	for _, o := range opts {
		if o.Code == code {
			return true
		}
	}
	return false
}

// authorize is the one gate of every staff action, for the API and the pages alike; it
// runs before anything is sent to a workflow. The actor's role must grant perm (else
// 403, whatever the customer), and the customer must be within the actor's row scope
// (else 404, so nobody learns that a customer they may not see exists).
func (s *Server) authorize(ctx context.Context, actor renoflow.Actor, customerID string, perm renoflow.Permission, what string) (*CustomerRow, renoflow.Customer, error) {
	if err := actor.Require(perm, what); err != nil {
		return nil, renoflow.Customer{}, err
	}
	return s.customer(ctx, actor, customerID)
}

// check checks an authorised action's input — every bad field named, staff IDs resolved
// against the staff table — and returns the update's argument. Nothing is sent.
func (s *Server) check(ctx context.Context, actor renoflow.Actor, row *CustomerRow, state renoflow.Customer, a *actionSpec,
	in ActionInput) (any, error) {
	in.Note = strings.TrimSpace(in.Note)
	r := &actionRequest{ctx: ctx, s: s, actor: actor, customer: row, state: state, in: in}
	if a.NoteRequired && r.in.Note == "" {
		r.Add(fieldNote, "必填（"+a.NoteLabel+"）")
	} else {
		renoflow.CheckTextField(&r.Problems, fieldNote, r.in.Note)
	}
	arg := a.Build(r)
	if r.err != nil {
		return nil, r.err
	}
	if err := r.Err(a.Label + "：输入有误"); err != nil {
		return nil, err
	}
	return arg, nil
}

// perform checks an authorised action's input and only then sends it to the customer's
// workflow; the workflow's refusal comes back as a domain error.
func (s *Server) perform(ctx context.Context, actor renoflow.Actor, row *CustomerRow, state renoflow.Customer, a *actionSpec,
	in ActionInput, requestID string) (renoflow.Customer, error) {
	arg, err := s.check(ctx, actor, row, state, a, in)
	if err != nil {
		return renoflow.Customer{}, err
	}
	next, err := s.send(ctx, row.ID, a.Update, requestID, arg)
	if err != nil && a.PersonField != "" {
		renameField(err, "person", a.PersonField)
	}
	return next, err
}

// renameField renames a field of a domain error (the workflow names a staff member
// "person"; the request called it by the action's field).
func renameField(err error, from, to string) {
	var de *renoflow.Error
	if errors.As(err, &de) {
		for i := range de.Fields {
			if de.Fields[i].Field == from {
				de.Fields[i].Field = to
			}
		}
	}
}

// send delivers an authorised, checked action to the customer's workflow as an update and
// waits for its outcome: a refusal comes back as the domain error, with nothing changed.
// A request ID makes a retried request the same update.
func (s *Server) send(ctx context.Context, customerID, update, requestID string, arg any) (renoflow.Customer, error) {
	if requestID == "" {
		requestID = uuid.NewString()
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ActionWait)
	defer cancel()
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		UpdateID: requestID, WorkflowID: workflows.CustomerWorkflowID(customerID), UpdateName: update,
		Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return renoflow.Customer{}, workflows.DomainError(err)
	}
	var state renoflow.Customer
	if err := h.Get(ctx, &state); err != nil {
		return renoflow.Customer{}, workflows.DomainError(err)
	}
	return state, nil
}
