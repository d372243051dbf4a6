package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/activities"
	"github.com/renoflow/renoflow/postgres"
	"github.com/renoflow/renoflow/workflows"
	"github.com/uptrace/bun"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// FileRequest is a filing as the API takes it: the customer record (phone as typed) and,
// optionally, the consultation the filing happens in ("visit" / "phone").
type FileRequest struct {
	renoflow.FilingInput
	Consultation string `json:"consultation,omitempty"`
	// Key is the request's idempotency key (the Idempotency-Key header, or the filing
	// form's hidden field): a repeat by the same filer answers with the customer it filed.
	Key string `json:"-"`
	// FiledAt is the original filing time (报备时间) of an imported row, set only by the
	// import after renoflow.ParseFiledAt; zero: now.
	FiledAt time.Time `json:"-"`
}

// FileResult is a successful filing (the API answers with apiview.Filing).
type FileResult struct {
	CustomerID string             `json:"customer_id"`
	WorkflowID string             `json:"workflow_id"`
	Customer   *renoflow.Customer `json:"customer,omitempty"`
}

// staleReservation is how old a phone reservation without a written customer must be
// before a new filing checks whether its workflow ever started.
const staleReservation = 2 * time.Minute

// file files a customer (SPEC.md step 1). It is race-free: the phone's reservation row
// (primary key on the normalised phone) is the arbiter, so of many concurrent filings of
// one number exactly one reserves it and starts the one workflow; the others are told
// who owns the customer and since when. A workflow that fails to start releases the
// reservation, so no phone is held without a workflow.
func (s *Server) file(ctx context.Context, actor renoflow.Actor, req FileRequest) (FileResult, error) {
	if err := actor.Require(renoflow.PermFile, "报备客户"); err != nil {
		return FileResult{}, err
	}
	rec, err := renoflow.ParseFiling(req.FilingInput)
	if err != nil {
		return FileResult{}, err
	}
	var p renoflow.Problems
	if !renoflow.Consultation(req.Consultation).Valid() {
		p.Add("consultation", "只能是 visit（到店）或 phone（来电）")
	}
	// One query for the store and the versions in force; the policy itself is cached.
	storeOK, policyVersion, calendarVersion, err := postgres.StoreAndVersions(ctx, s.db, rec.StoreID)
	if err != nil {
		return FileResult{}, err
	}
	if !storeOK {
		p.Add(renoflow.FieldStore, "门店不存在")
	} else if !actor.InStore(rec.StoreID) {
		return FileResult{}, &renoflow.Error{Code: renoflow.CodeForbidden, Message: "不能为其他门店报备客户",
			Fields: []renoflow.FieldError{{Field: renoflow.FieldStore, Message: "不能为其他门店报备客户"}}}
	}
	if err := p.Err("报备信息有误"); err != nil {
		return FileResult{}, err
	}
	pol, err := s.policyAt(ctx, policyVersion)
	if err != nil {
		return FileResult{}, err
	}

	id := uuid.NewString()
	repeat := false
	for attempt := 0; ; attempt++ {
		reserved, first, err := s.reservePhone(ctx, pol, rec.Phone, id, actor, req.Key)
		if err != nil {
			return FileResult{}, err
		}
		if first != "" {
			id, repeat = first, true // the same request again: answer with its customer
			break
		}
		if reserved {
			break
		}
		holder, err := s.phoneHolder(ctx, rec.Phone)
		if err != nil {
			return FileResult{}, err
		}
		if holder == nil {
			continue // released in between: try again
		}
		if attempt == 0 && holder.CustomerRowMissing && s.now().Sub(holder.FiledAt) > staleReservation {
			if freed, err := s.releaseIfOrphaned(ctx, rec.Phone, holder.CustomerID); err != nil {
				return FileResult{}, err
			} else if freed {
				continue
			}
		}
		return FileResult{}, holder.conflict(rec.Phone)
	}

	in := workflows.CustomerInput{CustomerID: id, Record: rec, Filer: actor, Consultation: req.Consultation,
		FiledAt: req.FiledAt, ContinueAsNewAfter: s.cfg.ContinueAsNewAfter, Versions: workflows.FilingVersions(),
		Policy: &activities.PolicyVersions{Policy: policyVersion, Calendar: calendarVersion}}
	wid := workflows.CustomerWorkflowID(id)
	var state renoflow.Customer
	if repeat {
		state, err = s.awaitFiled(ctx, id)
	} else {
		var started bool
		state, started, err = s.startFiling(ctx, in, client.StartWorkflowOptions{
			ID:                       wid,
			TaskQueue:                workflows.TaskQueue,
			WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
			StaticSummary:            fmt.Sprintf("客户 %s（%s）", rec.Name, rec.Phone.Masked()),
			TypedSearchAttributes:    workflows.FilingSearchAttributes(rec, actor),
		})
		if !started {
			if rerr := postgres.ReleasePhone(context.WithoutCancel(ctx), s.db, id); rerr != nil {
				s.log.Error("release phone after a failed start", "customer", id, "err", rerr)
			}
			return FileResult{}, err
		}
	}
	res := FileResult{CustomerID: id, WorkflowID: wid}
	switch {
	case err == nil:
		res.Customer = &state
	case isRefusal(err):
		// The filing's data could never be written: the workflow released the phone and
		// recorded an alert; nothing of the customer exists.
		return FileResult{}, err
	default:
		// Still being written (PostgreSQL slow or down, Temporal unreachable): the filing
		// is durable and completes by itself; the caller is told so (202 + status URL).
		s.log.Warn("filing accepted, customer not yet written", "customer", id, "err", err)
	}
	return res, nil
}

