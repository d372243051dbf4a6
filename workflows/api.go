// Package workflows holds the customer workflow: one long-lived Temporal workflow per
// customer, holding the whole lifecycle with durable clocks. Rules are pure functions of
// the root package; this package orchestrates them and hands every write to an activity.
package workflows

import (
	"errors"
	"strings"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/activities"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"
)

// TaskQueue is the task queue of every renoflow workflow and activity.
const TaskQueue = "renoflow"

// CustomerWorkflowID is the workflow ID of customer id's workflow.
func CustomerWorkflowID(id string) string { return "customer-" + id }

// CustomerIDFromWorkflowID is the inverse of CustomerWorkflowID.
func CustomerIDFromWorkflowID(wid string) string { return strings.TrimPrefix(wid, "customer-") }

// Search attributes the customer workflow keeps current, so supervisors can find a
// customer in the Temporal Web UI (e.g. `CustomerPhone = "13812345678"`).
var (
	SearchPhone     = temporal.NewSearchAttributeKeyKeyword("CustomerPhone")
	SearchName      = temporal.NewSearchAttributeKeyKeyword("CustomerName")
	SearchStage     = temporal.NewSearchAttributeKeyKeyword("CustomerStage")
	SearchOwner     = temporal.NewSearchAttributeKeyKeyword("CustomerOwner")
	SearchOwnerName = temporal.NewSearchAttributeKeyKeyword("CustomerOwnerName")
	SearchStore     = temporal.NewSearchAttributeKeyKeyword("CustomerStore")
	SearchGrade     = temporal.NewSearchAttributeKeyKeyword("CustomerGrade")
	SearchDesigner  = temporal.NewSearchAttributeKeyKeyword("CustomerDesigner")
)

// SearchAttributeNames lists the custom search attributes (all Keyword) to register on the
// namespace.
func SearchAttributeNames() []string {
	return []string{SearchPhone.GetName(), SearchName.GetName(), SearchStage.GetName(), SearchOwner.GetName(),
		SearchOwnerName.GetName(), SearchStore.GetName(), SearchGrade.GetName(), SearchDesigner.GetName()}
}

// CustomerInput starts a customer's workflow: a new filing, or (State set) the state
// carried across Continue-As-New.
type CustomerInput struct {
	CustomerID   string             `json:"customer_id"`
	Record       renoflow.Record    `json:"record"`
	Filer        renoflow.Actor     `json:"filer"`
	Consultation string             `json:"consultation,omitempty"` // "visit" / "phone": the filing happens during a consultation
	State        *renoflow.Customer `json:"state,omitempty"`
	// ContinueAsNewAfter forces Continue-As-New after this many transitions in one run
	// (0: only when the server suggests it). Tests use it.
	ContinueAsNewAfter int `json:"continue_as_new_after,omitempty"`
	// Applied are the idempotency keys (update IDs) applied in earlier runs, newest last,
	// so a repeated request after Continue-As-New changes nothing (issue 10 §2).
	Applied []string `json:"applied,omitempty"`
	// FiledAt is the original filing time an imported sheet gives (issue 13), validated at
	// the edge (renoflow.ParseFiledAt); zero: the workflow's start. The clocks count from
	// the start either way.
	FiledAt time.Time `json:"filed_at,omitzero"`
	// Versions pins the run's versioned behaviours by change ID (issue 15): a change
	// pinned here is not asked of workflow.GetVersion, so it costs no marker and no
	// TemporalChangeVersion search attribute upsert, and replays from the input. Filings
	// and Continue-As-New stamp FilingVersions; runs without it (filed before) ask
	// GetVersion as before.
	Versions map[string]int `json:"versions,omitempty"`
	// Policy names the policy and calendar versions in force when the API accepted the
	// filing (it read them for the owner capacity, 库容). The filing's LoadPolicySince
	// answers with their snapshot: from the worker's cache without reading PostgreSQL
	// (issue 15), otherwise read by number. nil (filed before): the newest. Not carried
	// into Continue-As-New.
	Policy *activities.PolicyVersions `json:"policy,omitempty"`
}

