package server

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Health is the answer of GET /healthz.
type Health struct {
	Status   string `json:"status"`   // "ok" or "degraded"
	Database string `json:"database"` // "ok" or the error
	Temporal string `json:"temporal"` // "ok" or the error
	// Calendar is "ok", or the warning that the company calendar runs out soon (from the
	// policy's calendar_warn_before before its last covered day) or has run out. A
	// warning does not make the service unhealthy.
	Calendar string `json:"calendar"`
}

// health checks the database and Temporal connections.
func (s *Server) health(ctx context.Context) Health {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	h := Health{Status: "ok", Database: "ok", Temporal: "ok", Calendar: "ok"}
	if err := s.db.PingContext(ctx); err != nil {
		h.Database, h.Status = err.Error(), "degraded"
	} else if warning, err := s.calendarWarning(ctx); err != nil {
		h.Calendar = "unknown: " + err.Error()
	} else if warning != "" {
		h.Calendar = warning
	}
	if _, err := s.temporal.CheckHealth(ctx, nil); err != nil {
		h.Temporal, h.Status = err.Error(), "degraded"
	}
	return h
}

// apiHealth: GET /healthz → 200 when both connections answer, else 503.
func (s *Server) apiHealth(c *fiber.Ctx) error {
	h := s.health(c.UserContext())
	status := fiber.StatusOK
	if h.Status != "ok" {
		status = fiber.StatusServiceUnavailable
	}
	return c.Status(status).JSON(healthView(h))
}
