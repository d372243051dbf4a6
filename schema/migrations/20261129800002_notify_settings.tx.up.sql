-- Issue 14: notification settings per company (scope 'company': 企业微信 app, Tencent
-- Cloud SMS, quiet hours) and per store (scope 'store:<id>': group robot webhook key).
-- Secrets live here only; pages and logs never show them (notify.Settings.Public).
CREATE TABLE notify_settings (
    scope      text PRIMARY KEY,
    settings   jsonb NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now()
);
