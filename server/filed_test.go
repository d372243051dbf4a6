package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
	"github.com/renoflow/renoflow/workflows"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
)

// noticeTemporal starts a filing's workflow and, as its first task would, writes the
// customer and announces it (postgres.NotifyFiled) — or leaves out what write says.
type noticeTemporal struct {
	*fakeTemporal
	h     *harness
	write func(id, phone string)
}

func (n noticeTemporal) ExecuteWorkflow(ctx context.Context, o client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	if _, err := n.fakeTemporal.ExecuteWorkflow(ctx, o, wf, args...); err != nil {
		return nil, err
	}
	in := args[0].(workflows.CustomerInput)
	go n.write(in.CustomerID, string(in.Record.Phone))
	return nil, nil
}

// With FiledNotices a filing starts its workflow and waits for PostgreSQL to announce the
// write, not for an update (issue 15): 201 at once when announced; when the announcement
// is missed (the listener stalled or reconnecting), 201 from the row read every second,
// not at the end of the wait; 202 when nothing is written; and a refused filing's
// announcement brings the workflow's refusal.
func TestFilingAnsweredByNotice(t *testing.T) {
	h := newHarness(t)
	cm := h.login("cm1")
	ctx := context.Background()
	write := func(id, phone string) { h.customer(id, phone, "s1", "cm1", "张经理", renoflow.StageFiled, "", nil) }
	cases := []struct {
		name   string
		wait   time.Duration
		write  func(id, phone string)
		refuse *renoflow.Error
		status int
	}{
		{"announced", 20 * time.Second, func(id, phone string) {
			write(id, phone)
			require.NoError(t, postgres.NotifyFiled(ctx, h.db, id, false))
		}, nil, http.StatusCreated},
		{"announcement missed", 20 * time.Second, write, nil, http.StatusCreated},
		{"not written", 300 * time.Millisecond, func(string, string) {}, nil, http.StatusAccepted},
		{"refused", 20 * time.Second, func(id, _ string) {
			require.NoError(t, postgres.NotifyFiled(ctx, h.db, id, true))
		}, &renoflow.Error{Code: renoflow.CodeInvalid, Message: "数据无法保存（测试），本次操作未生效，已通知督导核查"}, http.StatusUnprocessableEntity},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeTemporal{refuse: tc.refuse}
			h.app = NewServer(noticeTemporal{fake, h, tc.write}, h.db, slog.New(slog.NewTextHandler(io.Discard, nil)),
				Config{Now: func() time.Time { return h.now }, FilingWait: tc.wait, FiledNotices: true})
			began := time.Now()
			status, body := h.api(cm, http.MethodPost, "/api/customers", testFiling("1397777000"+string(rune('0'+i))))
			require.Equal(t, tc.status, status, "%v", body)
			if tc.wait > time.Second {
				require.Less(t, time.Since(began), 10*time.Second, "answered when announced, not at the end of the wait")
			}
			require.Len(t, fake.starts, 1)
			require.True(t, fake.starts[0].EnableEagerStart, "started eagerly")
			if tc.status == http.StatusCreated {
				require.NotNil(t, body["customer"], "%v", body)
			}
			if tc.refuse != nil {
				require.Equal(t, tc.refuse.Message, body["error"].(map[string]any)["message"])
			}
		})
	}
}
