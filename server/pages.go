package server

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/workflows"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds one parsed template set per page (layout + the page's content).
var pages = mustParsePages()

var funcs = template.FuncMap{
	"fmtTime": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return ""
			}
			return v.In(renoflow.Zone).Format(renoflow.TimeLayout)
		case *time.Time:
			if v == nil || v.IsZero() {
				return ""
			}
			return v.In(renoflow.Zone).Format(renoflow.TimeLayout)
		}
		return fmt.Sprint(t)
	},
	"fmtTimePtr": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return ""
		}
		return t.In(renoflow.Zone).Format(renoflow.TimeLayout)
	},
	"roleLabel":  func(r renoflow.Role) string { return r.Label() },
	"fieldLabel": fieldLabel,
}

func mustParsePages() map[string]*template.Template {
	layout := template.Must(template.New("").Funcs(funcs).Funcs(template.FuncMap{
		"timeLeft":   func(time.Time) string { return "" },
		"fieldArgs":  fieldArgs,
		"selectArgs": selectArgs,
	}).ParseFS(templateFS, "templates/layout.html"))
	out := map[string]*template.Template{}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		out[name] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, n))
	}
	return out
}

// fieldLabels name form fields in Chinese, for error lists.
var fieldLabels = map[string]string{
	"name": "姓名", "gender": "性别", "phone": "手机号", "house": "房屋需求信息", "house.community": "小区",
	"house.building": "楼栋", "house.unit": "单元", "house.floor": "楼层", "house.layout": "户型",
	"house.area_m2": "面积", "house.handover_date": "交房日期", "needs": "需求", "situation": "客情说明",
	"budget_wan": "预算", "style": "意向风格", "channel": "客户来源", "occupation": "职业",
	"focus_points": "关注点", "store_id": "门店", "consultation": "本次接触", "reached": "回访结果", "note": "备注",
}

func fieldLabel(f string) string {
	if l, ok := fieldLabels[f]; ok {
		return l
	}
	return f
}

// page is what every page template sees.
type page struct {
	Title   string
	Nav     string
	Actor   renoflow.Actor
	CSRF    string
	CanFile bool
	Flash   string
	Message string
	Error   *renoflow.Error
	Form    map[string]string
	Multi   map[string][]string
	Errors  map[string]string
	Next    string
	Data    any
}

// Checked reports whether a multi-value form field holds v (for check boxes).
func (p page) Checked(v string) bool {
	for _, x := range p.Multi["focus_points"] {
		if x == v {
			return true
		}
	}
	return false
}

func canFile(a renoflow.Actor) bool { return a.Can(renoflow.PermFile) }

// render executes a page with the request's actor, CSRF token and the now-bound helpers.
func (s *Server) render(c *fiber.Ctx, status int, name string, p page, data any) error {
	if sess := sessionOf(c); sess != nil {
		p.Actor, p.CSRF, p.CanFile = sess.Actor, sess.CSRF, canFile(sess.Actor)
	}
	if p.Flash == "" {
		p.Flash = c.Query("ok")
	}
	if p.Form == nil {
		p.Form = map[string]string{}
	}
	if p.Errors == nil {
		p.Errors = map[string]string{}
	}
	t, ok := pages[name]
	if !ok {
		return fmt.Errorf("no page %q", name)
	}
	t, err := t.Clone()
	if err != nil {
		return err
	}
	now := s.now()
	t.Funcs(template.FuncMap{"timeLeft": func(due time.Time) string { return timeLeft(due, now) }})
	c.Status(status).Type("html", "utf-8")
	return t.ExecuteTemplate(c.Response().BodyWriter(), "layout", merge(p, data))
}

// merge flattens page fields and page-specific data into one map for templates.
func merge(p page, data any) map[string]any {
	m := map[string]any{
		"Title": p.Title, "Nav": p.Nav, "Actor": p.Actor, "CSRF": p.CSRF, "CanFile": p.CanFile, "Flash": p.Flash,
		"Message": p.Message, "Error": p.Error, "Form": p.Form, "Errors": p.Errors, "Next": p.Next, "Checked": p.Checked,
	}
	if d, ok := data.(map[string]any); ok {
		for k, v := range d {
			m[k] = v
		}
	}
	return m
}

// timeLeft says how long until due, or how long overdue, in Chinese.
func timeLeft(due, now time.Time) string {
	d := due.Sub(now)
	prefix := "剩余"
	if d < 0 {
		prefix, d = "已逾期", -d
	}
	days := int(d / (24 * time.Hour))
	hours := int(d % (24 * time.Hour) / time.Hour)
	mins := int(d % time.Hour / time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%s%d天%d小时", prefix, days, hours)
	case hours > 0:
		return fmt.Sprintf("%s%d小时%d分钟", prefix, hours, mins)
	default:
		return fmt.Sprintf("%s%d分钟", prefix, mins)
	}
}

