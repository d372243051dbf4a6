-- Access follows the current relation (issue 10 §3): the staff tied to a customer in
-- person right now (owner, designer, the designer a dispatch waits for, handlers of open
-- complaints; renoflow.Customer.Related), rewritten with the customer on every
-- transition. Sales advisors and designers see exactly the customers whose related_ids
-- hold them (renoflow.ScopeOf).
ALTER TABLE customers ADD COLUMN related_ids text[] NOT NULL DEFAULT '{}';

UPDATE customers c SET related_ids = ARRAY(
    SELECT DISTINCT x FROM (
        SELECT c.owner_id AS x
        UNION ALL SELECT c.designer_id
        UNION ALL SELECT d->'designer'->>'id' FROM jsonb_array_elements(
            CASE WHEN jsonb_typeof(c.state->'dispatches') = 'array' THEN c.state->'dispatches' ELSE '[]'::jsonb END) WITH ORDINALITY AS t(d, n)
            WHERE n = jsonb_array_length(c.state->'dispatches') AND d->>'status' = 'confirmed'
        UNION ALL SELECT k->'handler'->>'id' FROM jsonb_array_elements(
            CASE WHEN jsonb_typeof(c.state->'complaints') = 'array' THEN c.state->'complaints' ELSE '[]'::jsonb END) AS k
            WHERE k->>'status' <> 'closed'
    ) AS ids WHERE x IS NOT NULL AND x <> ''
);

CREATE INDEX customers_related ON customers USING gin (related_ids);
