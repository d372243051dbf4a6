package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"database/sql"

	"github.com/renoflow/renoflow/internal/apiclient"
	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/renoflow/renoflow/server"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// `renoflow admin create` makes the first admin of an empty production database (issue
// 9): the password comes from stdin, a prompt or the environment, is never printed nor
// taken from argv, and the admin can then sign in.
func TestAdminCreate(t *testing.T) {
	url := testdb.URL(t) // an empty database: not even migrated
	env := map[string]string{"DATABASE_URL": url}
	getenv := func(k string) string { return env[k] }
	create := func(password string, args ...string) (string, error) {
		stdin = strings.NewReader(password)
		t.Cleanup(func() { stdin = os.Stdin })
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"admin", "create"}, args...), getenv, &out)
		return out.String(), err
	}
	const secret = "Correct-Horse-9"
	out, err := create(secret+"\n", "--login", "boss", "--name", "王总", "--role", "admin")
	require.NoError(t, err, out)
	require.Contains(t, out, "boss")
	require.NotContains(t, out, secret, "the password is never printed")

	sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(url)))
	db := bun.NewDB(sqldb, pgdialect.New())
	defer db.Close()
	var role, hash string
	require.NoError(t, db.NewRaw("SELECT role, password_hash FROM staff WHERE login = 'boss'").Scan(context.Background(), &role, &hash))
	require.Equal(t, "admin", role)
	require.NotContains(t, hash, secret)

	// The admin signs in through the API.
	app := server.NewServer(nil, db, slog.New(slog.NewTextHandler(io.Discard, nil)), server.Config{})
	api := apiclient.NewWithTransport("http://renoflow.test", apiclient.RoundTripFunc(func(r *http.Request) (*http.Response, error) {
		return app.Test(r, 10000)
	}))
	_, err = api.Login(context.Background(), "boss", secret)
	require.NoError(t, err)

	// Refusals change nothing and never echo the password.
	out, err = create(secret+"\n", "--login", "boss", "--name", "又一个")
	require.ErrorContains(t, err, "已存在")
	require.NotContains(t, out+err.Error(), secret)
	out, err = create("short\n", "--login", "boss2", "--name", "二号")
	require.ErrorContains(t, err, "password")
	require.NotContains(t, out+err.Error(), "short")
	out, err = create(strings.Repeat("长", 30)+"\n", "--login", "boss2", "--name", "二号")
	require.ErrorContains(t, err, "72")
	_, err = create("", "--login", "boss2", "--name", "二号", "hunter2-in-argv")
	require.ErrorIs(t, err, errUsage)
	require.NotContains(t, err.Error(), "hunter2")
	_, err = create("", "--login", "boss2", "--name", "二号", "--password", "hunter2-in-argv")
	require.ErrorIs(t, err, errUsage, "there is no --password flag")
	require.NotContains(t, err.Error(), "hunter2")
	n, err := db.NewSelect().Table("staff").Where("login = 'boss2'").Count(context.Background())
	require.NoError(t, err)
	require.Zero(t, n)

	// From the environment (containers).
	env["RENOFLOW_ADMIN_PASSWORD"] = "From-The-Env-1"
	out, err = create("", "--login", "ops", "--name", "运维", "--role", "admin")
	require.NoError(t, err, out)
	require.NotContains(t, out, "From-The-Env-1")
}
