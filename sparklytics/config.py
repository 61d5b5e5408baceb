"""Every ``SPARKLYTICS_*`` setting, parsed and validated once into one :class:`Config`.

Nothing else in the code reads ``os.environ``: ``sparklytics serve`` calls
:func:`load_config` once and passes the result down. A bad value raises
:class:`ConfigError`, whose one-line message names the variable and what is allowed;
the CLI prints it and exits with status 2. Unlike the original server, numeric values
are never silently replaced by defaults: a typo stops the start instead of running
with a setting the operator did not ask for.

Each setting is declared once in :data:`SETTINGS` (name, default, one line of help),
which the README's configuration table and its test are checked against.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("sparklytics.config")


class ConfigError(Exception):
    """A setting has a value we cannot run with. Raised by :func:`load_config`."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: str | None
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("SPARKLYTICS_HOST", "0.0.0.0", "address to listen on"),
    Setting("SPARKLYTICS_PORT", "3000", "HTTP port, 1-65535"),
    Setting("SPARKLYTICS_DATA_DIR", "./data", "holds sparklytics.db and ingest-wal/ (created if missing)"),
    Setting("SPARKLYTICS_GEOIP_PATH", "./GeoLite2-City.mmdb", "MaxMind GeoLite2/GeoIP2 city database; wins over DB-IP when the file exists"),
    Setting("SPARKLYTICS_GEOIP_DBIP_DIR", "./geoip", "DB-IP City Lite files from scripts/install-geo.sh, used when there is no MaxMind file"),
    Setting("SPARKLYTICS_AUTH", "local", "`local` (admin password, first-run setup), `password` or `none`"),
    Setting("SPARKLYTICS_PASSWORD", None, "shared password, required when SPARKLYTICS_AUTH=password"),
    Setting("SPARKLYTICS_BOOTSTRAP_PASSWORD", None, "first-run setup secret in local mode (unset: `sparklytics`, then a password change is forced)"),
    Setting("SPARKLYTICS_HTTPS", None, "`true`/`false`: Secure cookies; unset = true unless SPARKLYTICS_PUBLIC_URL is loopback"),
    Setting("SPARKLYTICS_RETENTION_DAYS", "365", "events and sessions older than this are purged daily (1-36500)"),
    Setting("SPARKLYTICS_CORS_ORIGINS", "", "origins allowed to call the query API, comma/space separated"),
    Setting("SPARKLYTICS_SESSION_DAYS", "7", "login session lifetime in days (1-365)"),
    Setting("SPARKLYTICS_MODE", "selfhosted", "`selfhosted` (one DuckDB file) or `cloud` (ClickHouse + PostgreSQL, many app nodes)"),
    Setting("SPARKLYTICS_CLICKHOUSE_URL", None, "cloud: HTTP URL of every ClickHouse shard, comma separated; the first takes queries and inserts"),
    Setting("SPARKLYTICS_CLICKHOUSE_USER", "default", "cloud: ClickHouse user"),
    Setting("SPARKLYTICS_CLICKHOUSE_PASSWORD", None, "cloud: ClickHouse password"),
    Setting("SPARKLYTICS_CLICKHOUSE_CLUSTER", None, "cloud: the `remote_servers` cluster (≥ 2 shards) of the Distributed events table"),
    Setting("SPARKLYTICS_CLICKHOUSE_DATABASE", "sparklytics", "cloud: ClickHouse database of the events (created if missing)"),
    Setting("SPARKLYTICS_DATABASE_URL", None, "cloud: PostgreSQL DSN for metadata, e.g. postgresql://user:pw@host:5432/sparklytics"),
    Setting("SPARKLYTICS_LOCKOUT_SECRET", None, "cloud: a secret every node shares (≥ 32 characters, e.g. `openssl rand -hex 32`); keys the login lockout's client hashes in PostgreSQL, never stored"),
    Setting("SPARKLYTICS_NODE_ID", None, "cloud: this app node's unique id (unset: made once and kept in SPARKLYTICS_DATA_DIR/node-id)"),
    Setting("SPARKLYTICS_ARGON2_MEMORY_KB", "65536", "Argon2id memory cost in KiB (8192-4194304)"),
    Setting("SPARKLYTICS_PUBLIC_URL", "http://localhost:3000", "public base URL of this server (share links)"),
    Setting("SPARKLYTICS_TRACKING_PUBLIC_BASE", None, "base URL of s.js in tracking snippets (default: SPARKLYTICS_PUBLIC_URL)"),
    Setting("SPARKLYTICS_RATE_LIMIT_DISABLE", "false", "`true` disables the per-IP collect, link and pixel limits (benchmarks only)"),
    Setting("SPARKLYTICS_DUCKDB_MEMORY", "1GB", "DuckDB memory_limit, e.g. 512MB, 1GB"),
    Setting("SPARKLYTICS_DUCKDB_THREADS", "2", "DuckDB worker threads (1-64)"),
    Setting("SPARKLYTICS_TRUSTED_PROXIES", "", "CIDRs whose X-Forwarded-For is trusted, comma separated"),
    Setting("SPARKLYTICS_INGEST_QUEUE_MAX_EVENTS", "100000", "events accepted but not yet in DuckDB, across all websites"),
    Setting("SPARKLYTICS_INGEST_DRAIN_MAX_EVENTS", "5000", "most events the writer commits in one transaction"),
    Setting("SPARKLYTICS_INGEST_DRAIN_MAX_BATCHES", "128", "most collect requests the writer commits in one transaction"),
    Setting("SPARKLYTICS_INGEST_RETRY_BASE_MS", "200", "first back-off after a failed write"),
    Setting("SPARKLYTICS_INGEST_RETRY_MAX_MS", "5000", "longest back-off between write retries"),
    Setting("SPARKLYTICS_INGEST_RETRY_MAX_ATTEMPTS", "8", "doubling back-offs before retries stay at the longest one"),
    Setting("SPARKLYTICS_INGEST_WEBSITE_PEAK_EPS_DEFAULT", "10000", "events/s a website may send, averaged over 60 s"),
    Setting("SPARKLYTICS_INGEST_WEBSITE_QUEUE_MAX_EVENTS_DEFAULT", "100000", "queued events allowed per website"),
    Setting("SPARKLYTICS_SESSION_CACHE_MAX_ENTRIES", "50000", "open sessions, and visitors' previous visits, the writer keeps in memory (each)"),
    Setting("SPARKLYTICS_RATE_LIMIT_MAX_KEYS", "100000", "client IPs the rate limiter tracks (full = refuse new ones)"),
    Setting("SPARKLYTICS_COLLECT_CACHE_MAX_ENTRIES", "100000", "website lookups cached for collect"),
    Setting("SPARKLYTICS_COLLECT_CACHE_TTL_SECONDS", "120", "how long a cached website lookup lives"),
    Setting("SPARKLYTICS_ACQUISITION_CACHE_MAX_ENTRIES", "10000", "campaign link and pixel lookups cached for /l/ and /p/"),
    Setting("SPARKLYTICS_ACQUISITION_CACHE_TTL_SECONDS", "60", "how long a cached link or pixel lookup lives (any change forgets them at once)"),
    Setting("SPARKLYTICS_QUERY_TIMEOUT_MS", "10000", "analytics queries running longer answer 503 query_timeout"),
    Setting(
        "SPARKLYTICS_RETENTION_STATEMENT_TIMEOUT_MS",
        "5000",
        "the retention report's own budget (100–120000); longer → 503 query_timeout",
    ),
    Setting("SPARKLYTICS_KEEP_ALIVE_TIMEOUT_SECONDS", "5", "an idle keep-alive connection is closed after this long (1-3600)"),
    Setting("SPARKLYTICS_INGEST_PATH", "lean", "`lean`: ingest requests are answered in the connection's own task; `classic`: through Hypercorn's per-request tasks (the old path, for comparison)"),
    Setting("SPARKLYTICS_BODY_TIMEOUT_SECONDS", "30", "a request body must arrive within this long, else 408 and close (1-3600)"),
    Setting("SPARKLYTICS_LOG_LEVEL", "info", "`debug`, `info`, `warning` or `error`"),
    Setting("SPARKLYTICS_SCHEDULER_TICK_SECONDS", "60", "how often due report subscriptions and alerts are checked (10-3600)"),
    Setting("SPARKLYTICS_SCHEDULER_MAX_SUBSCRIPTIONS_PER_TICK", "10", "report subscriptions delivered per tick at most (1-100)"),
    Setting("SPARKLYTICS_SCHEDULER_MAX_ALERTS_PER_TICK", "25", "alerts checked per tick at most (1-200)"),
    Setting("SPARKLYTICS_SMTP_HOST", None, "mail server for e-mailed reports and alerts (unset: e-mail deliveries fail)"),
    Setting("SPARKLYTICS_SMTP_PORT", "587", "mail server port"),
    Setting("SPARKLYTICS_SMTP_FROM", "sparklytics@localhost", "sender address of notification e-mails"),
    Setting("SPARKLYTICS_SMTP_USERNAME", None, "SMTP login (used only with SPARKLYTICS_SMTP_PASSWORD)"),
    Setting("SPARKLYTICS_SMTP_PASSWORD", None, "SMTP password (used only with SPARKLYTICS_SMTP_USERNAME)"),
    Setting("SPARKLYTICS_SMTP_TLS", "starttls", "`starttls` (required, never downgraded), `tls` (from the first byte) or `none`"),
    Setting("SPARKLYTICS_SMTP_CA_FILE", None, "CA bundle (PEM) to verify the mail server with, instead of the system's"),
    Setting("SPARKLYTICS_SMTP_NOOP", "false", "`true`: e-mails are marked sent without being sent (tests)"),
    Setting("SPARKLYTICS_WEBHOOK_ALLOW_PRIVATE", "false", "UNSAFE, test rigs only: `true` lets webhooks reach private and loopback addresses"),
)

