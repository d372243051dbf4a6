package main

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/stretchr/testify/require"
)

// browserTimeout bounds one browser step (a navigation and the waits after it).
const browserTimeout = 30 * time.Second

// chromiumPath finds headless Chromium, or skips the test saying how to install it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("Chromium not found: install it with `apt-get install -y chromium` (the CI script .ci/run does)")
	return ""
}

// browser is one headless Chromium for a test; each staff member gets a tab in a
// browser context of their own (their own cookies), so several can be logged in at once.
type browser struct {
	t   *testing.T
	ctx context.Context
	web string
}

func newBrowser(t *testing.T, web string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(tempDir(t)))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	require.NoError(t, chromedp.Do(ctx), "start Chromium") // the first run starts the browser; no timeout on it
	return &browser{t: t, ctx: ctx, web: web}
}

// tab is one staff member's tab.
type tab struct {
	t   *testing.T
	ctx context.Context
	web string
}

// as opens a tab in a new browser context and logs login in through the login form.
func (b *browser) as(login string) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	require.NoError(b.t, chromedp.Do(ctx), "open a tab for %s", login) // creates the tab; no timeout on it
	tb := &tab{t: b.t, ctx: ctx, web: b.web}
	tb.open("/login")
	tb.do(chromedp.SetValue(chromedp.CSS(`input[name=login]`), login),
		chromedp.SetValue(chromedp.CSS(`input[name=password]`), "renoflow"))
	tb.submit(`form[action="/login"] button`)
	tb.do(chromedp.WaitVisible(chromedp.ID("who")))
	return tb
}

// do runs steps with a timeout, failing the test on error.
func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, browserTimeout)
	defer cancel()
	require.NoError(tb.t, chromedp.Do(ctx, steps...))
}

// open navigates to path and returns the HTTP status of the page.
func (tb *tab) open(path string) int {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, browserTimeout)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(tb.web+path))
	require.NoError(tb.t, err, "open %s", path)
	return int(resp.Status)
}

// submit clicks a form's button and waits for the page it leads to; it returns the
// status of that page (after redirects).
func (tb *tab) submit(button string) int {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, browserTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(button)))
	require.NoError(tb.t, err, "submit %s", button)
	return int(resp.Status)
}

// text returns the visible text of the first element matching css.
func (tb *tab) text(css string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, browserTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css), chromedp.NodeVisible))
	require.NoError(tb.t, err, "text of %s", css)
	return s
}

// eval evaluates a JavaScript expression.
func eval[T any](tb *tab, js string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, browserTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	require.NoError(tb.t, err, "evaluate %s", js)
	return v
}

// value returns the value of a form field.
func (tb *tab) value(css string) string {
	tb.t.Helper()
	return eval[string](tb, fmt.Sprintf(`document.querySelector(%q).value`, css))
}

// location is the page's path and query.
func (tb *tab) location() string {
	tb.t.Helper()
	return eval[string](tb, `location.pathname + location.search`)
}

// fillFiling fills the filing form with a valid customer (phone as typed).
func (tb *tab) fillFiling(name, phone string) {
	tb.t.Helper()
	tb.do(chromedp.WaitVisible(chromedp.ID("filing-form")),
		chromedp.SetValue(chromedp.CSS(`input[name=name]`), name),
		chromedp.Click(chromedp.CSS(`input[name=gender][value=female]`)),
		chromedp.SetValue(chromedp.CSS(`input[name=phone]`), phone),
		chromedp.SetValue(chromedp.CSS(`input[name="house.community"]`), "翠湖苑"),
		chromedp.SetValue(chromedp.CSS(`input[name="house.layout"]`), "三室两厅"),
		chromedp.SetValue(chromedp.CSS(`input[name="house.area_m2"]`), "118"),
		chromedp.SetValue(chromedp.CSS(`textarea[name=situation]`), "朋友介绍，想做现代简约"),
		chromedp.Click(chromedp.CSS(`input[name=focus_points][value=design]`)),
		chromedp.SetValue(chromedp.CSS(`select[name=channel]`), "referral"),
	)
}

