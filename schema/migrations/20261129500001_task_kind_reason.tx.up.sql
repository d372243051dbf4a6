-- Issue 10 §4 "No stale work": a task is work (done by its due time, overdue once past it)
-- or a notice (only informs: acknowledged, never overdue) — renoflow.TaskKindOf; a
-- cancelled task says why it no longer applies.
ALTER TABLE tasks ADD COLUMN kind text NOT NULL DEFAULT 'work';
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_valid CHECK (kind IN ('work', 'notice'));
ALTER TABLE tasks ADD COLUMN reason text NOT NULL DEFAULT '';

-- Rows written before: every escalation rung, and every task of a rule that only tells
-- someone (renoflow.RuleSpec.Work == "" as of this migration), is a notice.
UPDATE tasks SET kind = 'notice'
 WHERE seq <> 0
    OR rule IN ('claim.reminder', 'claim.expiry', 'presale.protection', 'followup.month',
                'designer.suspension', 'aftersales.notice', 'neglect');

-- Notices left open by changes that made them moot before the workflow closed them: the
-- claim reminder of a claim no longer running, the lapse or release notice of a customer
-- no longer in the pool, and anything open on an invalid or archived customer.
UPDATE tasks AS t SET status = 'cancelled', reason = '报备保护期已结束', outcome = '报备保护期已结束', done_at = now()
  FROM customers AS c
 WHERE c.id = t.customer_id AND t.status = 'open' AND t.rule = 'claim.reminder' AND c.stage <> 'filed';
UPDATE tasks AS t SET status = 'cancelled', reason = '客户已离开公海', outcome = '客户已离开公海', done_at = now()
  FROM customers AS c
 WHERE c.id = t.customer_id AND t.status = 'open' AND t.rule IN ('claim.expiry', 'presale.protection') AND c.stage <> 'pool';
UPDATE tasks AS t SET status = 'cancelled', reason = CASE c.stage WHEN 'invalid' THEN '客户已无效' ELSE '客户已归档' END,
       outcome = CASE c.stage WHEN 'invalid' THEN '客户已无效' ELSE '客户已归档' END, done_at = now()
  FROM customers AS c
 WHERE c.id = t.customer_id AND t.status = 'open' AND c.stage IN ('invalid', 'archived');

-- The overdue lists and the monthly report count open work past due.
CREATE INDEX tasks_open_work_due ON tasks (store_id, due_at) WHERE status = 'open' AND kind = 'work';
