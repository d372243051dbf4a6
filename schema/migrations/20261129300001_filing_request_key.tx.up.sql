-- Issue 10 §2: a filing is applied once per idempotency key. The key of the request that
-- reserved a phone (Idempotency-Key header, or the filing form's hidden field); a repeat
-- from the same filer answers with the customer it filed instead of a duplicate (撞单).
ALTER TABLE phone_claims ADD COLUMN request_key text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX phone_claims_filer_request ON phone_claims (filed_by, request_key) WHERE request_key <> '';
-- Issue 10 §1: pending filings count toward their filer's capacity (库容).
CREATE INDEX phone_claims_filed_by ON phone_claims (filed_by, filed_at);
