// Package apiclient is the one typed Go client of renoflow's JSON API (/api/...), used by
// the server's tests, the integration tests, the topology runner and the benchmark.
// Answers decode into the server's view models (server/apiview); a refusal is an
// *Error carrying the HTTP status, the Chinese message and each bad field.
//
//	c := apiclient.New("http://127.0.0.1:8080")
//	if _, err := c.Login(ctx, "cm1", "renoflow"); err != nil { … }
//	f, err := c.File(ctx, filing)                  // 201, or 202 with f.Pending
//	st, err := c.Act(ctx, f.CustomerID, "verify", map[string]any{"note": "已核实"})
//	var e *apiclient.Error; errors.As(err, &e)     // e.Status, e.Message, e.FieldNames()
//
// A Client is safe for concurrent use once logged in.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/server/apiview"
)

// Client calls the JSON API of one renoflow server as one staff member.
type Client struct {
	// Base is the server's root URL without a trailing slash (http://host:port); paths
	// given to Call start with /api/.
	Base string
	// HTTP sends the requests; New gives it a cookie jar, so the session cookie set at
	// login is kept as a browser keeps it.
	HTTP *http.Client
	// Token is the session's bearer token, sent as Authorization: Bearer; set by Login.
	Token string
	// CSRF is the session's CSRF token, sent as X-CSRF-Token (what a cookie-authenticated
	// write needs); set by Login.
	CSRF string
	// Actor is who logged in; set by Login.
	Actor renoflow.Actor
}

// New returns a client of the server at base with a cookie jar and no timeout of its own
// (give calls a context with a deadline, or set HTTP.Timeout).
func New(base string) *Client {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &Client{Base: strings.TrimSuffix(base, "/"), HTTP: &http.Client{Jar: jar}}
}

// NewWithTransport is New sending through rt (a server's tests: an in-process server).
func NewWithTransport(base string, rt http.RoundTripper) *Client {
	c := New(base)
	c.HTTP.Transport = rt
	return c
}

// RoundTripFunc is a function as an http.RoundTripper: an in-process server, e.g.
// apiclient.RoundTripFunc(func(r *http.Request) (*http.Response, error) { return app.Test(r, 10000) })
// for a fiber app.
type RoundTripFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f.
func (f RoundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// As returns a client of the same server with the same transport and no session: the
// way to log in as somebody else.
func (c *Client) As() *Client {
	n := New(c.Base)
	n.HTTP.Transport = c.HTTP.Transport
	n.HTTP.Timeout = c.HTTP.Timeout
	n.HTTP.CheckRedirect = c.HTTP.CheckRedirect
	return n
}

// Error is a refusal or failure answered by the server: the HTTP status and the API's
// error body {"error": {"code", "message", "fields", "data"}} (renoflow.Error).
type Error struct {
	Status  int                   // HTTP status, e.g. 422
	Code    renoflow.ErrorCode    // invalid, conflict, not_found, forbidden, unauthorized, unavailable, internal
	Message string                // for people, Chinese first
	Fields  []renoflow.FieldError // for invalid input: every bad field, by its JSON name
	Data    map[string]any        // what the refusal carries beyond the message (e.g. the owner of a duplicate)
	Body    []byte                // the answer as sent (at most 64 KiB)
	Header  http.Header           // the answer's headers (Retry-After, Location…)
	Method  string                // the request
	Path    string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d", e.Method, e.Path, e.Status)
	if e.Message != "" {
		b.WriteString(" " + e.Message)
	} else if len(e.Body) > 0 {
		fmt.Fprintf(&b, " %.300s", e.Body)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Message)
	}
	return b.String()
}

