package renoflow_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// composeTestPassword stands in for the POSTGRES_PASSWORD a deployment supplies.
const composeTestPassword = "compose-test-secret"

// loadCompose loads docker-compose.yml as `docker compose config` would, with a fixed project
// name and only the given variables: no .env file, no process environment, no Docker engine
// (the loader never resolves image digests).
func loadCompose(t *testing.T, env ...string) (*types.Project, error) {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(dir, "docker-compose.yml")},
		cli.WithName("renoflow-compose-test"),
		cli.WithWorkingDirectory(dir),
		cli.WithEnv(env),
	)
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

func composeProject(t *testing.T) *types.Project {
	t.Helper()
	p, err := loadCompose(t, "POSTGRES_PASSWORD="+composeTestPassword)
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p
}

func composeService(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	if err != nil {
		t.Fatalf("service %s: %v", name, err)
	}
	return s
}

// env returns the value of the environment variable key of s, and whether it is set.
func env(s types.ServiceConfig, key string) (string, bool) {
	v, ok := s.Environment[key]
	if !ok || v == nil {
		return "", false
	}
	return *v, true
}

func TestComposeLoads(t *testing.T) {
	p := composeProject(t)
	if p.Name != "renoflow-compose-test" {
		t.Errorf("project name = %q, want the fixed test name", p.Name)
	}
	for _, name := range []string{"postgres", "temporal", "temporal-ui", "migrate", "worker", "server"} {
		if _, err := p.GetService(name); err != nil {
			t.Errorf("service %s missing: %v", name, err)
		}
	}
}

func TestComposeRequiresPostgresPassword(t *testing.T) {
	if _, err := loadCompose(t); err == nil {
		t.Fatal("docker-compose.yml loads without POSTGRES_PASSWORD; the password must be required, not defaulted")
	} else if !strings.Contains(err.Error(), "POSTGRES_PASSWORD") {
		t.Errorf("error does not name POSTGRES_PASSWORD: %v", err)
	}
}

func TestComposeImagesPinned(t *testing.T) {
	p := composeProject(t)
	for name, s := range p.Services {
		if s.Image == "" {
			t.Errorf("service %s has no image (built services need a tagged image name too)", name)
			continue
		}
		// The tag is what follows the last ':' after the last '/' (a registry may have a port).
		ref := s.Image[strings.LastIndex(s.Image, "/")+1:]
		i := strings.LastIndex(ref, ":")
		if i < 0 || i == len(ref)-1 {
			t.Errorf("service %s: image %q has no tag", name, s.Image)
			continue
		}
		if tag := ref[i+1:]; tag == "latest" {
			t.Errorf("service %s: image %q uses :latest", name, s.Image)
		}
	}
}

func TestComposeRenoflowServices(t *testing.T) {
	p := composeProject(t)
	for _, name := range []string{"migrate", "worker", "server"} {
		s := composeService(t, p, name)
		if s.Build == nil || s.Build.Context == "" {
			t.Errorf("%s: not built from this repository", name)
		} else if df := s.Build.Dockerfile; df != "" && df != "Dockerfile" {
			t.Errorf("%s: builds %q, want the repository's Dockerfile", name, df)
		}
		if len(s.Command) == 0 || s.Command[0] != name {
			t.Errorf("%s: command = %q, want the %q subcommand", name, s.Command, name)
		}
		db, ok := env(s, "DATABASE_URL")
		if !ok || !strings.HasPrefix(db, "postgres://") || !strings.Contains(db, "@postgres:5432/renoflow") {
			t.Errorf("%s: DATABASE_URL = %q, want postgres://...@postgres:5432/renoflow", name, db)
		}
		if !strings.Contains(db, composeTestPassword) {
			t.Errorf("%s: DATABASE_URL does not carry POSTGRES_PASSWORD", name)
		}
		if addr, _ := env(s, "TEMPORAL_ADDRESS"); addr != "temporal:7233" {
			t.Errorf("%s: TEMPORAL_ADDRESS = %q, want temporal:7233", name, addr)
		}
		if ns, _ := env(s, "TEMPORAL_NAMESPACE"); ns == "" {
			t.Errorf("%s: TEMPORAL_NAMESPACE unset", name)
		}
		if ui, _ := env(s, "TEMPORAL_UI_URL"); !strings.HasPrefix(ui, "http") {
			t.Errorf("%s: TEMPORAL_UI_URL = %q, want a URL", name, ui)
		}
	}

	if m := composeService(t, p, "migrate"); m.Restart != "no" {
		t.Errorf("migrate: restart = %q, want \"no\" (a one-shot job)", m.Restart)
	}
	if w := composeService(t, p, "worker"); w.Deploy == nil || w.Deploy.Replicas == nil || *w.Deploy.Replicas < 2 {
		t.Errorf("worker: want deploy.replicas > 1, got %+v", w.Deploy)
	}
}

