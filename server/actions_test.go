package server

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/workflows"
	"github.com/stretchr/testify/require"
)

// validInput is a well-formed input of each action, as JSON and as the form sends it.
var validInput = map[string]map[string]any{
	workflows.UpdateVerify:            {"note": "核实无误"},
	workflows.UpdateStoreVisit:        {},
	workflows.UpdatePhoneEnquiry:      {"note": "问报价"},
	workflows.UpdateCallback:          {"reached": true},
	workflows.UpdateFollowUp:          {"channel": "wechat", "note": "发了方案"},
	workflows.UpdateGrade:             {"grade": "B"},
	workflows.UpdateDispatchPropose:   {"designer_id": "d1"},
	workflows.UpdateDispatchConfirm:   {},
	workflows.UpdateDispatchAccept:    {},
	workflows.UpdateDispatchRefuse:    {"note": "档期已满"},
	workflows.UpdateMeasure:           {},
	workflows.UpdateDesignProgress:    {"note": "平面图已出"},
	workflows.UpdateDeposit:           {"amount_yuan": 20000},
	workflows.UpdateContract:          {"amount_yuan": 280000},
	workflows.UpdateMilestone:         {"milestone": "material"},
	workflows.UpdateComplaintOpen:     {"category": "schedule", "note": "工期拖延"},
	workflows.UpdateComplaintAnswer:   {"complaint_id": "K1", "note": "已致电说明"},
	workflows.UpdateComplaintResolve:  {"complaint_id": "K1", "note": "补偿一次保洁"},
	workflows.UpdateComplaintReassign: {"complaint_id": "K1", "handler_id": "sm1"},
	workflows.UpdateComplaintClose:    {"complaint_id": "K1", "satisfied": true},
	workflows.UpdateComplaintMajor:    {"complaint_id": "K1", "note": "业主投诉至消协"},
	workflows.UpdateMovedIn:           {"date": "2026-11-20"},
	workflows.UpdateInvalidPropose:    {"note": "号码空号"},
	workflows.UpdateInvalidConfirm:    {},
	workflows.UpdateInvalidReject:     {"note": "再联系一次"},
	workflows.UpdateReassign:          {"owner_id": "sa1"},
	workflows.UpdateRelease:           {"note": "长期联系不上"},
	workflows.UpdateDisputeOpen:       {"note": "我先带客户看过样板间"},
	workflows.UpdateDisputeRule:       {"outcome": "split", "note": "两人都有邀约记录"},
}

// asForm writes an input as form values.
func asForm(in map[string]any) url.Values {
	v := url.Values{}
	for k, x := range in {
		v.Set(k, fmt.Sprint(x))
	}
	return v
}

// actorOfRole is the permission view of a role.
func actorOfRole(r renoflow.Role) renoflow.Actor { return renoflow.Actor{Role: r} }

