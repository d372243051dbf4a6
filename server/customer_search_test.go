package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/renoflow/renoflow"

	"github.com/renoflow/renoflow/postgres"
	"github.com/stretchr/testify/require"
)

// TestCustomerSearchAtScale: at 10,000 customers the list's search (电话、姓名、小区) and
// its default page are read through indexes (migration 20261130600001), never by a scan
// of every customer — a one-character Chinese name and a partial phone alike — and they
// find exactly the customers whose text holds the query, with the right total (issue 15).
func TestCustomerSearchAtScale(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	// 10,000 customers of s1: names 王伟0…, 李娜1…, 张芳2… in turn; communities 翠湖苑 and
	// 万科城 in turn; phones 137 + the number.
	_, err := h.db.ExecContext(ctx, `INSERT INTO customers (id, revision, phone, name, gender, community, channel, store_id, stage,
		owner_id, owner_name, filed_by, filed_at, record, updated_at)
	SELECT 'scale-' || i, 1, '137' || lpad(i::text, 8, '0'), (ARRAY['王伟','李娜','张芳'])[1 + i % 3] || i, 'female',
		(ARRAY['翠湖苑','万科城'])[1 + i % 2] || (i % 30) || '栋', 'walk_in', 's1', 'filed', 'cm1', '张经理', 'cm1',
		now() - (i || ' minutes')::interval, '{}', now()
	FROM generate_series(1, 10000) AS i`)
	require.NoError(t, err)
	_, err = h.db.ExecContext(ctx, `VACUUM ANALYZE customers`) // as autovacuum does after a load
	require.NoError(t, err)

	// Every search can be read through an index; the short ones, as staff type them, and
	// the default page are, as PostgreSQL plans them at this size. (A long query such as
	// 王伟9 has many trigrams: at 10,000 rows the planner may still prefer one scan.)
	for _, q := range []string{"王", "翠湖", "王伟9", "1370000123", "13700001234", "先生"} {
		cond, args := postgres.SearchCondition(q)
		sel := h.db.NewSelect().TableExpr("customers AS c").Column("c.id").Where("c.store_id IN ('s1')").Where(cond, args...).
			Where("NOT c.invalid").OrderExpr("c.filed_at DESC, c.id DESC").Limit(50)
		plan := explain(t, h, sel.String(), false)
		require.NotContains(t, plan, "Seq Scan on customers", "search %q, sequential scans off:\n%s", q, plan)
		if len([]rune(q)) <= 2 || q == "1370000123" {
			plan = explain(t, h, sel.String(), true)
			require.NotContains(t, plan, "Seq Scan on customers", "search %q:\n%s", q, plan)
		}
	}
	page := h.db.NewSelect().TableExpr("customers AS c").Column("c.id").Where("c.store_id IN ('s1')").Where("NOT c.invalid").
		OrderExpr("c.filed_at DESC, c.id DESC").Limit(50)
	plan := explain(t, h, page.String(), true)
	require.Contains(t, plan, "customers_filed_at_id", "the default page:\n%s", plan)

	// The task list of a consultant with 200 open tasks reads their customers' names by
	// key, not by a pass over every customer.
	_, err = h.db.ExecContext(ctx, `INSERT INTO tasks (customer_id, rule, subject, title, assignee_id, store_id, due_at, created_at)
	SELECT c.id, r.rule, '', '压测任务', 'cm1', 's1', now() + interval '1 day', now()
	FROM customers c, (VALUES ('verify'), ('neglect')) AS r(rule) WHERE c.id LIKE 'scale-%0'`)
	require.NoError(t, err)
	_, err = h.db.ExecContext(ctx, `VACUUM ANALYZE tasks`)
	require.NoError(t, err)
	for _, view := range []string{ViewOpen, ViewTodo} {
		tq, err := postgres.TasksQuery(h.db, queueOf(renoflow.Actor{ID: "cm1", Role: renoflow.RoleCustomerManager, StoreID: "s1"}), view, h.now)
		require.NoError(t, err)
		plan := explain(t, h, tq.Limit(500).String(), true)
		require.NotContains(t, plan, "Seq Scan on customers", "task list %s:\n%s", view, plan)
	}

	// The API finds what the text holds: the total counts every match, on a full page
	// (counted) and on the last one (its rows).
	sm := h.login("sm1")
	for _, c := range []struct {
		q     string
		total int
	}{
		{"王", 3333}, {"王伟", 3333}, {"娜1", 374}, {"翠湖", 5000 + 1 + 3}, {"万科城1栋", 334}, {"王伟9999", 1},
		{"1370000999", 10}, {"137 0000 9999", 1}, {"138000000", 4}, {"%", 0}, {"_", 0}, {`\`, 0}, {"伟娜", 0},
	} {
		status, body := h.api(sm, http.MethodGet, "/api/customers?q="+url.QueryEscape(c.q), nil)
		require.Equal(t, http.StatusOK, status, "q=%s: %v", c.q, body)
		require.Equal(t, float64(c.total), body["total"], "q=%s", c.q)
		rows := asSlice(body["customers"])
		require.Equal(t, min(c.total, defaultPerPage), len(rows), "q=%s", c.q)
		for _, r := range rows {
			m := r.(map[string]any)
			if !strings.Contains(fmt.Sprint(m["name"], "|", m["phone"], "|", m["community"]), strings.ReplaceAll(c.q, " ", "")) {
				t.Errorf("q=%s found %v", c.q, m)
			}
		}
	}
	// Past the end: an empty page still says how many there are.
	_, body := h.api(sm, http.MethodGet, "/api/customers?q="+url.QueryEscape("王伟999")+"&page=9", nil)
	require.Equal(t, float64(5), body["total"])
	require.Empty(t, asSlice(body["customers"]))
}

// explain returns PostgreSQL's plan of query, with sequential scans allowed (seqScan) or
// priced out (the plan shows whether an index can serve the query at all).
func explain(t *testing.T, h *harness, query string, seqScan bool) string {
	t.Helper()
	ctx := context.Background()
	tx, err := h.db.BeginTx(ctx, nil)
	require.NoError(t, err)
	defer tx.Rollback() //nolint:errcheck
	if !seqScan {
		_, err = tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off")
		require.NoError(t, err)
	}
	rows, err := tx.QueryContext(ctx, "EXPLAIN "+query)
	require.NoError(t, err)
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		require.NoError(t, rows.Scan(&l))
		lines = append(lines, l)
	}
	require.NoError(t, rows.Err())
	return strings.Join(lines, "\n")
}