// A customer manager files a customer through the form; customer service finds the
// verification task in their list and verifies on the customer's page, after which the
// task is under 已完成; a second filing of the number is refused (撞单) on the form with
// the values kept; a store visit moves the customer on and gives the owner a call-back.
func TestBrowserFilingVerifyVisit(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	b := newBrowser(t, d.Web)
	cm, cs := b.as("cm1"), b.as("cs1")

	require.Equal(t, http.StatusOK, cm.open("/customers/new"))
	cm.fillFiling("陈女士", "138 0013 8000")
	require.Equal(t, http.StatusOK, cm.submit(`#filing-form button[type=submit]`))
	require.Contains(t, cm.text(".flash"), "报备成功")
	require.Contains(t, cm.text("#claim-clock"), "剩余6天")
	require.Contains(t, cm.text("#timeline"), "张经理报备客户陈女士")
	loc := cm.location()
	require.True(t, strings.HasPrefix(loc, "/customers/"), loc)
	id := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/customers/")
	require.Zero(t, eval[int](cm, `document.querySelectorAll('#workflow-link').length`),
		"only supervisors and admins are linked to the Temporal UI")

	// Customer service's task list has the verification, due today.
	require.Equal(t, http.StatusOK, cs.open("/tasks"))
	task := fmt.Sprintf(`#task-list li[data-rule="verify"][data-customer=%q]`, id)
	require.Contains(t, cs.text(task), "核实报备")
	require.Contains(t, cs.text(task), "陈女士")
	// Verify on the customer's page.
	require.Equal(t, http.StatusOK, cs.open("/customers/"+id))
	cs.do(chromedp.SetValue(chromedp.CSS(`#act-verify input[name=note]`), "电话核实无误"))
	require.Equal(t, http.StatusOK, cs.submit(`#act-verify button`))
	require.Contains(t, cs.text(".flash"), "核实报备：已办理")
	require.Contains(t, cs.text("#timeline"), "李客服核实了报备：电话核实无误")
	cs.do(chromedp.WaitNotPresent(chromedp.ID("act-verify")))
	// The task left today's list and is under 已完成.
	require.Equal(t, http.StatusOK, cs.open("/tasks"))
	cs.do(chromedp.WaitNotPresent(chromedp.CSS(task)))
	require.Equal(t, http.StatusOK, cs.open("/tasks?view=done"))
	require.Contains(t, cs.text(task), "已完成")
	require.Contains(t, cs.text(task), "李客服")

	// A second filing of the same number, as typed differently, is refused on the form.
	sa := b.as("sa1")
	require.Equal(t, http.StatusOK, sa.open("/customers/new"))
	sa.fillFiling("陈太太", "+86 138-0013-8000")
	require.Equal(t, http.StatusConflict, sa.submit(`#filing-form button[type=submit]`))
	msg := sa.text("#form-error")
	require.Contains(t, msg, "撞单")
	require.Contains(t, msg, "张经理", "names who owns the customer")
	require.Equal(t, "陈太太", sa.value(`input[name=name]`), "the values are kept")
	require.Equal(t, "+86 138-0013-8000", sa.value(`input[name=phone]`))
	require.True(t, eval[bool](sa, `document.querySelector('input[name=focus_points][value=design]').checked`))

	// The store visit: the claim is kept, the customer is in pre-sale, the owner gets the
	// first call-back (due in 2 days: under 以后到期).
	require.Equal(t, http.StatusOK, cm.open("/customers/"+id))
	require.Equal(t, http.StatusOK, cm.submit(`#act-store-visit button`))
	require.Contains(t, cm.text(".flash"), "登记到店：已办理")
	require.Contains(t, cm.text("#stage"), "售前跟进")
	require.Contains(t, cm.text("#timeline"), "客户到店（张经理登记）")
	cm.do(chromedp.WaitNotPresent(chromedp.ID("claim-clock")))
	require.Equal(t, http.StatusOK, cm.open("/tasks?view=upcoming"))
	require.Contains(t, cm.text(fmt.Sprintf(`#task-list li[data-rule="callback"][data-customer=%q]`, id)), "首谈回访")
}

