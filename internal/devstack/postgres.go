package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	postgresplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Postgres is the PostgreSQL server that holds a Temporal server's persistence: the
// production shape (docker-compose.yml), instead of the dev SQLite file.
type Postgres struct {
	// Addr is host:port of the server.
	Addr string
	// User and Password log in (trust auth: Password "").
	User, Password string
	// Database and VisibilityDatabase default to temporal and temporal_visibility.
	Database, VisibilityDatabase string
}

func (p Postgres) sql(database string) *config.SQL {
	return &config.SQL{
		PluginName: postgresplugin.PluginName, DatabaseName: database, ConnectAddr: p.Addr, ConnectProtocol: "tcp",
		User: p.User, Password: p.Password, ConnectAttributes: map[string]string{},
		MaxConns: 20, MaxIdleConns: 20, MaxConnLifetime: time.Hour,
	}
}

func (p Postgres) withDefaults() Postgres {
	if p.Database == "" {
		p.Database = "temporal"
	}
	if p.VisibilityDatabase == "" {
		p.VisibilityDatabase = "temporal_visibility"
	}
	if p.User == "" {
		p.User = "postgres"
	}
	return p
}

// SetupPostgresSchema creates Temporal's two databases when missing and brings their
// schemas up to date with the server's own SQL schema tool (go.temporal.io/server/tools/sql,
// the library behind temporal-sql-tool): `create`, `setup-schema -v 0.0`, then
// `update-schema` over schema/postgresql/v12/temporal and …/visibility (the versioned
// schemas embedded in the server module) — what the temporal-schema job of
// docker-compose.yml runs. Idempotent: a second run finds the schemas current.
func SetupPostgresSchema(p Postgres, logger log.Logger) error {
	p = p.withDefaults()
	if logger == nil {
		logger = log.NewNoopLogger()
	}
	for _, db := range []struct{ name, schema string }{
		{p.Database, "postgresql/v12/temporal"},
		{p.VisibilityDatabase, "postgresql/v12/visibility"},
	} {
		if err := sqltool.DoCreateDatabase(p.sql(db.name), "postgres", logger); err != nil {
			return fmt.Errorf("create Temporal database %s: %w", db.name, err)
		}
		conn, err := sqltool.NewConnection(p.sql(db.name), logger)
		if err != nil {
			return fmt.Errorf("connect to Temporal database %s: %w", db.name, err)
		}
		err = schema.NewSetupSchemaTask(conn, &schema.SetupConfig{InitialVersion: "0.0"}, logger).Run()
		if err == nil {
			err = schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{DBName: db.name, SchemaName: db.schema}, logger).Run()
		}
		conn.Close()
		if err != nil {
			return fmt.Errorf("set up Temporal schema %s in %s: %w", db.schema, db.name, err)
		}
	}
	return nil
}

// registerNamespace creates namespace through the frontend when it does not exist (what
// the temporal-namespace job of docker-compose.yml does), retrying until the frontend
// answers or ctx ends.
func registerNamespace(ctx context.Context, address, namespace string) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		c, err := client.DialContext(ctx, client.Options{HostPort: address, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
		if err == nil {
			_, err = c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
				Namespace: namespace, WorkflowExecutionRetentionPeriod: durationpb.New(72 * time.Hour),
			})
			c.Close()
			var exists *serviceerror.NamespaceAlreadyExists
			if err == nil || errors.As(err, &exists) {
				return nil
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("register namespace %q at %s: %w", namespace, address, errors.Join(ctx.Err(), last))
		case <-tick.C:
		}
	}
}
