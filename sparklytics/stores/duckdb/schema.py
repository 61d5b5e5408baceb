"""The DuckDB schema: one DDL block per named migration, applied in order and recorded.

The Writer applies :data:`MIGRATIONS` at start through :func:`apply_migrations`; each
one runs in its own transaction together with its row in ``_migrations``, so a rerun
changes nothing and a crash half-way leaves no half-applied step.

Choices made for the analytics queries at 10M events (measured in ``bench/``):

* ``events`` and ``sessions`` carry **no ART index** and no key. DuckDB answers range
  scans from per-row-group min/max zonemaps, and rows arrive in time order from the
  one Writer, so ``website_id`` + ``created_at`` predicates skip most row groups. The
  sessions PRIMARY KEY of 0001 cost ~16 MB per 1M events on disk (and its ART in
  memory); since 0002 the Writer replaces a continued session's row by delete +
  append, and the session-detail lookup scans ``session_id`` (``bench/RESULTS.md``).
* Timestamps are naive UTC ``TIMESTAMP`` (``date_trunc`` on ``TIMESTAMPTZ`` is ~2x
  slower); reports convert to the website's time zone in SQL.
* ``channel`` (Direct, Organic Search, …) is classified at ingest from the referrer
  and UTM tags, so the channel breakdown is a plain GROUP BY.
* Event ids are a BIGINT counter (0002): a random UUID took 17 MB per 1M events and
  compressed not at all; the API shows a UUID derived from the counter.
* ``path`` and ``hostname`` are derived at ingest (Decision 3), so reports never parse
  URLs at query time. ``source_ip`` does not exist (Decision 7).
* ``sessions`` keeps ``entry_path``/``exit_path`` (first and last pageview path),
  ``event_count`` and (0002) the landing source, client and place and the distinct
  paths viewed, maintained by the Writer, so session-level breakdowns, the sessions
  list and the page breakdown's per-session figures read ``sessions`` alone. Since
  0003 the source is that of the landing event (Decision 21), so the source filters
  select sessions from this table too. Since 0014 each session also carries its
  visitor's previous visits and a 16-bit ``visitor_key`` (``visits.py``), from which
  the overview counts distinct visitors without a DISTINCT.

Foreign keys are enforced on the metadata tables (Decision 12). DuckDB cannot delete a
parent row in the transaction that deleted its children, which shapes the website
delete (``websites.delete_website`` says how).

For the same DuckDB limitation, a parent table must not carry a UNIQUE index on a
column that is ever updated (DuckDB rewrites such an update as delete + insert, which
the foreign-key check refuses while children exist). So ``websites.share_id`` (a random
UUID v4), ``saved_reports`` and ``funnels`` names are kept unique by the Writer, which
checks and writes in one transaction as the only writer.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from sparklytics.stores.duckdb import visits


@dataclass(frozen=True, slots=True)
class Migration:
    name: str
    sql: str


_INITIAL = """
CREATE TABLE settings (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE websites (
    id VARCHAR PRIMARY KEY,
    tenant_id VARCHAR,
    name VARCHAR NOT NULL,
    domain VARCHAR NOT NULL,
    timezone VARCHAR(64) NOT NULL DEFAULT 'UTC',
    ingest_peak_eps INTEGER,
    ingest_queue_max_events INTEGER,
    share_id VARCHAR(50),
    deleted_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE sessions (
    session_id VARCHAR PRIMARY KEY,
    website_id VARCHAR NOT NULL,
    tenant_id VARCHAR,
    visitor_id VARCHAR NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    pageview_count INTEGER NOT NULL DEFAULT 0,
    event_count INTEGER NOT NULL DEFAULT 0,
    entry_page VARCHAR NOT NULL,
    entry_path VARCHAR,
    exit_path VARCHAR,
    is_bot BOOLEAN NOT NULL DEFAULT FALSE,
    bot_score INTEGER NOT NULL DEFAULT 0,
    bot_reason VARCHAR
);

CREATE TABLE events (
    id UUID NOT NULL,
    website_id VARCHAR NOT NULL,
    tenant_id VARCHAR,
    session_id VARCHAR NOT NULL,
    visitor_id VARCHAR NOT NULL,
    event_type VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    hostname VARCHAR,
    referrer_url VARCHAR,
    referrer_domain VARCHAR,
    channel VARCHAR,
    event_name VARCHAR,
    event_data VARCHAR,
    country VARCHAR(2),
    region VARCHAR,
    city VARCHAR,
    browser VARCHAR,
    browser_version VARCHAR,
    os VARCHAR,
    os_version VARCHAR,
    device_type VARCHAR,
    screen VARCHAR,
    language VARCHAR,
    utm_source VARCHAR,
    utm_medium VARCHAR,
    utm_campaign VARCHAR,
    utm_term VARCHAR,
    utm_content VARCHAR,
    link_id VARCHAR,
    pixel_id VARCHAR,
    user_agent VARCHAR,
    is_bot BOOLEAN NOT NULL DEFAULT FALSE,
    bot_score INTEGER NOT NULL DEFAULT 0,
    bot_reason VARCHAR,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE goals (
    id VARCHAR PRIMARY KEY,
    website_id VARCHAR NOT NULL REFERENCES websites(id),
    name VARCHAR NOT NULL,
    goal_type VARCHAR NOT NULL,
    match_value VARCHAR NOT NULL,
    match_operator VARCHAR NOT NULL DEFAULT 'equals',
    value_mode VARCHAR NOT NULL DEFAULT 'none',
    fixed_value DOUBLE,
    value_property_key VARCHAR,
    currency VARCHAR NOT NULL DEFAULT 'USD',
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_goals_website_id ON goals(website_id);

CREATE TABLE saved_reports (
    id VARCHAR PRIMARY KEY,
    website_id VARCHAR NOT NULL REFERENCES websites(id),
    name VARCHAR NOT NULL,
    description VARCHAR,
    config_json VARCHAR NOT NULL,
    last_run_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE attribution_cache (
    website_id VARCHAR NOT NULL REFERENCES websites(id),
    goal_id VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    range_start TIMESTAMP NOT NULL,
    range_end TIMESTAMP NOT NULL,
    payload_json VARCHAR NOT NULL,
    generated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE report_subscriptions (
    id VARCHAR PRIMARY KEY,
    website_id VARCHAR NOT NULL REFERENCES websites(id),
    report_id VARCHAR NOT NULL REFERENCES saved_reports(id),
    schedule VARCHAR NOT NULL,
    timezone VARCHAR NOT NULL DEFAULT 'UTC',
    channel VARCHAR NOT NULL,
    target VARCHAR NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    last_run_at TIMESTAMP,
    next_run_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE alert_rules (
    id VARCHAR PRIMARY KEY,
    website_id VARCHAR NOT NULL REFERENCES websites(id),
    name VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    condition_type VARCHAR NOT NULL,
    threshold_value DOUBLE NOT NULL,
    lookback_days INTEGER NOT NULL DEFAULT 7,
    channel VARCHAR NOT NULL,
    target VARCHAR NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE notification_deliveries (
    id VARCHAR PRIMARY KEY,
    source_type VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    idempotency_key VARCHAR NOT NULL UNIQUE,
    status VARCHAR NOT NULL,
    error_message VARCHAR,
    delivered_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE bot_policies (
    website_id VARCHAR PRIMARY KEY REFERENCES websites(id),
    mode VARCHAR NOT NULL DEFAULT 'balanced',
    threshold_score INTEGER NOT NULL DEFAULT 70,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE bot_allowlist (
    id VARCHAR PRIMARY KEY,
    website_id VARCHAR NOT NULL REFERENCES websites(id),
    match_type VARCHAR NOT NULL,
    match_value VARCHAR NOT NULL,
    note VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (website_id, match_type, match_value)
);

CREATE TABLE bot_blocklist (
    id VARCHAR PRIMARY KEY,
    website_id VARCHAR NOT NULL REFERENCES websites(id),
    match_type VARCHAR NOT NULL,
    match_value VARCHAR NOT NULL,
    note VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (website_id, match_type, match_value)
);

CREATE TABLE bot_policy_audit (
    id VARCHAR PRIMARY KEY,
    website_id VARCHAR NOT NULL REFERENCES websites(id),
    actor VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    payload VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE bot_recompute_runs (
    id VARCHAR PRIMARY KEY,
    website_id VARCHAR NOT NULL REFERENCES websites(id),
    start_date TIMESTAMP NOT NULL,
    end_date TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL,
    started_at TIMESTAMP,
    completed_at TIMESTAMP,
    error_message VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE campaign_links (
    id VARCHAR PRIMARY KEY,
    website_id VARCHAR NOT NULL REFERENCES websites(id),
    name VARCHAR NOT NULL,
    slug VARCHAR NOT NULL UNIQUE,
    destination_url VARCHAR NOT NULL,
    utm_source VARCHAR,
    utm_medium VARCHAR,
    utm_campaign VARCHAR,
    utm_term VARCHAR,
    utm_content VARCHAR,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE tracking_pixels (
    id VARCHAR PRIMARY KEY,
    website_id VARCHAR NOT NULL REFERENCES websites(id),
    name VARCHAR NOT NULL,
    pixel_key VARCHAR NOT NULL UNIQUE,
    default_url VARCHAR,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE funnels (
    id VARCHAR PRIMARY KEY,
    website_id VARCHAR NOT NULL REFERENCES websites(id),
    name VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE funnel_steps (
    id VARCHAR PRIMARY KEY,
    funnel_id VARCHAR NOT NULL REFERENCES funnels(id),
    step_order INTEGER NOT NULL,
    step_type VARCHAR NOT NULL,
    match_value VARCHAR NOT NULL,
    match_operator VARCHAR NOT NULL DEFAULT 'equals',
    label VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE local_api_keys (
    id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    key_hash VARCHAR(64) NOT NULL UNIQUE,
    key_prefix VARCHAR(25) NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);

CREATE TABLE login_attempts (
    id VARCHAR PRIMARY KEY,
    ip_address VARCHAR NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    succeeded BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE ingest_cursor (
    id INTEGER PRIMARY KEY,
    segment BIGINT NOT NULL,
    "offset" BIGINT NOT NULL
);
INSERT INTO ingest_cursor VALUES (1, 0, 0);
"""

# The landing values of each session, computed from its events: where the visit came
# from and where it entered (the source columns and ``entry_page`` of its landing event:
# the first pageview, else the first event carrying a referrer or UTM tag, else the
# first event; Decision 21, as Plausible's ``visit:source``), the first known client and
# place (a server-made event without UA or geo does not blank them), and the distinct
# paths it viewed (so the page breakdown can count sessions per page without joining
# events to sessions). "First" is by time, then by id (the order the Writer saw them).
# The landing columns travel as one struct, so each session keeps one aggregate state
# for them. (``arg_min`` skips NULL values, which the client columns want.) The Writer
# keeps the same rule for live sessions (``sparklytics.sessions._advance``); this SQL fills sessions
# written before the rule (migrations), and test fixtures reuse it.
_LANDING = """
arg_min(
    {'referrer_domain': referrer_domain, 'channel': channel, 'utm_source': utm_source,
     'utm_medium': utm_medium, 'utm_campaign': utm_campaign, 'entry_page': url},
    (CASE WHEN event_type = 'pageview' THEN 0
          WHEN referrer_domain IS NOT NULL OR utm_source IS NOT NULL
               OR utm_medium IS NOT NULL OR utm_campaign IS NOT NULL THEN 1
          ELSE 2 END,
     created_at, id)
) AS landing"""

_LANDING_COLUMNS = """landing.referrer_domain, landing.channel, landing.utm_source, landing.utm_medium,
       landing.utm_campaign, landing.entry_page"""

SESSION_DIMENSIONS_FROM_EVENTS = f"""
SELECT session_id, {_LANDING_COLUMNS},
       country, region, city, browser, os, device_type, screen, language
FROM (
    SELECT session_id, {_LANDING},
           arg_min(country, created_at) AS country,
           arg_min(region, created_at) AS region,
           arg_min(city, created_at) AS city,
           arg_min(browser, created_at) AS browser,
           arg_min(os, created_at) AS os,
           arg_min(device_type, created_at) AS device_type,
           arg_min(screen, created_at) AS screen,
           arg_min(language, created_at) AS language
    FROM events
    GROUP BY session_id
)
"""

# The distinct paths each session viewed. A query of its own: folded into the one
# above, the 10M-event migration ran out of a 1 GB DuckDB memory limit.
SESSION_PATHS_FROM_EVENTS = """
SELECT session_id, list(path) AS pageview_paths
FROM (SELECT DISTINCT session_id, path FROM events WHERE event_type = 'pageview')
GROUP BY session_id
"""

# The columns of ``sessions`` from 0002 on (0014 adds the previous visits after them).
_SESSIONS_0002_COLUMNS = """
    session_id UBIGINT NOT NULL,
    website_id VARCHAR NOT NULL,
    tenant_id VARCHAR,
    visitor_id VARCHAR NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    pageview_count INTEGER NOT NULL DEFAULT 0,
    event_count INTEGER NOT NULL DEFAULT 0,
    entry_page VARCHAR NOT NULL,
    entry_path VARCHAR,
    exit_path VARCHAR,
    is_bot BOOLEAN NOT NULL DEFAULT FALSE,
    bot_score INTEGER NOT NULL DEFAULT 0,
    bot_reason VARCHAR,
    referrer_domain VARCHAR,
    channel VARCHAR,
    utm_source VARCHAR,
    utm_medium VARCHAR,
    utm_campaign VARCHAR,
    country VARCHAR(2),
    region VARCHAR,
    city VARCHAR,
    browser VARCHAR,
    os VARCHAR,
    device_type VARCHAR,
    screen VARCHAR,
    language VARCHAR,
    pageview_paths VARCHAR[] NOT NULL DEFAULT []""".strip("\n")

# Sessions lose their PRIMARY KEY (an ART index: 16 MB per 1M events, also held in
# memory) and gain the landing dimensions. Session ids (always 16 hex characters, made
# by ``enrich.ids.session_id``) are stored as the UBIGINT they spell: joins and
# DISTINCTs on them measured 22-39 % cheaper than on the strings; the API shows them
# as the same 16 hex characters. Events get a BIGINT id from a counter kept
# with the WAL cursor (compresses to almost nothing, where a random UUID took 17 MB per
# 1M events) and show a UUID derived from it and a per-install key
# (``queries._sql.public_event_id``), so ids do not reveal how many events came before.
# Rows are copied in their stored order, so time order (and zonemaps) survive.
_COMPACT_IDS_AND_SESSION_DIMENSIONS = f"""
CREATE TABLE sessions_next (
{_SESSIONS_0002_COLUMNS}
);
INSERT INTO sessions_next
SELECT CAST('0x' || s.session_id AS UBIGINT), s.website_id, s.tenant_id, s.visitor_id, s.first_seen, s.last_seen,
       s.pageview_count, s.event_count, s.entry_page, s.entry_path, s.exit_path, s.is_bot,
       s.bot_score, s.bot_reason, d.referrer_domain, d.channel, d.utm_source, d.utm_medium,
       d.utm_campaign, d.country, d.region, d.city, d.browser, d.os, d.device_type,
       d.screen, d.language, []
FROM sessions s LEFT JOIN ({SESSION_DIMENSIONS_FROM_EVENTS}) d USING (session_id)
ORDER BY s.last_seen;
DROP TABLE sessions;
ALTER TABLE sessions_next RENAME TO sessions;

CREATE TABLE events_next (
    id BIGINT NOT NULL,
    website_id VARCHAR NOT NULL,
    tenant_id VARCHAR,
    session_id UBIGINT NOT NULL,
    visitor_id VARCHAR NOT NULL,
    event_type VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    hostname VARCHAR,
    referrer_url VARCHAR,
    referrer_domain VARCHAR,
    channel VARCHAR,
    event_name VARCHAR,
    event_data VARCHAR,
    country VARCHAR(2),
    region VARCHAR,
    city VARCHAR,
    browser VARCHAR,
    browser_version VARCHAR,
    os VARCHAR,
    os_version VARCHAR,
    device_type VARCHAR,
    screen VARCHAR,
    language VARCHAR,
    utm_source VARCHAR,
    utm_medium VARCHAR,
    utm_campaign VARCHAR,
    utm_term VARCHAR,
    utm_content VARCHAR,
    link_id VARCHAR,
    pixel_id VARCHAR,
    user_agent VARCHAR,
    is_bot BOOLEAN NOT NULL DEFAULT FALSE,
    bot_score INTEGER NOT NULL DEFAULT 0,
    bot_reason VARCHAR,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO events_next
SELECT rowid + 1, * EXCLUDE (id) REPLACE (CAST('0x' || session_id AS UBIGINT) AS session_id) FROM events;
DROP TABLE events;
ALTER TABLE events_next RENAME TO events;

UPDATE sessions SET pageview_paths = p.pageview_paths
FROM ({SESSION_PATHS_FROM_EVENTS}) p
WHERE sessions.session_id = p.session_id;

ALTER TABLE ingest_cursor ADD COLUMN next_event_id BIGINT DEFAULT 1;
UPDATE ingest_cursor SET next_event_id = (SELECT coalesce(max(id), 0) + 1 FROM events);
INSERT INTO settings (key, value)
VALUES ('event_id_key', md5(CAST(gen_random_uuid() AS VARCHAR) || CAST(gen_random_uuid() AS VARCHAR)));
"""

# Decision 21: a session's source and entry page come from its landing event (see
# SESSION_DIMENSIONS_FROM_EVENTS) where they came from its first event. They differ
# only for sessions whose first event is not a pageview, so only those sessions' events
# are aggregated: one scan of the non-pageview events finds them (a session begins at
# its ``first_seen``), and the rule runs over their events alone.
_SESSION_SOURCE_FROM_LANDING_EVENT = f"""
CREATE TEMP TABLE landing_candidates AS
SELECT DISTINCT s.session_id
FROM sessions s
JOIN events e ON e.session_id = s.session_id AND e.created_at = s.first_seen
WHERE e.event_type <> 'pageview';

UPDATE sessions
SET referrer_domain = d.referrer_domain, channel = d.channel, utm_source = d.utm_source,
    utm_medium = d.utm_medium, utm_campaign = d.utm_campaign, entry_page = d.entry_page
FROM (
    SELECT session_id, {_LANDING_COLUMNS}
    FROM (
        SELECT session_id, {_LANDING}
        FROM events
        WHERE session_id IN (SELECT session_id FROM landing_candidates)
        GROUP BY session_id
    )
) d
WHERE sessions.session_id = d.session_id;

DROP TABLE landing_candidates;
"""

# 0004: browser names as people know them ("Mobile Safari" → "Safari"), the mapping of
# sparklytics.enrich.ua.BROWSER_NAMES frozen as of this migration (a test checks they
# agree), for the rows stored before it.
_BROWSER_NAMES_0004 = """
CREATE TEMP TABLE browser_names_0004 (family VARCHAR, name VARCHAR);
INSERT INTO browser_names_0004 VALUES
    ('Mobile Safari', 'Safari'),
    ('Mobile Safari UI/WKWebView', 'Safari'),
    ('Chrome Mobile', 'Chrome'),
    ('Chrome Mobile iOS', 'Chrome'),
    ('Chrome Mobile WebView', 'Chrome Webview'),
    ('Firefox Mobile', 'Firefox'),
    ('Firefox iOS', 'Firefox'),
    ('Edge Mobile', 'Edge'),
    ('Opera Mobile', 'Opera'),
    ('IE Mobile', 'IE'),
    ('IE Large Screen', 'IE'),
    ('DuckDuckGo Mobile', 'DuckDuckGo'),
    ('QQ Browser Mobile', 'QQ Browser'),
    ('Ecosia iOS', 'Ecosia');
UPDATE events SET browser = n.name FROM browser_names_0004 n WHERE events.browser = n.family;
UPDATE sessions SET browser = n.name FROM browser_names_0004 n WHERE sessions.browser = n.family;
DROP TABLE browser_names_0004;
"""

# 0005 (issue 13 #8, #9): login attempts move to memory (an HMAC of the client IP stored
# beside its key could be reversed from the file alone), so their table and key go;
# logged-out sessions are revoked by id until they would have expired.
_SESSIONS_REVOCABLE_AND_NO_LOGIN_IPS = """
DROP TABLE login_attempts;
DELETE FROM settings WHERE key = 'login_ip_key';
CREATE TABLE revoked_sessions (
    jti VARCHAR PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);
"""

# 0006 (issue 16): a bot recompute reports its progress (events in its window, events
# re-classified so far), so the dashboard can show "running, 40 % done".
_RECOMPUTE_PROGRESS = """
ALTER TABLE bot_recompute_runs ADD COLUMN events_total BIGINT NOT NULL DEFAULT 0;
ALTER TABLE bot_recompute_runs ADD COLUMN events_done BIGINT NOT NULL DEFAULT 0;
"""

# 0008 (issue 18): the secret each website's webhooks are signed with
# (``X-Sparklytics-Signature``), made with its first webhook target and shown once; and
# the index the notification history and the idempotency check read.
_REPORTS = """
CREATE TABLE webhook_secrets (
    website_id VARCHAR PRIMARY KEY REFERENCES websites(id),
    secret VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_notification_deliveries_source ON notification_deliveries(source_type, source_id, delivered_at);
"""

# 0009 (issue 19): the other names a website answers to at the Plausible- and
# Umami-compatible ingest routes (``sparklytics/website_aliases.py``): ``kind`` is
# ``domain`` (an extra domain) or ``umami`` (an Umami website UUID). No UNIQUE index:
# a row is replaced by delete + insert in one transaction, which DuckDB's eager unique
# check refuses; the store checks uniqueness inside that write instead.
_WEBSITE_ALIASES = """
CREATE TABLE website_aliases (
    website_id VARCHAR NOT NULL REFERENCES websites(id),
    kind VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_website_aliases_value ON website_aliases(kind, value);
"""

# 0010 (issue 19): daily aggregates imported from another tool (Plausible CE's CSV
# export), which reports add to their numbers with ``with_imported=true``. They are not
# events: Plausible exports per-day sums, so they can only be summed per day.
# ``imported_totals`` is its ``imported_visitors`` (one row per day);
# ``imported_breakdowns`` holds every other table as (dimension, value) rows — a
# Plausible source row gives a ``referrer``, ``utm_medium``, ``utm_campaign`` and
# ``channel`` row, a location row a ``country``, ``region`` and ``city`` row — so one
# statement answers every breakdown. Days are the website's local days, as exported.
# ``imported_exports`` remembers which event exports (Umami's, our own) went into which
# website, by the SHA-256 of their bytes, so importing the same file twice is refused
# instead of doubling its events.
_IMPORTED_STATS = """
CREATE TABLE imported_exports (
    website_id VARCHAR NOT NULL,
    digest VARCHAR NOT NULL,
    format VARCHAR NOT NULL,
    events BIGINT NOT NULL,
    imported_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (website_id, digest)
);
CREATE TABLE imported_totals (
    website_id VARCHAR NOT NULL,
    day DATE NOT NULL,
    visitors BIGINT NOT NULL,
    pageviews BIGINT NOT NULL,
    visits BIGINT NOT NULL,
    bounces BIGINT NOT NULL,
    visit_duration BIGINT NOT NULL
);
CREATE TABLE imported_breakdowns (
    website_id VARCHAR NOT NULL,
    dimension VARCHAR NOT NULL,
    day DATE NOT NULL,
    value VARCHAR NOT NULL,
    visitors BIGINT NOT NULL,
    pageviews BIGINT NOT NULL,
    events BIGINT NOT NULL,
    visits BIGINT NOT NULL,
    bounces BIGINT NOT NULL,
    visit_duration BIGINT NOT NULL
);
"""

# 0012: a bot recompute names the app node that runs it (the metadata SQL is shared with
# PostgreSQL, where several nodes do); self-hosted has one, ``SELF_HOSTED_NODE``.
_RECOMPUTE_OWNER = """
ALTER TABLE bot_recompute_runs ADD COLUMN owner_node VARCHAR;
"""

# 0013: an import of an event export records its progress (and, until it finishes, its
# visitor salt) before each batch, so a second run after a stop resumes it instead of
# sending again what had landed.
_IMPORT_PROGRESS = """
ALTER TABLE imported_exports ADD COLUMN rows_done BIGINT DEFAULT 0;
ALTER TABLE imported_exports ADD COLUMN rows_sending BIGINT DEFAULT 0;
ALTER TABLE imported_exports ADD COLUMN finished BOOLEAN DEFAULT TRUE;
ALTER TABLE imported_exports ADD COLUMN visitor_salt VARCHAR;
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_initial", _INITIAL),
    Migration("0002_compact_ids_and_session_dimensions", _COMPACT_IDS_AND_SESSION_DIMENSIONS),
    Migration("0003_session_source_from_landing_event", _SESSION_SOURCE_FROM_LANDING_EVENT),
    Migration("0004_browser_names", _BROWSER_NAMES_0004),
    Migration("0005_sessions_revocable_and_no_login_ips", _SESSIONS_REVOCABLE_AND_NO_LOGIN_IPS),
    Migration("0006_recompute_progress", _RECOMPUTE_PROGRESS),
    Migration("0008_reports", _REPORTS),
    Migration("0009_website_aliases", _WEBSITE_ALIASES),
    Migration("0010_imported_stats", _IMPORTED_STATS),
    Migration("0012_recompute_owner", _RECOMPUTE_OWNER),
    Migration("0013_import_progress", _IMPORT_PROGRESS),
    # 0014 (issue 20): each session's previous visits (``visits.py``), backfilled.
    Migration("0014_previous_visits", visits.rewrite_sessions_sql(_SESSIONS_0002_COLUMNS)),
)

def apply_migrations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply every migration not yet recorded; return the names applied now."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS _migrations ("
        " id VARCHAR PRIMARY KEY,"
        " applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )
    done = {row[0] for row in con.execute("SELECT id FROM _migrations").fetchall()}
    applied = []
    for migration in MIGRATIONS:
        if migration.name in done:
            continue
        with transaction(con):
            con.execute(migration.sql)
            con.execute("INSERT INTO _migrations (id) VALUES (?)", [migration.name])
        applied.append(migration.name)
    return applied


class transaction:
    """``with transaction(con):`` runs the block in BEGIN … COMMIT, rolling back on error."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        self._con.execute("BEGIN")
        return self._con

    def __exit__(self, exc_type, exc, tb) -> None:
        self._con.execute("ROLLBACK" if exc_type else "COMMIT")
