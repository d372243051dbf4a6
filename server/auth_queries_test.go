package server

import (
	"context"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
)

// queryCounter counts the queries run through a bun.DB.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	q.n.Add(1)
	return ctx
}

func (q *queryCounter) AfterQuery(context.Context, *bun.QueryEvent) {}

// TestAuthenticationIsOneQuery: an authenticated request reads its session and account in
// one query — a supervisor's stores included — and a deactivated account's session is
// refused as before; a customer list or search adds one (issue 15: every API call paid
// two or three round trips before its own work, and a list one more for store names).
func TestAuthenticationIsOneQuery(t *testing.T) {
	h := newHarness(t)
	qc := &queryCounter{}
	h.db.AddQueryHook(qc)
	for _, c := range []struct {
		login  string
		stores []any
	}{{"cm1", nil}, {"sup1", []any{"s1", "s2"}}} {
		as := h.login(c.login)
		before := qc.n.Load()
		status, body := h.api(as, http.MethodGet, "/api/me", nil)
		require.Equal(t, http.StatusOK, status, "%v", body)
		require.EqualValues(t, 1, qc.n.Load()-before, "%s: queries for GET /api/me", c.login)
		if c.stores != nil {
			require.Equal(t, c.stores, body["staff"].(map[string]any)["stores"], "%v", body)
		}
	}
	// A list or a search is then one query more: the page, its total and the store names
	// together.
	sm := h.login("sm1")
	for _, path := range []string{"/api/customers", "/api/customers?q=" + url.QueryEscape("翠湖"), "/api/customers?q=13800000001"} {
		before := qc.n.Load()
		status, body := h.api(sm, http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, status, "%v", body)
		require.EqualValues(t, 2, qc.n.Load()-before, "queries for GET %s", path)
		rows := asSlice(body["customers"])
		require.NotEmpty(t, rows, path)
		require.NotEmpty(t, rows[0].(map[string]any)["store_name"], "%s: %v", path, rows[0])
	}

	as := h.login("cs1")
	_, err := h.db.NewUpdate().Table("staff").Set("active = false").Where("id = 'cs1'").Exec(context.Background())
	require.NoError(t, err)
	status, body := h.api(as, http.MethodGet, "/api/me", nil)
	require.Equal(t, http.StatusUnauthorized, status, "%v", body)
	require.Contains(t, body["error"].(map[string]any)["message"], "账号已停用")
}
