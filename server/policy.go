package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
)

// currentPolicy reads the newest policy version (defaults as version 0 when none).
func (s *Server) currentPolicy(ctx context.Context) (renoflow.Policy, error) {
	var row struct {
		Version int             `bun:"version"`
		Body    json.RawMessage `bun:"body"`
	}
	err := s.db.NewSelect().Table("policy_versions").Column("version", "body").Order("version DESC").Limit(1).Scan(ctx, &row)
	if errors.Is(err, sql.ErrNoRows) {
		return renoflow.DefaultPolicy(), nil
	}
	if err != nil {
		return renoflow.Policy{}, fmt.Errorf("read policy: %w", err)
	}
	p, err := renoflow.ParsePolicy(row.Body)
	if err != nil {
		return renoflow.Policy{}, err
	}
	p.Version = row.Version
	return p, nil
}

// apiPolicy: GET /api/policy → the policy in force and its version.
func (s *Server) apiPolicy(c *fiber.Ctx) error {
	p, err := s.currentPolicy(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"version": p.Version, "policy": p})
}

// apiSavePolicy: PUT /api/policy (admin) with the keys to change → a new policy version.
// It applies to clocks armed from now on; running clocks keep their version.
func (s *Server) apiSavePolicy(c *fiber.Ctx) error {
	actor := actorOf(c)
	if !actor.Is(renoflow.RoleAdmin) {
		return renoflow.Errorf(renoflow.CodeForbidden, "只有管理员可以修改策略")
	}
	cur, err := s.currentPolicy(c.UserContext())
	if err != nil {
		return err
	}
	next, err := renoflow.MergePolicy(cur, c.Body())
	if err != nil {
		return err
	}
	body, err := json.Marshal(next)
	if err != nil {
		return err
	}
	var version int
	if err := s.db.NewRaw("INSERT INTO policy_versions (body, created_by, note) VALUES (?, ?, ?) RETURNING version",
		string(body), actor.ID, c.Query("note")).Scan(c.UserContext(), &version); err != nil {
		return fmt.Errorf("save policy: %w", err)
	}
	next.Version = version
	return c.JSON(fiber.Map{"version": version, "policy": next})
}
