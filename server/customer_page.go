package server

import (
	"context"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/postgres"
)

// formField is one input of an action form as the customer page draws it.
type formField struct {
	Name     string
	Label    string
	Kind     string // "text", "textarea", "number" or "select"
	Options  []renoflow.Option
	Value    string
	Error    string
	Required bool
	Hint     string
}

// actionForm is one action's form on the customer page.
type actionForm struct {
	Update string
	Label  string
	// RequestID makes a double submission of the form one update (the workflow update ID).
	RequestID string
	Fields    []formField
	Failed    bool   // the last submission of this form was refused
	Message   string // why
}

// actionFailure is a refused submission, shown again on the customer page with the
// values kept and each bad field named.
type actionFailure struct {
	Update  string
	Message string
	Form    map[string]string
	Errors  map[string]string
}

// yesNo are the choices of the customer page's yes/no fields.
var yesNo = map[string][]renoflow.Option{
	fieldReached:   {{Code: "true", Label: "已接通"}, {Code: "false", Label: "未接通"}},
	fieldSatisfied: {{Code: "true", Label: "满意（关闭并归档）"}, {Code: "false", Label: "不满意（重新处理）"}},
}

// actionForms builds the forms the customer page offers actor: exactly the actions the
// domain says they may take on the customer now (StaffAction.Can: permission, relation,
// stage). A refused submission comes back filled in, with its message and bad fields.
func (s *Server) actionForms(ctx context.Context, actor renoflow.Actor, row *CustomerRow, st *renoflow.Customer, failed *actionFailure) ([]actionForm, error) {
	var out []actionForm
	pickers := map[staffKind][]renoflow.Option{}
	pick := func(kind staffKind) ([]renoflow.Option, error) {
		if opts, ok := pickers[kind]; ok {
			return opts, nil
		}
		opts, err := s.staffOptions(ctx, row.StoreID, kind)
		pickers[kind] = opts
		return opts, err
	}
	for i := range actionSpecs {
		a := &actionSpecs[i]
		isFailed := failed != nil && failed.Update == a.Update
		if !isFailed && a.Can(st, actor) != nil {
			continue
		}
		f := actionForm{Update: a.Update, Label: a.Label, RequestID: uuid.NewString()}
		values, errs := map[string]string{}, map[string]string{}
		if isFailed {
			values, errs = failed.Form, failed.Errors
			f.Failed, f.Message = true, failed.Message
		}
		for _, name := range a.Fields {
			ff := formField{Name: name, Label: fieldLabel(name), Kind: "select", Required: true, Value: values[name], Error: errs[name]}
			switch name {
			case fieldReached, fieldSatisfied:
				ff.Options = yesNo[name]
			case fieldChannel:
				ff.Label, ff.Options = "跟进方式", renoflow.FollowUpChannels()
			case fieldGrade:
				for _, g := range renoflow.Grades() {
					if g.Code != string(renoflow.GradeA) { // A comes with the deposit (SPEC.md "grade")
						ff.Options = append(ff.Options, g)
					}
				}
			case fieldMilestone:
				ff.Options = renoflow.Milestones()
				if ff.Value == "" {
					ff.Value = string(st.NextMilestone())
				}
			case fieldCategory:
				ff.Options = renoflow.ComplaintCategories()
			case fieldSeverity:
				ff.Options, ff.Required = renoflow.ComplaintSeverities(), false
				if ff.Value == "" {
					ff.Value = string(renoflow.SeverityNormal)
				}
			case fieldDate:
				ff.Kind, ff.Label, ff.Required, ff.Hint = "date", "入住日期", false, "不填则为今天"
			case fieldComplaint:
				for _, k := range st.ComplaintChoices(a.StaffAction, actor) {
					ff.Options = append(ff.Options, renoflow.Option{Code: k.ID,
						Label: k.ID + " " + k.Category.Label() + "：" + k.Text + "（" + k.Status.Label() + "，处理人" + k.Handler.Name + "）"})
				}
				if ff.Value == "" && len(ff.Options) > 0 {
					ff.Value = ff.Options[0].Code
				}
			case fieldDesigner, fieldOwner, fieldHandler:
				kind := map[string]staffKind{fieldDesigner: staffDesigner, fieldOwner: staffOwner, fieldHandler: staffHandler}[name]
				opts, err := pick(kind)
				if err != nil {
					return nil, err
				}
				ff.Options = opts
				if name == fieldHandler && a.Update == renoflow.ActComplaintOpen {
					ff.Required, ff.Hint = false, "不选则由归属人处理"
				}
				if name == fieldOwner && st.Flag != "" && st.Owner.ID != "" {
					ff.Hint = "客户待重新分配；选择现归属人" + st.Owner.Name + "即确认归属、解除标记" // issue 10 §4
				}
			case fieldAmount:
				ff.Kind, ff.Label = "number", "金额（元）"
			case fieldStore:
				ff.Label, ff.Required, ff.Hint = "调往门店", false, "总监可把客户连同新的归属人调到其管辖的另一门店"
				opts, err := s.storesOf(ctx, actor)
				if err != nil {
					return nil, err
				}
				ff.Options = opts
				if ff.Value == "" {
					ff.Value = row.StoreID
				}
			case fieldOutcome:
				ff.Label, ff.Options = "裁决结果", renoflow.DisputeOutcomes()
			}
			f.Fields = append(f.Fields, ff)
		}
		note := formField{Name: fieldNote, Label: "备注（可选）", Kind: "text", Value: values[fieldNote], Error: errs[fieldNote]}
		if a.Note != "" {
			note.Label, note.Kind, note.Required = a.Note, "textarea", a.NoteRequired
		}
		f.Fields = append(f.Fields, note)
		out = append(out, f)
	}
	return out, nil
}

