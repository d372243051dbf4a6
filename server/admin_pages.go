package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
)

// staffFormFields are the single-value fields of the staff forms.
var staffFormFields = []string{"id", "login", "name", "role", "store_id", "password"}

// staffPage shows the staff list with the form that creates an account.
func (s *Server) staffPage(c *fiber.Ctx, status int, p page) error {
	ctx := c.UserContext()
	staff, err := s.listStaff(ctx)
	if err != nil {
		return err
	}
	stores, err := s.storeOptionsAll(ctx)
	if err != nil {
		return err
	}
	p.Title, p.Nav = "员工账号", "staff"
	return s.render(c, status, "admin_staff", p, map[string]any{"Staff": staff, "Stores": stores, "Roles": renoflow.Roles()})
}

func (s *Server) pageAdminStaff(c *fiber.Ctx) error {
	return s.staffPage(c, fiber.StatusOK, page{})
}

// pageAdminStaffPost creates a staff account from the form.
func (s *Server) pageAdminStaffPost(c *fiber.Ctx) error {
	form := map[string]string{}
	for _, f := range staffFormFields {
		form[f] = strings.TrimSpace(c.FormValue(f))
	}
	stores := formValues(c, "stores")
	in := CreateStaffInput{ID: form["id"], Login: form["login"], Name: form["name"], Role: renoflow.Role(form["role"]),
		StoreID: form["store_id"], Lead: c.FormValue("lead") != "", Password: c.FormValue("password"), Stores: stores}
	m, err := s.addStaff(c.UserContext(), actorOf(c), in)
	if err == nil {
		return c.Redirect("/admin/staff?ok="+urlQueryEscape("已创建员工账号："+m.Name+"（"+m.Login+"）"), fiber.StatusSeeOther)
	}
	status, de, errs, ok := formProblem(err)
	if !ok {
		return err
	}
	form["password"] = "" // never echo a password
	if c.FormValue("lead") != "" {
		form["lead"] = "1"
	}
	return s.staffPage(c, status, page{Message: de.Message, Form: form, Errors: errs, Multi: map[string][]string{"stores": stores}})
}

// staffEditPage shows one account's form.
func (s *Server) staffEditPage(c *fiber.Ctx, status int, m StaffMember, p page) error {
	stores, err := s.storeOptionsAll(c.UserContext())
	if err != nil {
		return err
	}
	if p.Form == nil {
		p.Form = map[string]string{"name": m.Name, "role": string(m.Role), "store_id": m.StoreID}
		if m.Lead {
			p.Form["lead"] = "1"
		}
		if m.Active {
			p.Form["active"] = "1"
		}
		p.Multi = map[string][]string{"stores": m.Stores}
	}
	p.Title, p.Nav = "编辑员工："+m.Name, "staff"
	return s.render(c, status, "admin_staff_edit", p, map[string]any{"Member": m, "Stores": stores, "Roles": renoflow.Roles()})
}