// renderError shows an error page (the ErrorHandler's HTML branch).
func (s *Server) renderError(c *fiber.Ctx, status int, de *renoflow.Error) error {
	title := "出错了"
	switch status {
	case http.StatusNotFound:
		title = "找不到"
	case http.StatusForbidden:
		title = "无权操作"
	case http.StatusConflict:
		title = "无法办理"
	case http.StatusUnprocessableEntity:
		title = "输入有误"
	}
	return s.render(c, status, "error", page{Title: title, Error: de}, nil)
}

// fieldArgs prepares a text field for the "field" template.
func fieldArgs(p map[string]any, name, label, typ string) map[string]any {
	form, _ := p["Form"].(map[string]string)
	errs, _ := p["Errors"].(map[string]string)
	return map[string]any{"Name": name, "Label": label, "Type": typ, "Value": form[name], "Error": errs[name]}
}

// selectArgs prepares a select for the "select" template.
func selectArgs(p map[string]any, name, label string, options []renoflow.Option) map[string]any {
	form, _ := p["Form"].(map[string]string)
	errs, _ := p["Errors"].(map[string]string)
	return map[string]any{"Name": name, "Label": label, "Options": options, "Value": form[name], "Error": errs[name]}
}

// pageRoutes wires the web pages.
func (s *Server) pageRoutes(app *fiber.App) {
	sub, _ := fs.Sub(staticFS, "static")
	app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(sub), MaxAge: 3600}))
	app.Get("/login", s.pageLogin)
	app.Post("/login", s.pageLoginPost)
	web := app.Group("", s.authenticate)
	web.Post("/logout", s.pageLogout)
	web.Get("/", func(c *fiber.Ctx) error { return c.Redirect("/tasks", fiber.StatusSeeOther) })
	web.Get("/tasks", s.pageTasks)
	web.Post("/tasks/:id/done", s.pageTaskDone)
	web.Get("/customers", s.pageCustomers)
	web.Get("/customers/new", s.pageNewCustomer)
	web.Post("/customers/new", s.pageNewCustomerPost)
	web.Get("/customers/:id", s.pageCustomer)
	web.Post("/customers/:id/actions/:action", s.pageAction)
}

func (s *Server) pageLogin(c *fiber.Ctx) error {
	if sess, _ := s.sessionFor(c.UserContext(), c.Cookies(SessionCookie)); sess != nil {
		return c.Redirect("/tasks", fiber.StatusSeeOther)
	}
	return s.render(c, fiber.StatusOK, "login", page{Title: "登录", Next: c.Query("next")}, nil)
}

func (s *Server) pageLoginPost(c *fiber.Ctx) error {
	sess, err := s.login(c.UserContext(), c.FormValue("login"), c.FormValue("password"))
	if err != nil {
		status := statusOf(renoflow.ErrorCodeOf(err))
		if status >= 500 {
			return err
		}
		return s.render(c, status, "login", page{Title: "登录", Message: asDomainError(err).Message,
			Form: map[string]string{"login": c.FormValue("login")}, Next: c.FormValue("next")}, nil)
	}
	s.setSessionCookie(c, sess.Token, s.now().Add(s.cfg.SessionTTL))
	next := c.FormValue("next")
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		next = "/tasks"
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

func (s *Server) pageLogout(c *fiber.Ctx) error {
	if err := s.logout(c.UserContext(), sessionOf(c).Token); err != nil {
		return err
	}
	c.ClearCookie(SessionCookie)
	return c.Redirect("/login", fiber.StatusSeeOther)
}

var taskViews = []renoflow.Option{{Code: ViewToday, Label: "今日到期"}, {Code: ViewOverdue, Label: "已逾期"},
	{Code: ViewUpcoming, Label: "以后到期"}, {Code: ViewDone, Label: "已完成"}}

func (s *Server) pageTasks(c *fiber.Ctx) error {
	view := c.Query("view", ViewToday)
	tasks, err := s.listTasks(c.UserContext(), actorOf(c), view)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "tasks", page{Title: "我的任务", Nav: "tasks"},
		map[string]any{"Tasks": tasks, "View": view, "Views": taskViews})
}

func (s *Server) pageTaskDone(c *fiber.Ctx) error {
	id, err := c.ParamsInt("id")
	if err != nil {
		return renoflow.Errorf(renoflow.CodeNotFound, "找不到该任务")
	}
	reached, err := formBool(c, "reached")
	if err != nil {
		return err
	}
	if _, err := s.completeTask(c.UserContext(), actorOf(c), int64(id), "", reached, strings.TrimSpace(c.FormValue("note"))); err != nil {
		return err
	}
	return c.Redirect("/tasks?ok="+urlQueryEscape("任务已完成"), fiber.StatusSeeOther)
}

