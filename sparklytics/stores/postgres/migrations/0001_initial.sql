-- The metadata tables of cloud mode: the DuckDB store's metadata tables as they stand
-- after its migration 0010 (sparklytics/stores/duckdb/schema.py), without the event
-- tables (ClickHouse keeps events and sessions) and without login_attempts (the
-- lockout is kept in memory, Decision 7).
--
-- Timestamps are naive UTC TIMESTAMP, as in DuckDB, read back as text (API.md §0.3).
-- Everything a website owns references it ON DELETE CASCADE, so deleting the website
-- row deletes the rest in the same transaction. Notification deliveries point at a
-- subscription or an alert (source_type, source_id) and are deleted explicitly.

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE websites (
    id TEXT PRIMARY KEY,
    tenant_id TEXT,
    name TEXT NOT NULL,
    domain TEXT NOT NULL,
    timezone VARCHAR(64) NOT NULL DEFAULT 'UTC',
    ingest_peak_eps INTEGER,
    ingest_queue_max_events INTEGER,
    share_id VARCHAR(50) UNIQUE,
    deleted_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    updated_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE INDEX websites_domain ON websites (domain) WHERE deleted_at IS NULL;

CREATE TABLE website_aliases (
    website_id TEXT NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE INDEX website_aliases_value ON website_aliases (kind, value);
CREATE INDEX website_aliases_website ON website_aliases (website_id);

CREATE TABLE goals (
    id TEXT PRIMARY KEY,
    website_id TEXT NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    goal_type TEXT NOT NULL,
    match_value TEXT NOT NULL,
    match_operator TEXT NOT NULL DEFAULT 'equals',
    value_mode TEXT NOT NULL DEFAULT 'none',
    fixed_value DOUBLE PRECISION,
    value_property_key TEXT,
    currency TEXT NOT NULL DEFAULT 'USD',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX goals_website ON goals (website_id);

CREATE TABLE saved_reports (
    id TEXT PRIMARY KEY,
    website_id TEXT NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    config_json TEXT NOT NULL,
    last_run_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX saved_reports_website ON saved_reports (website_id);

CREATE TABLE report_subscriptions (
    id TEXT PRIMARY KEY,
    website_id TEXT NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
    report_id TEXT NOT NULL REFERENCES saved_reports (id) ON DELETE CASCADE,
    schedule TEXT NOT NULL,
    timezone TEXT NOT NULL DEFAULT 'UTC',
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    last_run_at TIMESTAMP,
    next_run_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX report_subscriptions_website ON report_subscriptions (website_id);
CREATE INDEX report_subscriptions_due ON report_subscriptions (next_run_at) WHERE is_active;

CREATE TABLE alert_rules (
    id TEXT PRIMARY KEY,
    website_id TEXT NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    metric TEXT NOT NULL,
    condition_type TEXT NOT NULL,
    threshold_value DOUBLE PRECISION NOT NULL,
    lookback_days INTEGER NOT NULL DEFAULT 7,
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX alert_rules_website ON alert_rules (website_id);

CREATE TABLE notification_deliveries (
    id TEXT PRIMARY KEY,
    source_type TEXT NOT NULL,
    source_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    error_message TEXT,
    delivered_at TIMESTAMP NOT NULL
);
CREATE INDEX notification_deliveries_source ON notification_deliveries (source_type, source_id, delivered_at);

CREATE TABLE webhook_secrets (
    website_id TEXT PRIMARY KEY REFERENCES websites (id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

CREATE TABLE bot_policies (
    website_id TEXT PRIMARY KEY REFERENCES websites (id) ON DELETE CASCADE,
    mode TEXT NOT NULL DEFAULT 'balanced',
    threshold_score INTEGER NOT NULL DEFAULT 70,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE bot_allowlist (
    id TEXT PRIMARY KEY,
    website_id TEXT NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
    match_type TEXT NOT NULL,
    match_value TEXT NOT NULL,
    note TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (website_id, match_type, match_value)
);

CREATE TABLE bot_blocklist (
    id TEXT PRIMARY KEY,
    website_id TEXT NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
    match_type TEXT NOT NULL,
    match_value TEXT NOT NULL,
    note TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (website_id, match_type, match_value)
);

CREATE TABLE bot_policy_audit (
    id TEXT PRIMARY KEY,
    website_id TEXT NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX bot_policy_audit_website ON bot_policy_audit (website_id, created_at);

CREATE TABLE bot_recompute_runs (
    id TEXT PRIMARY KEY,
    website_id TEXT NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
    start_date TIMESTAMP NOT NULL,
    end_date TIMESTAMP NOT NULL,
    status TEXT NOT NULL,
    started_at TIMESTAMP,
    completed_at TIMESTAMP,
    error_message TEXT,
    created_at TIMESTAMP NOT NULL,
    events_total BIGINT NOT NULL DEFAULT 0,
    events_done BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE campaign_links (
    id TEXT PRIMARY KEY,
    website_id TEXT NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    destination_url TEXT NOT NULL,
    utm_source TEXT,
    utm_medium TEXT,
    utm_campaign TEXT,
    utm_term TEXT,
    utm_content TEXT,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE tracking_pixels (
    id TEXT PRIMARY KEY,
    website_id TEXT NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    pixel_key TEXT NOT NULL UNIQUE,
    default_url TEXT,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE funnels (
    id TEXT PRIMARY KEY,
    website_id TEXT NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX funnels_website ON funnels (website_id);

CREATE TABLE funnel_steps (
    id TEXT PRIMARY KEY,
    funnel_id TEXT NOT NULL REFERENCES funnels (id) ON DELETE CASCADE,
    step_order INTEGER NOT NULL,
    step_type TEXT NOT NULL,
    match_value TEXT NOT NULL,
    match_operator TEXT NOT NULL DEFAULT 'equals',
    label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX funnel_steps_funnel ON funnel_steps (funnel_id, step_order);

CREATE TABLE local_api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    key_hash VARCHAR(64) NOT NULL UNIQUE,
    key_prefix VARCHAR(25) NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);

CREATE TABLE revoked_sessions (
    jti TEXT PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);

CREATE TABLE imported_exports (
    website_id TEXT NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
    digest TEXT NOT NULL,
    format TEXT NOT NULL,
    events BIGINT NOT NULL,
    imported_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    PRIMARY KEY (website_id, digest)
);

CREATE TABLE imported_totals (
    website_id TEXT NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
    day DATE NOT NULL,
    visitors BIGINT NOT NULL,
    pageviews BIGINT NOT NULL,
    visits BIGINT NOT NULL,
    bounces BIGINT NOT NULL,
    visit_duration BIGINT NOT NULL
);
CREATE INDEX imported_totals_website_day ON imported_totals (website_id, day);

CREATE TABLE imported_breakdowns (
    website_id TEXT NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
    dimension TEXT NOT NULL,
    day DATE NOT NULL,
    value TEXT NOT NULL,
    visitors BIGINT NOT NULL,
    pageviews BIGINT NOT NULL,
    events BIGINT NOT NULL,
    visits BIGINT NOT NULL,
    bounces BIGINT NOT NULL,
    visit_duration BIGINT NOT NULL
);
CREATE INDEX imported_breakdowns_website_day ON imported_breakdowns (website_id, day);
