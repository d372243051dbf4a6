package server

import (
	"context"
	"errors"
	"slices"
	"strings"

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
	StoreID     string   `json:"store_id,omitempty"`     // a reassignment moving the customer: the store (a supervisor's)
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
	fieldStore     = "store_id"
	fieldSeverity  = "severity"
	fieldDate      = "date"
)

// actionSpec is one staff action of the domain's catalogue (renoflow.StaffActions: the
// update, permission, verb, fields, Can and Check) with its form row: the button's label
// and, for an action naming a staff member, the request field that names them.
type actionSpec struct {
	*renoflow.StaffAction
	formRow
	// Fields are the request's input fields besides the note, in form order (the
	// catalogue's, with a staff member named by their ID field).
	Fields []string
}

// formRow is how the customer page draws an action.
type formRow struct {
	Label string // the form's title and button, in Chinese
	// PersonField is the field whose staff ID becomes the request's Person (the domain
	// calls it "person" in its errors), and PersonKind who it may name.
	PersonField string
	PersonKind  staffKind
}

// formRows: one row per action of the catalogue.
var formRows = map[string]formRow{
	renoflow.ActVerify:            {Label: "核实报备"},
	renoflow.ActStoreVisit:        {Label: "登记到店"},
	renoflow.ActPhoneEnquiry:      {Label: "登记来电咨询"},
	renoflow.ActCallback:          {Label: "登记首谈回访"},
	renoflow.ActFollowUp:          {Label: "登记跟进"},
	renoflow.ActGrade:             {Label: "调整分级"},
	renoflow.ActDispatchPropose:   {Label: "提出派单", PersonField: fieldDesigner, PersonKind: staffDesigner},
	renoflow.ActDispatchConfirm:   {Label: "确认派单"},
	renoflow.ActDispatchAccept:    {Label: "接单"},
	renoflow.ActDispatchRefuse:    {Label: "拒单"},
	renoflow.ActMeasure:           {Label: "登记量房"},
	renoflow.ActDesignProgress:    {Label: "登记方案进度"},
	renoflow.ActDeposit:           {Label: "登记定金"},
	renoflow.ActContract:          {Label: "登记签约"},
	renoflow.ActMilestone:         {Label: "登记工程验收"},
	renoflow.ActComplaintOpen:     {Label: "登记投诉"},
	renoflow.ActComplaintAnswer:   {Label: "答复投诉"},
	renoflow.ActComplaintResolve:  {Label: "解决投诉"},
	renoflow.ActComplaintReassign: {Label: "改派投诉处理人"},
	renoflow.ActComplaintClose:    {Label: "关闭投诉"},
	renoflow.ActComplaintMajor:    {Label: "标记重大投诉"},
	renoflow.ActMovedIn:           {Label: "登记实际入住"},
	renoflow.ActInvalidPropose:    {Label: "申请无效客户"},
	renoflow.ActInvalidConfirm:    {Label: "确认无效客户"},
	renoflow.ActInvalidReject:     {Label: "驳回无效申请"},
	renoflow.ActDisputeOpen:       {Label: "申请归属裁决"},
	renoflow.ActDisputeRule:       {Label: "裁决归属争议"},
	renoflow.ActReassign:          {Label: "重新分配归属人", PersonField: fieldOwner, PersonKind: staffOwner},
	renoflow.ActRelease:           {Label: "放入公海"},
}

// actionSpecs lists every staff action on a customer, in the catalogue's order (the
// order the customer page shows them).
var actionSpecs = func() []actionSpec {
	var out []actionSpec
	for _, a := range renoflow.StaffActions() {
		row, ok := formRows[a.Update]
		if !ok {
			panic("server: no form row for the staff action " + a.Update)
		}
		spec := actionSpec{StaffAction: a, formRow: row}
		for _, f := range a.Fields {
			spec.Fields = append(spec.Fields, serverField(&spec, f))
		}
		out = append(out, spec)
	}
	return out
}()

// serverField is the request field of the domain's input field f.
func serverField(a *actionSpec, f string) string {
	switch f {
	case renoflow.InPerson:
		return a.PersonField
	case renoflow.InHandler:
		return fieldHandler
	}
	return f
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

// person resolves the staff ID in field to a person of the kind the action needs.
func (r *actionRequest) person(field, id string, kind staffKind) renoflow.Person {
	if id == "" {
		return renoflow.Person{}
	}
	store := r.customer.StoreID
	if r.in.StoreID != "" && field == fieldOwner { // a new owner in the store the customer moves to
		store = r.in.StoreID
	}
	p, err := r.s.resolvePerson(r.ctx, &r.Problems, field, id, store, kind)
	if err != nil && r.err == nil {
		r.err = err
	}
	return p
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

// check checks an authorised action's input — every bad field named, by the domain's
// rules (the catalogue's Input: its bounds are the domain's), staff IDs resolved against
// the staff table — and returns the update's argument. Nothing is sent.
func (s *Server) check(ctx context.Context, actor renoflow.Actor, row *CustomerRow, state renoflow.Customer, a *actionSpec,
	in ActionInput) (renoflow.Request, error) {
	in.Note = strings.TrimSpace(in.Note)
	r := &actionRequest{ctx: ctx, s: s, actor: actor, customer: row, state: state, in: in}
	renoflow.CheckTextField(&r.Problems, fieldNote, in.Note)
	req := renoflow.Request{Actor: actor, Note: in.Note, Reached: in.Reached, Channel: in.Channel,
		Grade: renoflow.Grade(strings.ToUpper(in.Grade)), Milestone: renoflow.Milestone(in.Milestone),
		Category: renoflow.ComplaintCategory(in.Category), ComplaintID: in.ComplaintID, Satisfied: in.Satisfied, Outcome: renoflow.DisputeOutcome(in.Outcome),
		Store: in.StoreID, Severity: renoflow.ComplaintSeverity(in.Severity), Date: strings.TrimSpace(in.Date)}
	if in.StoreID == row.StoreID {
		req.Store = "" // stays
	}
	if a.takes(fieldAmount) {
		if in.AmountYuan == nil {
			r.Add(fieldAmount, "必填（金额，元）")
		} else {
			req.AmountYuan = *in.AmountYuan
		}
	}
	if in.StoreID != "" && !slices.Contains(actorStores(actor), in.StoreID) {
		r.Add(fieldStore, "只能是您所在或管辖的门店")
	}
	if a.PersonField != "" {
		req.Person = r.person(a.PersonField, map[string]string{fieldDesigner: in.DesignerID, fieldOwner: in.OwnerID}[a.PersonField], a.PersonKind)
	}
	if a.takes(fieldHandler) {
		req.Handler = r.person(fieldHandler, in.HandlerID, staffHandler)
	}
	if r.err != nil {
		return req, r.err
	}
	if a.takes(fieldComplaint) && in.ComplaintID != "" && !state.HasComplaint(in.ComplaintID) {
		r.Add(fieldComplaint, "该客户没有投诉"+in.ComplaintID)
	}
	var de *renoflow.Error
	if errors.As(a.Input(req), &de) {
		for _, f := range de.Fields {
			if name := serverField(a, f.Field); !r.Has(name) {
				r.Add(name, f.Message)
			}
		}
	}
	if err := r.Err(a.Label + "：输入有误"); err != nil {
		return req, err
	}
	return req, nil
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
		renameField(err, renoflow.InPerson, a.PersonField)
	}
	if err != nil {
		renameField(err, renoflow.InHandler, fieldHandler)
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
