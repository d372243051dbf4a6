package server

import (
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/renoflow/renoflow/workflows"
)

// observability registers, before every route, the middleware that counts and times each
// request per route pattern and status (renoflow_http_requests_total,
// renoflow_http_request_duration_seconds) and logs it with the customer_id and workflow_id
// it concerns; and, when Config.MetricsOnApp, GET /metrics on the app itself, answered to
// loopback clients only (dev).
func (s *Server) observability(app *fiber.App) {
	app.Use(s.observe)
	if s.cfg.Metrics != nil && s.cfg.MetricsOnApp {
		h := adaptor.HTTPHandler(s.cfg.Metrics.Handler())
		app.Get("/metrics", func(c *fiber.Ctx) error {
			if ip := net.ParseIP(c.Context().RemoteIP().String()); ip == nil || !ip.IsLoopback() {
				return fiber.ErrNotFound
			}
			return h(c)
		})
	}
}

// customerLocation finds the customer in a Location header (/api/customers/<id>, /customers/<id>).
var customerLocation = regexp.MustCompile(`/customers/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})`)

// observe runs the rest of the chain, answers its error through the error handler (so the
// status is known here), then records the request.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	if err := c.Next(); err != nil {
		if herr := c.App().Config().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	elapsed := time.Since(start)
	// fiber's strings point into buffers it reuses: copy what outlives the request.
	method, path := strings.Clone(c.Method()), strings.Clone(c.Path())
	status := c.Response().StatusCode()
	route := c.Route().Path
	if route == "/" && path != "/" {
		route = "unmatched" // no route: keep stray paths out of the label values
	}
	if m := s.cfg.Metrics; m != nil {
		code := strconv.Itoa(status)
		m.HTTPRequests.WithLabelValues(method, route, code).Inc()
		m.HTTPDuration.WithLabelValues(method, route, code).Observe(elapsed.Seconds())
	}
	if s.log == nil {
		return nil
	}
	attrs := []any{"method", method, "route", route, "path", path, "status", status, "ms", elapsed.Milliseconds()}
	id := ""
	if strings.Contains(route, "/customers/:id") {
		id = c.Params("id")
	} else if m := customerLocation.FindSubmatch(c.Response().Header.Peek(fiber.HeaderLocation)); m != nil {
		id = string(m[1]) // a filing answers with the new customer's location
	}
	if id != "" {
		id = strings.Clone(id)
		attrs = append(attrs, "customer_id", id, "workflow_id", workflows.CustomerWorkflowID(id))
	}
	switch {
	case status >= 500:
		s.log.Error("request", attrs...)
	case route == "/healthz" || route == "/metrics" || strings.HasPrefix(route, "/static"):
		s.log.Debug("request", attrs...)
	default:
		s.log.Info("request", attrs...)
	}
	return nil
}
