"""The MetadataStore methods whose SQL both backends share, written once.

Each runs one function of :mod:`sparklytics.stores.metadata_sql` through the backend's
:meth:`SharedMetadataMethods._read_shared` or :meth:`SharedMetadataMethods._write_shared`
(DuckDB: a reader cursor, or the Writer; PostgreSQL: one pooled transaction either way).
A backend's store inherits them and adds its websites SQL and its own plumbing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sparklytics.bot_controls import NewEntry, PageCursor
from sparklytics.campaigns import CampaignLink, TrackingPixel
from sparklytics.funnels import NewStep
from sparklytics.goals import Goal
from sparklytics.notifications.rules import Alert, Delivery, Subscription
from sparklytics.saved_reports import SavedReport
from sparklytics.stores.metadata import AuthSettings, ImportedExport, ImportProgress, Salts, WebsiteIngestInfo
from sparklytics.stores.metadata_sql import (
    auth,
    bots,
    campaigns,
    funnels,
    goals,
    imported,
    notifications,
    saved_reports,
    settings,
)
from sparklytics.stores.metadata_sql.db import MetadataDb

T = TypeVar("T")


class SharedMetadataMethods(ABC):
    # The app node that runs the bot recomputes this store queues (``bots.py``).
    _node_id: str

    @abstractmethod
    async def _read_shared(self, fn: Callable[[MetadataDb], T]) -> T:
        """Run ``fn`` where reads run."""

    @abstractmethod
    async def _write_shared(self, fn: Callable[[MetadataDb], T]) -> T:
        """Run ``fn`` where writes run."""

    # --- settings -----------------------------------------------------------------------

    async def seed_settings(self, *, install_id: str, version: str) -> None:
        await self._write_shared(lambda db: settings.seed_settings(db, install_id=install_id, version=version))

    async def rotate_salts(self, now: datetime) -> Salts:
        return await self._write_shared(lambda db: settings.rotate_salts(db, now))

    async def website_ingest_info(self, website_id: str) -> WebsiteIngestInfo | None:
        return await self._read_shared(lambda db: settings.website_ingest_info(db, website_id))


    # --- auth ---------------------------------------------------------------------------

    async def load_auth_settings(self, *, new_jwt_secret: str, now: datetime) -> AuthSettings:
        return await self._write_shared(lambda db: auth.load_auth_settings(db, new_jwt_secret=new_jwt_secret, now=now))

    async def complete_setup(self, *, password_hash: str, change_required: bool) -> bool:
        return await self._write_shared(
            lambda db: auth.complete_setup(db, password_hash=password_hash, change_required=change_required)
        )

    async def change_password(self, *, password_hash: str, jwt_secret: str) -> None:
        await self._write_shared(lambda db: auth.change_password(db, password_hash=password_hash, jwt_secret=jwt_secret))

    async def revoke_session(self, jti: str, expires_at: datetime) -> None:
        await self._write_shared(lambda db: auth.revoke_session(db, jti, expires_at))

    async def prune_revoked_sessions(self, before: datetime) -> int:
        return await self._write_shared(lambda db: auth.prune_revoked_sessions(db, before))

    async def insert_api_key(
        self, *, key_id: str, name: str, key_hash: str, key_prefix: str, created_at: datetime
    ) -> None:
        await self._write_shared(
            lambda db: auth.insert_api_key(
                db, key_id=key_id, name=name, key_hash=key_hash, key_prefix=key_prefix, created_at=created_at
            )
        )

    async def list_api_keys(self, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        return await self._read_shared(lambda db: auth.list_api_keys(db, limit=limit, offset=offset))

    async def revoke_api_key(self, key_id: str, now: datetime) -> str | None:
        return await self._write_shared(lambda db: auth.revoke_api_key(db, key_id, now))


    # --- funnels ------------------------------------------------------------------------

    async def list_funnels(self, website_id: str) -> list[dict[str, Any]]:
        return await self._read_shared(lambda db: funnels.list_funnels(db, website_id))

    async def get_funnel(self, website_id: str, funnel_id: str) -> dict[str, Any] | None:
        return await self._read_shared(lambda db: funnels.get_funnel(db, website_id, funnel_id))

    async def create_funnel(self, website_id: str, name: str, steps: Sequence[NewStep]) -> dict[str, Any] | None:
        return await self._write_shared(lambda db: funnels.create_funnel(db, website_id, name, steps))

    async def update_funnel(
        self, website_id: str, funnel_id: str, *, name: str | None, steps: Sequence[NewStep] | None
    ) -> dict[str, Any] | None:
        return await self._write_shared(lambda db: funnels.update_funnel(db, website_id, funnel_id, name=name, steps=steps))

    async def delete_funnel(self, website_id: str, funnel_id: str) -> bool:
        return await self._write_shared(lambda db: funnels.delete_funnel(db, website_id, funnel_id))


    # --- bot controls -------------------------------------------------------------------

    async def get_bot_policy(self, website_id: str) -> dict[str, Any] | None:
        return await self._read_shared(lambda db: bots.get_policy(db, website_id))

    async def set_bot_policy(self, website_id: str, mode: str, threshold_score: int) -> dict[str, Any] | None:
        return await self._write_shared(lambda db: bots.set_policy(db, website_id, mode, threshold_score))

    async def list_bot_entries(
        self, website_id: str, kind: str, *, after: PageCursor | None, limit: int
    ) -> tuple[list[dict[str, Any]], PageCursor | None]:
        return await self._read_shared(lambda db: bots.list_entries(db, website_id, kind, after=after, limit=limit))

    async def add_bot_entry(self, website_id: str, kind: str, entry: NewEntry) -> dict[str, Any] | None:
        return await self._write_shared(lambda db: bots.add_entry(db, website_id, kind, entry))

    async def remove_bot_entry(self, website_id: str, kind: str, entry_id: str) -> bool:
        return await self._write_shared(lambda db: bots.remove_entry(db, website_id, kind, entry_id))

    async def list_bot_audit(
        self, website_id: str, *, after: PageCursor | None, limit: int
    ) -> tuple[list[dict[str, Any]], PageCursor | None]:
        return await self._read_shared(lambda db: bots.list_audit(db, website_id, after=after, limit=limit))

    async def start_recompute(self, website_id: str, start: datetime, end: datetime, events_total: int) -> str | None:
        return await self._write_shared(lambda db: bots.start_recompute(db, website_id, start, end, events_total, self._node_id))

    async def note_recompute_progress(self, job_id: str, events_done: int) -> None:
        await self._write_shared(lambda db: bots.note_recompute_progress(db, job_id, events_done))

    async def get_recompute(self, website_id: str, job_id: str) -> dict[str, Any] | None:
        return await self._read_shared(lambda db: bots.get_recompute(db, website_id, job_id))

    async def set_recompute_status(self, job_id: str, status: str, error: str | None = None) -> None:
        await self._write_shared(lambda db: bots.set_recompute_status(db, job_id, status, error))

    async def fail_unfinished_recomputes(self, error: str) -> int:
        return await self._write_shared(lambda db: bots.fail_unfinished_recomputes(db, error, self._node_id))


    # --- goals --------------------------------------------------------------------------

    async def list_goals(self, website_id: str) -> list[Goal]:
        return await self._read_shared(lambda db: goals.list_goals(db, website_id))

    async def get_goal(self, website_id: str, goal_id: str) -> Goal | None:
        return await self._read_shared(lambda db: goals.get_goal(db, website_id, goal_id))

    async def create_goal(self, website_id: str, fields: Mapping[str, Any]) -> Goal | None:
        return await self._write_shared(lambda db: goals.create_goal(db, website_id, fields))

    async def update_goal(self, website_id: str, goal_id: str, changes: Mapping[str, Any]) -> Goal | None:
        return await self._write_shared(lambda db: goals.update_goal(db, website_id, goal_id, changes))

    async def delete_goal(self, website_id: str, goal_id: str) -> bool:
        return await self._write_shared(lambda db: goals.delete_goal(db, website_id, goal_id))


    # --- saved reports ------------------------------------------------------------------

    async def list_reports(self, website_id: str) -> list[SavedReport]:
        return await self._read_shared(lambda db: saved_reports.list_reports(db, website_id))

    async def get_report(self, website_id: str, report_id: str) -> SavedReport | None:
        return await self._read_shared(lambda db: saved_reports.get_report(db, website_id, report_id))

    async def create_report(
        self, website_id: str, name: str, description: str | None, config: Mapping[str, Any]
    ) -> SavedReport | None:
        return await self._write_shared(lambda db: saved_reports.create_report(db, website_id, name, description, config))

    async def update_report(self, website_id: str, report_id: str, changes: Mapping[str, Any]) -> SavedReport | None:
        return await self._write_shared(lambda db: saved_reports.update_report(db, website_id, report_id, changes))

    async def mark_report_run(self, website_id: str, report_id: str, at: datetime) -> None:
        await self._write_shared(lambda db: saved_reports.mark_run(db, website_id, report_id, at))

    async def delete_report(self, website_id: str, report_id: str) -> bool:
        return await self._write_shared(lambda db: saved_reports.delete_report(db, website_id, report_id))


    # --- notifications ------------------------------------------------------------------

    async def list_subscriptions(self, website_id: str) -> list[Subscription]:
        return await self._read_shared(lambda db: notifications.list_subscriptions(db, website_id))

    async def get_subscription(self, website_id: str, subscription_id: str) -> Subscription | None:
        return await self._read_shared(lambda db: notifications.get_subscription(db, website_id, subscription_id))

    async def create_subscription(
        self, website_id: str, body: Mapping[str, Any], now: datetime
    ) -> tuple[Subscription, str | None] | None:
        return await self._write_shared(lambda db: notifications.create_subscription(db, website_id, body, now))

    async def update_subscription(
        self, website_id: str, subscription_id: str, changes: Mapping[str, Any], now: datetime
    ) -> tuple[Subscription, str | None] | None:
        return await self._write_shared(
            lambda db: notifications.update_subscription(db, website_id, subscription_id, changes, now)
        )

    async def delete_subscription(self, website_id: str, subscription_id: str) -> bool:
        return await self._write_shared(lambda db: notifications.delete_subscription(db, website_id, subscription_id))

    async def due_subscriptions(self, now: datetime, limit: int) -> list[Subscription]:
        return await self._read_shared(lambda db: notifications.due_subscriptions(db, now, limit))

    async def list_alerts(self, website_id: str) -> list[Alert]:
        return await self._read_shared(lambda db: notifications.list_alerts(db, website_id))

    async def get_alert(self, website_id: str, alert_id: str) -> Alert | None:
        return await self._read_shared(lambda db: notifications.get_alert(db, website_id, alert_id))

    async def create_alert(self, website_id: str, body: Mapping[str, Any], now: datetime) -> tuple[Alert, str | None] | None:
        return await self._write_shared(lambda db: notifications.create_alert(db, website_id, body, now))

    async def update_alert(
        self, website_id: str, alert_id: str, changes: Mapping[str, Any]
    ) -> tuple[Alert, str | None] | None:
        return await self._write_shared(lambda db: notifications.update_alert(db, website_id, alert_id, changes))

    async def delete_alert(self, website_id: str, alert_id: str) -> bool:
        return await self._write_shared(lambda db: notifications.delete_alert(db, website_id, alert_id))

    async def active_alerts(self, limit: int, after: tuple[str, str] | None) -> list[Alert]:
        return await self._read_shared(lambda db: notifications.active_alerts(db, limit, after))

    async def claim_delivery(
        self, source_type: str, source_id: str, key: str, now: datetime, advance: tuple[datetime, datetime] | None = None
    ) -> str | None:
        return await self._write_shared(lambda db: notifications.claim_delivery(db, source_type, source_id, key, now, advance))

    async def finish_delivery(self, delivery_id: str, status: str, error: str | None, at: datetime) -> Delivery:
        return await self._write_shared(lambda db: notifications.finish_delivery(db, delivery_id, status, error, at))

    async def delivery_claimed(self, key: str) -> bool:
        return await self._read_shared(lambda db: notifications.delivery_claimed(db, key))

    async def delivery_history(self, website_id: str, limit: int) -> list[Delivery]:
        return await self._read_shared(lambda db: notifications.delivery_history(db, website_id, limit))

    async def webhook_secret(self, website_id: str) -> str | None:
        return await self._read_shared(lambda db: notifications.webhook_secret(db, website_id))


    # --- campaign links and tracking pixels ---------------------------------------------

    async def list_links(self, website_id: str) -> list[CampaignLink]:
        return await self._read_shared(lambda db: campaigns.list_links(db, website_id))

    async def get_link(self, website_id: str, link_id: str) -> CampaignLink | None:
        return await self._read_shared(lambda db: campaigns.get_link(db, website_id, link_id))

    async def link_by_slug(self, slug: str) -> CampaignLink | None:
        return await self._read_shared(lambda db: campaigns.link_by_slug(db, slug))

    async def create_link(self, website_id: str, fields: Mapping[str, Any]) -> CampaignLink | None:
        return await self._write_shared(lambda db: campaigns.create_link(db, website_id, fields))

    async def update_link(self, website_id: str, link_id: str, changes: Mapping[str, Any]) -> CampaignLink | None:
        return await self._write_shared(lambda db: campaigns.update_link(db, website_id, link_id, changes))

    async def delete_link(self, website_id: str, link_id: str) -> bool:
        return await self._write_shared(lambda db: campaigns.delete_link(db, website_id, link_id))

    async def list_pixels(self, website_id: str) -> list[TrackingPixel]:
        return await self._read_shared(lambda db: campaigns.list_pixels(db, website_id))

    async def get_pixel(self, website_id: str, pixel_id: str) -> TrackingPixel | None:
        return await self._read_shared(lambda db: campaigns.get_pixel(db, website_id, pixel_id))

    async def pixel_by_key(self, pixel_key: str) -> TrackingPixel | None:
        return await self._read_shared(lambda db: campaigns.pixel_by_key(db, pixel_key))

    async def create_pixel(self, website_id: str, fields: Mapping[str, Any]) -> TrackingPixel | None:
        return await self._write_shared(lambda db: campaigns.create_pixel(db, website_id, fields))

    async def update_pixel(self, website_id: str, pixel_id: str, changes: Mapping[str, Any]) -> TrackingPixel | None:
        return await self._write_shared(lambda db: campaigns.update_pixel(db, website_id, pixel_id, changes))

    async def delete_pixel(self, website_id: str, pixel_id: str) -> bool:
        return await self._write_shared(lambda db: campaigns.delete_pixel(db, website_id, pixel_id))

    async def imported_export(self, website_id: str, digest: str) -> ImportedExport | None:
        return await self._read_shared(lambda db: imported.imported_export(db, website_id, digest))

    async def record_import_progress(self, website_id: str, digest: str, format: str, progress: ImportProgress) -> None:
        await self._write_shared(lambda db: imported.record_import_progress(db, website_id, digest, format, progress))

    async def record_imported_export(self, website_id: str, digest: str, format: str, events: int, rows: int) -> None:
        await self._write_shared(lambda db: imported.record_imported_export(db, website_id, digest, format, events, rows))
