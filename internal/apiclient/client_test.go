package apiclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// The client sends the session's tokens, takes a 202 filing as pending, and turns an
// error answer into an *Error with the status, message and fields.
func TestClientTokensFilingAndErrors(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "renoflow_session", Value: "tok", Path: "/"})
		w.Write([]byte(`{"token":"tok","csrf_token":"csrf","staff":{"id":"cm1","name":"张经理","role":"customer_manager","store_id":"s1"}}`))
	})
	mux.HandleFunc("POST /api/customers", func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "Bearer tok", r.Header.Get("Authorization"))
		require.Equal(t, "csrf", r.Header.Get("X-CSRF-Token"))
		require.Equal(t, "k1", r.Header.Get("Idempotency-Key"))
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		c, err := r.Cookie("renoflow_session")
		require.NoError(t, err)
		require.Equal(t, "tok", c.Value)
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte(`{"customer_id":"c1","workflow_id":"customer-c1","pending":true,"status_url":"/api/customers/c1"}`))
	})
	mux.HandleFunc("POST /api/customers/c1/grade", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnprocessableEntity)
		w.Write([]byte(`{"error":{"code":"invalid","message":"请求有误","fields":[{"field":"grade","message":"等级无效"}]}}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	c := New(srv.URL + "/")
	s, err := c.Login(ctx, "cm1", "renoflow")
	require.NoError(t, err)
	require.Equal(t, "cm1", s.Staff.ID)
	require.Equal(t, "tok", c.Token)
	f, err := c.File(ctx, map[string]any{"name": "陈"}, IdempotencyKey("k1"))
	require.NoError(t, err)
	require.True(t, f.Pending)
	require.Equal(t, "c1", f.CustomerID)
	_, err = c.Act(ctx, "c1", "grade", map[string]any{"grade": "Z"})
	var e *Error
	require.True(t, errors.As(err, &e))
	require.Equal(t, http.StatusUnprocessableEntity, e.Status)
	require.Equal(t, "请求有误", e.Message)
	require.Equal(t, []string{"grade"}, e.FieldNames())
	require.Equal(t, http.StatusUnprocessableEntity, StatusOf(err))
	_, err = c.Tasks(ctx, "open")
	require.Equal(t, http.StatusNotFound, StatusOf(err))
}