// Every role × every action, through the API and through the customer page's forms: a
// role without the permission gets 403 whatever the customer, a customer outside the
// actor's row scope is 404, and only an allowed request sends exactly one update — of
// the action's name. A forbidden request never reaches the workflow.
func TestActionGate(t *testing.T) {
	h := newHarness(t)
	require.Len(t, validInput, len(actionSpecs), "a valid input for every action")
	// Each login with a customer inside its scope and one outside.
	cases := []struct {
		login    string
		in, away string
	}{
		{"admin", custS1, ""},
		{"sup1", custS2, ""},
		{"sm1", custS1, custS2},
		{"cm1", custS1, custS2},
		{"sa1", custSA, custS1},
		{"cs1", custS1, custS2},
		{"d1", custD1, custS1},
		{"sm2", custS2, custS1},
	}
	for _, tc := range cases {
		as := h.login(tc.login)
		for i := range actionSpecs {
			a := &actionSpecs[i]
			allowed := actorOfRole(as.role).Can(a.Perm)
			for _, target := range []string{tc.in, tc.away} {
				if target == "" {
					continue
				}
				want := http.StatusOK
				switch {
				case !allowed:
					want = http.StatusForbidden
				case target == tc.away:
					want = http.StatusNotFound
				}
				name := fmt.Sprintf("%s %s on %s", tc.login, a.Update, target)
				in := validInput[a.Update]
				if a.Update == workflows.UpdateComplaintReassign && strings.HasSuffix(target, "s2") {
					in = map[string]any{"complaint_id": "K1", "handler_id": "sm2"}
				}
				if a.Update == workflows.UpdateDispatchPropose && strings.HasSuffix(target, "s2") {
					in = map[string]any{"designer_id": "d2"}
				}
				if a.Update == workflows.UpdateReassign && strings.HasSuffix(target, "s2") {
					in = map[string]any{"owner_id": "cm2"}
				}

				status, body := h.api(as, http.MethodPost, "/api/customers/"+target+"/"+a.Update, in)
				require.Equal(t, want, status, "API %s: %v", name, body)
				sent := h.tc.sent()
				if want != http.StatusOK {
					require.Empty(t, sent, "API %s reached the workflow", name)
					continue
				}
				require.Len(t, sent, 1, "API %s", name)
				require.Equal(t, a.Update, sent[0].UpdateName, name)
				require.Equal(t, workflows.CustomerWorkflowID(target), sent[0].WorkflowID, name)

				status, html, loc := h.page(as, http.MethodPost, "/customers/"+target+"/actions/"+a.Update, asForm(in))
				require.Equal(t, http.StatusSeeOther, status, "page %s: %s", name, html)
				require.Contains(t, loc, "/customers/"+target)
				require.Len(t, h.tc.sent(), 1, "page %s", name)
			}
			if !allowed {
				status, html, _ := h.page(as, http.MethodPost, "/customers/"+tc.in+"/actions/"+a.Update, asForm(validInput[a.Update]))
				require.Equal(t, http.StatusForbidden, status, "page %s %s", tc.login, a.Update)
				require.Contains(t, html, "无权操作")
				require.Empty(t, h.tc.sent(), "page %s %s reached the workflow", tc.login, a.Update)
			}
		}
	}
}

