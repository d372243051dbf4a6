package server

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gofiber/fiber/v2"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds one parsed template set per page (layout + partials + the page's content);
// it is built once and only read.
var pages = mustParsePages()

var funcs = template.FuncMap{
	// taskStatus is the Chinese label of a task row's status (renoflow.TaskStatus).
	"taskStatus": func(s string) string { return renoflow.TaskStatus(s).Label() },
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
	"ruleTitle":  func(r any) string { return renoflow.Rule(fmt.Sprint(r)).Title() },
	"stageLabel": func(s renoflow.Stage) string { return s.Label() },
	"gradeLabel": func(g renoflow.Grade) string { return g.Label() },
	"fieldLabel": fieldLabel,
	"yuan":       func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) + " 元" },
	"timeLeft":   func(time.Time) string { return "" }, // replaced per render with the server clock
	"fieldArgs":  fieldArgs,
	// newestFirst orders a customer's timeline for the page (issue 13: newest first).
	"newestFirst": func(rows []TimelineRow) []TimelineRow {
		out := make([]TimelineRow, len(rows))
		for i, r := range rows {
			out[len(rows)-1-i] = r
		}
		return out
	},
	"selectArgs": selectArgs,
	// Delivery of the outbox's messages (issue 14).
	"deliveryLabel":  deliveryLabel,
	"channelLabel":   func(ch string) string { return renoflow.NotifyChannel(ch).Label() },
	"messageSummary": messageSummary,
}

func mustParsePages() map[string]*template.Template {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html"))
	out := map[string]*template.Template{}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, n))
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
	fieldGrade: "分级", fieldDesigner: "设计师", fieldOwner: "新归属人", fieldHandler: "处理人", fieldAmount: "金额",
	fieldMilestone: "验收节点", fieldCategory: "投诉类别", fieldComplaint: "投诉", fieldSatisfied: "客户是否满意", fieldOutcome: "裁决结果",
	fieldSeverity: "投诉级别", fieldDate: "日期",
	"login": "登录账号", "id": "编号", "role": "角色", "password": "密码", "stores": "负责门店", "view": "任务视图",
}

func fieldLabel(f string) string {
	if l, ok := fieldLabels[f]; ok {
		return l
	}
	if pf, ok := renoflow.PolicyFieldOf(f); ok {
		return pf.Label
	}
	return f
}

// navLink is one entry of the top navigation.
type navLink struct {
	Key, Href, Label string
}

// navLinks lists the pages actor may use, in the order the header shows them.
func navLinks(a renoflow.Actor) []navLink {
	var out []navLink
	if a.Can(renoflow.PermAcknowledge) {
		out = append(out, navLink{"tasks", "/tasks", "我的任务"})
	}
	out = append(out, navLink{"customers", "/customers", "客户"})
	if a.Can(renoflow.PermFile) {
		out = append(out, navLink{"new", "/customers/new", "报备客户"})
	}
	if a.Can(renoflow.PermManageStaff) {
		out = append(out, navLink{"staff", "/admin/staff", "员工"}, navLink{"stores", "/admin/stores", "门店"})
	}
	if a.Can(renoflow.PermManagePolicy) {
		out = append(out, navLink{"policy", "/admin/policy", "策略"})
	}
	return out
}

// home is where actor lands after login: their tasks, or the admin's staff page.
func home(a renoflow.Actor) string {
	if !a.Can(renoflow.PermAcknowledge) && a.Can(renoflow.PermManageStaff) {
		return "/admin/staff"
	}
	return "/tasks"
}

// page is what every page template sees.
type page struct {
	Title   string
	Nav     string
	Actor   renoflow.Actor
	CSRF    string
	Flash   string
	Message string
	Error   *renoflow.Error
	Form    map[string]string
	Multi   map[string][]string
	Errors  map[string]string
	Next    string
	// Dispute offers the ownership-dispute form after a duplicate filing.
	Dispute bool
	// RequestID is this rendering's idempotency key: its forms send it (hidden field
	// "_request"), so a double submission is applied once (issue 10 §2).
	RequestID string
}

