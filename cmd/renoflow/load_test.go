package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/renoflow/renoflow/workflows"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"go.temporal.io/api/workflowservice/v1"
)

// loadCustomers is how many customers TestHundredConcurrentCustomers drives at once.
const loadCustomers = 100

// parallel runs fn(i) for i in [0, n) concurrently and returns the first error.
func parallel(n int, fn func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) { defer wg.Done(); errs[i] = fn(i) }(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// actUntilWritten sends an action as a careful client does: while the customer is still
// being written (409 正在建档) or the stack is too busy to answer in time (503), it
// retries with the same Idempotency-Key, so the action happens exactly once. A 404 is a
// failure: the customer was said to exist.
func actUntilWritten(c *apiClient, path string, in any) error {
	key := uuid.NewString()
	var status int
	var body map[string]any
	for start := time.Now(); time.Since(start) < 2*time.Minute; {
		var err error
		status, body, err = c.tryKey(http.MethodPost, path, in, key)
		if err != nil {
			return err
		}
		switch {
		case status == http.StatusOK:
			return nil
		case status == http.StatusConflict && errorMessage(body) == "正在建档，请稍候":
		case status == http.StatusServiceUnavailable: // the server waited ActionWait already
		default:
			return fmt.Errorf("POST %s: %d %v", path, status, body)
		}
	}
	return fmt.Errorf("POST %s: no answer in 2 minutes, last %d %v", path, status, body)
}

// A hundred customers driven concurrently through a shrunk lifecycle to its end (issue
// 9 "Load"): filed at once (each answered 201 only when readable, and an action right
// after it never meets 404), three escalation timers each, then proposed and confirmed
// invalid, which ends every workflow. With the pools at their old sizes only 17–42 of 100
// reached the end.
func TestHundredConcurrentCustomers(t *testing.T) {
	started := time.Now()
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	admin, cm, sm := d.login(t, "admin"), d.login(t, "cm1"), d.login(t, "sm1")
	admin.setPolicy(shrunkLadder)

	ids := make([]string, loadCustomers)
	filed := time.Now()
	require.NoError(t, parallel(loadCustomers, func(i int) error {
		status, body, err := cm.try(http.MethodPost, "/customers", filing(fmt.Sprintf("1374444%04d", i)))
		if err != nil {
			return err
		}
		if status != http.StatusCreated && status != http.StatusAccepted {
			return fmt.Errorf("filing %d: %d %v", i, status, body)
		}
		ids[i] = body["customer_id"].(string)
		return actUntilWritten(cm, "/customers/"+ids[i]+"/store-visit", map[string]any{})
	}))
	t.Logf("%d filings and store visits in %s", loadCustomers, time.Since(filed).Round(time.Millisecond))

	db := d.db(t)
	ctx := context.Background()
	eventually(t, "every customer's three escalation rungs fired", func() bool {
		n, err := db.NewSelect().Table("tasks").Where("customer_id IN (?)", bun.In(ids)).
			Where("rule = 'verify'").Where("seq BETWEEN 1 AND 3").Count(ctx)
		return err == nil && n == 3*loadCustomers
	})
	t.Logf("escalations fired %s after the filings", time.Since(filed).Round(time.Millisecond))
	ended := time.Now()
	require.NoError(t, parallel(loadCustomers, func(i int) error {
		if err := actUntilWritten(cm, "/customers/"+ids[i]+"/invalid-propose", map[string]any{"note": "测试客户"}); err != nil {
			return err
		}
		return actUntilWritten(sm, "/customers/"+ids[i]+"/invalid-confirm", map[string]any{})
	}))
	t.Logf("%d invalid proposals and confirmations in %s", loadCustomers, time.Since(ended).Round(time.Millisecond))
	tc := d.temporal(t)
	eventually(t, "every customer workflow reached its end", func() bool {
		resp, err := tc.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Query: "WorkflowType = 'CustomerWorkflow' AND ExecutionStatus = 'Completed'"})
		return err == nil && resp.GetCount() == loadCustomers
	})
	for _, id := range ids {
		desc, err := tc.DescribeWorkflowExecution(ctx, workflows.CustomerWorkflowID(id), "")
		require.NoError(t, err)
		require.Equal(t, "Completed", desc.GetWorkflowExecutionInfo().GetStatus().String())
	}
	n, err := db.NewSelect().Table("customers").Where("id IN (?)", bun.In(ids)).Where("stage = 'invalid'").Count(ctx)
	require.NoError(t, err)
	require.EqualValues(t, loadCustomers, n)
	n, err = db.NewSelect().Table("phone_claims").Where("phone LIKE '1374444%'").Count(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "invalid customers release their phones")
	t.Logf("%d customers to the end in %s (whole test, stack start included)", loadCustomers, time.Since(started).Round(time.Millisecond))
}