// The update carries what the workflow needs: the actor as authenticated (never as
// the request says), the note, and staff IDs resolved to people from the staff table.
func TestActionArguments(t *testing.T) {
	h := newHarness(t)
	cm := h.login("cm1")
	sm := h.login("sm1")

	status, body := h.api(cm, http.MethodPost, "/api/customers/"+custS1+"/dispatch-propose", map[string]any{"designer_id": "d1", "note": " 喜欢现代风 "})
	require.Equal(t, http.StatusOK, status, "%v", body)
	sent := h.tc.sent()
	require.Len(t, sent, 1)
	in := sent[0].Args[0].(renoflow.Request)
	require.Equal(t, renoflow.Person{ID: "d1", Name: "吴设计"}, in.Person)
	require.Equal(t, "cm1", in.Actor.ID)
	require.Equal(t, renoflow.RoleCustomerManager, in.Actor.Role)
	require.Equal(t, "喜欢现代风", in.Note)

	status, body = h.api(sm, http.MethodPost, "/api/customers/"+custS1+"/reassign", map[string]any{"owner_id": "sa1"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, renoflow.Person{ID: "sa1", Name: "周顾问"}, h.tc.sent()[0].Args[0].(renoflow.Request).Person)

	status, body = h.api(sm, http.MethodPost, "/api/customers/"+custS1+"/complaint-reassign", map[string]any{"complaint_id": "K1", "handler_id": "d1"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	cr := h.tc.sent()[0].Args[0].(renoflow.Request)
	require.Equal(t, "K1", cr.ComplaintID)
	require.Equal(t, renoflow.Person{ID: "d1", Name: "吴设计"}, cr.Handler)

	status, body = h.api(cm, http.MethodPost, "/api/customers/"+custS1+"/complaint-open", map[string]any{"category": "material", "note": "瓷砖色差"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	co := h.tc.sent()[0].Args[0].(renoflow.Request)
	require.Equal(t, renoflow.ComplaintCategory("material"), co.Category)
	require.Empty(t, co.Handler.ID, "no handler named: the workflow gives it to the owner")

	status, body = h.api(cm, http.MethodPost, "/api/customers/"+custS1+"/deposit", map[string]any{"amount_yuan": 20000.5})
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, 20000.5, h.tc.sent()[0].Args[0].(renoflow.Request).AmountYuan)

	// The page form sends the same argument.
	status, html, _ := h.page(cm, http.MethodPost, "/customers/"+custS1+"/actions/follow-up", url.Values{"channel": {"phone"}, "note": {"约周六到店"}})
	require.Equal(t, http.StatusSeeOther, status, html)
	fu := h.tc.sent()[0].Args[0].(renoflow.Request)
	require.Equal(t, "phone", fu.Channel)
	require.Equal(t, "约周六到店", fu.Note)

	// A form submitted twice is one update: both carry the update ID the page made.
	_, html, _ = h.page(cm, http.MethodGet, "/customers/"+custS1, nil)
	visit := html[strings.Index(html, `id="act-store-visit"`):]
	visit = visit[strings.Index(visit, `name="_request" value="`)+len(`name="_request" value="`):]
	requestID := visit[:strings.Index(visit, `"`)]
	for range 2 {
		status, _, _ := h.page(cm, http.MethodPost, "/customers/"+custS1+"/actions/store-visit", url.Values{"_request": {requestID}})
		require.Equal(t, http.StatusSeeOther, status)
	}
	sent = h.tc.sent()
	require.Len(t, sent, 2)
	require.Equal(t, requestID, sent[0].UpdateID)
	require.Equal(t, sent[0].UpdateID, sent[1].UpdateID, "Temporal runs an update ID once")
}

func first(status int, _ map[string]any) int { return status }

// Bad input is a 422 naming each bad field, and nothing reaches the workflow: missing
// required fields, values outside their lists, staff IDs that do not exist, are
// inactive, work in another store or have the wrong role, fields the action does not take.
func TestActionBadInput(t *testing.T) {
	h := newHarness(t)
	cm, sm := h.login("cm1"), h.login("sm1")
	cases := []struct {
		as     *staffer
		action string
		in     map[string]any
		fields []string
	}{
		{cm, "callback", map[string]any{}, []string{"reached"}},
		{cm, "follow-up", map[string]any{}, []string{"channel"}},
		{cm, "follow-up", map[string]any{"channel": "fax"}, []string{"channel"}},
		{cm, "grade", map[string]any{"grade": "E"}, []string{"grade"}},
		{cm, "dispatch-propose", map[string]any{}, []string{"designer_id"}},
		{cm, "dispatch-propose", map[string]any{"designer_id": "nobody"}, []string{"designer_id"}},
		{cm, "dispatch-propose", map[string]any{"designer_id": "d0"}, []string{"designer_id"}},  // inactive
		{cm, "dispatch-propose", map[string]any{"designer_id": "d2"}, []string{"designer_id"}},  // store s2
		{cm, "dispatch-propose", map[string]any{"designer_id": "cs1"}, []string{"designer_id"}}, // not a designer
		{cm, "design-progress", map[string]any{"note": "  "}, []string{"note"}},
		{cm, "deposit", map[string]any{}, []string{"amount_yuan"}},
		{cm, "contract", map[string]any{"amount_yuan": -5}, []string{"amount_yuan"}},
		{cm, "deposit", map[string]any{"amount_yuan": 5e8}, []string{"amount_yuan"}}, // the domain's bound (1 亿), not the server's
		{cm, "contract", map[string]any{"amount_yuan": 2e9}, []string{"amount_yuan"}},
		{cm, "milestone", map[string]any{"milestone": "roof"}, []string{"milestone"}},
		{cm, "complaint-open", map[string]any{}, []string{"category", "note"}},
		{cm, "complaint-open", map[string]any{"category": "design", "note": "x", "handler_id": "sa1"}, []string{"handler_id"}},
		{cm, "complaint-answer", map[string]any{"complaint_id": "K9", "note": "x"}, []string{"complaint_id"}},
		{sm, "complaint-reassign", map[string]any{"complaint_id": "K1"}, []string{"handler_id"}},
		{sm, "complaint-close", map[string]any{"complaint_id": "K1"}, []string{"satisfied"}},
		{cm, "invalid-propose", map[string]any{}, []string{"note"}},
		{sm, "reassign", map[string]any{}, []string{"owner_id"}},
		{cm, "dispute-open", map[string]any{}, []string{"note"}},
		{sm, "dispute-rule", map[string]any{}, []string{"outcome"}},
		{sm, "dispute-rule", map[string]any{"outcome": "coin"}, []string{"outcome"}},
		{sm, "reassign", map[string]any{"owner_id": "d1"}, []string{"owner_id"}},  // a designer cannot own
		{sm, "reassign", map[string]any{"owner_id": "cm2"}, []string{"owner_id"}}, // another store
		{cm, "verify-no", map[string]any{}, nil},                                  // not an action: 404
		{cm, "store-visit", map[string]any{"grade": "B"}, []string{"grade"}},      // a field the action does not take
		{cm, "store-visit", map[string]any{"note": strings.Repeat("长", 2001)}, []string{"note"}},
	}
	for _, tc := range cases {
		status, body := h.api(tc.as, http.MethodPost, "/api/customers/"+custS1+"/"+tc.action, tc.in)
		if tc.fields == nil {
			require.Equal(t, http.StatusNotFound, status, "%s %v", tc.action, body)
			continue
		}
		require.Equal(t, http.StatusUnprocessableEntity, status, "%s %v: %v", tc.action, tc.in, body)
		require.ElementsMatch(t, tc.fields, errorFields(body), "%s %v", tc.action, tc.in)
		require.Empty(t, h.tc.sent(), "%s reached the workflow", tc.action)
	}

	status, body := h.api(h.login("d1"), http.MethodPost, "/api/customers/"+custD1To+"/dispatch-refuse", map[string]any{})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, []string{"note"}, errorFields(body), "a refusal needs its reason")
	require.Contains(t, fmt.Sprint(body), "拒单原因")

	// A staff ID of the wrong kind says what it is and what the field needs.
	_, body = h.api(cm, http.MethodPost, "/api/customers/"+custS1+"/dispatch-propose", map[string]any{"designer_id": "cs1"})
	require.Contains(t, fmt.Sprint(body), "李客服是客服，须为本店设计师")
	_, body = h.api(cm, http.MethodPost, "/api/customers/"+custS1+"/dispatch-propose", map[string]any{"designer_id": "d0"})
	require.Contains(t, fmt.Sprint(body), "账号已停用")
}

// A form that fails shows the customer page again with the status of the failure, the
// message, each bad field named at its input, and the values as typed.
func TestActionFormKeepsValues(t *testing.T) {
	h := newHarness(t)
	cm := h.login("cm1")

	status, html, _ := h.page(cm, http.MethodPost, "/customers/"+custS1+"/actions/deposit", url.Values{"amount_yuan": {"两万"}, "note": {"刷卡"}})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, html, `id="form-error"`)
	require.Contains(t, html, "金额：须为数字（元）")
	require.Contains(t, html, `value="两万"`, "the amount as typed")
	require.Contains(t, html, `value="刷卡"`, "the note as typed")
	require.Empty(t, h.tc.sent())

	status, html, _ = h.page(cm, http.MethodPost, "/customers/"+custS1+"/actions/dispatch-propose", url.Values{"designer_id": {"d2"}, "note": {"急单"}})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, html, "设计师：冯设计不是本店员工")
	require.Contains(t, html, "急单")

	// A refusal by the workflow is a 409 on the same page, values kept.
	h.tc.refuse = &renoflow.Error{Code: renoflow.CodeConflict, Message: "已派单给吴设计，等待店经理确认"}
	status, html, _ = h.page(cm, http.MethodPost, "/customers/"+custS1+"/actions/dispatch-propose", url.Values{"designer_id": {"d1"}, "note": {"二次派单"}})
	require.Equal(t, http.StatusConflict, status)
	require.Contains(t, html, "已派单给吴设计，等待店经理确认")
	require.Contains(t, html, "二次派单")
	require.Contains(t, html, `<option value="d1" selected>`)
	require.Len(t, h.tc.sent(), 1)

	// The API says the same with the same status, and maps the domain's "person" field.
	h.tc.refuse = &renoflow.Error{Code: renoflow.CodeInvalid, Message: "该设计师不在本店派单名单中",
		Fields: []renoflow.FieldError{{Field: "person", Message: "不是本店设计师"}}}
	status, body := h.api(cm, http.MethodPost, "/api/customers/"+custS1+"/dispatch-propose", map[string]any{"designer_id": "d1"})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, []string{"designer_id"}, errorFields(body))

	// A refusal naming the actor's lack of right (a designer who is not the one asked)
	// is a 403 on the page.
	h.tc.refuse = &renoflow.Error{Code: renoflow.CodeForbidden, Message: "该派单给的是设计师李设计"}
	status, html, _ = h.page(h.login("d1"), http.MethodPost, "/customers/"+custD1To+"/actions/dispatch-accept", url.Values{})
	require.Equal(t, http.StatusForbidden, status)
	require.Contains(t, html, "该派单给的是设计师李设计")
	require.Contains(t, html, `id="act-dispatch-accept"`)
}

