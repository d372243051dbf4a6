// Command renoflow runs the customer-lifecycle system: `dev` starts everything in one
// process (embedded Temporal with its Web UI, a managed PostgreSQL, the worker and the
// web app); `worker`, `server` and `migrate` are the production pieces.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "renoflow:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usage = `usage: renoflow <command>

commands:
  dev          everything in one process: embedded Temporal + Web UI, managed PostgreSQL
               (unless DATABASE_URL is set), worker and web app; prints the URLs
  worker       run the Temporal worker (needs TEMPORAL_ADDRESS and DATABASE_URL)
  server       run the HTTP API and web pages (needs TEMPORAL_ADDRESS and DATABASE_URL)
  migrate      apply database migrations and store the default policy, then exit
  healthcheck  GET the server's /healthz and exit 0 when healthy (for containers)
  admin create --login L --name N [--role admin]
               create a staff account, e.g. the first admin of an empty database; the
               password comes from RENOFLOW_ADMIN_PASSWORD, a prompt or stdin, never argv


`

// run is the whole program; main only wires the process to it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return fmt.Errorf("%w: no command", errUsage)
	}
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		printSettings(stdout)
		return nil
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	switch args[0] {
	case "dev":
		return runDev(ctx, cfg, stdout)
	case "worker":
		return runWorker(ctx, cfg, stdout)
	case "server":
		return runServer(ctx, cfg, stdout)
	case "migrate":
		return runMigrate(ctx, cfg, stdout)
	case "healthcheck":
		return runHealthcheck(ctx, cfg)
	case "admin":
		return runAdmin(ctx, cfg, args[1:], getenv, stdout)
	}
	fmt.Fprint(stdout, usage)
	return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
}
