package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The worker is sized from the settings (issue 15): a bounded sticky cache, more than the
// SDK's 2 workflow pollers, activity slots matching the database pool, and a sticky
// schedule-to-start timeout longer than the SDK's 5 s.
func TestWorkerOptionsFromSettings(t *testing.T) {
	cfg, err := loadConfig(func(string) string { return "" })
	require.NoError(t, err)
	require.Equal(t, 1000, cfg.WorkerStickyCache)
	opts := workerOptions(cfg)
	require.Equal(t, 4, opts.MaxConcurrentWorkflowTaskPollers)
	require.Equal(t, 4, opts.MaxConcurrentActivityTaskPollers)
	require.Equal(t, 64, opts.MaxConcurrentWorkflowTaskExecutionSize)
	require.Equal(t, cfg.DBMaxOpenConns, opts.MaxConcurrentActivityExecutionSize)
	require.Equal(t, 20, opts.MaxConcurrentLocalActivityExecutionSize)
	require.Equal(t, 15*time.Second, opts.StickyScheduleToStartTimeout)

	cfg, err = loadConfig(func(k string) string {
		return map[string]string{"WORKER_STICKY_CACHE": "50", "WORKER_WORKFLOW_POLLERS": "6", "WORKER_STICKY_TIMEOUT": "30s", "WORKER_ACTIVITIES": "8"}[k]
	})
	require.NoError(t, err)
	require.Equal(t, 50, cfg.WorkerStickyCache)
	opts = workerOptions(cfg)
	require.Equal(t, 6, opts.MaxConcurrentWorkflowTaskPollers)
	require.Equal(t, 8, opts.MaxConcurrentActivityExecutionSize)
	require.Equal(t, 30*time.Second, opts.StickyScheduleToStartTimeout)

	_, err = loadConfig(func(k string) string {
		return map[string]string{"WORKER_STICKY_CACHE": "0", "WORKER_WORKFLOW_POLLERS": "1", "WORKER_STICKY_TIMEOUT": "10ms"}[k]
	})
	require.Error(t, err)
	for _, key := range []string{"WORKER_STICKY_CACHE", "WORKER_WORKFLOW_POLLERS", "WORKER_STICKY_TIMEOUT"} {
		require.True(t, strings.Contains(err.Error(), key), "%s not named in %v", key, err)
	}
}
