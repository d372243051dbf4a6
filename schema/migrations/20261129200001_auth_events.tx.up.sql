-- Audit log of sign-ins (issue 9 "Hostile requests"): every login attempt, its outcome and
-- where it came from; the login throttle counts the failures here, so it holds across
-- every server process.
CREATE TABLE auth_events (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL,
    -- login_pending (being checked), login_ok, login_failed, login_throttled
    kind       text NOT NULL,
    login      text NOT NULL,
    ip         text NOT NULL,
    staff_id   text REFERENCES staff (id),
    detail     text NOT NULL DEFAULT ''
);
CREATE INDEX auth_events_login_at ON auth_events (login, at);
CREATE INDEX auth_events_ip_at ON auth_events (ip, at);