_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


@dataclass(frozen=True, slots=True)
class CloudSettings:
    """Where cloud mode keeps its data: the ClickHouse shards and PostgreSQL."""

    clickhouse_urls: tuple[str, ...]
    clickhouse_user: str
    clickhouse_password: str
    clickhouse_cluster: str
    clickhouse_database: str
    database_url: str
    node_id: str | None
    lockout_secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Config:
    """The validated settings; build it with :func:`load_config`."""

    host: str = "0.0.0.0"
    port: int = 3000
    data_dir: Path = Path("./data")
    geoip_path: Path = Path("./GeoLite2-City.mmdb")
    geoip_dbip_dir: Path = Path("./geoip")
    auth: str = "local"
    password: str | None = None
    bootstrap_password: str | None = None
    https: bool = False
    retention_days: int = 365
    cors_origins: tuple[str, ...] = ()
    session_days: int = 7
    argon2_memory_kb: int = 65536
    public_url: str = "http://localhost:3000"
    tracking_public_base: str = "http://localhost:3000"
    rate_limit_disable: bool = False
    duckdb_memory: str = "1GB"
    duckdb_threads: int = 2
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    ingest_queue_max_events: int = 100_000
    ingest_drain_max_events: int = 5_000
    ingest_drain_max_batches: int = 128
    ingest_retry_base_ms: int = 200
    ingest_retry_max_ms: int = 5_000
    ingest_retry_max_attempts: int = 8
    ingest_website_peak_eps_default: int = 10_000
    ingest_website_queue_max_events_default: int = 100_000
    session_cache_max_entries: int = 50_000
    rate_limit_max_keys: int = 100_000
    collect_cache_max_entries: int = 100_000
    collect_cache_ttl_seconds: int = 120
    acquisition_cache_max_entries: int = 10_000
    acquisition_cache_ttl_seconds: int = 60
    query_timeout_ms: int = 10_000
    keep_alive_timeout_seconds: int = 5
    ingest_path: str = "lean"
    body_timeout_seconds: int = 30
    retention_statement_timeout_ms: int = 5_000
    log_level: str = "info"
    scheduler_tick_seconds: int = 60
    scheduler_max_subscriptions_per_tick: int = 10
    scheduler_max_alerts_per_tick: int = 25
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_from: str = "sparklytics@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_tls: str = "starttls"
    smtp_ca_file: Path | None = None
    smtp_noop: bool = False
    webhook_allow_private: bool = False
    mode: str = "selfhosted"
    cloud: CloudSettings | None = None
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "sparklytics.db"

    @property
    def wal_dir(self) -> Path:
        return self.data_dir / "ingest-wal"


