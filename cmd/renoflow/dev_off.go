//go:build nodev

package main

import (
	"context"
	"errors"
	"io"
)

// runDev is left out of production builds (-tags nodev): they run against an external
// Temporal and PostgreSQL, and leave the embedded Temporal server out of the binary.
func runDev(context.Context, config, io.Writer) error {
	return errors.New("this build has no dev command (built with -tags nodev); use worker and server")
}
