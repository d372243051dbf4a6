package main

import (
	"regexp"
	"strconv"
)

// config is the program's configuration, read from the environment.
type config struct {
	DatabaseURL     string
	TemporalAddress string
	Namespace       string
	TemporalUIURL   string
	HTTPAddr        string
	DataDir         string
	TemporalPort    int
	TemporalUIPort  int
	PGPort          int
	LogLevel        string
	// ContinueAsNewAfter (RENOFLOW_CONTINUE_AS_NEW_AFTER) forces Continue-As-New after
	// that many transitions per run; for tests of long-running customers.
	ContinueAsNewAfter int
}

func loadConfig(getenv func(string) string) config {
	str := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	num := func(key string, def int) int {
		if n, err := strconv.Atoi(getenv(key)); err == nil {
			return n
		}
		return def
	}
	return config{
		DatabaseURL:     getenv("DATABASE_URL"),
		TemporalAddress: getenv("TEMPORAL_ADDRESS"),
		Namespace:       str("TEMPORAL_NAMESPACE", "default"),
		TemporalUIURL:   getenv("TEMPORAL_UI_URL"),
		HTTPAddr:        str("HTTP_ADDR", ":8080"),
		DataDir:         str("RENOFLOW_DATA", ".renoflow"),
		TemporalPort:    num("TEMPORAL_PORT", 7233),
		TemporalUIPort:  num("TEMPORAL_UI_PORT", 8233),
		PGPort:          num("PG_PORT", 55432),
		LogLevel:        str("LOG_LEVEL", "info"),

		ContinueAsNewAfter: num("RENOFLOW_CONTINUE_AS_NEW_AFTER", 0),
	}
}

var passwordRE = regexp.MustCompile(`(//[^:/@]+):[^@/]*@`)