def load_config(environ: Mapping[str, str]) -> Config:
    """Parse every ``SPARKLYTICS_*`` variable of ``environ``; raise :class:`ConfigError`."""
    env = _Env(environ)
    warnings: list[str] = []

    auth = env.choice("SPARKLYTICS_AUTH", ("local", "password", "none"))
    password = env.text("SPARKLYTICS_PASSWORD")
    if auth == "password" and not password:
        raise ConfigError("SPARKLYTICS_PASSWORD", "required when SPARKLYTICS_AUTH=password")
    mode = env.choice("SPARKLYTICS_MODE", ("selfhosted", "cloud"))
    cloud = _cloud_settings(env) if mode == "cloud" else None

    public_url = env.url("SPARKLYTICS_PUBLIC_URL")
    tracking_base = env.url("SPARKLYTICS_TRACKING_PUBLIC_BASE") if env.present("SPARKLYTICS_TRACKING_PUBLIC_BASE") else public_url
    https = _decide_https(env, public_url, warnings)

    cors = tuple(o for o in re.split(r"[,\s]+", env.raw("SPARKLYTICS_CORS_ORIGINS")) if o)
    for origin in cors:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
            raise ConfigError("SPARKLYTICS_CORS_ORIGINS", f"{origin!r} is not an origin like https://example.com")

    return Config(
        host=env.text("SPARKLYTICS_HOST") or "0.0.0.0",
        port=env.integer("SPARKLYTICS_PORT", 1, 65535),
        data_dir=Path(env.raw("SPARKLYTICS_DATA_DIR").strip() or "./data"),
        geoip_path=Path(env.raw("SPARKLYTICS_GEOIP_PATH").strip() or "./GeoLite2-City.mmdb"),
        geoip_dbip_dir=Path(env.raw("SPARKLYTICS_GEOIP_DBIP_DIR").strip() or "./geoip"),
        auth=auth,
        password=password,
        bootstrap_password=env.text("SPARKLYTICS_BOOTSTRAP_PASSWORD"),
        https=https,
        retention_days=env.integer("SPARKLYTICS_RETENTION_DAYS", 1, 36_500),
        cors_origins=tuple(o.rstrip("/") for o in cors),
        session_days=env.integer("SPARKLYTICS_SESSION_DAYS", 1, 365),
        argon2_memory_kb=env.integer("SPARKLYTICS_ARGON2_MEMORY_KB", 8192, 4_194_304),
        public_url=public_url,
        tracking_public_base=tracking_base,
        rate_limit_disable=env.boolean("SPARKLYTICS_RATE_LIMIT_DISABLE"),
        duckdb_memory=env.memory("SPARKLYTICS_DUCKDB_MEMORY"),
        duckdb_threads=env.integer("SPARKLYTICS_DUCKDB_THREADS", 1, 64),
        trusted_proxies=env.networks("SPARKLYTICS_TRUSTED_PROXIES"),
        ingest_queue_max_events=env.integer("SPARKLYTICS_INGEST_QUEUE_MAX_EVENTS", 100, 10_000_000),
        ingest_drain_max_events=env.integer("SPARKLYTICS_INGEST_DRAIN_MAX_EVENTS", 1, 100_000),
        ingest_drain_max_batches=env.integer("SPARKLYTICS_INGEST_DRAIN_MAX_BATCHES", 1, 100_000),
        ingest_retry_base_ms=env.integer("SPARKLYTICS_INGEST_RETRY_BASE_MS", 1, 60_000),
        ingest_retry_max_ms=env.integer("SPARKLYTICS_INGEST_RETRY_MAX_MS", 1, 600_000),
        ingest_retry_max_attempts=env.integer("SPARKLYTICS_INGEST_RETRY_MAX_ATTEMPTS", 1, 64),
        ingest_website_peak_eps_default=env.integer("SPARKLYTICS_INGEST_WEBSITE_PEAK_EPS_DEFAULT", 1, 10_000_000),
        ingest_website_queue_max_events_default=env.integer("SPARKLYTICS_INGEST_WEBSITE_QUEUE_MAX_EVENTS_DEFAULT", 1, 10_000_000),
        session_cache_max_entries=env.integer("SPARKLYTICS_SESSION_CACHE_MAX_ENTRIES", 100, 10_000_000),
        rate_limit_max_keys=env.integer("SPARKLYTICS_RATE_LIMIT_MAX_KEYS", 100, 10_000_000),
        collect_cache_max_entries=env.integer("SPARKLYTICS_COLLECT_CACHE_MAX_ENTRIES", 1, 10_000_000),
        collect_cache_ttl_seconds=env.integer("SPARKLYTICS_COLLECT_CACHE_TTL_SECONDS", 1, 86_400),
        acquisition_cache_max_entries=env.integer("SPARKLYTICS_ACQUISITION_CACHE_MAX_ENTRIES", 1, 10_000_000),
        acquisition_cache_ttl_seconds=env.integer("SPARKLYTICS_ACQUISITION_CACHE_TTL_SECONDS", 1, 86_400),
        query_timeout_ms=env.integer("SPARKLYTICS_QUERY_TIMEOUT_MS", 100, 600_000),
        keep_alive_timeout_seconds=env.integer("SPARKLYTICS_KEEP_ALIVE_TIMEOUT_SECONDS", 1, 3600),
        ingest_path=env.choice("SPARKLYTICS_INGEST_PATH", ("lean", "classic")),
        body_timeout_seconds=env.integer("SPARKLYTICS_BODY_TIMEOUT_SECONDS", 1, 3600),
        retention_statement_timeout_ms=env.integer("SPARKLYTICS_RETENTION_STATEMENT_TIMEOUT_MS", 100, 120_000),
        log_level=env.choice("SPARKLYTICS_LOG_LEVEL", ("debug", "info", "warning", "error")),
        scheduler_tick_seconds=env.integer("SPARKLYTICS_SCHEDULER_TICK_SECONDS", 10, 3600),
        scheduler_max_subscriptions_per_tick=env.integer("SPARKLYTICS_SCHEDULER_MAX_SUBSCRIPTIONS_PER_TICK", 1, 100),
        scheduler_max_alerts_per_tick=env.integer("SPARKLYTICS_SCHEDULER_MAX_ALERTS_PER_TICK", 1, 200),
        smtp_host=env.text("SPARKLYTICS_SMTP_HOST"),
        smtp_port=env.integer("SPARKLYTICS_SMTP_PORT", 1, 65535),
        smtp_from=env.text("SPARKLYTICS_SMTP_FROM") or "sparklytics@localhost",
        smtp_username=env.text("SPARKLYTICS_SMTP_USERNAME"),
        smtp_password=env.text("SPARKLYTICS_SMTP_PASSWORD"),
        smtp_tls=env.choice("SPARKLYTICS_SMTP_TLS", ("starttls", "tls", "none")),
        smtp_ca_file=Path(ca) if (ca := env.text("SPARKLYTICS_SMTP_CA_FILE")) else None,
        smtp_noop=env.boolean("SPARKLYTICS_SMTP_NOOP"),
        webhook_allow_private=_webhook_allow_private(env, warnings),
        mode=mode,
        cloud=cloud,
        warnings=tuple(warnings),
    )