func TestComposeDependencies(t *testing.T) {
	p := composeProject(t)
	want := []struct{ service, on, condition string }{
		{"worker", "migrate", types.ServiceConditionCompletedSuccessfully},
		{"server", "migrate", types.ServiceConditionCompletedSuccessfully},
		{"migrate", "postgres", types.ServiceConditionHealthy},
		{"temporal", "postgres", types.ServiceConditionHealthy},
		{"temporal", "temporal-schema", types.ServiceConditionCompletedSuccessfully},
		{"temporal-namespace", "temporal", types.ServiceConditionHealthy},
		{"worker", "temporal-namespace", types.ServiceConditionCompletedSuccessfully},
	}
	for _, w := range want {
		s := composeService(t, p, w.service)
		d, ok := s.DependsOn[w.on]
		if !ok {
			t.Errorf("%s does not depend on %s", w.service, w.on)
			continue
		}
		if d.Condition != w.condition {
			t.Errorf("%s depends on %s with condition %q, want %q", w.service, w.on, d.Condition, w.condition)
		}
	}
	if d, ok := composeService(t, p, "worker").DependsOn["temporal"]; !ok {
		t.Error("worker does not depend on temporal")
	} else if d.Condition != types.ServiceConditionStarted && d.Condition != types.ServiceConditionHealthy {
		t.Errorf("worker depends on temporal with condition %q", d.Condition)
	}
}

