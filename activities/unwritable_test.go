package activities

import (
	"errors"
	"strings"
	"testing"

	"github.com/renoflow/renoflow"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

// Data PostgreSQL can never store fails Persist non-retryably (ErrUnwritable), naming
// only the SQLSTATE, and writes nothing; before, Persist returned a plain error that
// Temporal retried forever while the customer's later work queued behind it (issue 9).
// The alert batch (SkipCustomer) is written without the customer row.
func TestPersistUnwritableIsNonRetryable(t *testing.T) {
	db, a := newDB(t)
	tests := []struct {
		name   string
		batch  func() Batch
		reason string
	}{
		{"NUL in a text column", func() Batch {
			b := filingBatch()
			b.Customer.Record.Name = "王\x00先生"
			return b
		}, "空字符"},
		{"NUL in a timeline summary", func() Batch {
			b := filingBatch()
			b.Effects.Timeline[0].Summary = "证据\x00"
			return b
		}, "空字符"},
		{"invalid UTF-8", func() Batch {
			b := filingBatch()
			b.Effects.Tasks[0].Detail = "\xff\xfe"
			return b
		}, "UTF-8"},
		{"NUL in jsonb", func() Batch {
			b := filingBatch()
			b.Effects.Timeline[0].Data = map[string]string{"note": "a\x00b"}
			return b
		}, "空字符"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.batch() // as the activity receives it (the JSON payload keeps NUL and bad bytes as \u0000 / U+FFFD)
			err := a.Persist(t.Context(), b)
			require.Error(t, err)
			var app *temporal.ApplicationError
			require.True(t, errors.As(err, &app), "%v", err)
			require.True(t, app.NonRetryable())
			require.Equal(t, ErrUnwritable, app.Type())
			reason, ok := IsUnwritable(err)
			require.True(t, ok)
			require.Contains(t, reason, tt.reason)
			require.False(t, strings.ContainsRune(reason, 0))
			require.Zero(t, count(t, db, "customers", "id = ?", b.Customer.ID), "nothing written")
			require.Zero(t, count(t, db, "timeline", "customer_id = ?", b.Customer.ID), "nothing written")
		})
	}

	// An infrastructure error stays retryable.
	var app *temporal.ApplicationError
	require.False(t, errors.As(classify(errors.New("dial tcp: connection refused")), &app))

	// So do the SQLSTATEs of data PostgreSQL refuses, when they get that far.
	for q, want := range map[string]bool{
		"SELECT 1/0":                            true,  // 22012
		"SELECT 'x'::int":                       true,  // 22P02
		"SELECT '\\u0000'::jsonb ->> 0":         true,  // 22P05 or 22P02
		"INSERT INTO stores (id) VALUES (NULL)": true,  // 23502
		"SELEC 1":                               true,  // 42601
		"SELECT * FROM no_such_table":           false, // 42P01: a deploy in progress, retried
		"SELECT pg_sleep(1) /* timeout */":      false, // 57014 below
	} {
		ctx := t.Context()
		_, err := db.ExecContext(ctx, q)
		if strings.Contains(q, "timeout") {
			tx, terr := db.BeginTx(ctx, nil)
			require.NoError(t, terr)
			_, terr = tx.ExecContext(ctx, "SET LOCAL statement_timeout = '10ms'")
			require.NoError(t, terr)
			_, err = tx.ExecContext(ctx, q)
			_ = tx.Rollback()
		}
		require.Error(t, err, q)
		_, ok := IsUnwritable(classify(err))
		require.Equal(t, want, ok, "%s: %v", q, err)
	}

	// The alert of such a transition is written without the customer row.
	b := filingBatch()
	c := renoflow.Customer{ID: b.Customer.ID, StoreID: b.Customer.StoreID}
	env := renoflow.Env{Now: b.UpdatedAt, Key: "u1"}
	alert := Batch{Customer: c, Effects: c.Unwritable(env, "verify", "SQLSTATE 22021（数据异常）"), UpdatedAt: b.UpdatedAt, SkipCustomer: true}
	require.NoError(t, a.Persist(t.Context(), viaJSON(t, alert)))
	require.Zero(t, count(t, db, "customers", "id = ?", c.ID))
	require.Equal(t, 1, count(t, db, "timeline", "customer_id = ? AND kind = 'alert'", c.ID))
	require.Equal(t, 1, count(t, db, "tasks", "customer_id = ? AND rule = ? AND assignee_role = 'supervisor'", c.ID, string(renoflow.RuleUnwritable)))
}