# SPARKLYTICS_LOCKOUT_SECRET: 32 hex digits carry 128 bits, beyond guessing from a dump.
MIN_LOCKOUT_SECRET = 32
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _cloud_settings(env: _Env) -> CloudSettings:
    """Cloud mode's stores; both URLs are required, so a node never starts half-configured."""
    required = ("SPARKLYTICS_CLICKHOUSE_URL", "SPARKLYTICS_CLICKHOUSE_CLUSTER", "SPARKLYTICS_DATABASE_URL",
                "SPARKLYTICS_LOCKOUT_SECRET")
    missing = [name for name in required if not env.present(name)]
    if missing:
        raise ConfigError(missing[0], f"required when SPARKLYTICS_MODE=cloud (missing: {', '.join(missing)})")
    urls = []
    for item in (part.strip().rstrip("/") for part in env.raw("SPARKLYTICS_CLICKHOUSE_URL").split(",")):
        parts = urlsplit(item)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
            raise ConfigError("SPARKLYTICS_CLICKHOUSE_URL", f"{item!r} is not a ClickHouse HTTP URL like http://ch1:8123")
        urls.append(item)
    for name in ("SPARKLYTICS_CLICKHOUSE_CLUSTER", "SPARKLYTICS_CLICKHOUSE_DATABASE"):
        if not _IDENTIFIER.fullmatch(env.raw(name).strip()):
            raise ConfigError(name, f"got {env.raw(name).strip()!r}; allowed: letters, digits and _")
    database_url = env.raw("SPARKLYTICS_DATABASE_URL").strip()
    if urlsplit(database_url).scheme not in ("postgres", "postgresql"):
        raise ConfigError("SPARKLYTICS_DATABASE_URL", "allowed: a postgresql:// URL")
    node_id = env.text("SPARKLYTICS_NODE_ID")
    if node_id is not None and not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", node_id):
        raise ConfigError("SPARKLYTICS_NODE_ID", f"got {node_id!r}; allowed: 1-64 letters, digits, '.', '_', '-'")
    lockout_secret = env.raw("SPARKLYTICS_LOCKOUT_SECRET").strip()
    if len(lockout_secret) < MIN_LOCKOUT_SECRET:
        raise ConfigError("SPARKLYTICS_LOCKOUT_SECRET",
                          f"at least {MIN_LOCKOUT_SECRET} characters (e.g. `openssl rand -hex 32`), got {len(lockout_secret)}")
    return CloudSettings(
        clickhouse_urls=tuple(urls),
        clickhouse_user=env.raw("SPARKLYTICS_CLICKHOUSE_USER").strip(),
        clickhouse_password=env.raw("SPARKLYTICS_CLICKHOUSE_PASSWORD"),
        clickhouse_cluster=env.raw("SPARKLYTICS_CLICKHOUSE_CLUSTER").strip(),
        clickhouse_database=env.raw("SPARKLYTICS_CLICKHOUSE_DATABASE").strip(),
        database_url=database_url,
        node_id=node_id,
        lockout_secret=lockout_secret,
    )