// A sales advisor never sees another's customer (not in the list, 404 on its page); a
// designer is refused the filing page (403) and is not offered it.
func TestBrowserScopeAndForbidden(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	in := filing("13700137000")
	in["name"] = "郑先生"
	status, body := d.login(t, "cm1").call(http.MethodPost, "/customers", in)
	require.Equal(t, http.StatusCreated, status, "%v", body)
	id := body["customer_id"].(string)
	b := newBrowser(t, d.Web)

	cm := b.as("cm1")
	require.Equal(t, http.StatusOK, cm.open("/customers"))
	require.Contains(t, cm.text("#customer-list"), "郑先生")

	sa := b.as("sa1")
	require.Equal(t, http.StatusOK, sa.open("/customers"))
	sa.do(chromedp.WaitVisible(chromedp.CSS(".empty")))
	require.NotContains(t, eval[string](sa, `document.body.innerText`), "郑先生")
	require.Equal(t, http.StatusOK, sa.open("/customers?q=13700137000"))
	require.NotContains(t, eval[string](sa, `document.body.innerText`), "郑先生")
	require.Equal(t, http.StatusNotFound, sa.open("/customers/"+id))
	require.Contains(t, sa.text("#error-page"), "找不到该客户")
	require.NotContains(t, eval[string](sa, `document.body.innerText`), "13700137000")

	des := b.as("d1")
	require.Equal(t, http.StatusForbidden, des.open("/customers/new"))
	require.Contains(t, des.text("#error-page"), "设计师不能报备客户")
	require.Equal(t, 0, eval[int](des, `document.querySelectorAll('nav a[href="/customers/new"]').length`), "no filing link for a designer")
	require.Equal(t, 1, eval[int](cm, `document.querySelectorAll('nav a[href="/customers/new"]').length`))
}

// A form on the customer's page that fails shows the page again: the status of the
// failure, the message at the form, each bad field named at its input, the values kept.
func TestBrowserActionFormErrors(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	api := d.login(t, "cm1")
	in := filing("13600136000")
	in["consultation"] = "visit" // filed at the store: in pre-sale at once
	status, body := api.call(http.MethodPost, "/customers", in)
	require.Equal(t, http.StatusCreated, status, "%v", body)
	id := body["customer_id"].(string)
	b := newBrowser(t, d.Web)
	cm := b.as("cm1")

	require.Equal(t, http.StatusOK, cm.open("/customers/"+id))
	cm.do(chromedp.SetValue(chromedp.CSS(`#act-follow-up [name=note]`), "客户在外地"))
	require.Equal(t, http.StatusUnprocessableEntity, cm.submit(`#act-follow-up button`))
	require.Contains(t, cm.text("#act-follow-up"), "必选（跟进方式）")
	require.Contains(t, cm.text("#form-error"), "跟进方式")
	require.Equal(t, "客户在外地", cm.value(`#act-follow-up [name=note]`))

	// Another form: the grade without a grade.
	cm.do(chromedp.SetValue(chromedp.CSS(`#act-grade [name=note]`), "意向一般"))
	require.Equal(t, http.StatusUnprocessableEntity, cm.submit(`#act-grade button`))
	require.Contains(t, cm.text(`#act-grade label[data-field=grade]`), "必选")
	require.Equal(t, "意向一般", cm.value(`#act-grade [name=note]`))
	require.Equal(t, "", cm.value(`#act-follow-up [name=note]`), "only the failed form keeps its values")

	// The filing form itself names each missing item and keeps the rest.
	require.Equal(t, http.StatusOK, cm.open("/customers/new"))
	cm.do(chromedp.SetValue(chromedp.CSS(`input[name=name]`), "褚"),
		chromedp.SetValue(chromedp.CSS(`input[name=phone]`), "12345"))
	require.Equal(t, http.StatusUnprocessableEntity, cm.submit(`#filing-form button[type=submit]`))
	errs := cm.text("#form-error")
	for _, want := range []string{"性别", "手机号", "房屋需求信息", "客情说明", "客户来源"} {
		require.Contains(t, errs, want)
	}
	require.Equal(t, "褚", cm.value(`input[name=name]`))
	require.Equal(t, "12345", cm.value(`input[name=phone]`))
}