func (s *Server) pageAdminStaffEdit(c *fiber.Ctx) error {
	m, err := s.staffMember(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return s.staffEditPage(c, fiber.StatusOK, m, page{})
}

// pageAdminStaffEditPost applies the edit form: every field is sent; an empty password
// keeps the old one.
func (s *Server) pageAdminStaffEditPost(c *fiber.Ctx) error {
	id := c.Params("id")
	m, err := s.staffMember(c.UserContext(), id)
	if err != nil {
		return err
	}
	name, role, store := strings.TrimSpace(c.FormValue("name")), renoflow.Role(c.FormValue("role")), strings.TrimSpace(c.FormValue("store_id"))
	lead, active := c.FormValue("lead") != "", c.FormValue("active") != ""
	stores := formValues(c, "stores")
	patch := StaffPatch{Name: &name, Role: &role, StoreID: &store, Lead: &lead, Active: &active, Stores: &stores}
	if pw := c.FormValue("password"); pw != "" {
		patch.Password = &pw
	}
	updated, err := s.updateStaff(c.UserContext(), actorOf(c), sessionOf(c).Token, id, patch)
	if err == nil {
		return c.Redirect("/admin/staff?ok="+urlQueryEscape("已保存："+updated.Name), fiber.StatusSeeOther)
	}
	status, de, errs, ok := formProblem(err)
	if !ok {
		return err
	}
	form := map[string]string{"name": name, "role": string(role), "store_id": store}
	if lead {
		form["lead"] = "1"
	}
	if active {
		form["active"] = "1"
	}
	return s.staffEditPage(c, status, m, page{Message: de.Message, Form: form, Errors: errs, Multi: map[string][]string{"stores": stores}})
}

// storesPage shows the stores with the form that creates one.
func (s *Server) storesPage(c *fiber.Ctx, status int, p page) error {
	stores, err := s.listStores(c.UserContext())
	if err != nil {
		return err
	}
	p.Title, p.Nav = "门店", "stores"
	return s.render(c, status, "admin_stores", p, map[string]any{"Stores": stores})
}

func (s *Server) pageAdminStores(c *fiber.Ctx) error {
	return s.storesPage(c, fiber.StatusOK, page{})
}

func (s *Server) pageAdminStoresPost(c *fiber.Ctx) error {
	in := StoreInput{ID: strings.TrimSpace(c.FormValue("id")), Name: strings.TrimSpace(c.FormValue("name"))}
	st, err := s.addStore(c.UserContext(), actorOf(c), in)
	if err == nil {
		return c.Redirect("/admin/stores?ok="+urlQueryEscape("已创建门店："+st.Name), fiber.StatusSeeOther)
	}
	status, de, errs, ok := formProblem(err)
	if !ok {
		return err
	}
	return s.storesPage(c, status, page{Message: de.Message, Form: map[string]string{"id": in.ID, "name": in.Name}, Errors: errs})
}

// policyPage shows the policy in force, its version and history, as an editable form.
func (s *Server) policyPage(c *fiber.Ctx, status int, p page) error {
	ctx := c.UserContext()
	cur, err := s.currentPolicy(ctx)
	if err != nil {
		return err
	}
	values, err := policyValues(cur)
	if err != nil {
		return err
	}
	history, err := s.policyHistory(ctx)
	if err != nil {
		return err
	}
	if p.Form == nil {
		p.Form = values
	}
	p.Title, p.Nav = "策略", "policy"
	return s.render(c, status, "admin_policy", p, map[string]any{
		"Version": cur.Version, "Fields": policyFields, "Current": values, "History": history,
	})
}

func (s *Server) pageAdminPolicy(c *fiber.Ctx) error {
	return s.policyPage(c, fiber.StatusOK, page{})
}

// pageAdminPolicyPost saves the changed settings as a new policy version.
func (s *Server) pageAdminPolicyPost(c *fiber.Ctx) error {
	ctx := c.UserContext()
	form := map[string]string{}
	for _, f := range policyFields {
		form[f.Key] = strings.TrimSpace(c.FormValue(f.Key))
	}
	note := strings.TrimSpace(c.FormValue("note"))
	cur, err := s.currentPolicy(ctx)
	if err != nil {
		return err
	}
	values, err := policyValues(cur)
	if err != nil {
		return err
	}
	body, err := policyChanges(form, values)
	if err == nil && body == nil {
		return c.Redirect("/admin/policy?ok="+urlQueryEscape("策略未改变，没有生成新版本"), fiber.StatusSeeOther)
	}
	if err == nil {
		var saved renoflow.Policy
		if saved, err = s.savePolicy(ctx, actorOf(c), body, note); err == nil {
			return c.Redirect("/admin/policy?ok="+urlQueryEscape("已保存为策略第"+itoa(saved.Version)+"版，对此后设定的计时生效"), fiber.StatusSeeOther)
		}
	}
	status, de, errs, ok := formProblem(err)
	if !ok {
		return err
	}
	form["note"] = note
	return s.policyPage(c, status, page{Message: de.Message, Form: form, Errors: errs})
}
