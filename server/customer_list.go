package server

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
)

// CustomerFilter narrows, sorts and pages a customer list (issue 13): the same filter
// serves the page, the API and the XLSX export.
type CustomerFilter struct {
	Q              string // phone, name or community
	Stage          string
	Grade          string
	OwnerID        string
	StoreID        string // one of the actor's stores (the page offers them by name)
	DesignerID     string
	Channel        string
	From, To       string // filing date range, YYYY-MM-DD in Asia/Shanghai, both inclusive
	Consulted      string // YYYY-MM: first consulted in that month (a report's 征询 count)
	Signed         string // YYYY-MM: signed in that month (a report's 签约 count)
	Overdue        bool   // has open work past due
	Flagged        bool   // 待重新分配
	InPool         bool   // 公海
	IncludeInvalid bool
	Sort           string // a customerSorts code; default filed (newest first)
	Desc           bool
	Page           int // 1-based
	PerPage        int // 1–maxPerPage; 0 is every row (the export)
}

// Page sizes of the customer list.
const (
	defaultPerPage = 50
	maxPerPage     = 200
)

// customerSorts are the columns the list sorts by, with their SQL.
var customerSorts = []renoflow.Option{{Code: "filed", Label: "报备时间"}, {Code: "name", Label: "姓名"},
	{Code: "stage", Label: "阶段"}, {Code: "grade", Label: "分级"}, {Code: "owner", Label: "归属人"},
	{Code: "updated", Label: "最近更新"}}

// customerFilterOf reads the customer list's query string (page, API and export alike);
// a bad value is a 422 naming the parameter.
func customerFilterOf(c *fiber.Ctx) (CustomerFilter, error) {
	var p renoflow.Problems
	f := CustomerFilter{Q: strings.TrimSpace(c.Query("q")), Stage: c.Query("stage"), Grade: c.Query("grade"),
		OwnerID: c.Query("owner"), StoreID: c.Query("store"), DesignerID: c.Query("designer"), Channel: c.Query("channel"),
		From: strings.TrimSpace(c.Query("from")), To: strings.TrimSpace(c.Query("to")),
		Consulted: strings.TrimSpace(c.Query("consulted")), Signed: strings.TrimSpace(c.Query("signed")),
		Overdue: c.Query("overdue") != "", Flagged: c.Query("flagged") != "", InPool: c.Query("pool") != "",
		IncludeInvalid: c.Query("invalid") != "", Sort: c.Query("sort", "filed"), Page: 1, PerPage: defaultPerPage}
	f.Desc = c.Query("dir", map[bool]string{true: "desc", false: "asc"}[f.Sort == "filed" || f.Sort == "updated"]) == "desc"
	if d := c.Query("dir"); d != "" && d != "asc" && d != "desc" {
		p.Add("dir", "只能是 asc 或 desc")
	}
	if f.Stage != "" && !validOption(renoflow.Stages(), f.Stage) {
		p.Add("stage", "没有这个阶段")
	}
	if f.Grade != "" && !validOption(renoflow.Grades(), f.Grade) {
		p.Add("grade", "只能是 A、B、C 或 D")
	}
	if f.Channel != "" && !validOption(renoflow.Channels(), f.Channel) {
		p.Add("channel", "没有这个客户来源")
	}
	if _, ok := postgres.CustomerSorts[f.Sort]; !ok {
		p.Add("sort", "只能按报备时间、姓名、阶段、分级、归属人或最近更新排序")
	}
	for _, d := range []struct{ field, v string }{{"from", f.From}, {"to", f.To}} {
		if d.v != "" {
			if _, err := time.ParseInLocation(time.DateOnly, d.v, renoflow.Zone); err != nil {
				p.Add(d.field, "日期格式应为 2026-11-01")
			}
		}
	}
	for _, m := range []struct{ field, v string }{{"consulted", f.Consulted}, {"signed", f.Signed}} {
		if m.v != "" {
			if _, err := time.ParseInLocation("2006-01", m.v, renoflow.Zone); err != nil {
				p.Add(m.field, "月份格式应为 2026-11")
			}
		}
	}
	for _, n := range []struct {
		field string
		v     *int
		max   int
	}{{"page", &f.Page, 1 << 20}, {"per", &f.PerPage, maxPerPage}, {"per_page", &f.PerPage, maxPerPage}} { // per_page as the answer names it
		if raw := c.Query(n.field); raw != "" {
			v, err := strconv.Atoi(raw)
			if err != nil || v < 1 || v > n.max {
				p.Add(n.field, fmt.Sprintf("应为 1 到 %d 的整数", n.max))
				continue
			}
			*n.v = v
		}
	}
	return f, p.Err("筛选条件有误")
}

