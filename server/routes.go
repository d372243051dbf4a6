package server

import (
	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow/workflows"
)

// routes wires every route in one place.
func (s *Server) routes(app *fiber.App) {
	app.Get("/healthz", s.apiHealth)

	api := app.Group("/api")
	api.Post("/login", s.apiLogin)
	authed := api.Group("", s.authenticate)
	authed.Post("/logout", s.apiLogout)
	authed.Get("/me", s.apiMe)
	authed.Get("/customers", s.apiCustomers)
	authed.Post("/customers", s.apiFile)
	authed.Get("/customers/:id", s.apiCustomer)
	authed.Post("/customers/:id/verify", s.apiAction(workflows.UpdateVerify))
	authed.Post("/customers/:id/store-visit", s.apiAction(workflows.UpdateStoreVisit))
	authed.Post("/customers/:id/phone-enquiry", s.apiAction(workflows.UpdatePhoneEnquiry))
	authed.Post("/customers/:id/callback", s.apiAction(workflows.UpdateCallback))
	authed.Get("/tasks", s.apiTasks)
	authed.Post("/tasks/:id/done", s.apiTaskDone)
	authed.Get("/policy", s.apiPolicy)
	authed.Put("/policy", s.apiSavePolicy)

	s.pageRoutes(app)
}
