package devstack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	"github.com/temporalio/ui-server/v2/server/server_options"
)

// uiHost is the address the Web UI listens on: loopback only, so the app's gate is the
// only way in.
const uiHost = "127.0.0.1"

// UIPublicPath is the path the app serves the Web UI under (server.TemporalUIPath).
const UIPublicPath = "/temporal"

// webUI is a running Temporal Web UI server.
type webUI struct {
	srv  *uiserver.Server
	done chan struct{} // closed when srv.Start has returned
	url  string
}

// startUI serves the Temporal Web UI (assets compiled into the ui-server
// module, so it works offline) on 127.0.0.1:port for the frontend at
// frontendAddr, and returns once it answers HTTP.
func startUI(ctx context.Context, frontendAddr string, port int, namespace string) (*webUI, error) {
	// ui-server's Start calls Logger.Fatal (os.Exit) when it cannot listen:
	// fail here with an error instead while we still can.
	if err := checkPortFree(uiHost, port); err != nil {
		return nil, fmt.Errorf("start Temporal Web UI: %w", err)
	}
	cfg := &uiconfig.Config{
		TemporalGRPCAddress: frontendAddr,
		Host:                uiHost,
		Port:                port,
		EnableUI:            true,
		DefaultNamespace:    namespace,
		CORS:                uiconfig.CORS{CookieInsecure: true}, // plain http on localhost
		HideLogs:            true,
		DisableNewsFetch:    true,  // offline: no fetch of temporal.io news
		NotifyOnNewVersion:  false, // offline: no GitHub release check
		// Served by the app under its own session at /temporal (server.TemporalUIPath),
		// to read only: every write the UI offers is off, and refused by the UI server.
		PublicPath:                UIPublicPath,
		DisableWriteActions:       true,
		WorkflowTerminateDisabled: true,
		WorkflowCancelDisabled:    true,
		WorkflowSignalDisabled:    true,
		WorkflowUpdateDisabled:    true,
		WorkflowResetDisabled:     true,
		WorkflowPauseDisabled:     true,
		BatchActionsDisabled:      true,
		StartWorkflowDisabled:     true,
		ActivityCommandsDisabled:  true,
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("validate Temporal Web UI config: %w", err)
	}
	u := &webUI{
		srv:  uiserver.NewServer(server_options.WithConfigProvider(cfg)),
		done: make(chan struct{}),
		url:  "http://" + uiHost + ":" + strconv.Itoa(port),
	}
	go func() {
		defer close(u.done)
		_ = u.srv.Start() // returns nil once Stop closes the server
	}()
	if err := u.waitReady(ctx); err != nil {
		u.stop()
		return nil, err
	}
	return u, nil
}

// waitReady polls the UI's health route until it answers 200.
func (u *webUI) waitReady(ctx context.Context) error {
	hc := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.url+UIPublicPath+"/healthz", nil)
		if err != nil {
			return fmt.Errorf("build Temporal Web UI health request: %w", err)
		}
		resp, err := hc.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("health check answered %s", resp.Status)
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for Temporal Web UI at %s: %w", u.url, errors.Join(ctx.Err(), lastErr))
		case <-u.done:
			return fmt.Errorf("temporal Web UI at %s stopped while starting", u.url)
		case <-tick.C:
		}
	}
}

// stop closes the UI server and waits until it has stopped serving.
func (u *webUI) stop() {
	u.srv.Stop()
	<-u.done
}