func formBool(c *fiber.Ctx, name string) (*bool, error) {
	v := c.FormValue(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, &renoflow.Error{Code: renoflow.CodeInvalid, Message: "输入有误",
			Fields: []renoflow.FieldError{{Field: name, Message: "只能是 true 或 false"}}}
	}
	return &b, nil
}

func (s *Server) pageCustomers(c *fiber.Ctx) error {
	f := CustomerFilter{Q: strings.TrimSpace(c.Query("q")), Stage: c.Query("stage"), Grade: c.Query("grade"),
		OwnerID: c.Query("owner"), IncludeInvalid: c.Query("invalid") != ""}
	rows, err := s.listCustomers(c.UserContext(), actorOf(c), f)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "customers", page{Title: "客户", Nav: "customers"},
		map[string]any{"Customers": rows, "Filter": f, "Stages": renoflow.Stages(), "Grades": renoflow.Grades()})
}

// storeOptions lists the stores actor may file into.
func (s *Server) storeOptions(c *fiber.Ctx) ([]renoflow.Option, error) {
	var rows []renoflow.Option
	q := s.db.NewSelect().Table("stores").ColumnExpr("id AS code, name AS label").Order("id")
	a := actorOf(c)
	if a.Role != renoflow.RoleAdmin {
		stores := append([]string{a.StoreID}, a.Stores...)
		q = q.Where("id IN (?)", bunIn(stores))
	}
	if err := q.Scan(c.UserContext(), &rows); err != nil {
		return nil, fmt.Errorf("list stores: %w", err)
	}
	return rows, nil
}

var consultations = []renoflow.Option{{Code: "", Label: "仅报备（客户未到店）"}, {Code: renoflow.ConsultVisit, Label: "客户到店接待"},
	{Code: renoflow.ConsultPhone, Label: "客户来电咨询"}}

func (s *Server) newCustomerPage(c *fiber.Ctx, status int, p page) error {
	stores, err := s.storeOptions(c)
	if err != nil {
		return err
	}
	if p.Form == nil {
		p.Form = map[string]string{"store_id": actorOf(c).StoreID}
	}
	p.Title, p.Nav = "报备客户", "new"
	return s.render(c, status, "customer_new", p, map[string]any{
		"Genders": renoflow.Genders(), "Channels": renoflow.Channels(), "Occupations": renoflow.Occupations(),
		"FocusPoints": renoflow.FocusPoints(), "Stores": stores, "Consultations": consultations[1:],
	})
}

func (s *Server) pageNewCustomer(c *fiber.Ctx) error {
	if !canFile(actorOf(c)) {
		return renoflow.Errorf(renoflow.CodeForbidden, "%s不能报备客户", actorOf(c).Role.Label())
	}
	return s.newCustomerPage(c, fiber.StatusOK, page{})
}

// filingFormFields are the single-value fields of the filing form.
var filingFormFields = []string{"name", "gender", "phone", "occupation", "house.community", "house.building", "house.unit",
	"house.floor", "house.layout", "house.area_m2", "house.handover_date", "house.off_plan", "needs", "situation",
	"budget_wan", "style", "channel", "store_id", "consultation"}

// parseFilingForm reads the filing form into a request; numbers that are not numbers are
// field errors (collected with the domain's).
func parseFilingForm(c *fiber.Ctx) (FileRequest, map[string]string, []string, *renoflow.Problems) {
	form := map[string]string{}
	for _, f := range filingFormFields {
		form[f] = strings.TrimSpace(c.FormValue(f))
	}
	var focus []string
	if mf, err := c.MultipartForm(); err == nil && mf != nil {
		focus = mf.Value["focus_points"]
	} else {
		c.Request().PostArgs().VisitAll(func(k, v []byte) {
			if string(k) == "focus_points" {
				focus = append(focus, string(v))
			}
		})
	}
	var p renoflow.Problems
	num := func(field string) float64 {
		v := strings.TrimSpace(form[field])
		if v == "" {
			return 0
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			p.Add(field, "须为数字")
		}
		return f
	}
	req := FileRequest{Consultation: form["consultation"]}
	req.PhoneRaw = form["phone"]
	req.Name = form["name"]
	req.Gender = renoflow.Gender(form["gender"])
	req.Occupation = renoflow.Occupation(form["occupation"])
	req.House = renoflow.House{Community: form["house.community"], Building: form["house.building"], Unit: form["house.unit"],
		Floor: form["house.floor"], Layout: form["house.layout"], AreaM2: num("house.area_m2"),
		HandoverDate: form["house.handover_date"], OffPlan: form["house.off_plan"] != ""}
	req.Needs, req.Situation, req.Style = form["needs"], form["situation"], form["style"]
	req.BudgetWan = num("budget_wan")
	req.Channel = renoflow.Channel(form["channel"])
	req.StoreID = form["store_id"]
	for _, f := range focus {
		req.FocusPoints = append(req.FocusPoints, renoflow.FocusPoint(f))
	}
	return req, form, focus, &p
}