func TestComposeTemporal(t *testing.T) {
	p := composeProject(t)
	tmp := composeService(t, p, "temporal")
	for key, want := range map[string]string{
		"DB":             "postgres12",
		"DB_PORT":        "5432",
		"POSTGRES_SEEDS": "postgres",
		"POSTGRES_PWD":   composeTestPassword,
	} {
		if got, _ := env(tmp, key); got != want {
			t.Errorf("temporal: %s = %q, want %q", key, got, want)
		}
	}
	if u, _ := env(tmp, "POSTGRES_USER"); u == "" {
		t.Error("temporal: POSTGRES_USER unset")
	}
	if !strings.HasPrefix(tmp.Image, "temporalio/server:1.32.") {
		t.Errorf("temporal: image %q, want temporalio/server 1.32.x (go.temporal.io/server in go.mod)", tmp.Image)
	}
	if tmp.HealthCheck == nil || len(tmp.HealthCheck.Test) == 0 || tmp.HealthCheck.Disable {
		t.Error("temporal: no healthcheck (worker and the namespace job wait for service_healthy)")
	}
	// The server image has no dynamic config file and temporal-server will not start without one.
	var dynamic bool
	for _, c := range tmp.Configs {
		if c.Target == "/etc/temporal/config/dynamicconfig/docker.yaml" {
			_, dynamic = p.Configs[c.Source]
		}
	}
	if !dynamic {
		t.Error("temporal: no config mounted at /etc/temporal/config/dynamicconfig/docker.yaml")
	}

	schema := composeService(t, p, "temporal-schema")
	if !strings.HasPrefix(schema.Image, "temporalio/admin-tools:1.32.") {
		t.Errorf("temporal-schema: image %q, want temporalio/admin-tools 1.32.x", schema.Image)
	}
	script := strings.Join(schema.Command, "\n")
	for _, db := range []string{"temporal", "temporal_visibility"} {
		if !regexp.MustCompile(`--db `+db+` create\b`).MatchString(script) ||
			!regexp.MustCompile(`--db `+db+` update-schema\b`).MatchString(script) {
			t.Errorf("temporal-schema does not create and migrate database %s:\n%s", db, script)
		}
	}
	if !strings.Contains(script, `"$schema/temporal/versioned"`) || !strings.Contains(script, `"$schema/visibility/versioned"`) {
		t.Errorf("temporal-schema: schema directories not passed through to the shell ($$ escaping?):\n%s", script)
	}
	if got, _ := env(schema, "SQL_PLUGIN"); got != "postgres12" {
		t.Errorf("temporal-schema: SQL_PLUGIN = %q, want postgres12", got)
	}

	ui := composeService(t, p, "temporal-ui")
	if addr, _ := env(ui, "TEMPORAL_ADDRESS"); addr != "temporal:7233" {
		t.Errorf("temporal-ui: TEMPORAL_ADDRESS = %q, want temporal:7233", addr)
	}
	// The UI has no login of its own: it is published nowhere, and the server (the only
	// way in, behind its session and role check) reaches it on the compose network, where
	// it serves read-only under the app's path.
	if len(ui.Ports) != 0 {
		t.Errorf("temporal-ui: publishes %+v; it must be reachable only through the server's /temporal", ui.Ports)
	}
	for key, want := range map[string]string{"TEMPORAL_UI_PUBLIC_PATH": "/temporal", "TEMPORAL_DISABLE_WRITE_ACTIONS": "true",
		"TEMPORAL_WORKFLOW_TERMINATE_DISABLED": "true", "TEMPORAL_WORKFLOW_CANCEL_DISABLED": "true",
		"TEMPORAL_WORKFLOW_RESET_DISABLED": "true", "TEMPORAL_BATCH_ACTIONS_DISABLED": "true"} {
		if got, _ := env(ui, key); got != want {
			t.Errorf("temporal-ui: %s = %q, want %q", key, got, want)
		}
	}
	for _, name := range []string{"server", "worker", "migrate"} {
		if got, _ := env(composeService(t, p, name), "TEMPORAL_UI_URL"); got != "http://temporal-ui:8080" {
			t.Errorf("%s: TEMPORAL_UI_URL = %q, want the UI on the compose network", name, got)
		}
	}
	for _, s := range p.Services {
		for _, port := range s.Ports {
			if port.Target == 8080 && s.Name == "temporal-ui" || port.Published == "8233" {
				t.Errorf("%s publishes the Temporal UI: %+v", s.Name, port)
			}
		}
	}
}

// publishes reports whether s publishes container port target on host port published.
func publishes(s types.ServiceConfig, target uint32, published string) bool {
	for _, port := range s.Ports {
		if port.Target == target && port.Published == published {
			return true
		}
	}
	return false
}

func TestComposeServerAndPostgres(t *testing.T) {
	p := composeProject(t)
	srv := composeService(t, p, "server")
	if !publishes(srv, 8080, "8080") {
		t.Errorf("server: want port 8080:8080, got %+v", srv.Ports)
	}
	if addr, _ := env(srv, "HTTP_ADDR"); addr != ":8080" {
		t.Errorf("server: HTTP_ADDR = %q, want :8080", addr)
	}
	if srv.HealthCheck == nil || srv.HealthCheck.Disable || len(srv.HealthCheck.Test) < 2 {
		t.Fatalf("server: no healthcheck: %+v", srv.HealthCheck)
	}
	// The runtime image is distroless: a CMD-SHELL, curl or wget check cannot run there.
	if test := srv.HealthCheck.Test; test[0] != "CMD" || test[1] != "/renoflow" {
		t.Errorf("server: healthcheck %q must exec the renoflow binary (no shell/curl/wget in the image)", test)
	}

	pg := composeService(t, p, "postgres")
	if !strings.HasPrefix(pg.Image, "postgres:") {
		t.Errorf("postgres: image %q", pg.Image)
	}
	if pg.HealthCheck == nil || !strings.Contains(strings.Join(pg.HealthCheck.Test, " "), "pg_isready") {
		t.Errorf("postgres: healthcheck must use pg_isready, got %+v", pg.HealthCheck)
	}
	if pw, _ := env(pg, "POSTGRES_PASSWORD"); pw != composeTestPassword {
		t.Errorf("postgres: POSTGRES_PASSWORD = %q, want the supplied one", pw)
	}
	if u, _ := env(pg, "POSTGRES_USER"); u == "" {
		t.Error("postgres: POSTGRES_USER unset")
	}
	var named bool
	for _, v := range pg.Volumes {
		if v.Type == types.VolumeTypeVolume && v.Target == "/var/lib/postgresql/data" {
			_, named = p.Volumes[v.Source]
		}
	}
	if !named {
		t.Errorf("postgres: data is not on a named volume: %+v", pg.Volumes)
	}
	// Neither the database nor Temporal's unauthenticated frontend is published on the host.
	for _, name := range []string{"postgres", "temporal"} {
		if s := composeService(t, p, name); len(s.Ports) != 0 {
			t.Errorf("%s publishes host ports %+v", name, s.Ports)
		}
	}
}

func TestComposeDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, re := range []string{
		`(?m)^FROM golang:1\.26(\.\d+)?\S* AS build$`,
		`(?m)CGO_ENABLED=0 go build -trimpath -tags nodev -o /renoflow \./cmd/renoflow\s*$`,
		`(?m)^FROM gcr\.io/distroless/static-debian12:nonroot$`,
		`(?m)^COPY --from=build /renoflow /renoflow$`,
		`(?m)^ENTRYPOINT \["/renoflow"\]$`,
	} {
		if !regexp.MustCompile(re).MatchString(df) {
			t.Errorf("Dockerfile does not match %s", re)
		}
	}
}

// Prometheus scrapes /metrics of every worker and server replica on their METRICS_ADDR,
// and the Grafana dashboard shipped beside it reads only metrics renoflow exports.
func TestComposePrometheus(t *testing.T) {
	p := composeProject(t)
	prom := composeService(t, p, "prometheus")
	if !strings.HasPrefix(prom.Image, "prom/prometheus:v") {
		t.Errorf("prometheus: image %q", prom.Image)
	}
	var content string
	for _, c := range prom.Configs {
		if c.Target == "/etc/prometheus/prometheus.yml" {
			if cfg, ok := p.Configs[c.Source]; ok {
				content = cfg.Content
			}
		}
	}
	if content == "" {
		t.Fatal("prometheus: no prometheus.yml mounted from the compose configs")
	}
	for _, name := range []string{"worker", "server"} {
		s := composeService(t, p, name)
		addr, _ := env(s, "METRICS_ADDR")
		port := strings.TrimPrefix(addr, ":")
		if addr == "" || port == addr {
			t.Errorf("%s: METRICS_ADDR = %q, want :PORT", name, addr)
			continue
		}
		if !regexp.MustCompile(`names: \[` + name + `\]\s+type: A\s+port: ` + port).MatchString(content) {
			t.Errorf("prometheus does not scrape %s on port %s:\n%s", name, port, content)
		}
	}
	for _, port := range prom.Ports {
		if port.HostIP != "127.0.0.1" {
			t.Errorf("prometheus publishes %+v beyond the host's loopback", port)
		}
	}

	b, err := os.ReadFile("docs/grafana/renoflow.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	exported := regexp.MustCompile(`^(renoflow_(http_requests_total|http_request_duration_seconds_bucket|activity_failures_total|open_tasks|overdue_tasks|timer_lateness_seconds_(bucket|count))|temporal_[a-z_]+)$`)
	seen := map[string]bool{}
	for _, panel := range dash.Panels {
		for _, tg := range panel.Targets {
			for _, m := range regexp.MustCompile(`\b(renoflow|temporal)_[a-z_]+`).FindAllString(tg.Expr, -1) {
				if !exported.MatchString(m) {
					t.Errorf("panel %q reads %s, which renoflow does not export", panel.Title, m)
				}
				seen[strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_count")] = true
			}
		}
	}
	for _, want := range []string{"renoflow_http_requests_total", "renoflow_http_request_duration_seconds", "renoflow_activity_failures_total",
		"renoflow_open_tasks", "renoflow_overdue_tasks", "renoflow_timer_lateness_seconds"} {
		if !seen[want] {
			t.Errorf("the dashboard has no panel on %s", want)
		}
	}
}
