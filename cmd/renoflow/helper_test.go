package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/encoding/protojson"
)

// helperEnv makes the test binary act as `renoflow dev` (for the kill -9 test).
const helperEnv = "RENOFLOW_TEST_HELPER_DEV"

func helperMain() int {
	if err := run(context.Background(), []string{"dev"}, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func quietLogger() tlog.Logger {
	return tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// collectHistory reads a whole workflow history.
func collectHistory(t interface {
	Helper()
	Fatalf(string, ...any)
}, it client.HistoryEventIterator) *historypb.History {
	t.Helper()
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("read history: %v", err)
		}
		h.Events = append(h.Events, ev)
	}
	return h
}

// writeHistory stores a history as JSON (the format replay tests read) under dir.
func writeHistory(t interface {
	Helper()
	Fatalf(string, ...any)
}, dir, name string, h *historypb.History) {
	t.Helper()
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatalf("encode history: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatalf("write history: %v", err)
	}
}