// startFiling starts the customer's workflow and waits, at most FilingWait, until it has
// written the filing. With FiledNotices (startNotified) it waits for the write's
// announcement from PostgreSQL; otherwise in one update-with-start request (issue 15):
// the start and the UpdateFiled update travel together, the update is delivered in the
// workflow's first task and answered when the filing's transition is persisted. started
// is false only when the workflow certainly did not start (then err says why); with
// started true, err is the refusal or the reason the filing is not yet written, as for
// awaitFiled.
func (s *Server) startFiling(ctx context.Context, in workflows.CustomerInput, opts client.StartWorkflowOptions) (
	state renoflow.Customer, started bool, err error) {
	if s.filed != nil {
		return s.startNotified(ctx, in, opts)
	}
	wctx, cancel := context.WithTimeout(ctx, s.cfg.FilingWait)
	defer cancel()
	op := s.temporal.NewWithStartWorkflowOperation(opts, workflows.CustomerWorkflow, in)
	h, err := s.temporal.UpdateWithStartWorkflow(wctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{WorkflowID: opts.ID, UpdateName: workflows.UpdateFiled,
			WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err != nil {
		return renoflow.Customer{}, s.filingStarted(ctx, op, opts.ID), workflows.DomainError(err)
	}
	if err := h.Get(wctx, &state); err != nil {
		return renoflow.Customer{}, true, workflows.DomainError(err)
	}
	return state, true, nil
}

// errFilingPending is why a filing answers 202: its customer is not written yet.
var errFilingPending = errors.New("the filing is not written yet")

// startNotified starts the customer's workflow eagerly (where this process runs a
// worker, the start's answer carries the first workflow task to it, past the task
// queue) and waits, at most FilingWait, for the filing's persist to announce its commit
// (postgres.FiledChannel); then it reads the customer row. No update and no second
// request to Temporal (issue 15). A refused filing's announcement asks the workflow for
// the refusal (awaitFiled). Announcements missed while the listener is stalled or
// reconnecting are made up for by reading the row every filedRecheck, and once more
// when the wait ends.
func (s *Server) startNotified(ctx context.Context, in workflows.CustomerInput, opts client.StartWorkflowOptions) (
	renoflow.Customer, bool, error) {
	wctx, cancel := context.WithTimeout(ctx, s.cfg.FilingWait)
	defer cancel()
	heard := s.filed.await(in.CustomerID)
	defer s.filed.forget(in.CustomerID)
	opts.EnableEagerStart = true
	if _, err := s.temporal.ExecuteWorkflow(wctx, opts, workflows.CustomerWorkflow, in); err != nil {
		return renoflow.Customer{}, s.workflowExists(ctx, opts.ID), workflows.DomainError(err)
	}
	recheck := time.NewTicker(filedRecheck)
	defer recheck.Stop()
	for {
		select {
		case refused := <-heard:
			if refused {
				state, err := s.awaitFiled(ctx, in.CustomerID)
				return state, true, err
			}
			state, err := s.filedState(ctx, in.CustomerID)
			return state, true, err
		case <-recheck.C:
			if state, err := s.filedState(ctx, in.CustomerID); err == nil {
				return state, true, nil
			}
		case <-wctx.Done():
			state, err := s.filedState(ctx, in.CustomerID)
			return state, true, err
		}
	}
}

// filedRecheck is how often a filing waiting for its announcement reads its row anyway
// (a listener stalled or reconnecting misses announcements); filedRead bounds each read.
const (
	filedRecheck = time.Second
	filedRead    = 2 * time.Second
)

// filedState reads customer id's row, within filedRead: errFilingPending when it is not
// written yet.
func (s *Server) filedState(ctx context.Context, id string) (renoflow.Customer, error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), filedRead)
	defer cancel()
	row, err := postgres.CustomerByID(rctx, s.db, id)
	if err != nil {
		return renoflow.Customer{}, err
	}
	if row == nil {
		return renoflow.Customer{}, errFilingPending
	}
	return row.Decode()
}