func (s *Server) pageNewCustomerPost(c *fiber.Ctx) error {
	req, form, focus, formProblems := parseFilingForm(c)
	var err error
	if ferr := formProblems.Err("报备信息有误"); ferr != nil {
		// Report the form's own problems together with the domain's.
		_, derr := renoflow.ParseFiling(req.FilingInput)
		err = combine(ferr, derr)
	} else {
		var res FileResult
		res, err = s.file(c.UserContext(), actorOf(c), req)
		if err == nil {
			return c.Redirect("/customers/"+res.CustomerID+"?ok="+urlQueryEscape("报备成功"), fiber.StatusSeeOther)
		}
	}
	de := asDomainError(err)
	status := statusOf(de.Code)
	if status >= 500 || status == http.StatusForbidden {
		return err
	}
	errs := map[string]string{}
	for _, f := range de.Fields {
		if _, dup := errs[f.Field]; !dup {
			errs[f.Field] = f.Message
		}
	}
	return s.newCustomerPage(c, status, page{Message: de.Message, Form: form, Multi: map[string][]string{"focus_points": focus}, Errors: errs})
}

// combine merges the fields of two validation errors (the first's message wins, unless
// the second names missing effective-customer items).
func combine(a, b error) error {
	var da, db *renoflow.Error
	if !errors.As(a, &da) {
		return b
	}
	if b == nil || !errors.As(b, &db) {
		return a
	}
	out := *db
	out.Fields = append(append([]renoflow.FieldError(nil), da.Fields...), db.Fields...)
	return &out
}

// customerActions are the actions the customer page offers, by stage.
func customerActions(a renoflow.Actor, st renoflow.Customer) []renoflow.Option {
	var out []renoflow.Option
	if st.VerifiedAt.IsZero() && st.CheckVerify(a) == nil {
		out = append(out, renoflow.Option{Code: "verify", Label: "核实报备"})
	}
	if st.Stage != renoflow.StageInvalid {
		label := "登记到店"
		if st.Stage == renoflow.StagePool {
			label = "带客户到店并认领"
		}
		out = append(out, renoflow.Option{Code: "store-visit", Label: label})
	}
	if st.CheckPhoneEnquiry(a) == nil {
		out = append(out, renoflow.Option{Code: "phone-enquiry", Label: "登记来电咨询"})
	}
	if st.CheckCallback(a) == nil {
		out = append(out, renoflow.Option{Code: "callback", Label: "登记首谈回访"})
	}
	return out
}

func (s *Server) pageCustomer(c *fiber.Ctx) error {
	d, err := s.customerDetail(c.UserContext(), actorOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "customer", page{Title: d.Customer.Name, Nav: "customers"},
		map[string]any{"Detail": d, "Actions": customerActions(actorOf(c), d.State)})
}

// pageActions maps the customer page's action codes to workflow updates.
var pageActions = map[string]string{
	"verify": workflows.UpdateVerify, "store-visit": workflows.UpdateStoreVisit,
	"phone-enquiry": workflows.UpdatePhoneEnquiry, "callback": workflows.UpdateCallback,
}

func (s *Server) pageAction(c *fiber.Ctx) error {
	update, ok := pageActions[c.Params("action")]
	if !ok {
		return renoflow.Errorf(renoflow.CodeNotFound, "没有这项操作")
	}
	actor := actorOf(c)
	act := workflows.Action{Actor: actor, Note: strings.TrimSpace(c.FormValue("note"))}
	var arg any = act
	if update == workflows.UpdateCallback {
		reached, err := formBool(c, "reached")
		if err != nil {
			return err
		}
		if reached == nil {
			return &renoflow.Error{Code: renoflow.CodeInvalid, Message: "回访须填写结果",
				Fields: []renoflow.FieldError{{Field: "reached", Message: "请选择已接通或未接通"}}}
		}
		arg = workflows.CallbackInput{Action: act, Reached: *reached}
	}
	id := c.Params("id")
	if _, err := s.act(c.UserContext(), actor, id, update, "", arg); err != nil {
		return err
	}
	return c.Redirect("/customers/"+id+"?ok="+urlQueryEscape("已办理"), fiber.StatusSeeOther)
}
