// Package server is renoflow's HTTP API and staff web pages (zh-CN), on fiber. Staff
// actions become updates of the customer's workflow; lists and pages read the rows the
// workflow's activities keep current in PostgreSQL.
package server

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/internal/metrics"
	"github.com/renoflow/renoflow/postgres"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/client"
)

// Config holds the server's settings.
type Config struct {
	// DemoLogins lists the demo accounts on the login page (the dev command only).
	DemoLogins bool
	// Namespace is the Temporal namespace of the workflows.
	Namespace string
	// TemporalUIURL is the base URL the app reaches the Temporal Web UI at (loopback or
	// a private network; the UI's public path must be TemporalUIPath). The app serves it
	// under TemporalUIPath to supervisors and admins only, read-only; "" hides it.
	TemporalUIURL string
	// SessionTTL is how long a login lasts (default 12 h).
	SessionTTL time.Duration
	// SecureCookies marks cookies Secure always; without it they are Secure when the
	// request came over HTTPS (directly, or X-Forwarded-Proto: https from a trusted proxy).
	SecureCookies bool
	// TrustedProxies lists the reverse proxies (addresses or CIDR ranges) whose
	// X-Forwarded-Proto and X-Forwarded-For are believed; from anyone else they are ignored.
	TrustedProxies []string
	// LoginThrottle limits failed sign-ins (zero: DefaultLoginThrottle); tests shrink it.
	LoginThrottle LoginThrottle
	// Now is the server clock (default time.Now); tests inject one.
	Now func() time.Time
	// FilingWait bounds how long a filing (and an action on a customer still being
	// filed) waits for the workflow to write the record (default 25 s, within the 30 s
	// write timeout): past it the filing answers 202 with a status URL, the action 409
	// "正在建档，请稍候". The wait ends as soon as the record is written.
	FilingWait time.Duration
	// ActionWait bounds how long a staff action waits for the workflow's answer (default
	// 25 s); past it the action answers 503 (it may still complete: its request ID makes
	// a retry the same action).
	ActionWait time.Duration
	// ContinueAsNewAfter makes new customer workflows continue as new after that many
	// transitions per run (0: when Temporal suggests it); tests set it low.
	ContinueAsNewAfter int
	// Metrics counts and times requests when set; MetricsOnApp also serves it on GET
	// /metrics of the app, to loopback clients only (dev).
	Metrics      *metrics.Set
	MetricsOnApp bool
	// FiledNotices makes a filing wait for its write's announcement from PostgreSQL
	// (postgres.FiledChannel) and start its workflow eagerly, instead of sending the
	// workflow an update with the start (issue 15). The server's tests, whose Temporal
	// is a fake that writes nothing, leave it off.
	FiledNotices bool
}

// Server holds the dependencies of the handlers.
type Server struct {
	temporal client.Client
	db       *bun.DB
	log      *slog.Logger
	cfg      Config
	trusted  []*net.IPNet  // Config.TrustedProxies
	filed    *filedNotices // Config.FiledNotices
	policies postgres.PolicyCache
}

// NewServer builds the fiber app with every route.
func NewServer(c client.Client, db *bun.DB, log *slog.Logger, cfg Config) *fiber.App {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.FilingWait == 0 {
		cfg.FilingWait = 25 * time.Second
	}
	if cfg.ActionWait == 0 {
		cfg.ActionWait = 25 * time.Second
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	if cfg.LoginThrottle == (LoginThrottle{}) {
		cfg.LoginThrottle = DefaultLoginThrottle
	}
	s := &Server{temporal: c, db: db, log: log, cfg: cfg, trusted: trustedNets(cfg.TrustedProxies)}
	if cfg.FiledNotices {
		s.filed = listenFiled(db, log)
	}
	app := fiber.New(fiber.Config{
		AppName:               "renoflow",
		ErrorHandler:          s.errorHandler,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		BodyLimit:             1 << 20,
		// X-Forwarded-* only from the proxies listed (none by default).
		EnableTrustedProxyCheck: true,
		TrustedProxies:          cfg.TrustedProxies,
	})
	s.routes(app)
	if s.filed != nil {
		app.Hooks().OnShutdown(s.filed.close)
	}
	return app
}

func (s *Server) now() time.Time { return s.cfg.Now().UTC() }

// errorBody is the JSON shape of every API error.
type errorBody struct {
	Error *renoflow.Error `json:"error"`
}

// statusOf maps a domain error code to its HTTP status.
func statusOf(code renoflow.ErrorCode) int {
	switch code {
	case renoflow.CodeInvalid:
		return http.StatusUnprocessableEntity
	case renoflow.CodeConflict:
		return http.StatusConflict
	case renoflow.CodeNotFound:
		return http.StatusNotFound
	case renoflow.CodeForbidden:
		return http.StatusForbidden
	case renoflow.CodeUnauthorized:
		return http.StatusUnauthorized
	case renoflow.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// errorHandler maps every error once: domain errors by code, fiber errors by status,
// anything else as 500 (logged, not shown).
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	de := asDomainError(err)
	status := statusOf(de.Code)
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status = fe.Code
	}
	var se *statusError
	if errors.As(err, &se) {
		status = se.status
	}
	if status >= 500 {
		s.log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
		if de.Code == renoflow.CodeInternal {
			de = &renoflow.Error{Code: renoflow.CodeInternal, Message: "服务器内部错误"}
		}
	}
	if wantsHTML(c) {
		return s.renderError(c, status, de)
	}
	return c.Status(status).JSON(errorBody{Error: de})
}

// asDomainError finds the domain error in err's chain, or describes err as one: a
// backing service down or too slow is CodeUnavailable (503, see unavailable).
func asDomainError(err error) *renoflow.Error {
	var de *renoflow.Error
	if errors.As(err, &de) && de.Code != renoflow.CodeUnavailable {
		return de // a refusal or bad input, whatever else the chain holds
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code := renoflow.CodeInternal
		msg := fe.Message
		switch fe.Code {
		case http.StatusNotFound:
			code, msg = renoflow.CodeNotFound, "页面不存在"
		case http.StatusMethodNotAllowed:
			code, msg = renoflow.CodeNotFound, "不支持该请求方法"
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			code = renoflow.CodeInvalid
		}
		return &renoflow.Error{Code: code, Message: msg}
	}
	if u := unavailable(err); u != nil {
		return u // the message of the service that is down
	}
	if de != nil {
		return de
	}
	return &renoflow.Error{Code: renoflow.CodeInternal, Message: err.Error()}
}
