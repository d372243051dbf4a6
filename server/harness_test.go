package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/internal/apiclient"
	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/renoflow/renoflow/postgres"
	"github.com/renoflow/renoflow/schema"
	"github.com/renoflow/renoflow/workflows"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// fakeTemporal stands in for the Temporal client: it records every update the server
// sends and answers with a state, or with the refusal set in refuse. Tests use it to
// prove what reaches a workflow and what never does.
type fakeTemporal struct {
	client.Client
	mu      sync.Mutex
	updates []client.UpdateWorkflowOptions
	refuse  *renoflow.Error
	// starts are the workflows started (filings).
	starts []client.StartWorkflowOptions
	// inputs are the started customer workflows' inputs.
	inputs []workflows.CustomerInput
}

// ExecuteWorkflow records a started workflow (a filing).
func (f *fakeTemporal) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts = append(f.starts, o)
	if len(args) > 0 {
		if in, ok := args[0].(workflows.CustomerInput); ok {
			f.inputs = append(f.inputs, in)
		}
	}
	return nil, nil
}

// fakeStart is a filing's start travelling with its UpdateFiled update
// (update-with-start); started says whether the fake started it.
type fakeStart struct {
	o       client.StartWorkflowOptions
	args    []any
	started bool
}

func (op *fakeStart) Get(context.Context) (client.WorkflowRun, error) {
	if !op.started {
		return nil, errors.New("not started")
	}
	return nil, nil
}

// DescribeWorkflowExecution finds a workflow the fake started; others are not found.
func (f *fakeTemporal) DescribeWorkflowExecution(_ context.Context, id, _ string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, o := range f.starts {
		if o.ID == id {
			return &workflowservice.DescribeWorkflowExecutionResponse{}, nil
		}
	}
	return nil, serviceerror.NewNotFound("workflow not found: " + id)
}

// NewWithStartWorkflowOperation prepares a filing's start (update-with-start).
func (f *fakeTemporal) NewWithStartWorkflowOperation(o client.StartWorkflowOptions, _ any, args ...any) client.WithStartWorkflowOperation {
	return &fakeStart{o: o, args: args}
}

// UpdateWithStartWorkflow records the start (as ExecuteWorkflow) and the update (as
// UpdateWorkflow), and answers as UpdateWorkflow does.
func (f *fakeTemporal) UpdateWithStartWorkflow(ctx context.Context, o client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	op := o.StartWorkflowOperation.(*fakeStart)
	if _, err := f.ExecuteWorkflow(ctx, op.o, nil, op.args...); err != nil {
		return nil, err
	}
	op.started = true
	return f.UpdateWorkflow(ctx, o.UpdateOptions)
}

// CheckHealth answers /healthz's Temporal check: the fake is always up.
func (f *fakeTemporal) CheckHealth(context.Context, *client.CheckHealthRequest) (*client.CheckHealthResponse, error) {
	return &client.CheckHealthResponse{}, nil
}

func (f *fakeTemporal) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, o)
	if f.refuse != nil {
		return nil, temporal.NewApplicationErrorWithOptions(f.refuse.Message, string(f.refuse.Code),
			temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{*f.refuse}})
	}
	return fakeHandle{o}, nil
}

// sent returns the updates recorded so far and forgets them.
func (f *fakeTemporal) sent() []client.UpdateWorkflowOptions {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.updates
	f.updates = nil
	return out
}

// fakeHandle is a completed update whose result is an empty customer state.
type fakeHandle struct{ o client.UpdateWorkflowOptions }

func (h fakeHandle) WorkflowID() string { return h.o.WorkflowID }
func (h fakeHandle) RunID() string      { return "" }
func (h fakeHandle) UpdateID() string   { return h.o.UpdateID }
func (h fakeHandle) Get(_ context.Context, v any) error {
	p, ok := v.(*renoflow.Customer)
	if !ok {
		return errors.New("unexpected result type")
	}
	*p = renoflow.Customer{ID: workflows.CustomerIDFromWorkflowID(h.o.WorkflowID)}
	return nil
}