// parseActionForm reads an action's form: the fields it takes, as typed (kept for a
// re-render), and the input they make. Values that are not what the field takes are
// recorded in p.
func parseActionForm(c *fiber.Ctx, a *actionSpec, p *renoflow.Problems) (ActionInput, map[string]string) {
	form := map[string]string{fieldNote: strings.TrimSpace(c.FormValue(fieldNote))}
	for _, f := range a.Fields {
		form[f] = strings.TrimSpace(c.FormValue(f))
	}
	in := ActionInput{Note: form[fieldNote], Channel: form[fieldChannel], Grade: form[fieldGrade],
		DesignerID: form[fieldDesigner], OwnerID: form[fieldOwner], HandlerID: form[fieldHandler],
		Milestone: form[fieldMilestone], Category: form[fieldCategory], ComplaintID: form[fieldComplaint], Outcome: form[fieldOutcome],
		Severity: form[fieldSeverity], Date: form[fieldDate], StoreID: form[fieldStore]}
	boolean := func(field string) *bool {
		if form[field] == "" {
			return nil
		}
		b, err := strconv.ParseBool(form[field])
		if err != nil {
			p.Add(field, "请选择是或否")
			return nil
		}
		return &b
	}
	in.Reached, in.Satisfied = boolean(fieldReached), boolean(fieldSatisfied)
	if v := form[fieldAmount]; v != "" {
		x, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", ""), 64)
		if err != nil {
			p.Add(fieldAmount, "须为数字（元）")
		} else {
			in.AmountYuan = &x
		}
	}
	return in, form
}

// renderCustomer shows the customer's page: the record, the clocks, the later stages,
// the forms the actor may use, the open tasks and the timeline.
func (s *Server) renderCustomer(c *fiber.Ctx, status int, id string, failed *actionFailure) error {
	ctx := c.UserContext()
	actor := actorOf(c)
	d, err := s.customerDetail(ctx, actor, id)
	if err != nil {
		return err
	}
	forms, err := s.actionForms(ctx, actor, d.Customer, &d.State, failed)
	if err != nil {
		return err
	}
	storeName, err := postgres.StoreName(ctx, s.db, d.Customer.StoreID)
	if err != nil {
		storeName = d.Customer.StoreID
	}
	var focus []string
	for _, f := range d.State.Record.FocusPoints {
		focus = append(focus, f.Label())
	}
	msgs := s.customerMessages(ctx, d.Customer.ID)
	p := page{Title: d.Customer.Name, Nav: "customers"}
	if failed != nil {
		p.Message = failed.Message
	}
	return s.render(c, status, "customer", p, map[string]any{
		"Detail": d, "S": &d.State, "Forms": forms, "StoreName": storeName, "Focus": strings.Join(focus, "、"),
		"Failed": failed, "Timeline": timelineWithMessages(d.Timeline, msgs), "Deliveries": deliveriesByTask(d.Tasks, msgs),
	})
}

func (s *Server) pageCustomer(c *fiber.Ctx) error {
	return s.renderCustomer(c, fiber.StatusOK, c.Params("id"), nil)
}

// pageAction handles a form of the customer page: POST /customers/:id/actions/<update>.
// It goes through the same gate and checks as the API; a refusal or bad input shows the
// customer page again (422, 409 or 403) with the values kept and each bad field named.
func (s *Server) pageAction(c *fiber.Ctx) error {
	a, ok := actionByUpdate(c.Params("action"))
	if !ok {
		return renoflow.Errorf(renoflow.CodeNotFound, "没有这项操作")
	}
	ctx, actor, id := c.UserContext(), actorOf(c), c.Params("id")
	row, state, err := s.authorize(ctx, actor, id, a.Perm, a.Verb)
	if err != nil {
		return err
	}
	var p renoflow.Problems
	in, form := parseActionForm(c, a, &p)
	if err = p.Err(a.Label + "：输入有误"); err == nil {
		_, err = s.perform(ctx, actor, row, state, a, in, formRequestID(c))
	} else if _, perr := s.check(ctx, actor, row, state, a, in); perr != nil {
		err = combine(err, perr) // name the form's own problems with the rest
	}
	if err == nil {
		return c.Redirect("/customers/"+id+"?ok="+urlQueryEscape(a.Label+"：已办理")+"#timeline", fiber.StatusSeeOther)
	}
	status, de, errs, ok := formProblem(err)
	if !ok {
		return err
	}
	return s.renderCustomer(c, status, id, &actionFailure{Update: a.Update, Message: de.Message, Form: form, Errors: errs})
}

// formRequestID is the request ID a form carries, when it looks like one the page made.
func formRequestID(c *fiber.Ctx) string {
	if id, err := uuid.Parse(c.FormValue("_request")); err == nil {
		return id.String()
	}
	return ""
}
