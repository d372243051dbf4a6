package devstack

import "testing"

// The embedded server's SQLite pool has MaxConns connections (1 by default, the fastest
// measured) on a file in WAL mode, all kept idle; an in-memory database keeps the plugin's one.
func TestSQLitePoolSize(t *testing.T) {
	for _, tt := range []struct {
		opts TemporalOptions
		want int
	}{
		{TemporalOptions{DataDir: t.TempDir(), Namespace: "default"}, 1},
		{TemporalOptions{DataDir: t.TempDir(), Namespace: "default", MaxConns: 7}, 7},
		{TemporalOptions{Namespace: "default"}, 0}, // in memory: the plugin's 1
	} {
		cfg, err := prepareDatabase(tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.MaxConns != tt.want || (tt.want > 0 && cfg.MaxIdleConns != tt.want) {
			t.Errorf("%+v: MaxConns %d, MaxIdleConns %d; want %d", tt.opts, cfg.MaxConns, cfg.MaxIdleConns, tt.want)
		}
	}
}