// render executes a page with the request's actor, CSRF token and the now-bound helpers.
func (s *Server) render(c *fiber.Ctx, status int, name string, p page, data map[string]any) error {
	if sess := sessionOf(c); sess != nil {
		p.Actor, p.CSRF = sess.Actor, sess.CSRF
	}
	if p.Flash == "" {
		p.Flash = c.Query("ok")
	}
	if p.RequestID == "" {
		p.RequestID = uuid.NewString()
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
	fm := template.FuncMap{"timeLeft": func(due time.Time) string { return timeLeft(due, now) }}
	if pol, err := s.currentPolicy(c.UserContext()); err == nil {
		// Rule titles say the durations of the policy in force (issue 13).
		fm["ruleTitle"] = func(r any) string { return renoflow.Rule(fmt.Sprint(r)).TitleFor(pol) }
	}
	t.Funcs(fm)
	m := map[string]any{
		"Title": p.Title, "Nav": p.Nav, "Actor": p.Actor, "CSRF": p.CSRF, "Flash": p.Flash, "Links": navLinks(p.Actor),
		"Message": p.Message, "Error": p.Error, "Form": p.Form, "Errors": p.Errors, "Next": p.Next, "Dispute": p.Dispute,
		"RequestID": p.RequestID,
		"Checked": func(field, v string) bool {
			for _, x := range p.Multi[field] {
				if x == v {
					return true
				}
			}
			return false
		},
	}
	if p.Actor.ID != "" && p.Actor.Can(renoflow.PermAcknowledge) {
		// The count badge of the top navigation, on every page (issue 13): open work
		// addressed to me, and how much of it is overdue.
		if n, err := s.taskCounts(c.UserContext(), p.Actor); err == nil {
			m["Badge"] = navBadge{Todo: n[ViewTodo], Overdue: n[ViewOverdue]}
		}
	}
	for k, v := range data {
		m[k] = v
	}
	c.Status(status).Type("html", "utf-8")
	return t.ExecuteTemplate(c.Response().BodyWriter(), "layout", m)
}

// policyTitles gives tasks the titles of the policy in force where the stored title is
// the rule's default one (issue 13: "报备3分钟后到期" when the policy says 3 minutes).
func policyTitles(tasks []TaskRow, pol renoflow.Policy) {
	for i := range tasks {
		r := renoflow.Rule(tasks[i].Rule)
		if tasks[i].Title == r.Title() {
			tasks[i].Title = r.TitleFor(pol)
		}
		tasks[i].RuleTitle = r.TitleFor(pol)
	}
}

// navBadge is the task count the top navigation shows on every page.
type navBadge struct{ Todo, Overdue int }

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
	case mins == 0 && prefix == "已逾期":
		return "刚到期"
	case mins == 0:
		return "不到1分钟"
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

// formProblem describes a form's failure for a re-render: the status, the message and
// each bad field's message (the first per field). ok is false for failures a form
// cannot show (server errors), which go to the ErrorHandler.
func formProblem(err error) (status int, de *renoflow.Error, fields map[string]string, ok bool) {
	de = asDomainError(err)
	status = statusOf(de.Code)
	switch status {
	case http.StatusUnprocessableEntity, http.StatusConflict, http.StatusForbidden:
	default:
		return status, de, nil, false
	}
	fields = map[string]string{}
	for _, f := range de.Fields {
		if _, dup := fields[f.Field]; !dup {
			fields[f.Field] = f.Message
		}
	}
	return status, de, fields, true
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

// requirePerm is the route-level permission gate, the same for the API and the pages: the
// actor's role must grant perm (SPEC.md "People (roles)"), else 403.
func requirePerm(perm renoflow.Permission, what string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := actorOf(c).Require(perm, what); err != nil {
			return err
		}
		return c.Next()
	}
}

func (s *Server) pageLogin(c *fiber.Ctx) error {
	if sess, _ := s.sessionFor(c.UserContext(), c.Cookies(SessionCookie)); sess != nil {
		return c.Redirect(home(sess.Actor), fiber.StatusSeeOther)
	}
	return s.loginPage(c, fiber.StatusOK, page{Next: safeNext(c.Query("next"))})
}

// loginPage shows the login form with its CSRF token (loginCSRF).
func (s *Server) loginPage(c *fiber.Ctx, status int, p page) error {
	p.Title, p.CSRF = "登录", s.loginCSRF(c)
	var data map[string]any
	if s.cfg.DemoLogins {
		data = map[string]any{"Demo": DemoStaff, "DemoPassword": DemoPassword}
	}
	return s.render(c, status, "login", p, data)
}

func (s *Server) pageLoginPost(c *fiber.Ctx) error {
	again := page{Form: map[string]string{"login": c.FormValue("login")}, Next: safeNext(c.FormValue("next"))}
	if !checkLoginCSRF(c) {
		again.Message = "登录表单已过期或来源不明，请重新登录"
		return s.loginPage(c, fiber.StatusForbidden, again)
	}
	sess, err := s.login(c.UserContext(), c.FormValue("login"), c.FormValue("password"), s.clientIP(c))
	if err != nil {
		status := statusOf(renoflow.ErrorCodeOf(err))
		var th *throttled
		if errors.As(err, &th) {
			_ = th.answer(c)
			status, err = fiber.StatusTooManyRequests, th.domain()
		}
		if status >= 500 {
			return err
		}
		again.Message = asDomainError(err).Message
		return s.loginPage(c, status, again)
	}
	s.setSessionCookie(c, sess.Token, s.now().Add(s.cfg.SessionTTL))
	next := safeNext(c.FormValue("next"))
	if next == "" {
		next = home(sess.Actor)
		// The count of overdue work on login (issue 13), on the first page.
		if sess.Actor.Can(renoflow.PermAcknowledge) {
			if n, err := s.taskCounts(c.UserContext(), sess.Actor); err == nil && n[ViewOverdue] > 0 {
				next += "?ok=" + urlQueryEscape(fmt.Sprintf("您有 %d 项工作已逾期，请优先办理", n[ViewOverdue]))
			}
		}
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

func (s *Server) pageHome(c *fiber.Ctx) error {
	return c.Redirect(home(actorOf(c)), fiber.StatusSeeOther)
}

// taskViews are the tabs of the task list.
var taskViews = []renoflow.Option{{Code: ViewTodo, Label: "待办"}, {Code: ViewToday, Label: "今日到期"}, {Code: ViewOverdue, Label: "已逾期"},
	{Code: ViewUpcoming, Label: "以后到期"}, {Code: ViewDone, Label: "已完成"}}

// taskTab is one tab of the task list with the number of tasks in it.
type taskTab struct {
	renoflow.Option
	Count int
}

func (s *Server) pageTasks(c *fiber.Ctx) error {
	actor := actorOf(c)
	view := c.Query("view", ViewTodo)
	tasks, err := s.listTasks(c.UserContext(), actor, view)
	if err != nil {
		return err
	}
	if pol, err := s.currentPolicy(c.UserContext()); err == nil {
		policyTitles(tasks, pol)
	}
	counts, err := s.taskCounts(c.UserContext(), actor)
	if err != nil {
		return err
	}
	tabs := make([]taskTab, 0, len(taskViews))
	for _, v := range taskViews {
		tabs = append(tabs, taskTab{Option: v, Count: counts[v.Code]})
	}
	return s.render(c, fiber.StatusOK, "tasks", page{Title: "我的任务", Nav: "tasks"},
		map[string]any{"Tasks": tasks, "View": view, "Views": tabs, "Counts": counts, "Channels": renoflow.FollowUpChannels(),
			"Deliveries": s.taskDeliveries(c.UserContext(), tasks)})
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
	key := formRequestID(c)
	if key != "" {
		key += "-task-" + strconv.Itoa(id) // one key per task form of the rendered page
	}
	if _, err := s.completeTask(c.UserContext(), actorOf(c), int64(id), key, reached, strings.TrimSpace(c.FormValue("note")), c.FormValue(fieldChannel)); err != nil {
		return err
	}
	return c.Redirect("/tasks?view="+urlQueryEscape(c.FormValue("view", ViewTodo))+"&ok="+urlQueryEscape("任务已完成"), fiber.StatusSeeOther)
}

// formBool reads a yes/no form field; "" is nil.
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
	actor := actorOf(c)
	f, err := customerFilterOf(c)
	if err != nil {
		return err
	}
	rows, total, err := s.listCustomers(c.UserContext(), actor, f)
	if err != nil {
		return err
	}
	stores, err := s.storeList(c.UserContext(), actor)
	if err != nil {
		return err
	}
	var owners, designers []StaffMember
	if actor.Role != renoflow.RoleSalesAdvisor && actor.Role != renoflow.RoleDesigner {
		staff, err := s.directory(c.UserContext(), actor)
		if err != nil {
			return err
		}
		for _, m := range staff {
			if staffOwner.hasRole(m.Role) {
				owners = append(owners, m)
			}
			if m.Role == renoflow.RoleDesigner {
				designers = append(designers, m)
			}
		}
	}
	return s.render(c, fiber.StatusOK, "customers", page{Title: "客户", Nav: "customers"},
		map[string]any{"Customers": rows, "Filter": f, "Stages": renoflow.Stages(), "Grades": renoflow.Grades(),
			"Owners": owners, "Designers": designers, "Stores": stores, "Channels": renoflow.Channels(),
			"ManyStores": len(actorStores(actor)) > 1 || actor.Role == renoflow.RoleAdmin,
			"Total":      total, "Pages": f.pages(total), "Sorts": customerSorts, "Query": template.URL(f.query()),
			"CanReassign": actor.Can(renoflow.PermReassign),
			"MoreFilters": f.StoreID != "" || f.DesignerID != "" || f.Channel != "" || f.From != "" || f.To != "" ||
				f.Overdue || f.Flagged || f.InPool || f.IncludeInvalid})
}

// storeOptions lists the stores actor may file into.
func (s *Server) storeOptions(c *fiber.Ctx) ([]renoflow.Option, error) {
	return s.storesOf(c.UserContext(), actorOf(c))
}

// storesOf lists the stores actor works in or oversees (every store for the admin).
func (s *Server) storesOf(ctx context.Context, a renoflow.Actor) ([]renoflow.Option, error) {
	if a.Role == renoflow.RoleAdmin {
		return s.storeOptionsAll(ctx)
	}
	stores := actorStores(a)
	if len(stores) == 0 {
		return nil, nil
	}
	rows, err := postgres.StoreNames(ctx, s.db, stores...)
	if err != nil {
		return nil, err
	}
	out := make([]renoflow.Option, 0, len(rows))
	for _, r := range rows {
		out = append(out, renoflow.Option{Code: r.ID, Label: r.Name})
	}
	return out, nil
}

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
		"FocusPoints": renoflow.FocusPoints(), "Stores": stores, "Consultations": renoflow.Consultations(),
	})
}

