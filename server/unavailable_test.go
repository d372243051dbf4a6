package server

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// deadDB is a database handle on a port nobody listens on: PostgreSQL is down.
func deadDB(t *testing.T) *bun.DB {
	t.Helper()
	db := bun.NewDB(sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(
		"postgres://postgres@127.0.0.1:1/renoflow?sslmode=disable&dial_timeout=1s"))), pgdialect.New())
	t.Cleanup(func() { db.Close() })
	return db
}

// The one place that decides a 503: backing services down or too slow; nothing else.
func TestUnavailableClassification(t *testing.T) {
	_, pgDown := deadDB(t).NewSelect().ColumnExpr("1").Exec(context.Background())
	require.Error(t, pgDown)
	tests := []struct {
		name string
		err  error
		want string // "" = not a 503
	}{
		{"PostgreSQL refuses connections", pgDown, msgDatabaseDown},
		{"PostgreSQL wrapped", errors.Join(errors.New("look up session"), pgDown), msgDatabaseDown},
		{"Temporal unavailable", serviceerror.NewUnavailable("connection refused"), msgTemporalDown},
		{"Temporal gRPC status", status.Error(codes.Unavailable, "dial tcp: connection refused"), msgTemporalDown},
		{"deadline", context.DeadlineExceeded, msgTimeout},
		{"a refusal", renoflow.Errorf(renoflow.CodeConflict, "撞单"), ""},
		{"a bug", errors.New("template: no such page"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := unavailable(tt.err)
			if tt.want == "" {
				require.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			require.Equal(t, renoflow.CodeUnavailable, got.Code)
			require.Equal(t, tt.want, got.Message)
		})
	}
}

// While PostgreSQL is down every endpoint answers 503 with a clear Chinese message, the
// API as JSON and the pages as an error page — not 500 (issue 9).
func TestDatabaseDownAnswers503(t *testing.T) {
	h := newHarness(t)
	cm := h.login("cm1")
	h.app = NewServer(h.tc, deadDB(t), slog.New(slog.NewTextHandler(io.Discard, nil)), Config{Now: func() time.Time { return h.now }})
	for _, path := range []string{"/api/customers", "/api/tasks", "/api/me", "/api/customers/" + custS1} {
		status, body := h.api(cm, http.MethodGet, path, nil)
		require.Equal(t, http.StatusServiceUnavailable, status, "GET %s: %v", path, body)
		require.Equal(t, msgDatabaseDown, body["error"].(map[string]any)["message"], path)
	}
	status, body := h.api(cm, http.MethodPost, "/api/customers/"+custS1+"/follow-up", map[string]any{"channel": "phone"})
	require.Equal(t, http.StatusServiceUnavailable, status, "%v", body)
	status, body = h.api(nil, http.MethodPost, "/api/login", map[string]string{"login": "cm1", "password": DemoPassword})
	require.Equal(t, http.StatusServiceUnavailable, status, "%v", body)
	status, html, _ := h.page(cm, http.MethodGet, "/tasks", nil)
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Contains(t, html, "数据库暂时无法连接")
}

// downTemporal is a Temporal client whose frontend cannot be reached.
type downTemporal struct{ *fakeTemporal }

func (downTemporal) UpdateWorkflow(context.Context, client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	return nil, serviceerror.NewUnavailable("connection error: dial tcp 127.0.0.1:7233: connect: connection refused")
}

func (downTemporal) ExecuteWorkflow(context.Context, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	return nil, serviceerror.NewUnavailable("connection error: dial tcp 127.0.0.1:7233: connect: connection refused")
}

func (downTemporal) UpdateWithStartWorkflow(context.Context, client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	return nil, serviceerror.NewUnavailable("connection error: dial tcp 127.0.0.1:7233: connect: connection refused")
}

func (downTemporal) DescribeWorkflowExecution(context.Context, string, string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	return nil, serviceerror.NewUnavailable("connection error: dial tcp 127.0.0.1:7233: connect: connection refused")
}

// While Temporal is down, actions and filings answer 503 with a clear Chinese message,
// and a failed filing keeps no phone reserved.
func TestTemporalDownAnswers503(t *testing.T) {
	h := newHarness(t)
	cm := h.login("cm1")
	h.app = NewServer(downTemporal{h.tc}, h.db, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{Now: func() time.Time { return h.now }})
	status, body := h.api(cm, http.MethodPost, "/api/customers/"+custS1+"/follow-up", map[string]any{"channel": "phone"})
	require.Equal(t, http.StatusServiceUnavailable, status, "%v", body)
	require.Equal(t, msgTemporalDown, body["error"].(map[string]any)["message"])
	status, body = h.api(cm, http.MethodPost, "/api/customers", testFiling("13911112222"))
	require.Equal(t, http.StatusServiceUnavailable, status, "%v", body)
	require.Equal(t, msgTemporalDown, body["error"].(map[string]any)["message"])
	n, err := h.db.NewSelect().Table("phone_claims").Where("phone = '13911112222'").Count(context.Background())
	require.NoError(t, err)
	require.Zero(t, n, "no phone stays reserved")
	status, _ = h.api(cm, http.MethodGet, "/api/customers", nil)
	require.Equal(t, http.StatusOK, status, "lists read PostgreSQL only")
}

// slowTemporal starts workflows but never finishes writing them (PostgreSQL down behind
// the worker): UpdateFiled waits until its deadline.
type slowTemporal struct{ *fakeTemporal }

func (slowTemporal) ExecuteWorkflow(context.Context, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	return nil, nil
}

func (slowTemporal) UpdateWorkflow(ctx context.Context, _ client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (slowTemporal) UpdateWithStartWorkflow(ctx context.Context, o client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	o.StartWorkflowOperation.(*fakeStart).started = true
	<-ctx.Done()
	return nil, ctx.Err()
}

// A filing answers 201 only once the customer is readable. Accepted but not yet written
// within FilingWait, it answers 202 with a status URL, and that URL — like any action on
// the customer — answers 409 "正在建档，请稍候", never 404 (issue 9 "Load").
func TestFilingNotYetWrittenIs202Then409(t *testing.T) {
	h := newHarness(t)
	cm := h.login("cm1")
	h.app = NewServer(slowTemporal{h.tc}, h.db, slog.New(slog.NewTextHandler(io.Discard, nil)),
		Config{Now: func() time.Time { return h.now }, FilingWait: 50 * time.Millisecond})
	status, body := h.api(cm, http.MethodPost, "/api/customers", testFiling("13922223333"))
	require.Equal(t, http.StatusAccepted, status, "%v", body)
	require.Equal(t, true, body["pending"])
	id := body["customer_id"].(string)
	require.Equal(t, "/api/customers/"+id, body["status_url"])
	status, body = h.api(cm, http.MethodGet, "/api/customers/"+id, nil)
	require.Equal(t, http.StatusConflict, status, "%v", body)
	require.Equal(t, "正在建档，请稍候", body["error"].(map[string]any)["message"])
	status, body = h.api(cm, http.MethodPost, "/api/customers/"+id+"/follow-up", map[string]any{"channel": "phone"})
	require.Equal(t, http.StatusConflict, status, "%v", body)
	require.Equal(t, "正在建档，请稍候", body["error"].(map[string]any)["message"])
	// Once the workflow has written it, the same URL reads it.
	h.customer(id, "13922223333", "s1", "cm1", "张经理", renoflow.StageFiled, "", nil)
	status, body = h.api(cm, http.MethodGet, "/api/customers/"+id, nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	// An unknown ID is still a plain 404.
	status, _ = h.api(cm, http.MethodGet, "/api/customers/no-such-id", nil)
	require.Equal(t, http.StatusNotFound, status)
}

// lateTemporal starts the workflow, but the update-with-start request times out before
// its answer comes (the first workflow task runs longer than FilingWait).
type lateTemporal struct{ *fakeTemporal }

func (l lateTemporal) UpdateWithStartWorkflow(ctx context.Context, o client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	op := o.StartWorkflowOperation.(*fakeStart)
	if _, err := l.ExecuteWorkflow(ctx, op.o, nil, op.args...); err != nil {
		return nil, err
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

// A filing whose update-with-start timed out although the workflow started is accepted
// (202) and keeps its phone: the workflow goes on writing the customer (issue 15).
func TestFilingStartedButUnansweredIs202(t *testing.T) {
	h := newHarness(t)
	cm := h.login("cm1")
	h.app = NewServer(lateTemporal{h.tc}, h.db, slog.New(slog.NewTextHandler(io.Discard, nil)),
		Config{Now: func() time.Time { return h.now }, FilingWait: 50 * time.Millisecond})
	status, body := h.api(cm, http.MethodPost, "/api/customers", testFiling("13933334444"))
	require.Equal(t, http.StatusAccepted, status, "%v", body)
	n, err := h.db.NewSelect().Table("phone_claims").Where("phone = '13933334444'").Count(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 1, n, "the phone stays reserved for the started workflow")
}

// testFiling is a valid filing for phone in store s1.
func testFiling(phone string) map[string]any {
	return map[string]any{
		"name": "陈", "gender": "female", "phone": phone, "situation": "朋友介绍",
		"house":   map[string]any{"community": "翠湖苑", "building": "3栋", "layout": "三室两厅", "area_m2": 120},
		"channel": "referral", "store_id": "s1",
	}
}