// The customer page offers only the forms the actor's role may use, at the customer's
// stage; the forms of actions that need a staff member list the right people.
func TestCustomerPageForms(t *testing.T) {
	h := newHarness(t)
	forms := func(login, id string) []string {
		status, html, _ := h.page(h.login(login), http.MethodGet, "/customers/"+id, nil)
		require.Equal(t, http.StatusOK, status, html)
		var out []string
		for _, part := range strings.Split(html, `id="act-`)[1:] {
			out = append(out, part[:strings.Index(part, `"`)])
		}
		return out
	}
	// A pre-sale customer with an open complaint, not yet verified.
	require.ElementsMatch(t, []string{"store-visit", "phone-enquiry", "follow-up", "grade", "dispatch-propose",
		"complaint-open", "complaint-answer", "complaint-resolve", "complaint-major", "invalid-propose"}, forms("cm1", custS1))
	// Customer service handles complaints, but K1's handler is cm1: the domain refuses cs1 its answer.
	require.ElementsMatch(t, []string{"verify", "store-visit", "phone-enquiry", "complaint-open", "complaint-major"}, forms("cs1", custS1))
	require.ElementsMatch(t, []string{"verify", "store-visit", "phone-enquiry", "follow-up", "grade", "dispatch-propose",
		"complaint-open", "complaint-answer", "complaint-resolve", "complaint-reassign", "complaint-major", "dispute-open", "reassign", "release"}, forms("sm1", custS1))
	require.ElementsMatch(t, []string{"store-visit"}, forms("sa1", custSA))
	require.ElementsMatch(t, []string{"measure", "design-progress"}, forms("d1", custD1), "K1 is cm1's to handle")
	require.Empty(t, forms("admin", custS1))
	// A confirmed dispatch is answered by its designer.
	require.ElementsMatch(t, []string{"dispatch-accept", "dispatch-refuse"}, forms("d1", custD1To))
	require.NotContains(t, forms("sm1", custD1To), "dispatch-accept")
	// An open ownership dispute: the store manager rules; nobody opens a second.
	h.customer("c-dispute", "13800000007", "s1", "cm1", "张经理", renoflow.StagePresale, "", func(c *renoflow.Customer) {
		c.Disputes = []renoflow.Dispute{{ID: "D1", Claimant: renoflow.Person{ID: "sa1", Name: "周顾问"}, Owner: c.Owner,
			Evidence: []string{"周顾问（申请人）：先带客户看过样板间"}}}
	})
	require.Contains(t, forms("sm1", "c-dispute"), "dispute-rule")
	require.NotContains(t, forms("sm1", "c-dispute"), "dispute-open")
	require.NotContains(t, forms("cm1", "c-dispute"), "dispute-rule")
	require.NotContains(t, forms("cm1", custS1), "dispute-open", "the owner does not dispute their own customer")
	_, html, _ := h.page(h.login("sm1"), http.MethodGet, "/customers/c-dispute", nil)
	require.Contains(t, html, "周顾问主张归属（原归属人张经理）")
	require.Contains(t, html, "先带客户看过样板间")

	_, html, _ = h.page(h.login("cm1"), http.MethodGet, "/customers/"+custS1, nil)
	propose := html[strings.Index(html, `id="act-dispatch-propose"`):]
	propose = propose[:strings.Index(propose, "</form>")]
	require.Contains(t, propose, `<option value="d1">吴设计（设计师）</option>`)
	require.NotContains(t, propose, `value="d0"`, "inactive designers are not offered")
	require.NotContains(t, propose, `value="d2"`, "nor designers of another store")
}

