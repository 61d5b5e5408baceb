"""SQL for ``report_subscriptions``, ``alert_rules``, ``notification_deliveries`` and
``webhook_secrets`` (API.md §1.14, §6).

Creates and updates lock the website's row first (``sql.lock_live_website``): the report
exists, the per-website limits and the making of the website's webhook secret hold with
several nodes writing.

Deliveries are at most once across nodes: :func:`claim_delivery` inserts the attempt's
row under its idempotency key with ``ON CONFLICT DO NOTHING`` *before* anything is sent
(and moves a subscription on, in the same transaction); of two nodes whose ticks claim
the same key one inserts the row and sends, the other gets None and skips.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import psycopg

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
from sparklytics.stores.duckdb.notifications import INTERRUPTED

from .sql import lock_live_website

_SUB_COLUMNS = (
    "{t}id, {t}website_id, {t}report_id, {t}schedule, {t}timezone, {t}channel, {t}target, {t}is_active,"
    " {t}last_run_at::text, {t}next_run_at::text, {t}created_at::text"
)
_SUB_FIELDS = ("report_id", "schedule", "timezone", "channel", "target", "is_active")
_ALERT_COLUMNS = (
    "{t}id, {t}website_id, {t}name, {t}metric, {t}condition_type, {t}threshold_value, {t}lookback_days,"
    " {t}channel, {t}target, {t}is_active, {t}created_at::text"
)
_ALERT_FIELDS = ("name", "metric", "condition_type", "threshold_value", "lookback_days", "channel", "target", "is_active")
_DELIVERY_COLUMNS = "d.id, d.source_type, d.source_id, d.idempotency_key, d.status, d.error_message, d.delivered_at::text"

# --- subscriptions ----------------------------------------------------------------------


def list_subscriptions(conn: psycopg.Connection, website_id: str) -> list[Subscription]:
    rows = conn.execute(
        f"SELECT {_SUB_COLUMNS.format(t='')} FROM report_subscriptions WHERE website_id = %s ORDER BY created_at DESC, id DESC",
        [website_id],
    ).fetchall()
    return [Subscription(*row) for row in rows]


def get_subscription(conn: psycopg.Connection, website_id: str, subscription_id: str) -> Subscription | None:
    row = conn.execute(
        f"SELECT {_SUB_COLUMNS.format(t='')} FROM report_subscriptions WHERE website_id = %s AND id = %s",
        [website_id, subscription_id],
    ).fetchone()
    return None if row is None else Subscription(*row)


def create_subscription(
    conn: psycopg.Connection, website_id: str, body: Mapping[str, Any], now: datetime
) -> tuple[Subscription, str | None] | None:
    """Insert a subscription; with the website's webhook secret if this made it. None
    without website.

    Raises:
        InvalidNotification, MissingReport, NotificationLimitReached.
    """
    fields = subscription_fields({}, body)
    subscription_id = random_id("sub_", 21)
    if lock_live_website(conn, website_id) is None:
        return None
    _check_report(conn, website_id, fields["report_id"])
    (count,) = conn.execute("SELECT count(*) FROM report_subscriptions WHERE website_id = %s", [website_id]).fetchone()
    if count >= MAX_SUBSCRIPTIONS_PER_WEBSITE:
        raise NotificationLimitReached("subscriptions")
    conn.execute(
        "INSERT INTO report_subscriptions (id, website_id, report_id, schedule, timezone, channel, target,"
        " is_active, next_run_at, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [subscription_id, website_id, fields["report_id"], fields["schedule"], fields["timezone"], fields["channel"],
         fields["target"], fields["is_active"], next_run(now, fields["schedule"], fields["timezone"]), now],
    )
    secret = _new_secret_if_webhook(conn, website_id, fields["channel"])
    return get_subscription(conn, website_id, subscription_id), secret


def update_subscription(
    conn: psycopg.Connection, website_id: str, subscription_id: str, changes: Mapping[str, Any], now: datetime
) -> tuple[Subscription, str | None] | None:
    """Apply ``changes`` to the stored subscription and recompute ``next_run_at`` from
    ``now``; None if there is no such subscription."""
    if lock_live_website(conn, website_id) is None:
        return None
    current = get_subscription(conn, website_id, subscription_id)
    if current is None:
        return None
    fields = subscription_fields({k: getattr(current, k) for k in _SUB_FIELDS}, changes)
    if fields["report_id"] != current.report_id:
        _check_report(conn, website_id, fields["report_id"])
    conn.execute(
        "UPDATE report_subscriptions SET report_id = %s, schedule = %s, timezone = %s, channel = %s, target = %s,"
        " is_active = %s, next_run_at = %s WHERE id = %s",
        [fields["report_id"], fields["schedule"], fields["timezone"], fields["channel"], fields["target"],
         fields["is_active"], next_run(now, fields["schedule"], fields["timezone"]), subscription_id],
    )
    secret = _new_secret_if_webhook(conn, website_id, fields["channel"])
    return get_subscription(conn, website_id, subscription_id), secret


def delete_subscription(conn: psycopg.Connection, website_id: str, subscription_id: str) -> bool:
    """Delete the subscription and its delivery history; False if absent."""
    found = conn.execute(
        "DELETE FROM report_subscriptions WHERE website_id = %s AND id = %s", [website_id, subscription_id]
    ).rowcount
    if found:
        conn.execute(
            "DELETE FROM notification_deliveries WHERE source_type = 'subscription' AND source_id = %s", [subscription_id]
        )
    return found > 0


def due_subscriptions(conn: psycopg.Connection, now: datetime, limit: int) -> list[Subscription]:
    """Active subscriptions of live websites due at ``now``, the longest overdue first."""
    rows = conn.execute(
        f"SELECT {_SUB_COLUMNS.format(t='s.')}"
        " FROM report_subscriptions s JOIN websites w ON w.id = s.website_id AND w.deleted_at IS NULL"
        " WHERE s.is_active AND s.next_run_at <= %s ORDER BY s.next_run_at, s.id LIMIT %s",
        [now, limit],
    ).fetchall()
    return [Subscription(*row) for row in rows]


# --- alerts -----------------------------------------------------------------------------


def list_alerts(conn: psycopg.Connection, website_id: str) -> list[Alert]:
    rows = conn.execute(
        f"SELECT {_ALERT_COLUMNS.format(t='')} FROM alert_rules WHERE website_id = %s ORDER BY created_at DESC, id DESC",
        [website_id],
    ).fetchall()
    return [Alert(*row) for row in rows]


def get_alert(conn: psycopg.Connection, website_id: str, alert_id: str) -> Alert | None:
    row = conn.execute(
        f"SELECT {_ALERT_COLUMNS.format(t='')} FROM alert_rules WHERE website_id = %s AND id = %s", [website_id, alert_id]
    ).fetchone()
    return None if row is None else Alert(*row)


def create_alert(
    conn: psycopg.Connection, website_id: str, body: Mapping[str, Any], now: datetime
) -> tuple[Alert, str | None] | None:
    """Insert an alert; with the website's webhook secret if this made it. None without
    website. Raises ``InvalidNotification`` or ``NotificationLimitReached``."""
    fields = alert_fields({}, body)
    alert_id = random_id("alr_", 21)
    if lock_live_website(conn, website_id) is None:
        return None
    (count,) = conn.execute("SELECT count(*) FROM alert_rules WHERE website_id = %s", [website_id]).fetchone()
    if count >= MAX_ALERTS_PER_WEBSITE:
        raise NotificationLimitReached("alerts")
    conn.execute(
        "INSERT INTO alert_rules (id, website_id, name, metric, condition_type, threshold_value, lookback_days,"
        " channel, target, is_active, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [alert_id, website_id, *(fields[k] for k in _ALERT_FIELDS), now],
    )
    secret = _new_secret_if_webhook(conn, website_id, fields["channel"])
    return get_alert(conn, website_id, alert_id), secret


def update_alert(
    conn: psycopg.Connection, website_id: str, alert_id: str, changes: Mapping[str, Any]
) -> tuple[Alert, str | None] | None:
    if lock_live_website(conn, website_id) is None:
        return None
    current = get_alert(conn, website_id, alert_id)
    if current is None:
        return None
    fields = alert_fields({k: getattr(current, k) for k in _ALERT_FIELDS}, changes)
    conn.execute(
        "UPDATE alert_rules SET name = %s, metric = %s, condition_type = %s, threshold_value = %s, lookback_days = %s,"
        " channel = %s, target = %s, is_active = %s WHERE id = %s",
        [*(fields[k] for k in _ALERT_FIELDS), alert_id],
    )
    secret = _new_secret_if_webhook(conn, website_id, fields["channel"])
    return get_alert(conn, website_id, alert_id), secret


def delete_alert(conn: psycopg.Connection, website_id: str, alert_id: str) -> bool:
    found = conn.execute("DELETE FROM alert_rules WHERE website_id = %s AND id = %s", [website_id, alert_id]).rowcount
    if found:
        conn.execute("DELETE FROM notification_deliveries WHERE source_type = 'alert' AND source_id = %s", [alert_id])
    return found > 0


def active_alerts(conn: psycopg.Connection, limit: int, after: tuple[str, str] | None) -> list[Alert]:
    """Active alerts of live websites, oldest first, starting after ``after``
    (created_at text, id) so successive ticks take turns when there are more than fit."""
    rows = conn.execute(
        f"SELECT {_ALERT_COLUMNS.format(t='a.')} FROM alert_rules a"
        " JOIN websites w ON w.id = a.website_id AND w.deleted_at IS NULL"
        " WHERE a.is_active AND (%(at)s::timestamp IS NULL OR (a.created_at, a.id) > (%(at)s::timestamp, %(id)s::text))"
        " ORDER BY a.created_at, a.id LIMIT %(limit)s",
        {"at": after[0] if after else None, "id": after[1] if after else None, "limit": limit},
    ).fetchall()
    return [Alert(*row) for row in rows]


# --- deliveries -------------------------------------------------------------------------


def claim_delivery(
    conn: psycopg.Connection,
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
    inserted = conn.execute(
        "INSERT INTO notification_deliveries (id, source_type, source_id, idempotency_key, status, error_message,"
        " delivered_at) VALUES (%s, %s, %s, %s, 'failed', %s, %s) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
        [delivery_id, source_type, source_id, key, INTERRUPTED, now],
    ).fetchone()
    if inserted is None:
        return None
    if advance is not None:
        conn.execute("UPDATE report_subscriptions SET last_run_at = %s, next_run_at = %s WHERE id = %s", [*advance, source_id])
    return delivery_id


def finish_delivery(conn: psycopg.Connection, delivery_id: str, status: str, error: str | None, at: datetime) -> Delivery:
    conn.execute(
        "UPDATE notification_deliveries SET status = %s, error_message = %s, delivered_at = %s WHERE id = %s",
        [status, error, at, delivery_id],
    )
    row = conn.execute(f"SELECT {_DELIVERY_COLUMNS} FROM notification_deliveries d WHERE d.id = %s", [delivery_id]).fetchone()
    return Delivery(*row)


def delivery_claimed(conn: psycopg.Connection, key: str) -> bool:
    return conn.execute("SELECT 1 FROM notification_deliveries WHERE idempotency_key = %s", [key]).fetchone() is not None


def delivery_history(conn: psycopg.Connection, website_id: str, limit: int) -> list[Delivery]:
    """Deliveries of the website's subscriptions and alerts, newest first."""
    rows = conn.execute(
        f"SELECT {_DELIVERY_COLUMNS} FROM notification_deliveries d"
        " WHERE (d.source_type = 'subscription' AND d.source_id IN"
        "  (SELECT id FROM report_subscriptions WHERE website_id = %(w)s))"
        " OR (d.source_type = 'alert' AND d.source_id IN (SELECT id FROM alert_rules WHERE website_id = %(w)s))"
        " ORDER BY d.delivered_at DESC, d.id DESC LIMIT %(limit)s",
        {"w": website_id, "limit": limit},
    ).fetchall()
    return [Delivery(*row) for row in rows]


# --- webhook secrets --------------------------------------------------------------------


def webhook_secret(conn: psycopg.Connection, website_id: str) -> str | None:
    row = conn.execute("SELECT secret FROM webhook_secrets WHERE website_id = %s", [website_id]).fetchone()
    return None if row is None else row[0]


def _new_secret_if_webhook(conn: psycopg.Connection, website_id: str, channel: str) -> str | None:
    """Make the website's webhook secret if ``channel`` is a webhook and it has none;
    the new secret (to show once), else None."""
    if channel != "webhook":
        return None
    secret = "whsec_" + secrets.token_hex(24)
    inserted = conn.execute(
        "INSERT INTO webhook_secrets (website_id, secret) VALUES (%s, %s) ON CONFLICT DO NOTHING RETURNING secret",
        [website_id, secret],
    ).fetchone()
    return None if inserted is None else inserted[0]


def _check_report(conn: psycopg.Connection, website_id: str, report_id: str) -> None:
    if conn.execute("SELECT 1 FROM saved_reports WHERE website_id = %s AND id = %s", [website_id, report_id]).fetchone() is None:
        raise MissingReport(report_id)
