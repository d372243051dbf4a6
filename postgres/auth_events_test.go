package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
)

// TestLoginFailures: the throttle counts failed and pending sign-ins inside the window;
// an account's count starts again after its last success, an address's does not, and
// throttled refusals are not failures.
func TestLoginFailures(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx := t.Context()
	t0 := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	min := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	add := func(at time.Time, kind, login, ip string) int64 {
		id, err := AddAuthEvent(ctx, db, AuthEvent{At: at, Kind: kind, Login: login, IP: ip})
		require.NoError(t, err)
		return id
	}
	add(min(0), AuthLoginFailed, "cm1", "10.0.0.1")  // before the window
	add(min(20), AuthLoginFailed, "cm1", "10.0.0.1") // counts for both
	add(min(21), AuthLoginOK, "cm1", "10.0.0.2")     // resets cm1, not the addresses
	add(min(22), AuthLoginFailed, "cm1", "10.0.0.1") // counts for both
	pending := add(min(23), AuthLoginPending, "cm1", "10.0.0.1")
	add(min(24), AuthLoginThrottled, "cm1", "10.0.0.1") // a refusal is no failure
	add(min(25), AuthLoginFailed, "sm1", "10.0.0.1")    // another account, same address

	since := min(10)
	account, address, err := LoginFailures(ctx, db, "cm1", "10.0.0.1", since)
	require.NoError(t, err)
	require.Equal(t, []time.Time{min(22), min(23)}, utc(account))
	require.Equal(t, []time.Time{min(20), min(22), min(23), min(25)}, utc(address))

	// The pending attempt resolves as a success: the account starts again.
	require.NoError(t, ResolveAuthEvent(ctx, db, pending, AuthLoginOK, ""))
	account, address, err = LoginFailures(ctx, db, "cm1", "10.0.0.1", since)
	require.NoError(t, err)
	require.Empty(t, account)
	require.Equal(t, []time.Time{min(20), min(22), min(25)}, utc(address))
}

// TestLockLoginThrottle: the advisory locks hold an account's attempts one after
// another until the holder's transaction ends.
func TestLockLoginThrottle(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx := t.Context()
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, LockLoginThrottle(ctx, tx, "cm1", "10.0.0.1"))
	got := make(chan time.Time)
	go func() {
		_ = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			err := LockLoginThrottle(ctx, tx, "cm1", "10.0.0.9")
			got <- time.Now()
			return err
		})
	}()
	require.Eventually(t, func() bool {
		var waiting int
		err := db.NewRaw(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(ctx, &waiting)
		return err == nil && waiting > 0
	}, 10*time.Second, 5*time.Millisecond, "the second attempt waits on the lock")
	select {
	case <-got:
		t.Fatal("the second attempt went through while the first held the lock")
	default:
	}
	released := time.Now()
	require.NoError(t, tx.Commit())
	require.False(t, (<-got).Before(released), "the second attempt waited for the first")
}

func utc(ts []time.Time) []time.Time {
	out := make([]time.Time, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.UTC())
	}
	return out
}