// FieldNames lists the fields the error names, in order.
func (e *Error) FieldNames() []string {
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

// StatusOf is the HTTP status of an *Error in err's chain, 0 for any other error (a
// transport failure), 200 for nil.
func StatusOf(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// Option sets something on a request.
type Option func(*http.Request)

// IdempotencyKey sends an Idempotency-Key: a retry with the same key is the same request.
func IdempotencyKey(key string) Option {
	return func(r *http.Request) {
		if key != "" {
			r.Header.Set("Idempotency-Key", key)
		}
	}
}

// Header sets one request header.
func Header(name, value string) Option { return func(r *http.Request) { r.Header.Set(name, value) } }

// Body is a request body sent as it is, with its content type (CSV, a spreadsheet, a
// deliberately broken JSON).
type Body struct {
	ContentType string // "" sends none
	Data        []byte
}

// Response is an answer whatever its status.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Map decodes the answer's body as a JSON object, for a test that looks at the answer as
// sent: empty for an empty body, an error naming the body when it is not JSON.
func (r *Response) Map() (map[string]any, error) {
	out := map[string]any{}
	if len(r.Body) > 0 {
		if err := json.Unmarshal(r.Body, &out); err != nil {
			return nil, fmt.Errorf("body %.300q: %w", r.Body, err)
		}
	}
	return out, nil
}

// Err is the answer as an *Error when its status is not 2xx, else nil.
func (r *Response) Err(method, path string) error {
	if r.Status >= 200 && r.Status < 300 {
		return nil
	}
	e := &Error{Status: r.Status, Header: r.Header, Method: method, Path: path}
	if len(r.Body) > 64<<10 {
		e.Body = r.Body[:64<<10]
	} else {
		e.Body = r.Body
	}
	var body struct {
		Error *renoflow.Error `json:"error"`
	}
	if json.Unmarshal(r.Body, &body) == nil && body.Error != nil {
		e.Code, e.Message, e.Fields, e.Data = body.Error.Code, body.Error.Message, body.Error.Fields, body.Error.Data
	}
	return e
}

// Do sends one request and returns the answer whatever its status; the error is a
// transport failure only. in is nil (no body), a Body (sent as it is) or a value sent as
// JSON.
func (c *Client) Do(ctx context.Context, method, path string, in any, opts ...Option) (*Response, error) {
	var body io.Reader
	contentType := ""
	switch v := in.(type) {
	case nil:
	case Body:
		body, contentType = bytes.NewReader(v.Data), v.ContentType
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		body, contentType = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.CSRF != "" {
		req.Header.Set("X-CSRF-Token", c.CSRF)
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}, nil
}

// Call sends one request; a 2xx answer is decoded into out (nil: discarded), any other
// is an *Error. It returns the status (0 on a transport failure).
func (c *Client) Call(ctx context.Context, method, path string, in, out any, opts ...Option) (int, error) {
	r, err := c.Do(ctx, method, path, in, opts...)
	if err != nil {
		return 0, err
	}
	if err := r.Err(method, path); err != nil {
		return r.Status, err
	}
	if out != nil && len(r.Body) > 0 {
		if err := json.Unmarshal(r.Body, out); err != nil {
			return r.Status, fmt.Errorf("%s %s: decode %.200s: %w", method, path, r.Body, err)
		}
	}
	return r.Status, nil
}

// Login opens a session (POST /api/login) and keeps its tokens on the client.
func (c *Client) Login(ctx context.Context, login, password string) (apiview.Session, error) {
	var s apiview.Session
	if _, err := c.Call(ctx, http.MethodPost, "/api/login", map[string]string{"login": login, "password": password}, &s); err != nil {
		return s, err
	}
	c.Token, c.CSRF, c.Actor = s.Token, s.CSRFToken, s.Staff
	return s, nil
}

// Logout ends the session (POST /api/logout).
func (c *Client) Logout(ctx context.Context) error {
	_, err := c.Call(ctx, http.MethodPost, "/api/logout", nil, nil)
	return err
}

// File files a customer (POST /api/customers, SPEC.md step 1). in is the filing: a
// renoflow.FilingInput with the optional "consultation", or a map of the same JSON. A 202
// (accepted, still being written) is a success with Pending set.
func (c *Client) File(ctx context.Context, in any, opts ...Option) (apiview.Filing, error) {
	var f apiview.Filing
	_, err := c.Call(ctx, http.MethodPost, "/api/customers", in, &f, opts...)
	return f, err
}

// Customer reads one customer (GET /api/customers/:id).
func (c *Client) Customer(ctx context.Context, id string) (apiview.CustomerDetail, error) {
	var d apiview.CustomerDetail
	_, err := c.Call(ctx, http.MethodGet, "/api/customers/"+url.PathEscape(id), nil, &d)
	return d, err
}

// Customers lists customers (GET /api/customers?q=&stage=&…&page=&per=).
func (c *Client) Customers(ctx context.Context, q url.Values) (apiview.CustomerList, error) {
	var l apiview.CustomerList
	_, err := c.Call(ctx, http.MethodGet, "/api/customers"+query(q), nil, &l)
	return l, err
}

// Act performs an action on a customer (POST /api/customers/:id/<update>, e.g. "verify",
// "grade", "dispatch-propose"; the catalogue is renoflow.StaffActions) and returns the
// customer after it. in is the action's input (nil: none).
func (c *Client) Act(ctx context.Context, id, update string, in any, opts ...Option) (apiview.Customer, error) {
	var a apiview.Action
	_, err := c.Call(ctx, http.MethodPost, "/api/customers/"+url.PathEscape(id)+"/"+update, in, &a, opts...)
	return a.State, err
}

// Tasks lists the caller's tasks (GET /api/tasks?view=open|today|overdue|upcoming|done;
// "" is open).
func (c *Client) Tasks(ctx context.Context, view string) ([]apiview.Task, error) {
	var l apiview.TaskList
	q := url.Values{}
	if view != "" {
		q.Set("view", view)
	}
	_, err := c.Call(ctx, http.MethodGet, "/api/tasks"+query(q), nil, &l)
	return l.Tasks, err
}

// TaskDone is the input of a task done: a note, whether the customer was reached (a
// call-back), a follow-up's channel (phone, visit, wechat, other).
type TaskDone struct {
	Note    string `json:"note,omitempty"`
	Reached *bool  `json:"reached,omitempty"`
	Channel string `json:"channel,omitempty"`
}

// CompleteTask marks a task done (POST /api/tasks/:id/done) and returns the customer
// after it.
func (c *Client) CompleteTask(ctx context.Context, id int64, in TaskDone, opts ...Option) (apiview.Customer, error) {
	var a apiview.Action
	_, err := c.Call(ctx, http.MethodPost, "/api/tasks/"+strconv.FormatInt(id, 10)+"/done", in, &a, opts...)
	return a.State, err
}

// SetPolicy changes the policy (PUT /api/policy, admin): keys to durations ("7d", "30min",
// "4s") or numbers, as GET /api/policy shows them. It returns the new version.
func (c *Client) SetPolicy(ctx context.Context, changes map[string]any) (int, error) {
	var out struct {
		Version int `json:"version"`
	}
	_, err := c.Call(ctx, http.MethodPut, "/api/policy", changes, &out)
	return out.Version, err
}

func query(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// Me reads the logged-in staff member (GET /api/me).
func (c *Client) Me(ctx context.Context) (apiview.Me, error) {
	var m apiview.Me
	_, err := c.Call(ctx, http.MethodGet, "/api/me", nil, &m)
	return m, err
}

// Staff lists the active staff of the caller's stores (GET /api/staff).
func (c *Client) Staff(ctx context.Context) ([]apiview.StaffMember, error) {
	var l apiview.StaffList
	_, err := c.Call(ctx, http.MethodGet, "/api/staff", nil, &l)
	return l.Staff, err
}

// Batch applies a batch action to customers (POST /api/customers/batch, {action: reassign
// | release, ids, owner_id, note}); a refused row is a result, not an error.
func (c *Client) Batch(ctx context.Context, in any, opts ...Option) ([]apiview.BatchResult, error) {
	var b apiview.BatchAnswer
	_, err := c.Call(ctx, http.MethodPost, "/api/customers/batch", in, &b, opts...)
	return b.Results, err
}

// Dispute opens an ownership dispute (撞单) on the customer holding phone (POST /api/disputes).
func (c *Client) Dispute(ctx context.Context, phone, note string, opts ...Option) (apiview.DisputeFiled, error) {
	var d apiview.DisputeFiled
	_, err := c.Call(ctx, http.MethodPost, "/api/disputes", map[string]string{"phone": phone, "note": note}, &d, opts...)
	return d, err
}

// Policy reads the policy in force (GET /api/policy).
func (c *Client) Policy(ctx context.Context) (apiview.Policy, error) {
	var p apiview.Policy
	_, err := c.Call(ctx, http.MethodGet, "/api/policy", nil, &p)
	return p, err
}

// Calendar reads the calendar in force (GET /api/calendar).
func (c *Client) Calendar(ctx context.Context) (apiview.Calendar, error) {
	var cal apiview.Calendar
	_, err := c.Call(ctx, http.MethodGet, "/api/calendar", nil, &cal)
	return cal, err
}

// SetDuty sets a designer on or off duty today (PATCH /api/staff/:id/duty).
func (c *Client) SetDuty(ctx context.Context, id string, onDuty bool) (apiview.DesignerDuty, error) {
	var d apiview.DutyAnswer
	_, err := c.Call(ctx, http.MethodPatch, "/api/staff/"+url.PathEscape(id)+"/duty", map[string]bool{"on_duty": onDuty}, &d)
	return d.Designer, err
}

// Stores lists every store (GET /api/admin/stores, admin).
func (c *Client) Stores(ctx context.Context) ([]apiview.Store, error) {
	var l apiview.StoreList
	_, err := c.Call(ctx, http.MethodGet, "/api/admin/stores", nil, &l)
	return l.Stores, err
}

// AddStore adds a store (POST /api/admin/stores {id, name}, admin).
func (c *Client) AddStore(ctx context.Context, id, name string) (apiview.Store, error) {
	var s apiview.StoreAnswer
	_, err := c.Call(ctx, http.MethodPost, "/api/admin/stores", map[string]string{"id": id, "name": name}, &s)
	return s.Store, err
}

// AdminStaff lists every account with the designers' attributes (GET /api/admin/staff).
func (c *Client) AdminStaff(ctx context.Context) ([]apiview.StaffMember, error) {
	var l apiview.StaffList
	_, err := c.Call(ctx, http.MethodGet, "/api/admin/staff", nil, &l)
	return l.Staff, err
}

// AddStaff creates an account (POST /api/admin/staff {id?, login, name, role, store_id,
// lead, password, stores}, admin).
func (c *Client) AddStaff(ctx context.Context, in any) (apiview.StaffMember, error) {
	var s apiview.StaffAnswer
	_, err := c.Call(ctx, http.MethodPost, "/api/admin/staff", in, &s)
	return s.Staff, err
}

// PatchStaff changes an account (PATCH /api/admin/staff/:id with the fields to change,
// a designer's dispatch attributes among them; admin).
func (c *Client) PatchStaff(ctx context.Context, id string, changes any) (apiview.StaffMember, error) {
	var s apiview.StaffAnswer
	_, err := c.Call(ctx, http.MethodPatch, "/api/admin/staff/"+url.PathEscape(id), changes, &s)
	return s.Staff, err
}