// filingStarted tells, after an update-with-start failed, whether the workflow started
// anyway: the start's answer is in op when it came; when it did not (the request timed
// out while the first workflow task ran long), Temporal is asked (workflowExists).
func (s *Server) filingStarted(ctx context.Context, op client.WithStartWorkflowOperation, wid string) bool {
	gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Millisecond)
	_, err := op.Get(gctx) // answered already, or not at all
	cancel()
	if err == nil {
		return true
	}
	return s.workflowExists(ctx, wid)
}

// workflowExists asks Temporal whether workflow wid exists. A workflow Temporal cannot
// confirm (not found, or Temporal unreachable) counts as not started, as a failed start
// always did.
func (s *Server) workflowExists(ctx context.Context, wid string) bool {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, err := s.temporal.DescribeWorkflowExecution(dctx, wid, "")
	return err == nil
}

// awaitFiled waits, at most FilingWait, until the customer's workflow has written the
// filing (its first transition), and returns the state: the UpdateFiled update completes
// only after the lock the filing holds is released. A refusal (data that can never be
// written) comes back as a domain error.
func (s *Server) awaitFiled(ctx context.Context, id string) (renoflow.Customer, error) {
	wctx, cancel := context.WithTimeout(ctx, s.cfg.FilingWait)
	defer cancel()
	h, err := s.temporal.UpdateWorkflow(wctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.CustomerWorkflowID(id), UpdateName: workflows.UpdateFiled, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return renoflow.Customer{}, workflows.DomainError(err)
	}
	var state renoflow.Customer
	if err := h.Get(wctx, &state); err != nil {
		return renoflow.Customer{}, workflows.DomainError(err)
	}
	return state, nil
}

// isRefusal reports whether err is a workflow's refusal (4xx), not a service being
// unavailable or a timeout.
func isRefusal(err error) bool {
	var de *renoflow.Error
	if !errors.As(err, &de) || unavailable(err) != nil {
		return false
	}
	return de.Code != renoflow.CodeUnavailable && de.Code != renoflow.CodeInternal && de.Code != renoflow.CodeNotFound
}

// filingInProgress answers for a customer whose filing is not yet written: it waits
// (awaitFiled) and reports whether the customer's row should now be readable. It returns
// the 409 "正在建档" when the filing is still being written, and false when no filing of
// that ID is pending (a plain not found).
func (s *Server) filingInProgress(ctx context.Context, id string) (bool, error) {
	pending, err := postgres.FilingPending(ctx, s.db, id)
	if err != nil {
		return false, err
	}
	if !pending {
		return false, nil
	}
	if _, err := s.awaitFiled(ctx, id); err != nil {
		if isRefusal(err) {
			return false, nil
		}
		return false, &renoflow.Error{Code: renoflow.CodeConflict, Message: "正在建档，请稍候",
			Data: map[string]any{"customer_id": id, "pending": true}}
	}
	return true, nil
}

