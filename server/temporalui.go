package server

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/proxy"
	"github.com/renoflow/renoflow"
)

// TemporalUIPath is where the app serves the Temporal Web UI, behind its own session: the
// UI shows every store's customers with full phones, so only the roles the domain allows
// (renoflow.Actor.SeesTemporalUI: supervisors and admins) reach it, and only to read. The
// UI itself listens where nobody else can reach it (loopback in `renoflow dev`, the
// compose network in production) with its public path set to this path and its write
// actions disabled.
const TemporalUIPath = "/temporal"

// temporalUI proxies GET /temporal/… to the Temporal Web UI for a supervisor or an admin.
// Anything but GET and HEAD is refused (405): the UI is read-only here, whatever its own
// settings say.
func (s *Server) temporalUI(c *fiber.Ctx) error {
	actor := actorOf(c)
	if !actor.SeesTemporalUI() {
		return renoflow.Errorf(renoflow.CodeForbidden, "%s不能查看 Temporal 流程界面（仅总监和管理员可以）", actor.Role.Label())
	}
	if s.cfg.TemporalUIURL == "" {
		return renoflow.Errorf(renoflow.CodeNotFound, "未配置 Temporal 流程界面")
	}
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		c.Set(fiber.HeaderAllow, "GET, HEAD")
		return fiber.NewError(fiber.StatusMethodNotAllowed, "Temporal 流程界面只读")
	}
	if c.Path() == TemporalUIPath {
		return c.Redirect(TemporalUIPath+"/", fiber.StatusSeeOther)
	}
	// The app's credentials stay with the app.
	c.Request().Header.Del(fiber.HeaderCookie)
	c.Request().Header.Del(fiber.HeaderAuthorization)
	target := strings.TrimRight(s.cfg.TemporalUIURL, "/") + c.OriginalURL()
	if err := proxy.DoTimeout(c, target, 30*time.Second); err != nil {
		return renoflow.Errorf(renoflow.CodeUnavailable, "Temporal 流程界面暂不可用")
	}
	c.Response().Header.Del(fiber.HeaderServer)
	return nil
}

// workflowLink is the link to a customer's workflow in the Temporal Web UI, for those who
// may open it ("" for the others, and when no UI is configured).
func (s *Server) workflowLink(actor renoflow.Actor, workflowID string) string {
	if s.cfg.TemporalUIURL == "" || !actor.SeesTemporalUI() {
		return ""
	}
	return TemporalUIPath + "/namespaces/" + s.cfg.Namespace + "/workflows/" + workflowID
}
