-- renoflow schema. Times are timestamptz (stored in UTC, shown in Asia/Shanghai).

CREATE TABLE stores (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Staff accounts (SPEC.md "People (roles)"). Designer attributes feed dispatch ranking.
CREATE TABLE staff (
    id                  text PRIMARY KEY,
    login               text NOT NULL UNIQUE,
    name                text NOT NULL,
    role                text NOT NULL,
    store_id            text REFERENCES stores (id),
    lead                boolean NOT NULL DEFAULT false,
    password_hash       text NOT NULL DEFAULT '',
    active              boolean NOT NULL DEFAULT true,
    on_duty             boolean NOT NULL DEFAULT true,
    senior              boolean NOT NULL DEFAULT false,
    charges_fee         boolean NOT NULL DEFAULT false,
    material_target_met boolean NOT NULL DEFAULT false,
    department_rank     integer NOT NULL DEFAULT 0,
    suspended_until     timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_store_role ON staff (store_id, role);

-- The stores a supervisor oversees.
CREATE TABLE supervisor_stores (
    staff_id  text NOT NULL REFERENCES staff (id),
    store_id  text NOT NULL REFERENCES stores (id),
    PRIMARY KEY (staff_id, store_id)
);

-- Server-side sessions; the cookie holds a random token, the table its SHA-256.
CREATE TABLE sessions (
    token_hash  text PRIMARY KEY,
    staff_id    text NOT NULL REFERENCES staff (id),
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_staff ON sessions (staff_id);

-- Versioned company policy: the newest row applies to clocks armed from its creation on.
CREATE TABLE policy_versions (
    version     serial PRIMARY KEY,
    body        jsonb NOT NULL,
    note        text NOT NULL DEFAULT '',
    created_by  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Versioned company calendar: holidays and make-up working days.
CREATE TABLE calendar_versions (
    version     serial PRIMARY KEY,
    days        jsonb NOT NULL,
    note        text NOT NULL DEFAULT '',
    created_by  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per phone number held by an active customer: the arbiter of duplicate filings
-- (撞单). Inserted by the API before the customer's workflow starts; released when the
-- customer is confirmed invalid.
CREATE TABLE phone_claims (
    phone        text PRIMARY KEY,
    customer_id  text NOT NULL UNIQUE,
    filed_by     text NOT NULL,
    filed_at     timestamptz NOT NULL
);

-- The customer record as the customer's workflow last wrote it (revision guards order).
CREATE TABLE customers (
    id               text PRIMARY KEY,
    revision         bigint NOT NULL,
    phone            text NOT NULL,
    name             text NOT NULL,
    gender           text NOT NULL,
    community        text NOT NULL DEFAULT '',
    channel          text NOT NULL,
    store_id         text NOT NULL,
    stage            text NOT NULL,
    grade            text NOT NULL DEFAULT '',
    owner_id         text NOT NULL DEFAULT '',
    owner_name       text NOT NULL DEFAULT '',
    owner_since      timestamptz,
    designer_id      text NOT NULL DEFAULT '',
    designer_name    text NOT NULL DEFAULT '',
    design_since     timestamptz,
    filed_by         text NOT NULL,
    filed_by_name    text NOT NULL DEFAULT '',
    filed_at         timestamptz NOT NULL,
    verified_at      timestamptz,
    claim_due        timestamptz,
    first_consult_at timestamptz,
    first_consult    text NOT NULL DEFAULT '',
    last_service_at  timestamptz,
    deposit_at       timestamptz,
    contract_at      timestamptz,
    completed_at     timestamptz,
    flagged          boolean NOT NULL DEFAULT false,
    flag_reason      text NOT NULL DEFAULT '',
    invalid          boolean NOT NULL DEFAULT false,
    record           jsonb NOT NULL,
    state            jsonb NOT NULL DEFAULT '{}',
    updated_at       timestamptz NOT NULL
);
CREATE INDEX customers_phone ON customers (phone);
CREATE INDEX customers_store_stage ON customers (store_id, stage);
CREATE INDEX customers_owner ON customers (owner_id);
CREATE INDEX customers_designer ON customers (designer_id);
CREATE INDEX customers_filed_by ON customers (filed_by);
CREATE INDEX customers_store_consult ON customers (store_id, first_consult_at);
CREATE INDEX customers_store_contract ON customers (store_id, contract_at);

-- Tasks: one row per due point (customer, rule, subject, seq); a retry or replay cannot
-- make a second, and a done task is never re-opened by one.
CREATE TABLE tasks (
    id                bigserial PRIMARY KEY,
    customer_id       text NOT NULL,
    rule              text NOT NULL,
    subject           text NOT NULL DEFAULT '',
    seq               integer NOT NULL DEFAULT 0,
    title             text NOT NULL,
    detail            text NOT NULL DEFAULT '',
    assignee_id       text NOT NULL DEFAULT '',
    assignee_role     text NOT NULL DEFAULT '',
    store_id          text NOT NULL,
    due_at            timestamptz NOT NULL,
    work_due_at       timestamptz,
    status            text NOT NULL DEFAULT 'open',
    policy_version    integer NOT NULL DEFAULT 0,
    calendar_version  integer NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL,
    done_at           timestamptz,
    done_by           text NOT NULL DEFAULT '',
    outcome           text NOT NULL DEFAULT '',
    UNIQUE (customer_id, rule, subject, seq)
);
CREATE INDEX tasks_assignee_open ON tasks (assignee_id, status, due_at);
CREATE INDEX tasks_store_role_open ON tasks (store_id, assignee_role, status, due_at);

-- The customer's timeline: every action and every fired timer, exactly once per key.
CREATE TABLE timeline (
    id               bigserial PRIMARY KEY,
    customer_id      text NOT NULL,
    key              text NOT NULL,
    at               timestamptz NOT NULL,
    kind             text NOT NULL,
    actor_id         text NOT NULL DEFAULT '',
    actor_name       text NOT NULL DEFAULT '',
    summary          text NOT NULL,
    rule             text NOT NULL DEFAULT '',
    policy_version   integer NOT NULL DEFAULT 0,
    calendar_version integer NOT NULL DEFAULT 0,
    due_at           timestamptz,
    data             jsonb NOT NULL DEFAULT '{}',
    UNIQUE (customer_id, key)
);
CREATE INDEX timeline_customer_at ON timeline (customer_id, at);

-- Public-pool movements: lapses into the pool and claims out of it.
CREATE TABLE pool_events (
    id              bigserial PRIMARY KEY,
    customer_id     text NOT NULL,
    key             text NOT NULL,
    kind            text NOT NULL,
    at              timestamptz NOT NULL,
    store_id        text NOT NULL,
    from_owner      text NOT NULL DEFAULT '',
    to_owner        text NOT NULL DEFAULT '',
    rule            text NOT NULL DEFAULT '',
    policy_version  integer NOT NULL DEFAULT 0,
    due_at          timestamptz,
    UNIQUE (customer_id, key)
);
CREATE INDEX pool_events_to_owner_at ON pool_events (to_owner, at);

-- Closed follow-up months: the quota, the follow-ups made and the points the owner loses
-- (SPEC.md step 4, the monthly scorecard).
CREATE TABLE followup_scores (
    customer_id  text NOT NULL,
    month        text NOT NULL,
    owner_id     text NOT NULL,
    store_id     text NOT NULL,
    grade        text NOT NULL,
    quota        integer NOT NULL,
    done         integer NOT NULL,
    missing      integer NOT NULL,
    points       integer NOT NULL,
    PRIMARY KEY (customer_id, month)
);
CREATE INDEX followup_scores_owner_month ON followup_scores (owner_id, month);
