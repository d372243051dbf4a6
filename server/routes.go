package server

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
)

// routes wires every route in one place: the JSON API here, the pages in pageRoutes.
// Permissions are checked by the same gates for both: requirePerm on a route, authorize
// for an action on a customer.
func (s *Server) routes(app *fiber.App) {
	app.Get("/healthz", s.apiHealth)

	api := app.Group("/api")
	api.Post("/login", s.apiLogin)
	authed := api.Group("", s.authenticate)
	authed.Post("/logout", s.apiLogout)
	authed.Get("/me", s.apiMe)
	authed.Get("/staff", s.apiStaff)
	authed.Get("/customers", s.apiCustomers)
	authed.Post("/customers", s.apiFile)
	authed.Post("/disputes", s.apiDispute)
	authed.Get("/customers/:id", s.apiCustomer)
	for i := range actionSpecs {
		a := &actionSpecs[i]
		authed.Post("/customers/:id/"+a.Update, s.apiAction(a))
	}
	authed.Get("/tasks", s.apiTasks)
	authed.Post("/tasks/:id/done", s.apiTaskDone)
	authed.Get("/policy", s.apiPolicy)
	authed.Put("/policy", requirePerm(renoflow.PermManagePolicy, "修改策略"), s.apiSavePolicy)
	authed.Get("/calendar", s.apiCalendar)
	authed.Put("/calendar", requirePerm(renoflow.PermManagePolicy, "修改日历"), s.apiSaveCalendar)
	authed.Get("/reports/monthly", requirePerm(renoflow.PermReports, "查看报表"), s.apiMonthlyReport)
	authed.Patch("/staff/:id/duty", requirePerm(renoflow.PermDispatchConfirm, "设置设计师在岗状态"), s.apiStaffDuty)

	admin := authed.Group("/admin", requirePerm(renoflow.PermManageStaff, "管理员工与门店"))
	admin.Get("/stores", s.apiAdminStores)
	admin.Post("/stores", s.apiAdminAddStore)
	admin.Get("/staff", s.apiAdminStaff)
	admin.Post("/staff", s.apiAdminAddStaff)
	admin.Get("/staff/:id", s.apiAdminStaffMember)
	admin.Patch("/staff/:id", s.apiAdminPatchStaff)

	// Pages beside pageRoutes. Each route runs the session check itself; they come before
	// pageRoutes' session group (which matches every path) so that it runs once.
	reports := requirePerm(renoflow.PermReports, "查看报表")
	app.Get("/reports", s.authenticate, reports, s.pageReports)
	calendar := requirePerm(renoflow.PermManagePolicy, "修改日历")
	app.Get("/admin/calendar", s.authenticate, calendar, s.pageAdminCalendar)
	app.Post("/admin/calendar", s.authenticate, calendar, s.pageAdminCalendarPost)
	duty := requirePerm(renoflow.PermDispatchConfirm, "设置设计师在岗状态")
	app.Get("/designers", s.authenticate, duty, s.pageDesigners)
	app.Post("/designers/:id/duty", s.authenticate, duty, s.pageDesignerDutyPost)
	s.pageRoutes(app)
}

func itoa(n int) string { return strconv.Itoa(n) }
