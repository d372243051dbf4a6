package workflows

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
)

// TestReplayRecordedHistories replays every history recorded from a shipped version of
// the customer workflow (testdata/*.json, recorded by cmd/renoflow's TestRecordHistories
// against a real server). A change that would break customers already in flight fails
// here; such a change must be made behind workflow.GetVersion.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(CustomerWorkflow)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(quietLog(), f))
		})
	}
}
