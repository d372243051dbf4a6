package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/workflows"
	"github.com/uptrace/bun"
)

// CustomerRow is a customer as lists and pages read it.
type CustomerRow struct {
	bun.BaseModel `bun:"table:customers,alias:c" json:"-"`

	ID             string          `bun:"id" json:"id"`
	Revision       int64           `bun:"revision" json:"revision"`
	Phone          string          `bun:"phone" json:"phone"`
	Name           string          `bun:"name" json:"name"`
	Gender         string          `bun:"gender" json:"gender"`
	Community      string          `bun:"community" json:"community"`
	Channel        string          `bun:"channel" json:"channel"`
	StoreID        string          `bun:"store_id" json:"store_id"`
	Stage          string          `bun:"stage" json:"stage"`
	Grade          string          `bun:"grade" json:"grade"`
	OwnerID        string          `bun:"owner_id" json:"owner_id"`
	OwnerName      string          `bun:"owner_name" json:"owner_name"`
	OwnerSince     sql.NullTime    `bun:"owner_since" json:"-"`
	DesignerID     string          `bun:"designer_id" json:"designer_id"`
	DesignerName   string          `bun:"designer_name" json:"designer_name"`
	FiledBy        string          `bun:"filed_by" json:"filed_by"`
	FiledByName    string          `bun:"filed_by_name" json:"filed_by_name"`
	FiledAt        time.Time       `bun:"filed_at" json:"filed_at"`
	ClaimDue       sql.NullTime    `bun:"claim_due" json:"-"`
	VerifiedAt     sql.NullTime    `bun:"verified_at" json:"-"`
	FirstConsultAt sql.NullTime    `bun:"first_consult_at" json:"-"`
	FirstConsult   string          `bun:"first_consult" json:"first_consult,omitempty"`
	LastServiceAt  sql.NullTime    `bun:"last_service_at" json:"-"`
	Record         json.RawMessage `bun:"record" json:"-"`
	Matches        int64           `bun:"matches,scanonly" json:"-"` // a search's count(*) OVER (): every row it matches (listCustomers)
	Flagged        bool            `bun:"flagged" json:"flagged"`
	FlagReason     string          `bun:"flag_reason" json:"flag_reason,omitempty"`
	Invalid        bool            `bun:"invalid" json:"invalid"`
	State          json.RawMessage `bun:"state" json:"-"`
	UpdatedAt      time.Time       `bun:"updated_at" json:"updated_at"`
	StageLabel     string          `bun:"-" json:"stage_label"`
	ChannelLabel   string          `bun:"-" json:"channel_label"`
	OwnerSinceTime *time.Time      `bun:"-" json:"owner_since,omitempty"`
	ClaimDueTime   *time.Time      `bun:"-" json:"claim_due,omitempty"`
	StoreName      string          `bun:"-" json:"store_name,omitempty"`
}

func (r *CustomerRow) fill() {
	r.StageLabel = renoflow.Stage(r.Stage).Label()
	r.ChannelLabel = renoflow.Channel(r.Channel).Label()
	if r.OwnerSince.Valid {
		t := r.OwnerSince.Time
		r.OwnerSinceTime = &t
	}
	if r.ClaimDue.Valid {
		t := r.ClaimDue.Time
		r.ClaimDueTime = &t
	}
}

// scope restricts a customer query to what actor may see: the domain's row scope
// (renoflow.ScopeOf, the query form of Customer.Sees — access follows the customer's
// current relation, kept in related_ids, never its history).
func scope(q *bun.SelectQuery, actor renoflow.Actor, alias string) *bun.SelectQuery {
	col := func(c string) bun.Ident { return bun.Ident(alias + "." + c) }
	sc := renoflow.ScopeOf(actor)
	if sc.All {
		return q
	}
	if len(sc.Stores) == 0 && sc.Person == "" && sc.PoolStore == "" {
		return q.Where("false")
	}
	return q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("false")
		if len(sc.Stores) > 0 {
			q = q.WhereOr("? IN (?)", col("store_id"), bun.In(sc.Stores))
		}
		if sc.Person != "" {
			q = q.WhereOr("? = ANY(?)", sc.Person, col("related_ids"))
		}
		if sc.PoolStore != "" {
			q = q.WhereOr("(? = ? AND ? = ?)", col("store_id"), sc.PoolStore, col("stage"), string(renoflow.StagePool))
		}
		return q
	})
}

// customer loads one customer actor may see; not found when they may not.
func (s *Server) customer(ctx context.Context, actor renoflow.Actor, id string) (*CustomerRow, renoflow.Customer, error) {
	var row CustomerRow
	load := func() error {
		row = CustomerRow{}
		return scope(s.db.NewSelect().Model(&row).Where("c.id = ?", id), actor, "c").Scan(ctx)
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
	row.fill()
	var state renoflow.Customer
	if err := json.Unmarshal(row.State, &state); err != nil {
		return nil, renoflow.Customer{}, fmt.Errorf("decode customer %s: %w", id, err)
	}
	return &row, state, nil
}

// TimelineRow is one timeline entry as pages read it.
type TimelineRow struct {
	At              time.Time         `bun:"at" json:"at"`
	Kind            string            `bun:"kind" json:"kind"`
	ActorID         string            `bun:"actor_id" json:"actor_id,omitempty"`
	ActorName       string            `bun:"actor_name" json:"actor_name,omitempty"`
	Summary         string            `bun:"summary" json:"summary"`
	Rule            string            `bun:"rule" json:"rule,omitempty"`
	PolicyVersion   int               `bun:"policy_version" json:"policy_version,omitempty"`
	CalendarVersion int               `bun:"calendar_version" json:"calendar_version,omitempty"`
	DueAt           sql.NullTime      `bun:"due_at" json:"-"`
	Data            map[string]string `bun:"data,type:jsonb" json:"data,omitempty"`
	Due             *time.Time        `bun:"-" json:"due,omitempty"`
}

func (s *Server) timeline(ctx context.Context, customerID string) ([]TimelineRow, error) {
	var rows []TimelineRow
	if err := s.db.NewSelect().Table("timeline").Column("at", "kind", "actor_id", "actor_name", "summary", "rule",
		"policy_version", "calendar_version", "due_at", "data").Where("customer_id = ?", customerID).
		Order("at", "id").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("read timeline: %w", err)
	}
	for i := range rows {
		if rows[i].DueAt.Valid {
			t := rows[i].DueAt.Time
			rows[i].Due = &t
		}
	}
	return rows, nil
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
