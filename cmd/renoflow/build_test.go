package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The production build (-tags nodev, as the Dockerfile builds it) compiles and leaves the
// embedded dev stack out: it refuses `dev` with a clear message.
func TestProductionBuildHasNoDevStack(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "renoflow")
	out, err := exec.Command("go", "build", "-tags", "nodev", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	out, err = exec.Command(bin, "dev").CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), "no dev command")
	deps, err := exec.Command("go", "list", "-tags", "nodev", "-deps", ".").Output()
	require.NoError(t, err)
	require.NotContains(t, string(deps), "go.temporal.io/server", "the Temporal server is not linked into production")
}
