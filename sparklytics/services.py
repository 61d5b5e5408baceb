"""The running parts of one server process, started and stopped in one nursery.

:func:`open_services` opens the stores — the DuckDB file, or in cloud mode ClickHouse
and PostgreSQL (``stores/cloud.py``) —, brings the salts up to date and starts the
actors under one :class:`~actors.runtime.Supervisor` — Writer first (it applies the
migrations), then Buffer (it replays the WAL), Enricher, RateLimiter and Scheduler —
each ready before the next starts. On exit it closes the mailboxes in pipeline order,
so the Buffer hands every pending event to the Writer before the Writer stops: a clean
shutdown leaves nothing to replay.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import trio

from actors.buffer import Buffer, BufferLimits
from actors.enricher import Enricher
from actors.ratelimiter import RateLimiter
from actors.runtime import Actor, Supervisor
from actors.scheduler import Scheduler
from actors.writer import Writer
from sparklytics.auth.attempts import AttemptLog, LoginAttempts
from sparklytics.clock import utc_now
from sparklytics.config import Config
from sparklytics.enrich import GeoLookup, TrustedProxies
from sparklytics.enrich.geo import GeoDatabase
from sparklytics.notifications.notifier import Notifier, NotifierSettings
from sparklytics.notifications.smtp import SmtpSettings
from sparklytics.report_slots import ReportSlots
from sparklytics.startup import check_data_folder
from sparklytics.stores.analytics import AnalyticsStore
from sparklytics.stores.duckdb import Database, DuckDBBackend, open_backend
from sparklytics.stores.metadata import MetadataStore

if TYPE_CHECKING:
    from sparklytics.stores.clickhouse.closed_sessions import SessionBuilder
    from sparklytics.stores.cloud import CloudBackend

log = logging.getLogger("sparklytics")

# ``SPARKLYTICS_RATE_LIMIT_DISABLE=true`` lifts these limits (API.md §4): the per-IP
# limits of collect, campaign links and pixels, and every funnels limit (by
# ``Limit.family``).
RATE_LIMITS_OFF_FOR_BENCHMARKS = frozenset({"collect", "link", "pixel", "funnels"})


@dataclass
class Services:
    config: Config
    db: Database | None  # None in cloud mode
    analytics: AnalyticsStore
    metadata: MetadataStore
    supervisor: Supervisor
    writer: Writer
    buffer: Buffer
    enricher: Enricher
    ratelimiter: RateLimiter
    scheduler: Scheduler
    trusted_proxies: TrustedProxies
    # Runs the notifications: the Scheduler's tick and the API's "send test".
    notifier: Notifier
    # The login lockout's attempts: this process's memory, or PostgreSQL shared by every
    # cloud node (sparklytics.auth.attempts).
    login_attempts: AttemptLog
    # Which geo database the Enricher looks IPs up in, for /health (None: no geo).
    geo_database: GeoDatabase | None = None
    # Expensive reports (property sampling, session timelines) share two slots; CSV
    # exports run one at a time. Waiting for a slot is bounded (429 after 5 s).
    heavy_reports: ReportSlots = field(default_factory=lambda: ReportSlots(2, wait=5.0))
    exports: ReportSlots = field(default_factory=lambda: ReportSlots(1, wait=5.0))
    # The exploration reports of API.md §1.9–§1.11 each have their own pool: funnel
    # results one slot (429 after 1 s), journey and retention two each (429 after 5 s).
    funnel_results: ReportSlots = field(default_factory=lambda: ReportSlots(1, wait=1.0))
    journeys: ReportSlots = field(default_factory=lambda: ReportSlots(2, wait=5.0))
    retention: ReportSlots = field(default_factory=lambda: ReportSlots(2, wait=5.0))
    # Set on SIGINT/SIGTERM: Hypercorn stops accepting and every response says
    # ``Connection: close`` (sparklytics.api.response_end).
    stopping: trio.Event = field(default_factory=trio.Event)

    def store_pings(self) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
        """Each store /health checks, by engine: one DuckDB file, or PostgreSQL and ClickHouse."""
        if self.config.mode == "cloud":
            return [("postgresql", self.metadata.ping), ("clickhouse", self.analytics.ping)]
        return [("duckdb", self.metadata.ping)]


@asynccontextmanager
async def open_services(config: Config, *, accept_wal_without_database: bool = False) -> AsyncIterator[Services]:
    """Start everything; a failure that retrying cannot fix raises ``StartupError``."""
    check_data_folder(config, accept_wal_without_database=accept_wal_without_database)
    backend = await _open_backend(config)
    try:
        geo = GeoLookup(config.geoip_path, config.geoip_dbip_dir)
    except BaseException:
        with trio.CancelScope(shield=True):
            await backend.aclose()
        raise
    try:
        async with trio.open_nursery() as nursery:
            supervisor = Supervisor()
            writer = Writer(backend.events)
            await supervisor.start(nursery, writer)
            metadata = backend.metadata(writer.inbox)
            await metadata.seed_settings(install_id=secrets.token_hex(8), version="1")
            salts = await metadata.rotate_salts(utc_now())
            buffer = Buffer(
                config.wal_dir,
                writer.inbox,
                BufferLimits(
                    queue_max_events=config.ingest_queue_max_events,
                    drain_max_events=config.ingest_drain_max_events,
                    drain_max_batches=config.ingest_drain_max_batches,
                    retry_base_ms=config.ingest_retry_base_ms,
                    retry_max_ms=config.ingest_retry_max_ms,
                    retry_max_attempts=config.ingest_retry_max_attempts,
                ),
            )
            await supervisor.start(nursery, buffer)
            enricher = Enricher(
                metadata,
                buffer.inbox,
                salts,
                geo=geo,
                website_queue_default=config.ingest_website_queue_max_events_default,
                website_peak_eps_default=config.ingest_website_peak_eps_default,
                cache_max_entries=config.collect_cache_max_entries,
                cache_ttl_seconds=config.collect_cache_ttl_seconds,
                campaign_cache_max_entries=config.acquisition_cache_max_entries,
                campaign_cache_ttl_seconds=config.acquisition_cache_ttl_seconds,
            )
            await supervisor.start(nursery, enricher)
            ratelimiter = RateLimiter(
                max_keys=config.rate_limit_max_keys,
                disabled_limits=RATE_LIMITS_OFF_FOR_BENCHMARKS if config.rate_limit_disable else frozenset(),
            )
            await supervisor.start(nursery, ratelimiter)
            login_attempts = _login_attempts(backend)
            notifier = Notifier(metadata=metadata, analytics=backend.analytics, settings=notifier_settings(config))
            scheduler = Scheduler(
                metadata=metadata,
                writer=writer.inbox,
                buffer=buffer.inbox,
                enricher=enricher.inbox,
                retention_days=config.retention_days,
                notifier=notifier,
                notify_every=config.scheduler_tick_seconds,
                login_attempts=login_attempts,
                session_builder=_session_builder(backend),
            )
            await supervisor.start(nursery, scheduler)
            services = Services(
                config, backend.db, backend.analytics, metadata, supervisor, writer, buffer, enricher, ratelimiter, scheduler,
                TrustedProxies(config.trusted_proxies), notifier, login_attempts, geo.database,
            )
            try:
                yield services
            finally:
                with trio.CancelScope(shield=True):
                    await _stop_in_order([scheduler, ratelimiter, enricher, buffer, writer])
    finally:
        geo.close()
        with trio.CancelScope(shield=True):
            await backend.aclose()


async def _open_backend(config: Config) -> DuckDBBackend | CloudBackend:
    if config.mode == "cloud":
        # Imported here: psycopg (libpq) and httpx cost a self-hosted server ~13 MB of
        # idle memory it never uses.
        from sparklytics.stores.cloud import open_cloud_backend

        return await open_cloud_backend(config)
    return open_backend(config)


def _login_attempts(backend: DuckDBBackend | CloudBackend) -> AttemptLog:
    if isinstance(backend, DuckDBBackend):
        return LoginAttempts()
    return backend.login_attempts


def _session_builder(backend: DuckDBBackend | CloudBackend) -> SessionBuilder | None:
    """Who builds the closed days' sessions: nobody on DuckDB, which stores sessions
    as it writes events."""
    if isinstance(backend, DuckDBBackend):
        return None
    return backend.session_builder


def notifier_settings(config: Config) -> NotifierSettings:
    smtp = SmtpSettings(
        host=config.smtp_host,
        port=config.smtp_port,
        from_address=config.smtp_from,
        username=config.smtp_username,
        password=config.smtp_password,
        tls=config.smtp_tls,
        ca_file=config.smtp_ca_file,
        noop=config.smtp_noop,
    )
    return NotifierSettings(
        smtp=smtp,
        allow_private_webhooks=config.webhook_allow_private,
        max_subscriptions=config.scheduler_max_subscriptions_per_tick,
        max_alerts=config.scheduler_max_alerts_per_tick,
    )


async def _stop_in_order(actors: list[Actor]) -> None:
    for actor in actors:
        actor.inbox.close()
        await actor.finished.wait()