// harness is the server on a fresh database with the demo company, a fake Temporal and
// a few customers written as the workflow's activities would write them.
type harness struct {
	t   *testing.T
	app *fiber.App
	db  *bun.DB
	tc  *fakeTemporal
	now time.Time
}

// The test customers: who filed them, where, and at which stage.
const (
	custS1   = "c-s1"    // store s1, filed by cm1, pre-sale, unverified, with an open complaint K1
	custSA   = "c-sa1"   // store s1, filed by sa1
	custS2   = "c-s2"    // store s2, filed by cm2, pre-sale, with an open complaint K1
	custD1   = "c-d1"    // store s1, designer d1 accepted it; an open complaint K1
	custD1To = "c-d1-to" // store s1, a dispatch waits for d1's answer (an open task for d1)
)

func newHarness(t *testing.T) *harness {
	t.Helper()
	db := testdb.New(t, schema.Migrate)
	ctx := context.Background()
	require.NoError(t, SeedDemo(ctx, db))
	// A former designer of s1, and a designer of s2, for the staff checks.
	require.NoError(t, CreateStaff(ctx, db, CreateStaffInput{ID: "d0", Login: "d0", Name: "停用设计", Role: renoflow.RoleDesigner, StoreID: "s1", Password: DemoPassword}))
	_, err := db.NewUpdate().Table("staff").Set("active = false").Where("id = 'd0'").Exec(ctx)
	require.NoError(t, err)
	require.NoError(t, CreateStaff(ctx, db, CreateStaffInput{ID: "d2", Login: "d2", Name: "冯设计", Role: renoflow.RoleDesigner, StoreID: "s2", Password: DemoPassword}))
	h := &harness{t: t, db: db, tc: &fakeTemporal{}, now: time.Date(2026, 11, 25, 10, 0, 0, 0, renoflow.Zone)}
	h.app = NewServer(h.tc, db, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{Now: func() time.Time { return h.now }})
	open := []renoflow.Complaint{{ID: "K1", Category: "design", Text: "设计图迟迟不给", Status: renoflow.ComplaintOpen,
		Handler: renoflow.Person{ID: "cm1", Name: "张经理"}}}
	h.customer(custS1, "13800000001", "s1", "cm1", "张经理", renoflow.StagePresale, "", func(c *renoflow.Customer) { c.Complaints = open })
	h.customer(custSA, "13800000002", "s1", "sa1", "周顾问", renoflow.StageFiled, "", nil)
	h.customer(custS2, "13800000003", "s2", "cm2", "郑经理", renoflow.StagePresale, "", func(c *renoflow.Customer) { c.Complaints = open })
	h.customer(custD1, "13800000004", "s1", "cm1", "张经理", renoflow.StageDesign, "d1", func(c *renoflow.Customer) { c.Complaints = open })
	h.customer(custD1To, "13800000005", "s1", "cm1", "张经理", renoflow.StagePresale, "", func(c *renoflow.Customer) {
		c.Dispatches = []renoflow.Dispatch{{Designer: renoflow.Person{ID: "d1", Name: "吴设计"}, Status: renoflow.DispatchConfirmed}}
	})
	_, err = db.NewRaw(`INSERT INTO tasks (customer_id, rule, subject, seq, title, assignee_id, store_id, due_at, created_at)
		VALUES (?, 'dispatch.accept', 'd1', 0, '接单', 'd1', 's1', ?, ?)`, custD1To, h.now.Add(24*time.Hour), h.now).Exec(ctx)
	require.NoError(t, err)
	return h
}

