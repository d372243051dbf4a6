package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
	"github.com/renoflow/renoflow/workflows"
)

// CustomerRow is a customer as lists and pages show it: its stored row (postgres.Customer,
// the one model of table customers) with the labels and the store's name pages print.
type CustomerRow struct {
	postgres.Customer
	StageLabel   string // renoflow.Stage label, e.g. 报备
	ChannelLabel string // renoflow.Channel label, e.g. 自然进店
	StoreName    string // the store's name where the list read it, else ""
}

// customerRowOf is a stored customer with its labels filled in.
func customerRowOf(r *postgres.Customer) CustomerRow {
	return CustomerRow{Customer: *r, StageLabel: renoflow.Stage(r.Stage).Label(),
		ChannelLabel: renoflow.Channel(r.Channel).Label()}
}

// customer loads one customer actor may see; not found when they may not.
func (s *Server) customer(ctx context.Context, actor renoflow.Actor, id string) (*CustomerRow, renoflow.Customer, error) {
	var stored *postgres.Customer
	load := func() (err error) {
		stored, err = postgres.CustomerIn(ctx, s.db, renoflow.ScopeOf(actor), id)
		return err
	}
	err := load()
	if errors.Is(err, sql.ErrNoRows) {
		// A customer whose filing is still being written: wait for it, or 409 "正在建档".
		if written, perr := s.filingInProgress(ctx, id); perr != nil {
			return nil, renoflow.Customer{}, perr
		} else if written {
			err = load()
		}
	}
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, renoflow.Customer{}, renoflow.Errorf(renoflow.CodeNotFound, "找不到该客户，或您无权查看")
		}
		return nil, renoflow.Customer{}, fmt.Errorf("load customer %s: %w", id, err)
	}
	row := customerRowOf(stored)
	state, err := stored.Decode()
	if err != nil {
		return nil, renoflow.Customer{}, err
	}
	return &row, state, nil
}

// TimelineRow is one timeline entry as pages read it: the stored row itself.
type TimelineRow = postgres.TimelineEntry

// timeline is the customer's timeline, oldest first.
func (s *Server) timeline(ctx context.Context, customerID string) ([]TimelineRow, error) {
	return postgres.Timeline(ctx, s.db, customerID)
}

// CustomerDetail is what a customer's page shows.
type CustomerDetail struct {
	Customer    *CustomerRow      `json:"customer"`
	State       renoflow.Customer `json:"state"`
	Timeline    []TimelineRow     `json:"timeline"`
	Tasks       []TaskRow         `json:"tasks"`
	WorkflowID  string            `json:"workflow_id"`
	WorkflowURL string            `json:"workflow_url,omitempty"`
}

func (s *Server) customerDetail(ctx context.Context, actor renoflow.Actor, id string) (*CustomerDetail, error) {
	row, state, err := s.customer(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	tl, err := s.timeline(ctx, id)
	if err != nil {
		return nil, err
	}
	tasks, err := s.tasksOf(ctx, id)
	if err != nil {
		return nil, err
	}
	wid := workflows.CustomerWorkflowID(id)
	d := &CustomerDetail{Customer: row, State: state, Timeline: tl, Tasks: tasks, WorkflowID: wid, WorkflowURL: s.workflowLink(actor, wid)}
	return d, nil
}

// apiAction handles POST /api/customers/:id/<update> for one action: the permission
// gate, then the JSON body (only the fields the action takes), then the checks, then
// the update. The answer is the customer's new state.
func (s *Server) apiAction(a *actionSpec) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, actor := c.UserContext(), actorOf(c)
		row, state, err := s.authorize(ctx, actor, c.Params("id"), a.Perm, a.Verb)
		if err != nil {
			return err
		}
		in, err := decodeAction(c, a)
		if err != nil {
			return err
		}
		next, err := s.perform(ctx, actor, row, state, a, in, c.Get("Idempotency-Key"))
		if err != nil {
			return err
		}
		return c.JSON(actionView(next))
	}
}

// decodeAction reads an action's JSON body strictly: a field the action does not take
// is named (422) like an unknown one.
func decodeAction(c *fiber.Ctx, a *actionSpec) (ActionInput, error) {
	return decodeActionBody(c.Get(fiber.HeaderContentType), c.Body(), a)
}

// decodeActionBody is decodeAction on a body and its Content-Type (the fuzz target
// calls it); an empty body is an action without input.
func decodeActionBody(contentType string, body []byte, a *actionSpec) (ActionInput, error) {
	var in ActionInput
	if len(body) == 0 {
		return in, nil
	}
	if err := decodeBody(contentType, body, &in); err != nil {
		return in, err
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil {
		return in, fiber.NewError(fiber.StatusBadRequest, "请求不是有效的 JSON 对象")
	}
	var p renoflow.Problems
	for k := range keys {
		if !a.takes(k) {
			p.Add(k, a.Label+"不用此字段")
		}
	}
	return in, p.Err("请求中有该操作不用的字段")
}

// apiCustomers: GET /api/customers?q=&stage=&grade=&owner=&store=&designer=&channel=&from=&to=
// &overdue=1&flagged=1&pool=1&invalid=1&sort=&dir=&page=&per= — one page of the list and
// the total count of customers matching (customer_list.go).
func (s *Server) apiCustomers(c *fiber.Ctx) error {
	f, err := customerFilterOf(c)
	if err != nil {
		return err
	}
	rows, total, err := s.listCustomers(c.UserContext(), actorOf(c), f)
	if err != nil {
		return err
	}
	return c.JSON(customerListView(rows, total, f.Page, f.PerPage))
}

// apiCustomer: GET /api/customers/:id
func (s *Server) apiCustomer(c *fiber.Ctx) error {
	d, err := s.customerDetail(c.UserContext(), actorOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(customerDetailView(d))
}