// Row scope (SPEC.md "People (roles)"): a sales advisor sees the customers they filed or
// own, a designer those dispatched to them (accepted, or waiting for their answer), store
// roles their store, the supervisor their stores, the admin all — in the list, in a
// search, on the customer's page, and in the staff directory of the pickers.
func TestRowScope(t *testing.T) {
	h := newHarness(t)
	h.customer("c-own-sa1", "13800000006", "s1", "cm1", "张经理", renoflow.StagePresale, "", func(c *renoflow.Customer) {
		c.Owner = renoflow.Person{ID: "sa1", Name: "周顾问"} // given to the sales advisor
	})
	s1 := []string{custS1, custSA, custD1, custD1To, "c-own-sa1"}
	all := append([]string{custS2}, s1...)
	want := map[string][]string{
		"admin": all, "sup1": all, "sm1": s1, "cm1": s1, "cs1": s1, "sm2": {custS2},
		"sa1": {custSA, "c-own-sa1"}, "d1": {custD1, custD1To},
	}
	for login, ids := range want {
		as := h.login(login)
		for _, q := range []string{"", "?q=138000000", "?invalid=1"} {
			status, body := h.api(as, http.MethodGet, "/api/customers"+q, nil)
			require.Equal(t, http.StatusOK, status)
			var got []string
			for _, row := range asSlice(body["customers"]) {
				got = append(got, row.(map[string]any)["id"].(string))
			}
			require.ElementsMatch(t, ids, got, "%s /api/customers%s", login, q)
		}
		_, html, _ := h.page(as, http.MethodGet, "/customers", nil)
		for _, id := range all {
			status, _ := h.api(as, http.MethodGet, "/api/customers/"+id, nil)
			if slices.Contains(ids, id) {
				require.Equal(t, http.StatusOK, status, "%s sees %s", login, id)
				require.Contains(t, html, "客户"+id, "%s's list shows %s", login, id)
			} else {
				require.Equal(t, http.StatusNotFound, status, "%s must not see %s", login, id)
				require.NotContains(t, html, "客户"+id, "%s's list leaks %s", login, id)
			}
		}
	}

	// Filters narrow within the scope.
	sm := h.login("sm1")
	for q, ids := range map[string][]string{"?owner=sa1": {custSA, "c-own-sa1"}, "?stage=design": {custD1},
		"?stage=filed&owner=sa1": {custSA}, "?q=13800000004": {custD1}, "?q=13800000003": nil} {
		_, body := h.api(sm, http.MethodGet, "/api/customers"+q, nil)
		var got []string
		for _, row := range asSlice(body["customers"]) {
			got = append(got, row.(map[string]any)["id"].(string))
		}
		require.ElementsMatch(t, ids, got, "sm1 /api/customers%s", q)
	}

	// The staff directory lists the active staff of the caller's stores only.
	staffOf := func(login string) []string {
		status, body := h.api(h.login(login), http.MethodGet, "/api/staff", nil)
		require.Equal(t, http.StatusOK, status)
		var ids []string
		for _, m := range asSlice(body["staff"]) {
			require.Empty(t, m.(map[string]any)["login"], "no logins in the directory")
			ids = append(ids, m.(map[string]any)["id"].(string))
		}
		return ids
	}
	require.Contains(t, staffOf("cm1"), "d1")
	require.NotContains(t, staffOf("cm1"), "d2")
	require.NotContains(t, staffOf("cm1"), "d0", "inactive staff are not listed")
	require.Contains(t, staffOf("sm2"), "d2")
	require.NotContains(t, staffOf("sm2"), "cm1")
	require.Subset(t, staffOf("sup1"), []string{"d1", "d2", "cm1", "cm2"})
}

