package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/renoflow/renoflow/internal/testdb"
	"github.com/stretchr/testify/require"
)

// screenshot saves the tab's full page as a PNG under RENOFLOW_SCREENSHOTS (or the test's
// temp directory), for people to look at.
func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	dir := os.Getenv("RENOFLOW_SCREENSHOTS")
	if dir == "" {
		dir = tb.t.TempDir()
	}
	ctx, cancel := context.WithTimeout(tb.ctx, browserTimeout)
	defer cancel()
	img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(tb.t, err, "screenshot %s", name)
	require.NoError(tb.t, os.WriteFile(filepath.Join(dir, name+".png"), img, 0o644))
}

// A staff member's day (issue 13) in headless Chromium: the designer and the store
// manager find 接单 / 确认派单 on the first screen of /tasks with the count in the top
// navigation; customer service works 核实报备 from 待办; the list pages with a total; the
// customer page on a phone shows the key facts and the open work first. Screenshots are
// written for review.
func TestBrowserStaffDay(t *testing.T) {
	d := startDev(t, map[string]string{"DATABASE_URL": testdb.URL(t), "RENOFLOW_DATA": tempDir(t)})
	api := d.login(t, "cm1")
	in := filing("13500135077")
	in["name"] = "欧阳女士"
	in["consultation"] = "visit"
	status, body := api.call(http.MethodPost, "/customers", in)
	require.Equal(t, http.StatusCreated, status, "%v", body)
	id := body["customer_id"].(string)

	b := newBrowser(t, d.Web)
	cs, cm := b.as("cs1"), b.as("cm1")
	for _, tb := range []*tab{cs, cm} {
		tb.do(chromedp.EmulateViewport(1280, 800))
	}
	require.Equal(t, http.StatusOK, cs.open("/tasks"))
	require.Contains(t, cs.text(`nav.tabs a[aria-current]`), "待办")
	require.Contains(t, cs.text(`#task-list li[data-rule="verify"]`), "欧阳女士")
	require.Regexp(t, `^[1-9]`, cs.text("#nav-todo"))
	cs.screenshot("tasks-cs1-desktop")

	require.Equal(t, http.StatusOK, cm.open("/tasks"))
	require.Contains(t, cm.text(`#task-list li[data-rule="callback"] a.tel`), "13500135077")
	cm.screenshot("tasks-cm1-desktop")
	require.Equal(t, http.StatusOK, cm.open("/customers"))
	require.Contains(t, cm.text("#customer-total"), "共")
	cm.screenshot("customers-cm1-desktop")

	cm.do(chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile, chromedp.EmulateTouch))
	require.Equal(t, http.StatusOK, cm.open("/customers/"+id))
	cm.do(chromedp.WaitVisible(chromedp.ID("open-tasks")), chromedp.WaitVisible(chromedp.ID("actions")))
	// Open work and its actions come before the clocks and the timeline.
	require.True(t, eval[bool](cm, `document.getElementById('open-tasks').getBoundingClientRect().top < document.getElementById('clocks').getBoundingClientRect().top`))
	require.NotContains(t, cm.text("#clocks"), "策略 v")
	cm.screenshot("customer-cm1-phone")
	require.Equal(t, http.StatusOK, cm.open("/tasks"))
	cm.screenshot("tasks-cm1-phone")
	require.Equal(t, http.StatusOK, cm.open("/customers"))
	cm.screenshot("customers-cm1-phone")

	// The store manager's report: the trend chart and the per-staff figures.
	sm := b.as("sm1")
	sm.do(chromedp.EmulateViewport(1280, 800))
	require.Equal(t, http.StatusOK, sm.open("/reports"))
	sm.do(chromedp.WaitVisible(chromedp.ID("trend-chart")), chromedp.WaitVisible(chromedp.ID("staff-figures")))
	sm.screenshot("reports-sm1-desktop")
}
