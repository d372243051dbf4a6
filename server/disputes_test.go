package server

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Seed 003 撞单 5 (自交订金之日起一个月上报为准): a dispute over a customer who paid a
// deposit more than the policy's dispute_window ago is refused before anything is sent;
// within the window it goes to the workflow.
func TestDisputeWindowFromDeposit(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	_, err := h.db.NewRaw(`INSERT INTO phone_claims (phone, customer_id, filed_by, filed_at) VALUES ('13800000001', ?, 'cm1', ?)`,
		custS1, h.now).Exec(ctx)
	require.NoError(t, err)
	sa := h.login("sa1")
	setDeposit := func(at time.Time) {
		_, err := h.db.NewRaw(`UPDATE customers SET deposit_at = ? WHERE id = ?`, at, custS1).Exec(ctx)
		require.NoError(t, err)
	}
	req := map[string]any{"phone": "13800000001", "note": "我先带客户看过样板间"}

	setDeposit(h.now.AddDate(0, -2, 0))
	status, body := h.api(sa, http.MethodPost, "/api/disputes", req)
	require.Equal(t, http.StatusConflict, status, "%v", body)
	require.Contains(t, body["error"].(map[string]any)["message"], "自交定金之日起1个月内")
	require.Empty(t, h.tc.sent(), "nothing reaches the workflow")

	status, body = h.api(h.login("admin"), http.MethodPut, "/api/policy", map[string]any{"dispute_window": "3mo"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	status, body = h.api(sa, http.MethodPost, "/api/disputes", req)
	require.Equal(t, http.StatusCreated, status, "%v", body)
	require.Len(t, h.tc.sent(), 1)

	setDeposit(h.now.AddDate(0, 0, -5))
	status, body = h.api(sa, http.MethodPost, "/api/disputes", req)
	require.Equal(t, http.StatusCreated, status, "%v", body)
}