// Marking a task done goes through the same gate: the task must be the actor's (a store
// manager or supervisor may close any of their stores), and the actor must hold the
// permission the task's work needs — checked before the update is sent.
func TestTaskDoneGate(t *testing.T) {
	h := newHarness(t)
	task := func(rule, assignee, role string, seq int) string {
		var id int64
		require.NoError(t, h.db.NewRaw(`INSERT INTO tasks (customer_id, rule, subject, seq, title, assignee_id, assignee_role, store_id, due_at, created_at)
			VALUES (?, ?, '', ?, '任务', ?, ?, 's1', ?, ?) RETURNING id`, custS1, rule, seq, assignee, role, h.now, h.now).Scan(t.Context(), &id))
		return fmt.Sprint(id)
	}
	verify := task("verify", "", "customer_service", 0)
	reminder := task("claim.reminder", "cm1", "", 1)
	weekly := task("construction.weekly", "cm1", "", 0)
	for _, tc := range []struct {
		login, task string
		want        int
	}{
		{"admin", verify, http.StatusForbidden}, // no tasks to do
		{"cm1", verify, http.StatusNotFound},    // not theirs
		{"sm2", verify, http.StatusNotFound},    // another store
		{"cs1", verify, http.StatusOK},          // the customer-service queue
		{"sm1", verify, http.StatusOK},          // the store manager may close any
		{"sa1", reminder, http.StatusNotFound},
		{"cm1", reminder, http.StatusOK},
		{"cm1", weekly, http.StatusOK},
	} {
		as := h.login(tc.login)
		status, body := h.api(as, http.MethodPost, "/api/tasks/"+tc.task+"/done", map[string]any{"note": "好"})
		require.Equal(t, tc.want, status, "%s completes task %s: %v", tc.login, tc.task, body)
		sent := h.tc.sent()
		if tc.want != http.StatusOK {
			require.Empty(t, sent)
			continue
		}
		require.Len(t, sent, 1)
		require.Equal(t, workflows.UpdateCompleteTask, sent[0].UpdateName)
		require.Equal(t, "好", sent[0].Args[0].(workflows.CompleteTaskInput).Note)
	}
	// The customer-service lead acknowledging works from the page too.
	status, _, loc := h.page(h.login("cs1"), http.MethodPost, "/tasks/"+verify+"/done", url.Values{"view": {"overdue"}})
	require.Equal(t, http.StatusSeeOther, status)
	require.Contains(t, loc, "view=overdue")
	require.Len(t, h.tc.sent(), 1)
	// A designer holds no weekly-check permission even on a task addressed to them.
	_, err := h.db.NewUpdate().Table("tasks").Set("assignee_id = 'd1'").Where("id = ?", weekly).Exec(t.Context())
	require.NoError(t, err)
	_, err = h.db.NewUpdate().Table("customers").Set("designer_id = 'd1'").Where("id = ?", custS1).Exec(t.Context())
	require.NoError(t, err)
	status, body := h.api(h.login("d1"), http.MethodPost, "/api/tasks/"+weekly+"/done", nil)
	require.Equal(t, http.StatusForbidden, status, "%v", body)
	require.Empty(t, h.tc.sent())
}

