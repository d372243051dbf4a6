package server

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// GET /api/policy's answer goes back to PUT /api/policy unchanged (issue 13), and the
// policy page takes spans as people type them ("7天", "3个工作日").
func TestPolicyRoundTripAndChineseSpans(t *testing.T) {
	h := newHarness(t)
	admin := h.login("admin")
	status, got := h.api(admin, http.MethodGet, "/api/policy", nil)
	require.Equal(t, http.StatusOK, status)
	status, body := h.api(admin, http.MethodPut, "/api/policy", got)
	require.Equal(t, http.StatusOK, status, "%v", body)
	a, _ := json.Marshal(got["policy"])
	b, _ := json.Marshal(body["policy"])
	var pa, pb map[string]any
	require.NoError(t, json.Unmarshal(a, &pa))
	require.NoError(t, json.Unmarshal(b, &pb))
	delete(pa, "version")
	delete(pb, "version")
	require.Equal(t, pa, pb)

	status, body = h.api(admin, http.MethodPut, "/api/policy", map[string]any{"claim_window": "7天", "verify_within": "2小时"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, "7d", body["policy"].(map[string]any)["claim_window"])
}
