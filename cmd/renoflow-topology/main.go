// Command renoflow-topology runs renoflow in its production shape on one machine, each
// piece a separate process, as docker-compose.yml arranges them but without a container
// engine: PostgreSQL (a managed cluster), a Temporal server persisted in that PostgreSQL
// (schema set up by the server's own SQL schema tool) with its Web UI, `renoflow migrate`
// twice at once, then 2 `renoflow worker` and 2 `renoflow server` processes of the
// production build (-tags nodev), each serving Prometheus /metrics on its METRICS_ADDR.
//
//	go run ./cmd/renoflow-topology [-dir DIR] [-workers 2] [-servers 2]
//
// prints every URL and runs until Ctrl-C. `renoflow-topology temporal -pg HOST:PORT …` is
// the Temporal server process it starts (the Temporal server stays out of the renoflow
// binary).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/renoflow/renoflow/internal/devstack"
	"github.com/renoflow/renoflow/worker"
)

func main() {
	ctx, stop := signalContext()
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "temporal" {
		err = runTemporal(ctx, os.Args[2:], os.Stdout)
	} else {
		err = runTopology(ctx, os.Args[1:], os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "renoflow-topology:", err)
		os.Exit(1)
	}
}

// signalContext ends on Ctrl-C or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// temporalReady is the line the Temporal process prints once it serves.
const temporalReady = "temporal ready"

// runTemporal is the Temporal server process: PostgreSQL persistence, its Web UI, the
// namespace and renoflow's search attributes; it runs until ctx ends.
func runTemporal(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("temporal", flag.ContinueOnError)
	pg := fs.String("pg", "127.0.0.1:5432", "PostgreSQL host:port holding Temporal's databases")
	user := fs.String("user", "postgres", "PostgreSQL user")
	dir := fs.String("dir", ".renoflow/topology/temporal", "directory of the server log")
	port := fs.Int("port", 7233, "frontend gRPC port")
	uiPort := fs.Int("ui-port", 8233, "Web UI port")
	namespace := fs.String("namespace", "default", "namespace created when missing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	t, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{
		DataDir: *dir, Port: *port, UIPort: *uiPort, Namespace: *namespace, LogLevel: "warn",
		SearchAttributes: worker.SearchAttributes(),
		Postgres:         &devstack.Postgres{Addr: *pg, User: *user, Password: os.Getenv("TEMPORAL_PG_PASSWORD")},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s %s\n", temporalReady, t.Address(), t.UIURL())
	<-ctx.Done()
	return t.Stop()
}

// runTopology starts the whole topology and prints its URLs; Ctrl-C stops it.
func runTopology(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("renoflow-topology", flag.ContinueOnError)
	dir := fs.String("dir", ".renoflow/topology", "working directory: PostgreSQL data, logs, binaries")
	workers := fs.Int("workers", 2, "renoflow worker processes")
	servers := fs.Int("servers", 2, "renoflow server processes")
	bin := fs.String("renoflow", "", "a renoflow binary built with -tags nodev (default: build one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	t, err := Start(ctx, Options{Dir: abs, Renoflow: *bin, Temporal: []string{self, "temporal"},
		Workers: *workers, Servers: *servers, Progress: stdout})
	if err != nil {
		return err
	}
	defer t.Stop()
	var b strings.Builder
	fmt.Fprintf(&b, "renoflow topology ready (demo logins: admin, sup1, sm1, cm1, sa1, cs1, d1 — password \"renoflow\")\n")
	fmt.Fprintf(&b, "  PostgreSQL   %s\n  Temporal     %s (PostgreSQL persistence)\n  Temporal UI  %s\n", t.DBURL, t.TemporalAddr, t.UIURL)
	for _, s := range t.Servers {
		fmt.Fprintf(&b, "  %-12s %s   (metrics %s)\n", s.Name, s.URL, s.MetricsURL)
	}
	for _, w := range t.Workers {
		fmt.Fprintf(&b, "  %-12s metrics %s\n", w.Name, w.MetricsURL)
	}
	fmt.Fprintf(&b, "  logs         %s\nPress Ctrl-C to stop.\n", filepath.Join(abs, "logs"))
	fmt.Fprint(stdout, b.String())
	select {
	case <-ctx.Done():
	case err := <-t.Failed():
		return errors.Join(errors.New("a process of the topology exited"), err)
	}
	fmt.Fprintln(stdout, "stopping…")
	return nil
}