// Seed 004: complaint-open takes a severity (重大投诉), a complaint can be marked major
// later, and the moved-in day (实际入住) is recorded; bad values are a 422 naming the field.
func TestSeed004Actions(t *testing.T) {
	h := newHarness(t)
	cm, cs := h.login("cm1"), h.login("cs1")
	status, body := h.api(cm, http.MethodPost, "/api/customers/"+custS1+"/complaint-open",
		map[string]any{"category": "material", "severity": "major", "note": "地板起鼓"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, renoflow.SeverityMajor, h.tc.sent()[0].Args[0].(renoflow.Request).Severity)

	status, body = h.api(cm, http.MethodPost, "/api/customers/"+custS1+"/complaint-open",
		map[string]any{"category": "material", "severity": "urgent", "note": "地板起鼓"})
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", body)
	require.Equal(t, []string{"severity"}, errorFields(body))

	status, body = h.api(cm, http.MethodPost, "/api/customers/"+custS1+"/complaint-major", map[string]any{"complaint_id": "K1", "note": "升级"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, "K1", h.tc.sent()[0].Args[0].(renoflow.Request).ComplaintID)

	status, body = h.api(cs, http.MethodPost, "/api/customers/"+custS1+"/moved-in", map[string]any{"date": "2026/11/20"})
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", body)
	require.Equal(t, []string{"date"}, errorFields(body))
	status, body = h.api(cs, http.MethodPost, "/api/customers/"+custS1+"/moved-in", map[string]any{"date": "2026-11-20"})
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.Equal(t, "2026-11-20", h.tc.sent()[0].Args[0].(renoflow.Request).Date)
}

// The customer page shows a major complaint and whether the customer moved in.
func TestSeed004CustomerPage(t *testing.T) {
	h := newHarness(t)
	h.customer("c-done", "13800000009", "s1", "cm1", "张经理", renoflow.StageAfterSales, "", func(c *renoflow.Customer) {
		c.CompletedAt, c.WarrantyEnd = h.now.AddDate(0, -1, 0), h.now.AddDate(2, 0, 0)
		c.Complaints = []renoflow.Complaint{{ID: "K1", Category: "material", Text: "地板起鼓", Status: renoflow.ComplaintOpen,
			Handler: renoflow.Person{ID: "cm1", Name: "张经理"}, Major: true}}
	})
	status, html, _ := h.page(h.login("cs1"), http.MethodGet, "/customers/c-done", nil)
	require.Equal(t, http.StatusOK, status, html)
	require.Contains(t, html, "重大投诉</span>")
	require.Contains(t, html, "尚未登记实际入住")
	require.Contains(t, html, `id="act-moved-in"`)
	require.NotContains(t, html, `id="act-complaint-major"`, "the only complaint is major already")
}
