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
}

// health checks the database and Temporal connections.
func (s *Server) health(ctx context.Context) Health {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	h := Health{Status: "ok", Database: "ok", Temporal: "ok"}
	if err := s.db.PingContext(ctx); err != nil {
		h.Database, h.Status = err.Error(), "degraded"
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
	return c.Status(status).JSON(h)
}
