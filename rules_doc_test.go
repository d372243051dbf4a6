package renoflow

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strings"
	"testing"
)

var (
	// docRef is a `path:Function` or `path:Type.Method` reference of docs/rules.md.
	docRef = regexp.MustCompile("`([A-Za-z0-9_./-]+\\.go):([A-Za-z0-9_.]+)`")
	// docPolicy is a `key=default` policy reference.
	docPolicy = regexp.MustCompile("`([a-z_]+(?:\\.[A-Z])?)=([^`]+)`")
)

// funcsOf lists the functions a Go file declares: "Name" and, for methods, "Type.Name".
func funcsOf(t *testing.T, path string, cache map[string]map[string]bool) (map[string]bool, error) {
	if fs, ok := cache[path]; ok {
		return fs, nil
	}
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	fs := map[string]bool{}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		name := fd.Name.Name
		if fd.Recv != nil && len(fd.Recv.List) == 1 {
			typ := fd.Recv.List[0].Type
			if star, ok := typ.(*ast.StarExpr); ok {
				typ = star.X
			}
			if idx, ok := typ.(*ast.IndexExpr); ok {
				typ = idx.X
			}
			if id, ok := typ.(*ast.Ident); ok {
				name = id.Name + "." + name
			}
		}
		fs[name] = true
	}
	cache[path] = fs
	return fs, nil
}

// docs/rules.md stays true: every function and test it names exists, every policy key
// and default is the shipped one, and every encoded row names a test.
func TestRulesDoc(t *testing.T) {
	raw, err := os.ReadFile("docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	policy := PolicyValues(DefaultPolicy()) // the one table of policy settings
	mentioned := 0
	cache := map[string]map[string]bool{}
	rows := 0
	ids := map[string]bool{}
	for n, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "| R") {
			continue
		}
		rows++
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 7 {
			t.Errorf("line %d: %d cells, want 7", n+1, len(cells))
			continue
		}
		id := strings.TrimSpace(cells[0])
		if ids[id] {
			t.Errorf("line %d: %s listed twice", n+1, id)
		}
		ids[id] = true
		for _, m := range docPolicy.FindAllStringSubmatch(cells[3], -1) {
			got, ok := policy[m[1]]
			switch {
			case !ok:
				t.Errorf("%s: no policy key %q", id, m[1])
			case got != m[2]:
				t.Errorf("%s: %s defaults to %s, the doc says %s", id, m[1], got, m[2])
			}
			mentioned++
		}
		for col, cell := range map[int]string{4: cells[4], 5: cells[5]} {
			for _, m := range docRef.FindAllStringSubmatch(cell, -1) {
				fs, err := funcsOf(t, m[1], cache)
				if err != nil {
					t.Errorf("%s: %v", id, err)
					continue
				}
				if !fs[m[2]] {
					t.Errorf("%s: %s declares no %s", id, m[1], m[2])
				}
				if isTest := strings.HasPrefix(m[2], "Test"); isTest != (col == 5) {
					t.Errorf("%s: %s:%s in the wrong column", id, m[1], m[2])
				}
			}
		}
		status := strings.TrimSpace(cells[6])
		switch {
		case strings.HasPrefix(status, "encoded"):
			if len(docRef.FindAllString(cells[5], -1)) == 0 || len(docRef.FindAllString(cells[4], -1)) == 0 {
				t.Errorf("%s: encoded, but names no code or no test", id)
			}
		case strings.HasPrefix(status, "decided"), strings.HasPrefix(status, "not a system rule"):
			if !strings.Contains(status, ":") {
				t.Errorf("%s: %q does not say why", id, status)
			}
		default:
			t.Errorf("%s: status %q is none of encoded / decided … / not a system rule …", id, status)
		}
	}
	if rows < 50 || mentioned == 0 {
		t.Fatalf("only %d rows in docs/rules.md", rows)
	}
	// Every setting of the policy is traced to a rule.
	for key := range policy {
		if !strings.Contains(string(raw), "`"+key+"=") {
			t.Errorf("policy key %s is in no row of docs/rules.md", key)
		}
	}
}

// Markers of the policy settings section of docs/rules.md, which is written from the one
// table of policy fields (PolicyFields).
const (
	policyDocBegin = "<!-- policy settings: written from renoflow.PolicyFields by TestRulesDocPolicySettings; RENOFLOW_UPDATE_DOCS=1 rewrites it -->"
	policyDocEnd   = "<!-- end of policy settings -->"
)

// policySettingsDoc is the policy settings section of docs/rules.md: one row per policy
// field with its key, label, SPEC section, kind and default.
func policySettingsDoc() string {
	var b strings.Builder
	b.WriteString(policyDocBegin + "\n\n| Key | Setting | SPEC | Kind | Default |\n|---|---|---|---|---|\n")
	def := DefaultPolicy()
	for _, f := range PolicyFields() {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", f.Key, f.Label, f.Section, f.Kind, f.Text(def))
	}
	b.WriteString("\n" + policyDocEnd)
	return b.String()
}

// The policy settings section of docs/rules.md is the table of policy fields as shipped.
func TestRulesDocPolicySettings(t *testing.T) {
	raw, err := os.ReadFile("docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, policyDocBegin), strings.Index(doc, policyDocEnd)
	if i < 0 || j < i {
		t.Fatalf("docs/rules.md has no policy settings section (%q … %q)", policyDocBegin, policyDocEnd)
	}
	want := policySettingsDoc()
	if got := doc[i : j+len(policyDocEnd)]; got != want {
		if os.Getenv("RENOFLOW_UPDATE_DOCS") == "1" {
			if err := os.WriteFile("docs/rules.md", []byte(doc[:i]+want+doc[j+len(policyDocEnd):]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("docs/rules.md's policy settings differ from PolicyFields; run RENOFLOW_UPDATE_DOCS=1 go test -run TestRulesDocPolicySettings .\n%s", want)
	}
}