// The admin creates a store and a staff member in it through the pages, the new member
// logs in; a policy change on the policy page makes a new version.
func TestBrowserAdmin(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	b := newBrowser(t, d.Web)
	admin := b.as("admin")
	require.Contains(t, admin.location(), "/admin/staff", "the admin lands on the staff page")

	require.Equal(t, http.StatusOK, admin.open("/admin/stores"))
	admin.do(chromedp.SetValue(chromedp.CSS(`#store-form input[name=id]`), "s3"),
		chromedp.SetValue(chromedp.CSS(`#store-form input[name=name]`), "城西店"))
	require.Equal(t, http.StatusOK, admin.submit(`#store-form button`))
	require.Contains(t, admin.text("#store-list"), "城西店")

	require.Equal(t, http.StatusOK, admin.open("/admin/staff"))
	admin.do(chromedp.SetValue(chromedp.CSS(`#staff-form input[name=login]`), "cm3"),
		chromedp.SetValue(chromedp.CSS(`#staff-form input[name=name]`), "卫经理"),
		chromedp.SetValue(chromedp.CSS(`#staff-form select[name=role]`), "customer_manager"),
		chromedp.SetValue(chromedp.CSS(`#staff-form select[name=store_id]`), "s3"),
		chromedp.SetValue(chromedp.CSS(`#staff-form input[name=password]`), "short"))
	require.Equal(t, http.StatusUnprocessableEntity, admin.submit(`#staff-form button`))
	require.Contains(t, admin.text("#form-error"), "密码：至少8位")
	require.Equal(t, "卫经理", admin.value(`#staff-form input[name=name]`))
	admin.do(chromedp.SetValue(chromedp.CSS(`#staff-form input[name=password]`), "weijingli-1"))
	require.Equal(t, http.StatusOK, admin.submit(`#staff-form button`))
	require.Contains(t, admin.text(".flash"), "已创建员工账号：卫经理（cm3）")
	require.Contains(t, admin.text(`#staff-list tr[data-staff=cm3]`), "客户经理")

	// The new customer manager logs in and files into their store.
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx))
	cm3 := &tab{t: t, ctx: ctx, web: d.Web}
	cm3.open("/login")
	cm3.do(chromedp.SetValue(chromedp.CSS(`input[name=login]`), "cm3"), chromedp.SetValue(chromedp.CSS(`input[name=password]`), "weijingli-1"))
	require.Equal(t, http.StatusOK, cm3.submit(`form[action="/login"] button`))
	require.Contains(t, cm3.text("#who"), "卫经理（客户经理）")
	require.Equal(t, http.StatusOK, cm3.open("/customers/new"))
	require.Equal(t, "s3", cm3.value(`select[name=store_id]`))

	// The policy page: version 1 (the defaults) in force; a change makes version 2.
	require.Equal(t, http.StatusOK, admin.open("/admin/policy"))
	require.Contains(t, admin.text("#policy-version"), "当前第 1 版")
	admin.do(chromedp.SetValue(chromedp.CSS(`input[name=claim_window]`), "5d"),
		chromedp.SetValue(chromedp.CSS(`#policy-form input[name=note]`), "旺季缩短保护期"))
	require.Equal(t, http.StatusOK, admin.submit(`#policy-form button`))
	require.Contains(t, admin.text(".flash"), "已保存为策略第2版")
	require.Contains(t, admin.text("#policy-version"), "当前第 2 版")
	require.Contains(t, admin.text("#policy-history"), "旺季缩短保护期")
	require.Equal(t, "5d", admin.value(`input[name=claim_window]`))
}

