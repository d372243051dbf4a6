-- Issue 14: one message per business key across a kill -9 mid-send. The sender claims a
-- row as 'sending' (attempt counted, claim committed) before it calls the provider and
-- settles it afterwards; a 'sending' row whose lease (claimed_until) has passed was in
-- flight when its sender died: it is resent only where the provider deduplicates (企业微信
-- app messages, duplicate_check within 4 hours of claimed_at), otherwise marked 'unknown'
-- (投递未知) for a person to confirm or resend from the 发件箱.
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
    CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped', 'unknown'));
ALTER TABLE outbox ADD COLUMN claimed_at timestamptz;    -- when the current attempt was claimed
ALTER TABLE outbox ADD COLUMN claimed_until timestamptz; -- the claim's lease: its sender settles it before
CREATE INDEX outbox_sending ON outbox (claimed_until) WHERE status = 'sending';
-- The task pages show the delivery of each task's messages.
CREATE INDEX outbox_task ON outbox (customer_id, task_key) WHERE task_key <> '';