// reservePhone takes the phone for customer id filed by actor; false when another
// customer holds it. It is also where the filing takes the filer's owner capacity
// (库容, renoflow.LimitOwnerCapacity): under the filer's limit lock it counts the
// customers they hold (pending filings included) and reserves in the same transaction, so
// of concurrent filings by one person no more than the capacity succeed. A reservation
// whose workflow fails to start is deleted, which gives the capacity back. When key is
// set and the filer already reserved a phone with it, first is that customer's ID (a
// repeated request changes nothing).
func (s *Server) reservePhone(ctx context.Context, pol renoflow.Policy, phone renoflow.Phone, id string, actor renoflow.Actor,
	key string) (reserved bool, first string, err error) {
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := postgres.LockStaff(ctx, tx, actor.ID); err != nil {
			return err
		}
		if key != "" {
			var err error
			first, err = postgres.FiledByRequest(ctx, tx, actor.ID, key)
			if err == nil {
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		held, err := postgres.HeldCustomers(ctx, tx, actor.ID, "", s.now())
		if err != nil {
			return err
		}
		if err := pol.Take(renoflow.LimitOwnerCapacity, actor.Person()).Check(held); err != nil {
			return err
		}
		reserved, err = postgres.ReservePhone(ctx, tx, &postgres.PhoneClaim{Phone: string(phone), CustomerID: id,
			FiledBy: actor.ID, FiledAt: s.now(), RequestKey: key})
		return err
	})
	return reserved, first, err
}

// phoneHolder describes who holds a phone number.
type phoneHolder struct{ *postgres.PhoneHolder }

func (s *Server) phoneHolder(ctx context.Context, phone renoflow.Phone) (*phoneHolder, error) {
	h, err := postgres.HolderOf(ctx, s.db, string(phone))
	if h == nil || err != nil {
		return nil, err
	}
	return &phoneHolder{h}, nil
}

// conflict is the duplicate-filing refusal (撞单): who owns the customer and since when.
func (h *phoneHolder) conflict(phone renoflow.Phone) error {
	owner, since := h.FiledByName.String, h.FiledAt
	if h.OwnerName.Valid && h.OwnerName.String != "" {
		owner = h.OwnerName.String
	}
	if h.OwnerSince.Valid {
		since = h.OwnerSince.Time
	}
	data := map[string]any{"owner": owner, "since": since.UTC().Format(time.RFC3339), "stage": h.Stage.String}
	if h.Stage.String == string(renoflow.StagePool) {
		return &renoflow.Error{Code: renoflow.CodeConflict, Data: data,
			Message: fmt.Sprintf("撞单：手机号%s的客户已在公海中，请在客户到店时认领", phone.Masked())}
	}
	return &renoflow.Error{Code: renoflow.CodeConflict, Data: data,
		Message: fmt.Sprintf("撞单：手机号%s的客户已由%s于%s报备并归属至今，不能重复报备", phone.Masked(), owner,
			since.In(renoflow.Zone).Format(renoflow.TimeLayout))}
}

// releaseIfOrphaned frees a phone reservation whose workflow never started (the API
// died between reserving and starting).
func (s *Server) releaseIfOrphaned(ctx context.Context, phone renoflow.Phone, customerID string) (bool, error) {
	_, err := s.temporal.DescribeWorkflowExecution(ctx, workflows.CustomerWorkflowID(customerID), "")
	var nf *serviceerror.NotFound
	if !errors.As(err, &nf) {
		return false, nil
	}
	return postgres.ReleaseReservation(ctx, s.db, string(phone), customerID)
}

// apiFile: POST /api/customers files a customer → 201 with the customer's ID and state
// once the customer is written and readable; 202 with a status URL when it is accepted
// but not yet written within FilingWait (a slow or unavailable database): the filing is
// durable and completes by itself.
func (s *Server) apiFile(c *fiber.Ctx) error {
	var req FileRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.Key = c.Get("Idempotency-Key")
	res, err := s.file(c.UserContext(), actorOf(c), req)
	if err != nil {
		return err
	}
	c.Location("/api/customers/" + res.CustomerID)
	if res.Customer == nil {
		// Accepted, not yet readable: the status URL answers 409 "正在建档" until it is.
		return c.Status(fiber.StatusAccepted).JSON(filingView(res))
	}
	return c.Status(fiber.StatusCreated).JSON(filingView(res))
}
