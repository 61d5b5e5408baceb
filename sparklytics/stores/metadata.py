"""``MetadataStore``: websites, settings, auth, funnels, goals, bot controls, saved
reports, notifications, campaign links and tracking pixels — everything but events.

The API, the auth layer and the actors ask this store and never see a cursor. Reads may
run concurrently; writes are serialised by the backend (DuckDB: on the Writer, the one
connection that writes the file; PostgreSQL in cloud mode: in its own transactions),
and each check that guards a write (a limit, a unique name) runs in the same
transaction as the write, so two requests cannot both pass it.

Rows the API shows as they are stored (websites, API keys, funnels) are dicts with the
contract's keys and timestamps as API text (§0.3); goals are
:class:`sparklytics.goals.Goal`, saved reports :class:`sparklytics.saved_reports.SavedReport`,
links and pixels :class:`sparklytics.campaigns.CampaignLink` and
:class:`~sparklytics.campaigns.TrackingPixel`. Value types the callers use are declared here, so no
caller imports a backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sparklytics.bot_controls import NewEntry, PageCursor
from sparklytics.campaigns import CampaignLink, TrackingPixel
from sparklytics.enrich.bots import BotRule
from sparklytics.funnels import NewStep
from sparklytics.goals import Goal
from sparklytics.notifications.rules import Alert, Delivery, Subscription
from sparklytics.saved_reports import SavedReport

SALT_GRACE = timedelta(minutes=30)

# (website id, time zone, bot policy mode): what an analytics route needs of a website.
ReportContext = tuple[str, str, str]
# Pending ``last_used_at`` times of API keys, taken when the write runs.
PendingKeyUsage = Callable[[], Mapping[str, datetime]]


@dataclass(frozen=True, slots=True)
class Salts:
    """The secret keys of visitor ids (Decision 6).

    ``previous`` is yesterday's salt, kept only until ``previous_until`` (30 minutes
    after midnight UTC) so sessions can continue across midnight; then it is deleted.
    """

    current: str
    day: date
    previous: str | None
    previous_until: datetime | None

    def previous_at(self, now: datetime) -> str | None:
        if self.previous and self.previous_until and now < self.previous_until:
            return self.previous
        return None


@dataclass(frozen=True, slots=True)
class WebsiteIngestInfo:
    """What collect needs to know about a website."""

    website_id: str
    timezone: str
    peak_events_per_sec: int | None
    queue_max_events: int | None
    bot_mode: str
    bot_threshold: int
    # The website's allowlist and blocklist, applied at ingest (``enrich.bots``).
    allow: tuple[BotRule, ...] = ()
    block: tuple[BotRule, ...] = ()


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """The auth settings, the non-revoked keys (hash → id) and the sessions logged out
    but not yet expired (jti → expiry)."""

    admin_password_hash: str | None
    password_change_required: bool
    jwt_secret: str
    active_keys: dict[str, str]
    revoked_sessions: dict[str, datetime]


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """Where an unfinished import stands (see :class:`ImportedExport`)."""

    events: int
    rows_done: int
    rows_sending: int
    visitor_salt: str


@dataclass(frozen=True, slots=True)
class ImportedExport:
    """What is known of an event export (by SHA-256) imported into a website.

    An import records its progress before each batch it sends (``finished`` false):
    the events of its first ``rows_done`` rows (refused rows included) are stored, and
    those of rows ``rows_done``…``rows_sending`` were being sent when it stopped — stored
    or not, which only the events can tell (``sparklytics/importer.py`` checks).
    ``visitor_salt`` keys the export's visitor keys into our visitor ids: kept while the
    import is unfinished, so a resumed run gives a visitor the ids the first run gave,
    and erased when it finishes (then the stored ids cannot be traced back to the
    exporting tool's, as before).
    """

    imported_at: datetime
    finished: bool
    events: int
    rows_done: int
    rows_sending: int
    visitor_salt: str | None


class MetadataStore(Protocol):
    async def ping(self) -> None:
        """Answer when the store can be read (``/health``); raise when it cannot."""

    # --- settings -----------------------------------------------------------------------

    async def seed_settings(self, *, install_id: str, version: str) -> None:
        """Insert the settings every install has, keeping any already there."""

    async def rotate_salts(self, now: datetime) -> Salts:
        """Bring the visitor-id salts up to date for ``now`` (naive UTC) and return them."""

    # --- websites -----------------------------------------------------------------------

    async def get_website(self, website_id: str) -> dict[str, Any] | None: ...

    async def list_websites(self, *, after: str | None, limit: int) -> tuple[list[dict[str, Any]], int]:
        """One page ordered by id, starting after ``after``; plus the total count."""

    async def insert_website(
        self, *, website_id: str, name: str, domain: str, timezone: str, aliases: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Insert a website with its ``aliases`` (``extra_domains``, ``umami_website_id``,
        normalized by :mod:`sparklytics.website_aliases`). The row carries both keys.

        Raises:
            AliasTaken: another website answers to one of its names (nothing written).
        """

    async def update_website(self, website_id: str, changes: Mapping[str, Any]) -> dict[str, Any] | None:
        """Apply ``changes`` (name, domain, timezone, ingest limits, ``extra_domains``,
        ``umami_website_id``); None if absent.

        Raises:
            AliasTaken: a new name is another website's (nothing written).
        """

    async def website_for_domain(self, domain: str) -> str | None:
        """The id of the live website whose domain, else one of whose extra domains, is
        ``domain`` (``/api/event``); the oldest of websites sharing a domain."""

    async def website_for_umami_id(self, umami_id: str) -> str | None:
        """The id of the live website carrying the Umami website UUID ``umami_id`` (``/api/send``)."""

    async def retire_website(self, website_id: str) -> bool:
        """Mark a live website deleted: from now on it is gone for every route and for
        ingest, while its rows stay until :meth:`delete_website`. False if there is none."""

    async def delete_website(self, website_id: str) -> bool:
        """Delete the website, live or retired, with everything it owns (events,
        sessions, goals, …); False if there is none."""

    async def report_context(self, website_id: str) -> ReportContext | None: ...

    async def shared_website(self, share_id: str) -> tuple[ReportContext, str] | None:
        """The report context and name of the website shared under ``share_id``."""

    async def enable_sharing(self, website_id: str, new_share_id: str) -> str | None:
        """The website's share id, ``new_share_id`` if sharing was off; None if absent."""

    async def disable_sharing(self, website_id: str) -> bool | None:
        """True if sharing was on, False if it was off, None if there is no website."""

    async def website_ingest_info(self, website_id: str) -> WebsiteIngestInfo | None: ...

    # --- auth ---------------------------------------------------------------------------

    async def load_auth_settings(self, *, new_jwt_secret: str, now: datetime) -> AuthSettings:
        """Read the auth settings, first storing ``new_jwt_secret`` if none is stored."""

    async def complete_setup(self, *, password_hash: str, change_required: bool) -> bool:
        """Store the first admin password; False (nothing written) if one exists."""

    async def change_password(self, *, password_hash: str, jwt_secret: str) -> None: ...

    async def revoke_session(self, jti: str, expires_at: datetime) -> None: ...

    async def prune_revoked_sessions(self, before: datetime) -> int:
        """Forget revocations of sessions that expired before ``before``; how many."""

    async def insert_api_key(
        self, *, key_id: str, name: str, key_hash: str, key_prefix: str, created_at: datetime
    ) -> None: ...

    async def list_api_keys(self, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]: ...

    async def revoke_api_key(self, key_id: str, now: datetime) -> str | None:
        """Revoke a usable key; its hash, or None if there is no such key."""

    async def record_key_usage(self, pending: PendingKeyUsage) -> None:
        """Write the pending ``last_used_at`` times (never moving one backwards)."""

    def record_key_usage_soon(self, pending: PendingKeyUsage) -> None:
        """:meth:`record_key_usage` without waiting; raises ``StorageFault`` when the
        write cannot even be queued (the caller keeps the times for the next try)."""

    # --- funnels ------------------------------------------------------------------------

    async def list_funnels(self, website_id: str) -> list[dict[str, Any]]: ...

    async def get_funnel(self, website_id: str, funnel_id: str) -> dict[str, Any] | None: ...

    async def create_funnel(self, website_id: str, name: str, steps: Sequence[NewStep]) -> dict[str, Any] | None:
        """Raises ``FunnelLimitReached`` or ``DuplicateFunnelName``; None without website."""

    async def update_funnel(
        self, website_id: str, funnel_id: str, *, name: str | None, steps: Sequence[NewStep] | None
    ) -> dict[str, Any] | None: ...

    async def delete_funnel(self, website_id: str, funnel_id: str) -> bool: ...

    # --- bot controls (each change writes its audit row in the same transaction) ---------

    async def get_bot_policy(self, website_id: str) -> dict[str, Any] | None:
        """The stored policy or the default (balanced / 70); None without website."""

    async def set_bot_policy(self, website_id: str, mode: str, threshold_score: int) -> dict[str, Any] | None: ...

    async def list_bot_entries(
        self, website_id: str, kind: str, *, after: PageCursor | None, limit: int
    ) -> tuple[list[dict[str, Any]], PageCursor | None]:
        """One page of the ``allowlist`` or ``blocklist``, newest first, and the next cursor."""

    async def add_bot_entry(self, website_id: str, kind: str, entry: NewEntry) -> dict[str, Any] | None:
        """Raises ``DuplicateEntry``; None without website."""

    async def remove_bot_entry(self, website_id: str, kind: str, entry_id: str) -> bool: ...

    async def list_bot_audit(
        self, website_id: str, *, after: PageCursor | None, limit: int
    ) -> tuple[list[dict[str, Any]], PageCursor | None]:
        """The audit trail, newest first, payloads parsed."""

    async def start_recompute(self, website_id: str, start: datetime, end: datetime, events_total: int) -> str | None:
        """Queue a bot recompute of ``[start, end)`` (naive UTC) and audit it; its job id.
        Raises ``RecomputeRunning``; None without website."""

    async def note_recompute_progress(self, job_id: str, events_done: int) -> None: ...

    async def get_recompute(self, website_id: str, job_id: str) -> dict[str, Any] | None: ...

    async def set_recompute_status(self, job_id: str, status: str, error: str | None = None) -> None: ...

    async def fail_unfinished_recomputes(self, error: str) -> int:
        """At start: jobs a stop left queued or running are failed with ``error``."""

    # --- goals --------------------------------------------------------------------------

    async def list_goals(self, website_id: str) -> list[Goal]:
        """Newest first."""

    async def get_goal(self, website_id: str, goal_id: str) -> Goal | None: ...

    async def create_goal(self, website_id: str, fields: Mapping[str, Any]) -> Goal | None:
        """Raises ``InvalidGoal``, ``GoalLimitReached`` or ``DuplicateGoalName``; None
        without website."""

    async def update_goal(self, website_id: str, goal_id: str, changes: Mapping[str, Any]) -> Goal | None:
        """``changes`` applied to the stored goal and checked as a whole (``InvalidGoal``,
        ``DuplicateGoalName``); None if there is no such goal."""

    async def delete_goal(self, website_id: str, goal_id: str) -> bool: ...

    # --- saved reports ------------------------------------------------------------------

    async def list_reports(self, website_id: str) -> list[SavedReport]:
        """Ordered by lower(name)."""

    async def get_report(self, website_id: str, report_id: str) -> SavedReport | None: ...

    async def create_report(
        self, website_id: str, name: str, description: str | None, config: Mapping[str, Any]
    ) -> SavedReport | None:
        """Store a checked report. Raises ``ReportLimitReached`` or ``DuplicateReportName``;
        None without website."""

    async def update_report(self, website_id: str, report_id: str, changes: Mapping[str, Any]) -> SavedReport | None:
        """Apply checked ``changes`` (name, description, config). Raises
        ``DuplicateReportName``; None if there is no such report."""

    async def mark_report_run(self, website_id: str, report_id: str, at: datetime) -> None:
        """Set ``last_run_at`` (naive UTC)."""

    async def delete_report(self, website_id: str, report_id: str) -> bool:
        """Delete the report with its subscriptions and their deliveries."""

    # --- notifications (subscriptions, alerts, deliveries) ------------------------------

    async def list_subscriptions(self, website_id: str) -> list[Subscription]:
        """Newest first."""

    async def get_subscription(self, website_id: str, subscription_id: str) -> Subscription | None: ...

    async def create_subscription(
        self, website_id: str, body: Mapping[str, Any], now: datetime
    ) -> tuple[Subscription, str | None] | None:
        """Check and store; ``next_run_at`` one schedule step after ``now``. With the
        website's webhook secret when this create made it (shown once). Raises
        ``InvalidNotification``, ``MissingReport`` or ``NotificationLimitReached``; None
        without website."""

    async def update_subscription(
        self, website_id: str, subscription_id: str, changes: Mapping[str, Any], now: datetime
    ) -> tuple[Subscription, str | None] | None:
        """Merge, check, recompute ``next_run_at`` from ``now``; None if absent."""

    async def delete_subscription(self, website_id: str, subscription_id: str) -> bool: ...

    async def due_subscriptions(self, now: datetime, limit: int) -> list[Subscription]:
        """Active subscriptions of every website due at ``now``, longest overdue first."""

    async def list_alerts(self, website_id: str) -> list[Alert]:
        """Newest first."""

    async def get_alert(self, website_id: str, alert_id: str) -> Alert | None: ...

    async def create_alert(self, website_id: str, body: Mapping[str, Any], now: datetime) -> tuple[Alert, str | None] | None:
        """As :meth:`create_subscription`, for an alert rule."""

    async def update_alert(
        self, website_id: str, alert_id: str, changes: Mapping[str, Any]
    ) -> tuple[Alert, str | None] | None: ...

    async def delete_alert(self, website_id: str, alert_id: str) -> bool: ...

    async def active_alerts(self, limit: int, after: tuple[str, str] | None) -> list[Alert]:
        """Active alerts of every website, oldest first, after (created_at, id)."""

    async def claim_delivery(
        self, source_type: str, source_id: str, key: str, now: datetime, advance: tuple[datetime, datetime] | None = None
    ) -> str | None:
        """Claim idempotency ``key`` before sending (and move a subscription on to
        ``advance`` = (last_run_at, next_run_at)); the delivery id, None if claimed before."""

    async def finish_delivery(self, delivery_id: str, status: str, error: str | None, at: datetime) -> Delivery: ...

    async def delivery_claimed(self, key: str) -> bool:
        """Whether idempotency ``key`` was claimed (an alert that already fired today)."""

    async def delivery_history(self, website_id: str, limit: int) -> list[Delivery]:
        """The website's deliveries, newest first."""

    async def webhook_secret(self, website_id: str) -> str | None: ...

    # --- campaign links and tracking pixels (API.md §1.15) -------------------------------

    async def list_links(self, website_id: str) -> list[CampaignLink]:
        """Newest first."""

    async def get_link(self, website_id: str, link_id: str) -> CampaignLink | None: ...

    async def link_by_slug(self, slug: str) -> CampaignLink | None:
        """The link of ``slug``, active or not, of a website that exists (``/l/``)."""

    async def create_link(self, website_id: str, fields: Mapping[str, Any]) -> CampaignLink | None:
        """Raises ``InvalidCampaign`` (checked against the website's domain); None
        without website."""

    async def update_link(self, website_id: str, link_id: str, changes: Mapping[str, Any]) -> CampaignLink | None:
        """``changes`` applied to the stored link and checked as a whole
        (``InvalidCampaign``); None if there is no such link."""

    async def delete_link(self, website_id: str, link_id: str) -> bool: ...

    async def list_pixels(self, website_id: str) -> list[TrackingPixel]:
        """Newest first."""

    async def get_pixel(self, website_id: str, pixel_id: str) -> TrackingPixel | None: ...

    async def pixel_by_key(self, pixel_key: str) -> TrackingPixel | None:
        """The pixel of ``pixel_key``, active or not, of a website that exists (``/p/``)."""

    async def create_pixel(self, website_id: str, fields: Mapping[str, Any]) -> TrackingPixel | None:
        """Raises ``InvalidCampaign``; None without website."""

    async def update_pixel(self, website_id: str, pixel_id: str, changes: Mapping[str, Any]) -> TrackingPixel | None: ...

    async def delete_pixel(self, website_id: str, pixel_id: str) -> bool: ...

    # --- imported aggregates (another tool's export) -------------------------------------

    async def replace_imported_stats(
        self, website_id: str, first_day: date, last_day: date, totals: Sequence[tuple], breakdowns: Sequence[tuple]
    ) -> None:
        """Replace the website's imported daily aggregates of ``first_day``…``last_day``
        with these rows, in one transaction (so re-importing an export never doubles it).
        Row layouts: ``sparklytics.stores.metadata_sql.imported.replace_imported_stats``."""

    async def imported_export(self, website_id: str, digest: str) -> ImportedExport | None:
        """The import of the event export with this SHA-256 into the website, finished or
        stopped part way, or None."""

    async def record_import_progress(
        self, website_id: str, digest: str, format: str, progress: ImportProgress
    ) -> None:
        """Before sending a batch: the rows stored so far, the end of the batch, the salt."""

    async def record_imported_export(self, website_id: str, digest: str, format: str, events: int, rows: int) -> None:
        """Remember that an event export (its SHA-256) was imported into the website, whole."""