// query is the filter as a query string without the page, for links that keep it.
func (f CustomerFilter) query() string {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", f.Q)
	set("stage", f.Stage)
	set("grade", f.Grade)
	set("owner", f.OwnerID)
	set("store", f.StoreID)
	set("designer", f.DesignerID)
	set("channel", f.Channel)
	set("from", f.From)
	set("to", f.To)
	set("consulted", f.Consulted)
	set("signed", f.Signed)
	for k, b := range map[string]bool{"overdue": f.Overdue, "flagged": f.Flagged, "pool": f.InPool, "invalid": f.IncludeInvalid} {
		if b {
			v.Set(k, "1")
		}
	}
	set("sort", f.Sort)
	if f.Desc {
		v.Set("dir", "desc")
	} else {
		v.Set("dir", "asc")
	}
	if f.PerPage != defaultPerPage && f.PerPage > 0 {
		v.Set("per", strconv.Itoa(f.PerPage))
	}
	return v.Encode()
}

// pageLink is one link of the pager.
type pageLink struct {
	N       int
	Current bool
}

// pages lists the pager's pages for total rows (at most 1, the current ±3, and the last).
func (f CustomerFilter) pages(total int) []pageLink {
	if f.PerPage <= 0 {
		return nil
	}
	n := (total + f.PerPage - 1) / f.PerPage
	var out []pageLink
	for i := 1; i <= n; i++ {
		if i == 1 || i == n || (i >= f.Page-3 && i <= f.Page+3) {
			out = append(out, pageLink{N: i, Current: i == f.Page})
		}
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

// listCustomers lists one page of the customers actor may see that match f, and the
// number of all that match.
func (s *Server) listCustomers(ctx context.Context, actor renoflow.Actor, f CustomerFilter) ([]CustomerRow, int, error) {
	pf := postgres.CustomerFilter{Q: f.Q, Stage: f.Stage, Grade: f.Grade, OwnerID: f.OwnerID, StoreID: f.StoreID,
		DesignerID: f.DesignerID, Channel: f.Channel, Flagged: f.Flagged, InPool: f.InPool, IncludeInvalid: f.IncludeInvalid,
		Sort: f.Sort, Desc: f.Desc}
	if f.From != "" {
		pf.FiledFrom, _ = time.ParseInLocation(time.DateOnly, f.From, renoflow.Zone)
	}
	if f.To != "" {
		d, _ := time.ParseInLocation(time.DateOnly, f.To, renoflow.Zone)
		pf.FiledBefore = d.AddDate(0, 0, 1)
	}
	if f.Consulted != "" {
		pf.ConsultedFrom, _ = time.ParseInLocation("2006-01", f.Consulted, renoflow.Zone)
		pf.ConsultedBefore = pf.ConsultedFrom.AddDate(0, 1, 0)
	}
	if f.Signed != "" {
		pf.SignedFrom, _ = time.ParseInLocation("2006-01", f.Signed, renoflow.Zone)
		pf.SignedBefore = pf.SignedFrom.AddDate(0, 1, 0)
	}
	if f.Overdue {
		pf.OverdueAt = s.now()
	}
	if f.PerPage > 0 {
		pf.Limit, pf.Offset = f.PerPage, (max(f.Page, 1)-1)*f.PerPage
	}
	stored, total, err := postgres.ListCustomers(ctx, s.db, renoflow.ScopeOf(actor), pf)
	if err != nil {
		return nil, 0, err
	}
	var rows []CustomerRow
	for i := range stored {
		row := customerRowOf(&stored[i].Customer)
		row.StoreName = stored[i].StoreName
		rows = append(rows, row)
	}
	return rows, total, nil
}

// storeNames maps store IDs to names.
func (s *Server) storeNames(ctx context.Context) (map[string]string, error) {
	rows, err := postgres.StoreNames(ctx, s.db)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// storeList is the stores actor works in (every store for the admin), by name.
func (s *Server) storeList(ctx context.Context, actor renoflow.Actor) ([]renoflow.Option, error) {
	names, err := s.storeNames(ctx)
	if err != nil {
		return nil, err
	}
	var out []renoflow.Option
	if actor.Role == renoflow.RoleAdmin {
		for id, n := range names {
			out = append(out, renoflow.Option{Code: id, Label: n})
		}
	} else {
		for _, id := range actorStores(actor) {
			out = append(out, renoflow.Option{Code: id, Label: names[id]})
		}
	}
	sortOptions(out)
	return out, nil
}

func sortOptions(o []renoflow.Option) {
	for i := 1; i < len(o); i++ {
		for j := i; j > 0 && o[j].Label < o[j-1].Label; j-- {
			o[j], o[j-1] = o[j-1], o[j]
		}
	}
}

// maxBatch bounds one batch action.
const maxBatch = 200

// batchActions are the list's batch actions (issue 13): each is the single action of the
// catalogue, applied customer by customer through the same gate, checks and workflow
// update, so the same rules and limits hold.
var batchActions = map[string]string{"reassign": renoflow.ActReassign, "release": renoflow.ActRelease}

// batchVerbs name the batch actions on the result page.
var batchVerbs = map[string]string{"reassign": "转移", "release": "放入公海"}

// BatchRequest is a batch action on customers of the list.
type BatchRequest struct {
	Action  string   `json:"action"`             // reassign (转移) or release (放入公海)
	IDs     []string `json:"ids"`                // the customers
	OwnerID string   `json:"owner_id,omitempty"` // the new owner (reassign)
	Note    string   `json:"note,omitempty"`     // the reason (release: required) or a note
}

// BatchResult is one customer's outcome of a batch action.
type BatchResult struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	OK      bool   `json:"ok"`
	Message string `json:"message,omitempty"` // why it was refused, in Chinese
}

// batch applies a batch action: every customer through authorize → perform, with its own
// request ID (key + customer) so a resent batch is applied once per customer. A refusal
// of one row does not stop the others; an infrastructure failure stops the batch.
func (s *Server) batch(ctx context.Context, actor renoflow.Actor, req BatchRequest, key string) ([]BatchResult, error) {
	var p renoflow.Problems
	update, ok := batchActions[req.Action]
	if !ok {
		p.Add("action", "只能是 reassign（转移）或 release（放入公海）")
	}
	if len(req.IDs) == 0 {
		p.Add("ids", "请至少选择一位客户")
	} else if len(req.IDs) > maxBatch {
		p.Add("ids", fmt.Sprintf("一次最多 %d 位客户", maxBatch))
	}
	if err := p.Err("批量操作：输入有误"); err != nil {
		return nil, err
	}
	a, _ := actionByUpdate(update)
	out := make([]BatchResult, 0, len(req.IDs))
	seen := map[string]bool{}
	for _, id := range req.IDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		r := BatchResult{ID: id}
		row, state, err := s.authorize(ctx, actor, id, a.Perm, a.Verb)
		if err == nil {
			r.Name = row.Name
			rid := ""
			if key != "" {
				rid = key + "-" + id
			}
			_, err = s.perform(ctx, actor, row, state, a, ActionInput{OwnerID: req.OwnerID, Note: req.Note}, rid)
		}
		if err != nil {
			var de *renoflow.Error
			if !errors.As(err, &de) {
				return nil, err
			}
			r.Message = de.Message
			for _, f := range de.Fields {
				r.Message += "；" + fieldLabel(f.Field) + "：" + f.Message
			}
		} else {
			r.OK = true
		}
		out = append(out, r)
	}
	return out, nil
}

// apiBatch: POST /api/customers/batch {action, ids, owner_id, note} → {results: [...]}.
func (s *Server) apiBatch(c *fiber.Ctx) error {
	var req BatchRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	res, err := s.batch(c.UserContext(), actorOf(c), req, c.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	return c.JSON(batchView(res))
}

// pageBatch: POST /customers/batch (the list's checkboxes) → the per-row results.
func (s *Server) pageBatch(c *fiber.Ctx) error {
	req := BatchRequest{Action: c.FormValue("action"), OwnerID: c.FormValue(fieldOwner), Note: c.FormValue("note")}
	for _, v := range c.Request().PostArgs().PeekMulti("id") {
		req.IDs = append(req.IDs, string(v))
	}
	res, err := s.batch(c.UserContext(), actorOf(c), req, formRequestID(c))
	if err != nil {
		return err
	}
	done := 0
	for _, r := range res {
		if r.OK {
			done++
		}
	}
	return s.render(c, fiber.StatusOK, "batch_result", page{Title: "批量操作结果", Nav: "customers"},
		map[string]any{"Results": res, "Verb": batchVerbs[req.Action], "Done": done, "Refused": len(res) - done, "Back": c.FormValue("back")})
}
