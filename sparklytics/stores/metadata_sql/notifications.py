"""SQL for ``report_subscriptions``, ``alert_rules``, ``notification_deliveries`` and
``webhook_secrets`` (API.md §1.14, §6), for both metadata backends.

Creates and updates check the live website first (:meth:`MetadataDb.live_website_domain`,
which on PostgreSQL locks its row), so every check that guards a write — the report
exists, the per-website limits, the merged fields of an update, the making of the
website's webhook secret — holds in the write's transaction with any number of writers.

Deliveries are at most once, across nodes too: :func:`claim_delivery` inserts the
attempt's row under its idempotency key (UNIQUE) with ``ON CONFLICT DO NOTHING`` *before*
anything is sent, and moves a subscription's ``next_run_at`` on, in one transaction;
only the claimer sends, and :func:`finish_delivery` records the outcome. A key already
claimed is skipped, so a second tick, an overlapping tick, another node or a restart
never sends twice; a crash between the claim and the outcome leaves a ``failed`` row
saying so instead of a second message.

The webhook secret of a website is made in the transaction that creates its first
webhook target, and that create's answer is the only place it is shown.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sparklytics.enrich import random_id
from sparklytics.notifications.rules import (
    MAX_ALERTS_PER_WEBSITE,
    MAX_SUBSCRIPTIONS_PER_WEBSITE,
    Alert,
    Delivery,
    MissingReport,
    NotificationLimitReached,
    Subscription,
    alert_fields,
    subscription_fields,
)
from sparklytics.notifications.schedule import next_run
from sparklytics.stores.metadata_sql.db import MetadataDb

INTERRUPTED = "interrupted: the server stopped while delivering; not retried so nothing is sent twice"
_SUB_COLUMNS = (
    "{t}id, {t}website_id, {t}report_id, {t}schedule, {t}timezone, {t}channel, {t}target, {t}is_active,"
    " CAST({t}last_run_at AS VARCHAR), CAST({t}next_run_at AS VARCHAR), CAST({t}created_at AS VARCHAR)"
)
_SUB_FIELDS = ("report_id", "schedule", "timezone", "channel", "target", "is_active")
_ALERT_COLUMNS = (
    "{t}id, {t}website_id, {t}name, {t}metric, {t}condition_type, {t}threshold_value, {t}lookback_days,"
    " {t}channel, {t}target, {t}is_active, CAST({t}created_at AS VARCHAR)"
)
_ALERT_FIELDS = ("name", "metric", "condition_type", "threshold_value", "lookback_days", "channel", "target", "is_active")
_DELIVERY_COLUMNS = (
    "d.id, d.source_type, d.source_id, d.idempotency_key, d.status, d.error_message, CAST(d.delivered_at AS VARCHAR)"
)

# --- subscriptions ----------------------------------------------------------------------


def list_subscriptions(db: MetadataDb, website_id: str) -> list[Subscription]:
    rows = db.all(
        f"SELECT {_SUB_COLUMNS.format(t='')} FROM report_subscriptions WHERE website_id = ? ORDER BY created_at DESC, id DESC",
        [website_id],
    )
    return [Subscription(*row) for row in rows]


def get_subscription(db: MetadataDb, website_id: str, subscription_id: str) -> Subscription | None:
    row = db.one(
        f"SELECT {_SUB_COLUMNS.format(t='')} FROM report_subscriptions WHERE website_id = ? AND id = ?",
        [website_id, subscription_id],
    )
    return None if row is None else Subscription(*row)


def create_subscription(
    db: MetadataDb, website_id: str, body: Mapping[str, Any], now: datetime
) -> tuple[Subscription, str | None] | None:
    """Insert a subscription; with the website's webhook secret if this made it. None
    without website.

    Raises:
        InvalidNotification, MissingReport, NotificationLimitReached.
    """
    fields = subscription_fields({}, body)
    subscription_id = random_id("sub_", 21)
    with db.write():
        if db.live_website_domain(website_id) is None:
            return None
        _check_report(db, website_id, fields["report_id"])
        (count,) = db.one("SELECT count(*) FROM report_subscriptions WHERE website_id = ?", [website_id])
        if count >= MAX_SUBSCRIPTIONS_PER_WEBSITE:
            raise NotificationLimitReached("subscriptions")
        db.run(
            "INSERT INTO report_subscriptions (id, website_id, report_id, schedule, timezone, channel, target,"
            " is_active, next_run_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [subscription_id, website_id, fields["report_id"], fields["schedule"], fields["timezone"], fields["channel"],
             fields["target"], fields["is_active"], next_run(now, fields["schedule"], fields["timezone"]), now],
        )
        secret = _new_secret_if_webhook(db, website_id, fields["channel"])
        return get_subscription(db, website_id, subscription_id), secret


def update_subscription(
    db: MetadataDb, website_id: str, subscription_id: str, changes: Mapping[str, Any], now: datetime
) -> tuple[Subscription, str | None] | None:
    """Apply ``changes`` to the stored subscription and recompute ``next_run_at`` from
    ``now``; None if there is no such subscription."""
    with db.write():
        if db.live_website_domain(website_id) is None:
            return None
        current = get_subscription(db, website_id, subscription_id)
        if current is None:
            return None
        fields = subscription_fields({k: getattr(current, k) for k in _SUB_FIELDS}, changes)
        if fields["report_id"] != current.report_id:
            _check_report(db, website_id, fields["report_id"])
        db.run(
            "UPDATE report_subscriptions SET report_id = ?, schedule = ?, timezone = ?, channel = ?, target = ?,"
            " is_active = ?, next_run_at = ? WHERE id = ?",
            [fields["report_id"], fields["schedule"], fields["timezone"], fields["channel"], fields["target"],
             fields["is_active"], next_run(now, fields["schedule"], fields["timezone"]), subscription_id],
        )
        secret = _new_secret_if_webhook(db, website_id, fields["channel"])
        return get_subscription(db, website_id, subscription_id), secret


def delete_subscription(db: MetadataDb, website_id: str, subscription_id: str) -> bool:
    """Delete the subscription and its delivery history; False if absent."""
    with db.write():
        found = db.all(
            "DELETE FROM report_subscriptions WHERE website_id = ? AND id = ? RETURNING id", [website_id, subscription_id]
        )
        if found:
            db.run("DELETE FROM notification_deliveries WHERE source_type = 'subscription' AND source_id = ?",
                   [subscription_id])
    return bool(found)


def due_subscriptions(db: MetadataDb, now: datetime, limit: int) -> list[Subscription]:
    """Active subscriptions of live websites due at ``now``, the longest overdue first."""
    rows = db.all(
        f"SELECT {_SUB_COLUMNS.format(t='s.')} FROM report_subscriptions s"
        " JOIN websites w ON w.id = s.website_id AND w.deleted_at IS NULL"
        " WHERE s.is_active AND s.next_run_at <= ? ORDER BY s.next_run_at, s.id LIMIT ?",
        [now, limit],
    )
    return [Subscription(*row) for row in rows]


# --- alerts -----------------------------------------------------------------------------


def list_alerts(db: MetadataDb, website_id: str) -> list[Alert]:
    rows = db.all(
        f"SELECT {_ALERT_COLUMNS.format(t='')} FROM alert_rules WHERE website_id = ? ORDER BY created_at DESC, id DESC",
        [website_id],
    )
    return [Alert(*row) for row in rows]


def get_alert(db: MetadataDb, website_id: str, alert_id: str) -> Alert | None:
    row = db.one(f"SELECT {_ALERT_COLUMNS.format(t='')} FROM alert_rules WHERE website_id = ? AND id = ?",
                 [website_id, alert_id])
    return None if row is None else Alert(*row)


def create_alert(
    db: MetadataDb, website_id: str, body: Mapping[str, Any], now: datetime
) -> tuple[Alert, str | None] | None:
    """Insert an alert; with the website's webhook secret if this made it. None without
    website.

    Raises:
        InvalidNotification, NotificationLimitReached.
    """
    fields = alert_fields({}, body)
    alert_id = random_id("alr_", 21)
    with db.write():
        if db.live_website_domain(website_id) is None:
            return None
        (count,) = db.one("SELECT count(*) FROM alert_rules WHERE website_id = ?", [website_id])
        if count >= MAX_ALERTS_PER_WEBSITE:
            raise NotificationLimitReached("alerts")
        db.run(
            "INSERT INTO alert_rules (id, website_id, name, metric, condition_type, threshold_value, lookback_days,"
            " channel, target, is_active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [alert_id, website_id, *(fields[k] for k in _ALERT_FIELDS), now],
        )
        secret = _new_secret_if_webhook(db, website_id, fields["channel"])
        return get_alert(db, website_id, alert_id), secret


def update_alert(
    db: MetadataDb, website_id: str, alert_id: str, changes: Mapping[str, Any]
) -> tuple[Alert, str | None] | None:
    with db.write():
        if db.live_website_domain(website_id) is None:
            return None
        current = get_alert(db, website_id, alert_id)
        if current is None:
            return None
        fields = alert_fields({k: getattr(current, k) for k in _ALERT_FIELDS}, changes)
        db.run(
            "UPDATE alert_rules SET name = ?, metric = ?, condition_type = ?, threshold_value = ?, lookback_days = ?,"
            " channel = ?, target = ?, is_active = ? WHERE id = ?",
            [*(fields[k] for k in _ALERT_FIELDS), alert_id],
        )
        secret = _new_secret_if_webhook(db, website_id, fields["channel"])
        return get_alert(db, website_id, alert_id), secret


def delete_alert(db: MetadataDb, website_id: str, alert_id: str) -> bool:
    with db.write():
        found = db.all("DELETE FROM alert_rules WHERE website_id = ? AND id = ? RETURNING id", [website_id, alert_id])
        if found:
            db.run("DELETE FROM notification_deliveries WHERE source_type = 'alert' AND source_id = ?", [alert_id])
    return bool(found)


def active_alerts(db: MetadataDb, limit: int, after: tuple[str, str] | None) -> list[Alert]:
    """Active alerts of live websites, oldest first, starting after ``after``
    (created_at text, id) so successive ticks take turns when there are more than fit."""
    at, after_id = after if after else (None, None)
    rows = db.all(
        f"SELECT {_ALERT_COLUMNS.format(t='a.')} FROM alert_rules a"
        " JOIN websites w ON w.id = a.website_id AND w.deleted_at IS NULL"
        " WHERE a.is_active AND (CAST(? AS TIMESTAMP) IS NULL"
        "  OR (a.created_at, a.id) > (CAST(? AS TIMESTAMP), CAST(? AS VARCHAR)))"
        " ORDER BY a.created_at, a.id LIMIT ?",
        [at, at, after_id, limit],
    )
    return [Alert(*row) for row in rows]


# --- deliveries -------------------------------------------------------------------------


def claim_delivery(
    db: MetadataDb,
    source_type: str,
    source_id: str,
    key: str,
    now: datetime,
    advance: tuple[datetime, datetime] | None = None,
) -> str | None:
    """Claim ``key`` for one attempt: its delivery id, or None if it was claimed before.
    ``advance`` = (last_run_at, next_run_at) moves the subscription on in the same
    transaction."""
    delivery_id = random_id("ntf_", 21)
    with db.write():
        inserted = db.one(
            "INSERT INTO notification_deliveries (id, source_type, source_id, idempotency_key, status, error_message,"
            " delivered_at) VALUES (?, ?, ?, ?, 'failed', ?, ?) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            [delivery_id, source_type, source_id, key, INTERRUPTED, now],
        )
        if inserted is None:
            return None
        if advance is not None:
            db.run("UPDATE report_subscriptions SET last_run_at = ?, next_run_at = ? WHERE id = ?", [*advance, source_id])
    return delivery_id


def finish_delivery(db: MetadataDb, delivery_id: str, status: str, error: str | None, at: datetime) -> Delivery:
    with db.write():
        db.run(
            "UPDATE notification_deliveries SET status = ?, error_message = ?, delivered_at = ? WHERE id = ?",
            [status, error, at, delivery_id],
        )
        row = db.one(f"SELECT {_DELIVERY_COLUMNS} FROM notification_deliveries d WHERE d.id = ?", [delivery_id])
    return Delivery(*row)


def delivery_claimed(db: MetadataDb, key: str) -> bool:
    return db.one("SELECT 1 FROM notification_deliveries WHERE idempotency_key = ?", [key]) is not None


def delivery_history(db: MetadataDb, website_id: str, limit: int) -> list[Delivery]:
    """Deliveries of the website's subscriptions and alerts, newest first."""
    rows = db.all(
        f"SELECT {_DELIVERY_COLUMNS} FROM notification_deliveries d"
        " WHERE (d.source_type = 'subscription' AND d.source_id IN (SELECT id FROM report_subscriptions WHERE website_id = ?))"
        " OR (d.source_type = 'alert' AND d.source_id IN (SELECT id FROM alert_rules WHERE website_id = ?))"
        " ORDER BY d.delivered_at DESC, d.id DESC LIMIT ?",
        [website_id, website_id, limit],
    )
    return [Delivery(*row) for row in rows]


# --- webhook secrets --------------------------------------------------------------------


def webhook_secret(db: MetadataDb, website_id: str) -> str | None:
    row = db.one("SELECT secret FROM webhook_secrets WHERE website_id = ?", [website_id])
    return None if row is None else row[0]


def _new_secret_if_webhook(db: MetadataDb, website_id: str, channel: str) -> str | None:
    """Make the website's webhook secret if ``channel`` is a webhook and it has none;
    the new secret (to show once), else None."""
    if channel != "webhook":
        return None
    secret = "whsec_" + secrets.token_hex(24)
    inserted = db.one(
        "INSERT INTO webhook_secrets (website_id, secret) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING secret",
        [website_id, secret],
    )
    return None if inserted is None else inserted[0]


def _check_report(db: MetadataDb, website_id: str, report_id: str) -> None:
    if db.one("SELECT 1 FROM saved_reports WHERE website_id = ? AND id = ?", [website_id, report_id]) is None:
        raise MissingReport(report_id)