// Update names: staff actions that can be refused, so the caller hears the refusal at once. The
// staff actions are the domain's catalogue (renoflow.StaffActions); their argument is a
// renoflow.Request, which every input type below encodes to.
const (
	UpdateFiled        = "filed"                  // waits until the filing is written; returns the state
	UpdateVerify       = renoflow.ActVerify       // customer service verifies the filing
	UpdateStoreVisit   = renoflow.ActStoreVisit   // the customer came to the store (keeps the claim; claims from the pool)
	UpdatePhoneEnquiry = renoflow.ActPhoneEnquiry // the customer phoned in
	UpdateCallback     = renoflow.ActCallback     // outcome of the open first call-back
	UpdateCompleteTask = "complete-task"          // a task is marked done

	UpdateFollowUp          = renoflow.ActFollowUp          // FollowUpInput: a monthly follow-up was made
	UpdateGrade             = renoflow.ActGrade             // GradeInput: the customer is (re)graded
	UpdateDispatchPropose   = renoflow.ActDispatchPropose   // PersonInput: the customer manager proposes a designer
	UpdateDispatchConfirm   = renoflow.ActDispatchConfirm   // Action: the store manager confirms (a supervisor authorises)
	UpdateDispatchAccept    = renoflow.ActDispatchAccept    // Action: the designer accepts
	UpdateDispatchRefuse    = renoflow.ActDispatchRefuse    // Action (Note = reason): the designer refuses
	UpdateMeasure           = renoflow.ActMeasure           // Action: the house was measured (量房)
	UpdateDesignProgress    = renoflow.ActDesignProgress    // Action (Note): design progress (方案)
	UpdateDeposit           = renoflow.ActDeposit           // PaymentInput: deposit paid → grade A
	UpdateContract          = renoflow.ActContract          // PaymentInput: contract signed → construction
	UpdateMilestone         = renoflow.ActMilestone         // MilestoneInput: a construction inspection passed
	UpdateComplaintOpen     = renoflow.ActComplaintOpen     // ComplaintOpenInput: a complaint is recorded
	UpdateComplaintAnswer   = renoflow.ActComplaintAnswer   // ComplaintInput (Note = answer)
	UpdateComplaintResolve  = renoflow.ActComplaintResolve  // ComplaintInput (Note = resolution)
	UpdateComplaintReassign = renoflow.ActComplaintReassign // ComplaintReassignInput: the store manager reassigns it
	UpdateComplaintClose    = renoflow.ActComplaintClose    // ComplaintCloseInput: satisfied → closed and archived
	UpdateComplaintMajor    = renoflow.ActComplaintMajor    // ComplaintInput (Note = why): marked a major complaint (重大投诉) after it was logged
	UpdateMovedIn           = renoflow.ActMovedIn           // MovedInInput: the customer moved in (实际入住)
	UpdateInvalidPropose    = renoflow.ActInvalidPropose    // Action (Note = reason): proposed invalid
	UpdateInvalidConfirm    = renoflow.ActInvalidConfirm    // Action: the store manager confirms it invalid
	UpdateInvalidReject     = renoflow.ActInvalidReject     // Action: the store manager rejects the proposal
	UpdateReassign          = renoflow.ActReassign          // PersonInput: a new owner
	UpdateRelease           = renoflow.ActRelease           // Action (Note = reason): put into the public pool (放入公海)
	UpdateDisputeOpen       = renoflow.ActDisputeOpen       // Action (Note = the claimant's evidence): disputed ownership
	UpdateDisputeRule       = renoflow.ActDisputeRule       // DisputeRuleInput: the store manager's ruling
)

// QueryState returns the customer's live state.
const QueryState = "state"

// QueryApplied takes an idempotency key (an update ID) and returns whether the update with
// that ID was applied, in this run or in the last maxApplied carried across Continue-As-New:
// the server answers a repeated request on a task it already closed with it.
const QueryApplied = "applied"

