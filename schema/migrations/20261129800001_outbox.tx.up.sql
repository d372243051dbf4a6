-- Issue 14: notifications through a durable outbox. A row is written in the same
-- transaction as the task or timeline entry that causes it (activities.Persist, derived by
-- renoflow.Messages) and keyed by that entry's business key, so a retried, replayed or
-- continued transition writes it once; the sender (internal/notify) delivers it.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    customer_id text NOT NULL,
    key         text NOT NULL,
    channel     text NOT NULL CHECK (channel IN ('wecom', 'robot', 'sms')),
    kind        text NOT NULL,
    recipient   text NOT NULL,              -- staff id (wecom), store id (robot), phone (sms)
    store_id    text NOT NULL DEFAULT '',
    template    text NOT NULL DEFAULT '',
    params      jsonb NOT NULL DEFAULT '{}',
    body        text NOT NULL DEFAULT '',
    task_key    text NOT NULL DEFAULT '',   -- rule/subject/seq of the task it is about
    status      text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'skipped')),
    attempts    integer NOT NULL DEFAULT 0,
    next_at     timestamptz NOT NULL,       -- not before (quiet hours, the day after, backoff)
    answer      text NOT NULL DEFAULT '',   -- the provider's answer (or why skipped)
    created_at  timestamptz NOT NULL,
    sent_at     timestamptz,
    UNIQUE (customer_id, key)
);
CREATE INDEX outbox_queued ON outbox (next_at) WHERE status = 'queued';
CREATE INDEX outbox_customer ON outbox (customer_id, created_at);

-- 企业微信 user id of a staff member, for app messages.
ALTER TABLE staff ADD COLUMN wecom_userid text NOT NULL DEFAULT '';

-- Per-customer SMS opt-out (退订), by phone.
CREATE TABLE sms_optouts (
    phone text PRIMARY KEY,
    at    timestamptz NOT NULL DEFAULT now()
);