// On a phone (375×740) and on a desktop (1280×800) every page shows its key elements and
// nothing overflows sideways.
func TestBrowserResponsive(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	api := d.login(t, "cm1")
	in := filing("13500135000")
	in["name"] = "欧阳女士"
	in["situation"] = strings.Repeat("客户希望整体翻新，厨房卫生间重做，预算有限需要分期；", 6)
	in["consultation"] = "visit"
	status, body := api.call(http.MethodPost, "/customers", in)
	require.Equal(t, http.StatusCreated, status, "%v", body)
	id := body["customer_id"].(string)
	b := newBrowser(t, d.Web)
	cm, sm, admin := b.as("cm1"), b.as("sm1"), b.as("admin")

	requireFitsScreens(t, []screenPage{
		{cm, "/tasks?view=upcoming", []string{"h1", "nav.tabs", "#task-list li form button"}},
		{cm, "/customers", []string{"#customer-search button", "#customer-list"}},
		{cm, "/customers/new", []string{"#filing-form", "#filing-form button[type=submit]"}},
		{cm, "/customers/" + id, []string{"#customer-name", "#record", "#claim-clock, #clocks", "#act-follow-up button", "#timeline li"}},
		{sm, "/customers/" + id, []string{"#act-reassign select[name=owner_id]", "#act-reassign button"}},
		{admin, "/admin/staff", []string{"#staff-list", "#staff-form button"}},
		{admin, "/admin/staff/cm1", []string{"#staff-edit-form select[name=role]", "#staff-edit-form button"}},
		{admin, "/admin/stores", []string{"#store-list", "#store-form button"}},
		{admin, "/admin/policy", []string{"#policy-form input[name=claim_window]", "#policy-form button"}},
	})
}

// screenPage is a page to check on a phone and a desktop screen: who opens it, where, and
// the elements that must be visible.
type screenPage struct {
	tab  *tab
	path string
	key  []string
}

// requireFitsScreens opens each page at 375×740 (a phone) and 1280×800 (a desktop) and
// requires its key elements visible, the header's navigation and logout reachable, and
// nothing wider than the window.
func requireFitsScreens(t *testing.T, pages []screenPage) {
	t.Helper()
	for _, size := range []struct{ w, h int64 }{{375, 740}, {1280, 800}} {
		for _, p := range pages {
			name := fmt.Sprintf("%s at %dx%d", p.path, size.w, size.h)
			opts := []chromedp.EmulateViewportOption{}
			if size.w < 600 {
				opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
			}
			p.tab.do(chromedp.EmulateViewport(size.w, size.h, opts...))
			require.Equal(t, http.StatusOK, p.tab.open(p.path), name)
			p.tab.do(chromedp.WaitVisible(chromedp.CSS("header.top nav a")), chromedp.WaitVisible(chromedp.CSS("header .who button")))
			for _, key := range p.key {
				p.tab.do(chromedp.WaitVisible(chromedp.CSS(key)))
			}
			overflow := eval[[]string](p.tab, `(() => {
				const w = document.documentElement.clientWidth;
				const out = [];
				if (document.documentElement.scrollWidth > window.innerWidth) out.push('document ' + document.documentElement.scrollWidth + ' > ' + window.innerWidth);
				for (const el of document.querySelectorAll('body *')) {
					const r = el.getBoundingClientRect();
					if (r.width > 0 && r.right > w + 1) out.push(el.tagName + (el.id ? '#' + el.id : '') + '.' + el.className + ' right=' + Math.round(r.right));
				}
				return out.slice(0, 5);
			})()`)
			require.Empty(t, overflow, "%s: nothing overflows horizontally", name)
			require.Equal(t, size.w, eval[int64](p.tab, `window.innerWidth`), name)
		}
	}
}