func (s *Server) pageNewCustomer(c *fiber.Ctx) error {
	return s.newCustomerPage(c, fiber.StatusOK, page{})
}

// filingFormFields are the single-value fields of the filing form.
var filingFormFields = []string{"name", "gender", "phone", "occupation", "house.community", "house.building", "house.unit",
	"house.floor", "house.layout", "house.area_m2", "house.handover_date", "house.off_plan", "needs", "situation",
	"budget_wan", "style", "channel", "store_id", "consultation"}

// formValues reads every value of a repeated form field (check boxes).
func formValues(c *fiber.Ctx, name string) []string {
	if mf, err := c.MultipartForm(); err == nil && mf != nil {
		return mf.Value[name]
	}
	var out []string
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if string(k) == name {
			out = append(out, string(v))
		}
	})
	return out
}

// parseFilingForm reads the filing form into a request; numbers that are not numbers are
// field errors (collected with the domain's).
func parseFilingForm(c *fiber.Ctx) (FileRequest, map[string]string, []string, *renoflow.Problems) {
	form := map[string]string{}
	for _, f := range filingFormFields {
		form[f] = strings.TrimSpace(c.FormValue(f))
	}
	focus := formValues(c, "focus_points")
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
		req.Key = formRequestID(c)
		res, err = s.file(c.UserContext(), actorOf(c), req)
		if err == nil {
			flash := "报备成功"
			if res.Customer == nil { // accepted, still being written: the page waits or says 正在建档
				flash = "已受理，正在建档，请稍候刷新"
			}
			return c.Redirect("/customers/"+res.CustomerID+"?ok="+urlQueryEscape(flash), fiber.StatusSeeOther)
		}
	}
	status, de, errs, ok := formProblem(err)
	if !ok || status == http.StatusForbidden {
		return err
	}
	p := page{Message: de.Message, Form: form, Multi: map[string][]string{"focus_points": focus}, Errors: errs}
	// A duplicate filing (撞单) may be disputed: the page offers the form.
	p.Dispute = de.Code == renoflow.CodeConflict && de.Data["owner"] != nil && de.Data["stage"] != string(renoflow.StagePool) &&
		actorOf(c).Can(renoflow.PermDispute)
	return s.newCustomerPage(c, status, p)
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
