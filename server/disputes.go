package server

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
	"github.com/renoflow/renoflow/workflows"
)

// DisputeRequest is a dispute of ownership by someone refused a filing (撞单): they name
// the customer by phone, since they may not see the customer's page.
type DisputeRequest struct {
	Phone string `json:"phone"`
	Note  string `json:"note"`
	// Key is the request's idempotency key (Idempotency-Key header or the form's hidden
	// field): a repeat is the same update, applied once.
	Key string `json:"-"`
}

// disputeByPhone opens an ownership dispute on the customer holding the phone, for a
// claimant of the same store (SPEC.md step 2 "Disputed ownership").
func (s *Server) disputeByPhone(ctx context.Context, actor renoflow.Actor, req DisputeRequest) (string, error) {
	if err := actor.Require(renoflow.PermDispute, "申请归属裁决"); err != nil {
		return "", err
	}
	var p renoflow.Problems
	phone, err := renoflow.ParsePhone(req.Phone)
	if err != nil {
		p.Add(fieldPhone, err.Error())
	}
	note := strings.TrimSpace(req.Note)
	if note == "" {
		p.Add(fieldNote, "必填（报备时间、邀约记录、通话记录等依据）")
	}
	if err := p.Err("归属裁决申请有误"); err != nil {
		return "", err
	}
	row, err := postgres.CustomerByPhone(ctx, s.db, string(phone))
	if errors.Is(err, sql.ErrNoRows) {
		return "", &renoflow.Error{Code: renoflow.CodeNotFound, Message: "没有该手机号的在册客户",
			Fields: []renoflow.FieldError{{Field: fieldPhone, Message: "没有该手机号的在册客户"}}}
	}
	if err != nil {
		return "", err
	}
	if !actor.InStore(row.StoreID) {
		return "", renoflow.Errorf(renoflow.CodeForbidden, "只能对本店客户申请归属裁决")
	}
	if !row.DepositAt.IsZero() { // seed 003 撞单 5: the domain's window from the deposit
		policy, err := s.currentPolicy(ctx)
		if err != nil {
			return "", err
		}
		cv, err := s.currentCalendar(ctx)
		if err != nil {
			return "", err
		}
		c := renoflow.Customer{DepositAt: row.DepositAt}
		if err := c.CheckDisputeWindow(s.now(), policy, &renoflow.Calendar{Days: cv.Days}); err != nil {
			return "", err
		}
	}
	if _, err := s.send(ctx, row.ID, workflows.UpdateDisputeOpen, req.Key, workflows.Action{Actor: actor, Note: note}); err != nil {
		return "", err
	}
	return row.ID, nil
}

// fieldPhone names the phone in a dispute request.
const fieldPhone = "phone"

// apiDispute: POST /api/disputes {phone, note} → 201 once the dispute is open.
func (s *Server) apiDispute(c *fiber.Ctx) error {
	var req DisputeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.Key = c.Get("Idempotency-Key")
	if _, err := s.disputeByPhone(c.UserContext(), actorOf(c), req); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(disputeFiledView())
}

// pageDispute: POST /disputes from the filing page's 撞单 refusal.
func (s *Server) pageDispute(c *fiber.Ctx) error {
	req := DisputeRequest{Phone: c.FormValue(fieldPhone), Note: c.FormValue(fieldNote), Key: formRequestID(c)}
	if _, err := s.disputeByPhone(c.UserContext(), actorOf(c), req); err != nil {
		return err
	}
	return c.Redirect(home(actorOf(c))+"?ok="+urlQueryEscape("已提交归属裁决申请，等待店经理裁决"), fiber.StatusSeeOther)
}
