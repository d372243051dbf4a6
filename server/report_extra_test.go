package server

import (
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Reports (issue 13): each count links to the customers behind it (the list with the same
// count as its total), figures per staff member, and a server-rendered SVG chart of the
// success rate month over month.
func TestReportDrillDownStaffAndTrend(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	month := time.Date(2026, 11, 10, 10, 0, 0, 0, h.now.Location())
	_, err := h.db.NewRaw(`UPDATE customers SET first_consult_at = ?, first_consult = 'visit' WHERE id IN (?, ?, ?)`, month, custS1, custSA, custD1).Exec(ctx)
	require.NoError(t, err)
	_, err = h.db.NewRaw(`UPDATE customers SET contract_at = ? WHERE id = ?`, month.Add(24*time.Hour), custD1).Exec(ctx)
	require.NoError(t, err)
	_, err = h.db.NewRaw(`UPDATE customers SET first_consult_at = ?, first_consult = 'visit', contract_at = ? WHERE id = ?`,
		month.AddDate(0, -1, 0), month.AddDate(0, -1, 1), custD1To).Exec(ctx)
	require.NoError(t, err)

	sm1 := h.login("sm1")
	status, page, _ := h.page(sm1, http.MethodGet, "/reports?month=2026-11", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, page, `<svg id="trend-chart"`)
	require.Contains(t, page, `data-month="2026-10"`)
	require.Contains(t, page, `data-month="2026-11"`)
	// Per staff: 张经理 holds c-s1 and c-d1 (consulted), c-d1 signed; 周顾问 c-sa1.
	staff := regexp.MustCompile(`(?s)<tr data-staff="cm1">.*?</tr>`).FindString(page)
	require.Contains(t, staff, ">2</a>")
	require.Contains(t, staff, ">1</a>")
	require.Contains(t, staff, "50%")
	// Each count's link lists exactly the customers behind it.
	links := regexp.MustCompile(`<a class="drill" href="([^"]+)">(\d+)</a>`).FindAllStringSubmatch(page, -1)
	require.NotEmpty(t, links)
	for _, l := range links {
		href := html.UnescapeString(l[1])
		require.True(t, strings.HasPrefix(href, "/customers?"), href)
		status, body := h.api(sm1, http.MethodGet, "/api"+href, nil)
		require.Equal(t, http.StatusOK, status, href)
		require.Equal(t, l[2], strings.TrimSpace(jsonNumber(body["total"])), href)
	}
}

func jsonNumber(v any) string {
	f, _ := v.(float64)
	return strconv.Itoa(int(f))
}