// Action is what every staff action carries: who does it and a free note.
type Action struct {
	Actor renoflow.Actor `json:"actor"`
	Note  string         `json:"note,omitempty"`
}

// FollowUpInput records a follow-up: how it was made (phone, visit, wechat, other).
type FollowUpInput struct {
	Action
	Channel string `json:"channel"`
}

// GradeInput grades the customer.
type GradeInput struct {
	Action
	Grade renoflow.Grade `json:"grade"`
}

// PersonInput names a staff member: the proposed designer, or the new owner.
type PersonInput struct {
	Action
	Person renoflow.Person `json:"person"`
}

// PaymentInput records a deposit or a contract.
type PaymentInput struct {
	Action
	AmountYuan float64 `json:"amount_yuan"`
}

// MilestoneInput records a passed construction inspection.
type MilestoneInput struct {
	Action
	Milestone renoflow.Milestone `json:"milestone"`
}

// ComplaintOpenInput records a complaint; Handler defaults to the customer's owner.
type ComplaintOpenInput struct {
	Action
	Category renoflow.ComplaintCategory `json:"category"`
	// Severity is "" or "normal", or "major" for a major complaint (重大投诉, seed 004).
	Severity renoflow.ComplaintSeverity `json:"severity,omitempty"`
	Handler  renoflow.Person            `json:"handler,omitzero"`
}

// MovedInInput records that the customer moved in (实际入住) on Date (YYYY-MM-DD, company
// zone; "" is today).
type MovedInInput struct {
	Action
	Date string `json:"date,omitempty"`
}

// ComplaintInput acts on complaint ComplaintID.
type ComplaintInput struct {
	Action
	ComplaintID string `json:"complaint_id"`
}

// ComplaintReassignInput gives complaint ComplaintID a new handler.
type ComplaintReassignInput struct {
	ComplaintInput
	Handler renoflow.Person `json:"handler"`
}

// ComplaintCloseInput closes complaint ComplaintID when the customer is satisfied, or
// reopens it when not.
type ComplaintCloseInput struct {
	ComplaintInput
	Satisfied bool `json:"satisfied"`
}

// DisputeRuleInput rules on the open ownership dispute: "owner", "claimant" or "split".
type DisputeRuleInput struct {
	Action
	Outcome string `json:"outcome"`
}

// CallbackInput records the outcome of a call-back.
type CallbackInput struct {
	Action
	Reached bool `json:"reached"`
}

// CompleteTaskInput marks the task (Rule, Subject, Seq) done.
type CompleteTaskInput struct {
	Action
	Rule    renoflow.Rule `json:"rule"`
	Subject string        `json:"subject"`
	Seq     int           `json:"seq"`
	// Reached is the outcome when the task is a call-back.
	Reached *bool `json:"reached,omitempty"`
}

// toFailure turns a domain error into a Temporal application error that keeps its code
// and fields across the wire; other errors pass through.
func toFailure(err error) error {
	var de *renoflow.Error
	if errors.As(err, &de) {
		return temporal.NewApplicationErrorWithOptions(de.Message, string(de.Code), temporal.ApplicationErrorOptions{
			NonRetryable: true, Details: []any{*de},
		})
	}
	return err
}

// DomainError recovers the domain error a workflow refused a request with, from the
// error a Temporal client call returned. Errors that are not refusals come back as
// CodeUnavailable or CodeNotFound domain errors wrapping the original.
func DomainError(err error) error {
	if err == nil {
		return nil
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.HasDetails() {
		var de renoflow.Error
		if derr := app.Details(&de); derr == nil && de.Code != "" {
			return &de
		}
	}
	if app != nil && app.Type() != "" {
		return &renoflow.Error{Code: renoflow.ErrorCode(app.Type()), Message: app.Message()}
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return &renoflow.Error{Code: renoflow.CodeNotFound, Message: "找不到该客户的流程"}
	}
	// The cause stays in the chain (logs, and the server's 503 classification).
	return errors.Join(&renoflow.Error{Code: renoflow.CodeUnavailable, Message: "流程服务暂时无法处理该请求，请稍后重试"}, err)
}
