package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/renoflow/renoflow/internal/metrics"
)

// serveMetrics serves m on http://addr/metrics until ctx ends, when addr is set
// (METRICS_ADDR), and prints the URL; it returns the URL, or "" when addr is empty.
func serveMetrics(ctx context.Context, m *metrics.Set, addr string, log *slog.Logger, stdout io.Writer) (string, error) {
	if addr == "" {
		return "", nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen for metrics on %s (METRICS_ADDR): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	url := httpURL(ln.Addr().String()) + "/metrics"
	fmt.Fprintf(stdout, "renoflow metrics on %s\n", url)
	return url, nil
}