// customer writes a customer row and its state.
func (h *harness) customer(id, phone, store, filer, filerName string, stage renoflow.Stage, designer string, edit func(*renoflow.Customer)) {
	h.t.Helper()
	rec := renoflow.Record{Name: "客户" + id, Gender: renoflow.GenderFemale, Phone: renoflow.Phone(phone), Situation: "想装修",
		House: renoflow.House{Community: "翠湖苑", Layout: "三室两厅"}, Channel: renoflow.ChannelReferral, StoreID: store}
	st := renoflow.Customer{ID: id, Record: rec, Stage: stage, StoreID: store, Owner: renoflow.Person{ID: filer, Name: filerName},
		FiledBy: renoflow.Person{ID: filer, Name: filerName}, FiledAt: h.now.Add(-time.Hour), OwnerSince: h.now.Add(-time.Hour)}
	if designer != "" {
		st.Designer = renoflow.Person{ID: designer, Name: "吴设计"}
	}
	if edit != nil {
		edit(&st)
	}
	row, err := postgres.NewCustomer(st, h.now)
	require.NoError(h.t, err)
	err = postgres.SaveCustomer(context.Background(), h.db, row)
	require.NoError(h.t, err)
}

// staffer is a logged-in staff member: the typed API client holding the bearer token,
// and the cookie and CSRF token for the pages.
type staffer struct {
	login, token, csrf string
	role               renoflow.Role
	api                *apiclient.Client
}

// testBase is the in-process server's address as the API client names it.
const testBase = "http://renoflow.test"

// client is a new API client of the harness's in-process server (fiber's app.Test, the
// server in h.app when the request is sent), not logged in: the server's tests use the
// same client as the integration tests.
func (h *harness) client() *apiclient.Client {
	return apiclient.NewWithTransport(testBase, apiclient.RoundTripFunc(func(r *http.Request) (*http.Response, error) {
		return h.app.Test(r, 10000)
	}))
}

func (h *harness) login(login string) *staffer {
	h.t.Helper()
	c := h.client()
	s, err := c.Login(context.Background(), login, DemoPassword)
	require.NoError(h.t, err, "login %s", login)
	return &staffer{login: login, token: s.Token, csrf: s.CSRFToken, role: s.Staff.Role, api: c}
}

func (h *harness) do(req *http.Request) *http.Response {
	h.t.Helper()
	resp, err := h.app.Test(req, 10000)
	require.NoError(h.t, err)
	return resp
}

// api calls the JSON API as as (nil: anonymous) and decodes the JSON answer.
func (h *harness) api(as *staffer, method, path string, in any, opts ...apiclient.Option) (int, map[string]any) {
	h.t.Helper()
	c := h.client()
	if as != nil && as.api != nil {
		c = as.api
	} else if as != nil { // a session made in the test: its token only
		c.Token = as.token
	}
	resp, err := c.Do(context.Background(), method, path, in, opts...)
	require.NoError(h.t, err, "%s %s", method, path)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return resp.Status, map[string]any{} // a page or a file
	}
	out, err := resp.Map()
	require.NoError(h.t, err, "%s %s", method, path)
	return resp.Status, out
}

// raw sends body as it is with the content type given ("": none) and decodes the JSON
// answer.
func (h *harness) raw(as *staffer, method, path, contentType, body string) (int, map[string]any) {
	h.t.Helper()
	return h.api(as, method, path, apiclient.Body{ContentType: contentType, Data: []byte(body)})
}

// page requests a page as a browser would: the session cookie, and for a POST the form
// with the CSRF token. It returns the status, the HTML and the redirect target.
func (h *harness) page(as *staffer, method, path string, form url.Values) (int, string, string) {
	h.t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		if form == nil {
			form = url.Values{}
		}
		if as != nil && !form.Has(csrfField) {
			form.Set(csrfField, as.csrf)
		}
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if as != nil {
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: as.token})
	}
	resp := h.do(req)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return resp.StatusCode, string(raw), resp.Header.Get("Location")
}

// errorFields lists the fields an API error names.
func errorFields(body map[string]any) []string {
	e, _ := body["error"].(map[string]any)
	var out []string
	for _, f := range asSlice(e["fields"]) {
		out = append(out, f.(map[string]any)["field"].(string))
	}
	return out
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
