package workflows

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// No infrastructure error ends a customer's workflow (issue 9): this guard scans the
// workflow's source and fails when an error coming from an activity or local activity
// can be returned by CustomerWorkflow, directly or through the functions it returns the
// errors of (setup, run, fireDue, env, persist, …).
//
// The analysis is syntactic and conservative. Inside each function (not descending into
// function literals, which are update handlers: their errors answer the caller and do
// not end the run), a variable is tainted when it is assigned from an expression that
// calls workflow.ExecuteActivity / ExecuteLocalActivity / ExecuteChildWorkflow, uses a
// tainted variable, or calls a tainted function of this package. A function is tainted
// when one of its returns puts a tainted expression in an error result. CustomerWorkflow
// must not be tainted.
func TestNoActivityErrorEndsTheWorkflow(t *testing.T) {
	tainted, why := taintedFunctions(t, ".")
	require.False(t, tainted["CustomerWorkflow"],
		"an activity error can end the customer workflow:\n%s", strings.Join(why, "\n"))
	for _, f := range []string{"setup", "run", "fireDue", "env"} {
		require.False(t, tainted[f], "%s returns activity errors:\n%s", f, strings.Join(why, "\n"))
	}
}

// The guard finds what it guards against: the pattern of the old code (an activity error
// returned from env, through setup, out of the workflow) is caught.
func TestGuardCatchesActivityErrorPaths(t *testing.T) {
	dir := t.TempDir()
	src := `package x
func CustomerWorkflow(ctx workflow.Context) error {
	w := &impl{}
	if err := w.setup(ctx); err != nil {
		return err
	}
	return nil
}
func (w *impl) setup(ctx workflow.Context) error {
	env, err := w.env(ctx)
	if err != nil {
		return err
	}
	_ = env
	return nil
}
func (w *impl) env(ctx workflow.Context) (int, error) {
	var n int
	if err := workflow.ExecuteLocalActivity(ctx, "LoadPolicy").Get(ctx, &n); err != nil {
		return 0, fmt.Errorf("load policy: %w", err)
	}
	return n, nil
}
`
	require.NoError(t, writeFile(filepath.Join(dir, "x.go"), src))
	tainted, _ := taintedFunctions(t, dir)
	require.True(t, tainted["env"])
	require.True(t, tainted["setup"])
	require.True(t, tainted["CustomerWorkflow"])
}

// taintedFunctions analyses the non-test Go files of dir; functions are keyed by name
// (methods by their bare name).
func taintedFunctions(t *testing.T, dir string) (map[string]bool, []string) {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	require.NoError(t, err)
	funcs := map[string]*ast.FuncDecl{}
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
					funcs[fd.Name.Name] = fd
				}
			}
		}
	}
	require.NotEmpty(t, funcs)
	tainted := map[string]bool{}
	reasons := map[string]string{}
	for changed := true; changed; {
		changed = false
		for name, fd := range funcs {
			if tainted[name] {
				continue
			}
			if pos, ok := returnsTaint(fd, tainted); ok {
				tainted[name], changed = true, true
				reasons[name] = fset.Position(pos).String()
			}
		}
	}
	var why []string
	for name, at := range reasons {
		why = append(why, "  "+name+" returns an activity error at "+at)
	}
	sort.Strings(why)
	return tainted, why
}

// returnsTaint reports whether fd returns a tainted expression in an error result, and where.
func returnsTaint(fd *ast.FuncDecl, taintedFuncs map[string]bool) (token.Pos, bool) {
	var errorResults []int
	if fd.Type.Results != nil {
		i := 0
		for _, field := range fd.Type.Results.List {
			n := max(len(field.Names), 1)
			for j := 0; j < n; j++ {
				if id, ok := field.Type.(*ast.Ident); ok && id.Name == "error" {
					errorResults = append(errorResults, i)
				}
				i++
			}
		}
	}
	if len(errorResults) == 0 {
		return token.NoPos, false
	}
	vars := map[any]bool{}
	// Taint flows forward through assignments; iterate to a fixed point (loops).
	for changed := true; changed; {
		changed = false
		inspectOwn(fd.Body, func(n ast.Node) {
			switch a := n.(type) {
			case *ast.AssignStmt:
				if !a.Tok.IsOperator() && a.Tok != token.DEFINE && a.Tok != token.ASSIGN {
					return
				}
				hot := false
				for _, r := range a.Rhs {
					hot = hot || taintedExpr(r, vars, taintedFuncs)
				}
				if !hot {
					return
				}
				for _, l := range a.Lhs {
					if id, ok := l.(*ast.Ident); ok && id.Name != "_" && !vars[varKey(id)] {
						vars[varKey(id)], changed = true, true
					}
				}
			case *ast.ValueSpec:
				hot := false
				for _, v := range a.Values {
					hot = hot || taintedExpr(v, vars, taintedFuncs)
				}
				if hot {
					for _, id := range a.Names {
						if !vars[varKey(id)] {
							vars[varKey(id)], changed = true, true
						}
					}
				}
			}
		})
	}
	var at token.Pos
	inspectOwn(fd.Body, func(n ast.Node) {
		r, ok := n.(*ast.ReturnStmt)
		if !ok || at != token.NoPos {
			return
		}
		if len(r.Results) == 1 && len(errorResults) > 0 && (len(errorResults) > 1 || errorResults[0] != 0) {
			// return f(...) of a multi-result call: tainted when the call is.
			if taintedExpr(r.Results[0], vars, taintedFuncs) {
				at = r.Pos()
			}
			return
		}
		for _, i := range errorResults {
			if i < len(r.Results) && taintedExpr(r.Results[i], vars, taintedFuncs) {
				at = r.Pos()
			}
		}
	})
	return at, at != token.NoPos
}

// varKey identifies a variable: its declaration (so `err` of one if-statement is not
// `err` of the next), or its name when the parser did not resolve it.
func varKey(id *ast.Ident) any {
	if id.Obj != nil {
		return id.Obj
	}
	return id.Name
}

// inspectOwn walks n without descending into function literals.
func inspectOwn(n ast.Node, fn func(ast.Node)) {
	ast.Inspect(n, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		if n != nil {
			fn(n)
		}
		return true
	})
}

// activityCalls are the SDK calls whose results carry activity errors.
var activityCalls = map[string]bool{"ExecuteActivity": true, "ExecuteLocalActivity": true, "ExecuteChildWorkflow": true}

// taintedExpr reports whether e uses a tainted variable or calls an activity or a tainted function.
func taintedExpr(e ast.Expr, vars map[any]bool, funcs map[string]bool) bool {
	hot := false
	inspectOwn(e, func(n ast.Node) {
		switch x := n.(type) {
		case *ast.Ident:
			hot = hot || vars[varKey(x)]
		case *ast.CallExpr:
			switch f := x.Fun.(type) {
			case *ast.Ident:
				hot = hot || funcs[f.Name]
			case *ast.SelectorExpr:
				hot = hot || activityCalls[f.Sel.Name] || funcs[f.Sel.Name]
			}
		}
	})
	return hot
}

func writeFile(path, src string) error { return os.WriteFile(path, []byte(src), 0o644) }
