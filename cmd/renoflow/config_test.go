package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TemporalPort != 7233 || cfg.HTTPAddr != ":8080" || cfg.LogLevel != slog.LevelInfo || cfg.Namespace != "default" {
		t.Fatalf("defaults: %+v", cfg)
	}
}

// A bad value stops the start with a message naming the variable; nothing falls back to a
// default silently.
func TestLoadConfigRefusesBadValues(t *testing.T) {
	for _, tc := range []struct{ key, value string }{
		{"TEMPORAL_PORT", "seventy"},
		{"TEMPORAL_PORT", "70000"},
		{"TEMPORAL_UI_PORT", "65536"},
		{"DB_MAX_OPEN_CONNS", "0"},
		{"DB_MAX_IDLE_CONNS", "50"}, // more than DB_MAX_OPEN_CONNS
		{"TEMPORAL_DB_CONNS", "-1"},
		{"PG_PORT", "-1"},
		{"LOG_LEVEL", "loud"},
		{"RENOFLOW_CONTINUE_AS_NEW_AFTER", "x"},
		{"RENOFLOW_CONTINUE_AS_NEW_AFTER", "-3"},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			_, err := loadConfig(func(k string) string {
				if k == tc.key {
					return tc.value
				}
				return ""
			})
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("%s=%s: got %v, want an error naming %s", tc.key, tc.value, err, tc.key)
			}
		})
	}
}

func TestLoadConfigReadsValues(t *testing.T) {
	env := map[string]string{"TEMPORAL_PORT": "17233", "LOG_LEVEL": "debug", "HTTP_ADDR": "127.0.0.1:0"}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TemporalPort != 17233 || cfg.LogLevel != slog.LevelDebug || cfg.HTTPAddr != "127.0.0.1:0" {
		t.Fatalf("read: %+v", cfg)
	}
}

// `renoflow help` lists every setting from the declarations, with its default.
func TestHelpPrintsSettings(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"help"}, func(string) string { return "" }, &out); err != nil {
		t.Fatal(err)
	}
	for _, s := range settings() {
		if !strings.Contains(out.String(), s.key) {
			t.Errorf("help does not mention %s:\n%s", s.key, out.String())
		}
	}
	if !strings.Contains(out.String(), "7233") {
		t.Errorf("help does not show defaults:\n%s", out.String())
	}
}

// A bad setting stops every command before it starts anything.
func TestRunStopsOnBadSetting(t *testing.T) {
	err := run(t.Context(), []string{"migrate"}, func(k string) string {
		if k == "TEMPORAL_PORT" {
			return "x"
		}
		return ""
	}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "TEMPORAL_PORT") {
		t.Fatalf("got %v", err)
	}
}