def _webhook_allow_private(env: _Env, warnings: list[str]) -> bool:
    """The test rigs' allowance to post webhooks to private addresses, loudly."""
    allow = env.boolean("SPARKLYTICS_WEBHOOK_ALLOW_PRIVATE")
    if allow:
        warnings.append(
            "SPARKLYTICS_WEBHOOK_ALLOW_PRIVATE=true: webhooks may reach private and loopback "
            "addresses (unsafe outside test rigs)"
        )
    return allow


def _decide_https(env: _Env, public_url: str, warnings: list[str]) -> bool:
    """Decision 8: a default start on a loopback URL works, with non-Secure cookies."""
    host = (urlsplit(public_url).hostname or "").lower()
    loopback = host in _LOOPBACK_HOSTS or host.startswith("127.")
    if not env.present("SPARKLYTICS_HTTPS"):
        if loopback:
            warnings.append(
                "SPARKLYTICS_HTTPS is unset and SPARKLYTICS_PUBLIC_URL is loopback: "
                "session cookies are sent without the Secure flag"
            )
            return False
        return True
    https = env.boolean("SPARKLYTICS_HTTPS")
    if https and loopback and public_url.startswith("http://"):
        raise ConfigError(
            "SPARKLYTICS_HTTPS",
            "is true but SPARKLYTICS_PUBLIC_URL is a plain-http loopback URL; "
            "set SPARKLYTICS_HTTPS=false for local use or give an https public URL",
        )
    return https


