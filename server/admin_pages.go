package server

import (
	"strconv"
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

// staffEditPage shows one account's form; a designer's form has their dispatch
// attributes too.
func (s *Server) staffEditPage(c *fiber.Ctx, status int, m AdminStaffMember, p page) error {
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
		if d := m.Designer; d != nil {
			for field, on := range map[string]bool{fieldOnDuty: d.OnDuty, "senior": d.Senior, "charges_fee": d.ChargesFee,
				"material_target_met": d.MaterialTargetMet} {
				if on {
					p.Form[field] = "1"
				}
			}
			p.Form[fieldDepartmentRank] = itoa(d.DepartmentRank)
			if d.SuspendedUntil != nil {
				p.Form[fieldSuspendedUntil] = d.SuspendedUntil.In(renoflow.Zone).Format("2006-01-02T15:04")
			}
		}
		p.Multi = map[string][]string{"stores": m.Stores}
	}
	p.Title, p.Nav = "编辑员工："+m.Name, "staff"
	return s.render(c, status, "admin_staff_edit", p, map[string]any{"Member": m, "Stores": stores, "Roles": renoflow.Roles(),
		"Labels": designerFieldLabels})
}

// designerFieldLabels name the designer attributes in Chinese, for the form's error list.
var designerFieldLabels = map[string]string{
	fieldOnDuty: "今日在岗", "senior": "资深设计师", "charges_fee": "收费设计师", "material_target_met": "主材销售目标达成",
	fieldDepartmentRank: "部门排名", fieldSuspendedUntil: "停派至",
}

func (s *Server) pageAdminStaffEdit(c *fiber.Ctx) error {
	m, err := s.adminStaffMember(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return s.staffEditPage(c, fiber.StatusOK, m, page{})
}

// pageAdminStaffEditPost applies the edit form: every field is sent; an empty password
// keeps the old one. A designer's dispatch attributes are sent when the form showed them
// and the member stays a designer.
func (s *Server) pageAdminStaffEditPost(c *fiber.Ctx) error {
	id := c.Params("id")
	m, err := s.adminStaffMember(c.UserContext(), id)
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
	form := map[string]string{"name": name, "role": string(role), "store_id": store}
	var formProblems renoflow.Problems
	if c.FormValue("designer_fields") != "" {
		// Kept in the form either way; sent only while the member stays a designer.
		var attrs StaffPatch
		var problems renoflow.Problems
		designerForm(c, &attrs, form, &problems)
		if role == renoflow.RoleDesigner {
			patch.OnDuty, patch.Senior, patch.ChargesFee = attrs.OnDuty, attrs.Senior, attrs.ChargesFee
			patch.MaterialTargetMet, patch.DepartmentRank, patch.SuspendedUntil = attrs.MaterialTargetMet, attrs.DepartmentRank, attrs.SuspendedUntil
			formProblems = problems
		}
	}
	if err = formProblems.Err("员工信息有误"); err == nil {
		var updated AdminStaffMember
		if updated, err = s.updateStaff(c.UserContext(), actorOf(c), sessionOf(c).Token, id, patch); err == nil {
			return c.Redirect("/admin/staff?ok="+urlQueryEscape("已保存："+updated.Name), fiber.StatusSeeOther)
		}
	}
	status, de, errs, ok := formProblem(err)
	if !ok {
		return err
	}
	if lead {
		form["lead"] = "1"
	}
	if active {
		form["active"] = "1"
	}
	return s.staffEditPage(c, status, m, page{Message: de.Message, Form: form, Errors: errs, Multi: map[string][]string{"stores": stores}})
}

// designerForm reads a designer's dispatch attributes from the edit form into the patch
// (an unticked box is false; an empty 停派至 lifts a suspension), keeping what was typed
// in form and recording a ranking or time that cannot be read.
func designerForm(c *fiber.Ctx, patch *StaffPatch, form map[string]string, p *renoflow.Problems) {
	flags := []struct {
		field string
		to    **bool
	}{{fieldOnDuty, &patch.OnDuty}, {"senior", &patch.Senior}, {"charges_fee", &patch.ChargesFee},
		{"material_target_met", &patch.MaterialTargetMet}}
	for _, f := range flags {
		on := c.FormValue(f.field) != ""
		*f.to = &on
		if on {
			form[f.field] = "1"
		}
	}
	rank := strings.TrimSpace(c.FormValue(fieldDepartmentRank))
	form[fieldDepartmentRank] = rank
	if rank == "" {
		rank = "0"
	}
	if n, err := strconv.Atoi(rank); err != nil {
		p.Add(fieldDepartmentRank, "须为整数（1为最好，0为未排名）")
	} else {
		patch.DepartmentRank = &n
	}
	until := strings.TrimSpace(c.FormValue(fieldSuspendedUntil))
	form[fieldSuspendedUntil] = until
	if t, err := parseOptionalTime(until); err != nil {
		p.Add(fieldSuspendedUntil, "须为日期时间（如 2027-01-31T18:00），留空为不停派")
	} else {
		patch.SuspendedUntil = OptionalTime{Set: true, Time: t}
	}
}

// designerDutyRow is a designer on the duty page.
type designerDutyRow struct {
	DesignerDuty
	Suspended bool // off dispatch now, whatever the duty
}

// pageDesigners lists the designers of the stores actor keeps duty for, each with a
// button that puts them on or off duty (SPEC.md step 5).
func (s *Server) pageDesigners(c *fiber.Ctx) error {
	actor := actorOf(c)
	rows, err := s.dutyList(c.UserContext(), actor)
	if err != nil {
		return err
	}
	now := s.now()
	out := make([]designerDutyRow, 0, len(rows))
	for _, d := range rows {
		out = append(out, designerDutyRow{DesignerDuty: d, Suspended: d.SuspendedUntil != nil && d.SuspendedUntil.After(now)})
	}
	return s.render(c, fiber.StatusOK, "designers", page{Title: "设计师在岗", Nav: "designers"},
		map[string]any{"Designers": out, "ManyStores": len(dutyStores(actor)) > 1})
}

// pageDesignerDutyPost puts a designer on or off duty from the duty page.
func (s *Server) pageDesignerDutyPost(c *fiber.Ctx) error {
	on, err := formBool(c, fieldOnDuty)
	if err != nil {
		return err
	}
	d, err := s.setDuty(c.UserContext(), actorOf(c), c.Params("id"), on)
	if err != nil {
		return err
	}
	what := "不在岗（暂停派单）"
	if d.OnDuty {
		what = "在岗"
	}
	return c.Redirect("/designers?ok="+urlQueryEscape("已将"+d.Name+"设为"+what), fiber.StatusSeeOther)
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
	cur, warning, err := s.editablePolicy(ctx)
	if err != nil {
		return err
	}
	values := renoflow.PolicyValues(cur)
	history, err := s.policyHistory(ctx)
	if err != nil {
		return err
	}
	if p.Form == nil {
		p.Form = values
	}
	if warning != "" && p.Message == "" {
		p.Message = warning
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
	cur, unreadable, err := s.editablePolicy(ctx)
	if err != nil {
		return err
	}
	values := renoflow.PolicyValues(cur)
	// Counted against the version the form was made from: saved onto the newest, another
	// admin's save in between keeps its changes.
	body, err := policyChanges(form, s.baseValues(ctx, formVersion(c.FormValue("version")), values))
	if err == nil && body == nil {
		if unreadable == "" {
			return c.Redirect("/admin/policy?ok="+urlQueryEscape("策略未改变，没有生成新版本"), fiber.StatusSeeOther)
		}
		body = []byte("{}") // unchanged, over a version that no longer parses: saving repairs it
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
