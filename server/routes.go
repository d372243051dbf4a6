package server

import (
	"io/fs"
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/renoflow/renoflow"
)

// routes wires every route in one place: the JSON API, then the web pages.
// Permissions are checked by the same gates for both: requirePerm on a route, authorize
// for an action on a customer.
func (s *Server) routes(app *fiber.App) {
	s.observability(app)
	app.Use(s.securityHeaders, checkInputText)
	app.Get("/healthz", s.apiHealth)

	api := app.Group("/api")
	api.Post("/login", s.apiLogin)
	authed := api.Group("", s.authenticate)
	authed.Post("/logout", s.apiLogout)
	authed.Get("/me", s.apiMe)
	authed.Get("/staff", s.apiStaff)
	authed.Get("/customers", s.apiCustomers)
	authed.Post("/customers", s.apiFile)
	authed.Post("/customers/batch", s.apiBatch)
	authed.Post("/customers/import", s.apiImport)
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
	authed.Post("/calendar/import", requirePerm(renoflow.PermManagePolicy, "修改日历"), s.apiImportCalendar)
	authed.Get("/reports/monthly", requirePerm(renoflow.PermReports, "查看报表"), s.apiMonthlyReport)
	authed.Patch("/staff/:id/duty", requirePerm(renoflow.PermDispatchConfirm, "设置设计师在岗状态"), s.apiStaffDuty)

	admin := authed.Group("/admin", requirePerm(renoflow.PermManageStaff, "管理员工与门店"))
	admin.Get("/stores", s.apiAdminStores)
	admin.Post("/stores", s.apiAdminAddStore)
	admin.Get("/staff", s.apiAdminStaff)
	admin.Post("/staff", s.apiAdminAddStaff)
	admin.Get("/staff/:id", s.apiAdminStaffMember)
	admin.Patch("/staff/:id", s.apiAdminPatchStaff)

	// Web pages: each page checks the same permission as its API.
	sub, _ := fs.Sub(staticFS, "static")
	app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(sub), MaxAge: 3600}))
	app.Get("/login", s.pageLogin)
	app.Post("/login", s.pageLoginPost)
	web := app.Group("", s.authenticate)
	web.Post("/logout", s.pageLogout)
	web.Get("/", s.pageHome)
	web.Get("/tasks", s.pageTasks)
	web.Post("/tasks/:id/done", s.pageTaskDone)
	web.Get("/customers", s.pageCustomers)
	web.Get("/customers/new", requirePerm(renoflow.PermFile, "报备客户"), s.pageNewCustomer)
	web.Post("/customers/new", requirePerm(renoflow.PermFile, "报备客户"), s.pageNewCustomerPost)
	web.Post("/disputes", s.pageDispute)
	web.Post("/customers/batch", s.pageBatch)
	web.Get("/customers/export.xlsx", s.exportCustomers)
	web.Get("/customers/import", requirePerm(renoflow.PermFile, "导入客户"), s.pageImport)
	web.Post("/customers/import", requirePerm(renoflow.PermFile, "导入客户"), s.pageImportPost)
	web.Get("/customers/import/template.xlsx", requirePerm(renoflow.PermFile, "导入客户"), s.importTemplate)
	web.Get("/tasks/export.xlsx", s.exportTasks)
	web.Get("/reports/export.xlsx", requirePerm(renoflow.PermReports, "查看报表"), s.exportReport)
	web.Get("/customers/:id", s.pageCustomer)
	web.Post("/customers/:id/actions/:action", s.pageAction)
	web.All(TemporalUIPath, s.temporalUI)
	web.All(TemporalUIPath+"/*", s.temporalUI)
	web.Get("/reports", requirePerm(renoflow.PermReports, "查看报表"), s.pageReports)
	duty := requirePerm(renoflow.PermDispatchConfirm, "设置设计师在岗状态")
	web.Get("/designers", duty, s.pageDesigners)
	web.Post("/designers/:id/duty", duty, s.pageDesignerDutyPost)

	adminPages := web.Group("/admin")
	staff := requirePerm(renoflow.PermManageStaff, "管理员工与门店")
	adminPages.Get("/staff", staff, s.pageAdminStaff)
	adminPages.Post("/staff", staff, s.pageAdminStaffPost)
	adminPages.Get("/staff/:id", staff, s.pageAdminStaffEdit)
	adminPages.Post("/staff/:id", staff, s.pageAdminStaffEditPost)
	adminPages.Get("/stores", staff, s.pageAdminStores)
	adminPages.Post("/stores", staff, s.pageAdminStoresPost)
	policy := requirePerm(renoflow.PermManagePolicy, "修改策略")
	adminPages.Get("/policy", policy, s.pageAdminPolicy)
	adminPages.Post("/policy", policy, s.pageAdminPolicyPost)
	calendar := requirePerm(renoflow.PermManagePolicy, "修改日历")
	adminPages.Get("/calendar", calendar, s.pageAdminCalendar)
	adminPages.Post("/calendar", calendar, s.pageAdminCalendarPost)
	adminPages.Post("/calendar/import", calendar, s.pageAdminCalendarImport)
	adminPages.Get("/notify", policy, s.pageAdminNotify) // issue 14: 通知设置 and 发件箱
	adminPages.Post("/notify", policy, s.pageAdminNotifyPost)
	adminPages.Post("/notify/robot", policy, s.pageAdminNotifyRobot)
	adminPages.Post("/notify/store", policy, s.pageAdminNotifyStore)
	adminPages.Post("/notify/test", policy, s.pageAdminNotifyTest)
	adminPages.Post("/notify/staff", policy, s.pageAdminNotifyStaff)
	adminPages.Post("/notify/optout", policy, s.pageAdminNotifyOptOut)
	adminPages.Post("/notify/outbox/:id", policy, s.pageAdminNotifyResolve)
}

func itoa(n int) string { return strconv.Itoa(n) }