class _Env:
    """Typed readers over the raw environment; each raises ConfigError on a bad value."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self._defaults = {s.name: s.default for s in SETTINGS}

    def present(self, name: str) -> bool:
        return bool(self._environ.get(name, "").strip())

    def raw(self, name: str) -> str:
        value = self._environ.get(name)
        if value is None or not value.strip():
            return self._defaults[name] or ""
        return value

    def text(self, name: str) -> str | None:
        return self.raw(name).strip() or None

    def integer(self, name: str, low: int, high: int) -> int:
        return self._parsed(name, lambda v: int(v, 10), f"an integer from {low} to {high}", low, high)

    def boolean(self, name: str) -> bool:
        value = self.raw(name).strip().lower()
        if value in ("true", "1", "yes"):
            return True
        if value in ("false", "0", "no"):
            return False
        raise ConfigError(name, f"got {value!r}; allowed: true or false")

    def choice(self, name: str, allowed: tuple[str, ...]) -> str:
        value = self.raw(name).strip().lower()
        if value not in allowed:
            raise ConfigError(name, f"got {value!r}; allowed: {', '.join(allowed)}")
        return value

    def url(self, name: str) -> str:
        value = self.raw(name).strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(name, f"got {value!r}; allowed: an absolute http(s) URL")
        return value

    def memory(self, name: str) -> str:
        value = self.raw(name).strip()
        if not re.fullmatch(r"(?i)\d+(\.\d+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)", value):
            raise ConfigError(name, f"got {value!r}; allowed: a size such as 512MB or 1GB")
        return value

    def networks(self, name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        networks = []
        for item in (part.strip() for part in self.raw(name).split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ConfigError(name, f"{item!r} is not a CIDR such as 10.0.0.0/8 or ::1/128") from None
        return tuple(networks)

    def _parsed(self, name: str, parse: Callable[[str], Any], allowed: str, low: int, high: int) -> Any:
        value = self.raw(name).strip()
        try:
            number = parse(value)
        except ValueError:
            raise ConfigError(name, f"got {value!r}; allowed: {allowed}") from None
        if not low <= number <= high:
            raise ConfigError(name, f"got {value!r}; allowed: {allowed}")
        return number
