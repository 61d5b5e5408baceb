"""SQL for ``report_subscriptions``, ``alert_rules``, ``notification_deliveries`` and
``webhook_secrets`` (API.md §1.14, §6).

Writes run on the Writer; every check that guards a write (the report exists, the
per-website limits, the merged fields of an update) runs in its transaction.

Deliveries are at most once: :func:`claim_delivery` inserts the attempt's row under
its idempotency key (UNIQUE) *before* anything is sent, and moves a subscription's
``next_run_at`` on, in one transaction; only then does the sender send, and
:func:`finish_delivery` records the outcome. A key already claimed is skipped, so a
second tick, an overlapping tick or a restart never sends twice; a crash between the
claim and the outcome leaves a ``failed`` row saying so instead of a second message.

The webhook secret of a website is made in the transaction that creates its first
webhook target, and that create's answer is the only place it is shown.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import duckdb

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
from sparklytics.stores.duckdb.schema import transaction

INTERRUPTED = "interrupted: the server stopped while delivering; not retried so nothing is sent twice"
_LIVE_WEBSITE_SQL = "SELECT 1 FROM websites WHERE id = ? AND deleted_at IS NULL"
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


def list_subscriptions(con: duckdb.DuckDBPyConnection, website_id: str) -> list[Subscription]:
    rows = con.execute(
        f"SELECT {_SUB_COLUMNS.format(t='')} FROM report_subscriptions WHERE website_id = ? ORDER BY created_at DESC, id DESC",
        [website_id],
    ).fetchall()
    return [Subscription(*row) for row in rows]


def get_subscription(con: duckdb.DuckDBPyConnection, website_id: str, subscription_id: str) -> Subscription | None:
    row = con.execute(
        f"SELECT {_SUB_COLUMNS.format(t='')} FROM report_subscriptions WHERE website_id = ? AND id = ?", [website_id, subscription_id]
    ).fetchone()
    return None if row is None else Subscription(*row)


def create_subscription(
    con: duckdb.DuckDBPyConnection, website_id: str, body: Mapping[str, Any], now: datetime
) -> tuple[Subscription, str | None] | None:
    """Insert a subscription; with the website's webhook secret if this made it. None
    without website.

    Raises:
        InvalidNotification, MissingReport, NotificationLimitReached.
    """
    fields = subscription_fields({}, body)
    subscription_id = random_id("sub_", 21)
    with transaction(con):
        if con.execute(_LIVE_WEBSITE_SQL, [website_id]).fetchone() is None:
            return None
        _check_report(con, website_id, fields["report_id"])
        count = con.execute("SELECT count(*) FROM report_subscriptions WHERE website_id = ?", [website_id]).fetchone()[0]
        if count >= MAX_SUBSCRIPTIONS_PER_WEBSITE:
            raise NotificationLimitReached("subscriptions")
        con.execute(
            "INSERT INTO report_subscriptions (id, website_id, report_id, schedule, timezone, channel, target,"
            " is_active, next_run_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [subscription_id, website_id, fields["report_id"], fields["schedule"], fields["timezone"], fields["channel"],
             fields["target"], fields["is_active"], next_run(now, fields["schedule"], fields["timezone"]), now],
        )
        secret = _new_secret_if_webhook(con, website_id, fields["channel"])
        return get_subscription(con, website_id, subscription_id), secret


def update_subscription(
    con: duckdb.DuckDBPyConnection,
    website_id: str,
    subscription_id: str,
    changes: Mapping[str, Any],
    now: datetime,
) -> tuple[Subscription, str | None] | None:
    """Apply ``changes`` to the stored subscription and recompute ``next_run_at`` from
    ``now``; None if there is no such subscription."""
    with transaction(con):
        current = get_subscription(con, website_id, subscription_id)
        if current is None:
            return None
        fields = subscription_fields({k: getattr(current, k) for k in _SUB_FIELDS}, changes)
        if fields["report_id"] != current.report_id:
            _check_report(con, website_id, fields["report_id"])
        con.execute(
            "UPDATE report_subscriptions SET report_id = ?, schedule = ?, timezone = ?, channel = ?, target = ?,"
            " is_active = ?, next_run_at = ? WHERE id = ?",
            [fields["report_id"], fields["schedule"], fields["timezone"], fields["channel"], fields["target"],
             fields["is_active"], next_run(now, fields["schedule"], fields["timezone"]), subscription_id],
        )
        secret = _new_secret_if_webhook(con, website_id, fields["channel"])
        return get_subscription(con, website_id, subscription_id), secret


def delete_subscription(con: duckdb.DuckDBPyConnection, website_id: str, subscription_id: str) -> bool:
    """Delete the subscription and its delivery history; False if absent."""
    with transaction(con):
        found = con.execute(
            "DELETE FROM report_subscriptions WHERE website_id = ? AND id = ? RETURNING id", [website_id, subscription_id]
        ).fetchall()
        if found:
            con.execute(
                "DELETE FROM notification_deliveries WHERE source_type = 'subscription' AND source_id = ?",
                [subscription_id],
            )
    return bool(found)


def due_subscriptions(con: duckdb.DuckDBPyConnection, now: datetime, limit: int) -> list[Subscription]:
    """Active subscriptions of live websites due at ``now``, the longest overdue first."""
    rows = con.execute(
        f"SELECT {_SUB_COLUMNS.format(t='s.')}"
        " FROM report_subscriptions s JOIN websites w ON w.id = s.website_id AND w.deleted_at IS NULL"
        " WHERE s.is_active AND s.next_run_at <= ? ORDER BY s.next_run_at, s.id LIMIT ?",
        [now, limit],
    ).fetchall()
    return [Subscription(*row) for row in rows]


# --- alerts -----------------------------------------------------------------------------


def list_alerts(con: duckdb.DuckDBPyConnection, website_id: str) -> list[Alert]:
    rows = con.execute(
        f"SELECT {_ALERT_COLUMNS.format(t='')} FROM alert_rules WHERE website_id = ? ORDER BY created_at DESC, id DESC", [website_id]
    ).fetchall()
    return [Alert(*row) for row in rows]


def get_alert(con: duckdb.DuckDBPyConnection, website_id: str, alert_id: str) -> Alert | None:
    row = con.execute(
        f"SELECT {_ALERT_COLUMNS.format(t='')} FROM alert_rules WHERE website_id = ? AND id = ?", [website_id, alert_id]
    ).fetchone()
    return None if row is None else Alert(*row)


def create_alert(
    con: duckdb.DuckDBPyConnection, website_id: str, body: Mapping[str, Any], now: datetime
) -> tuple[Alert, str | None] | None:
    """Insert an alert; with the website's webhook secret if this made it. None without
    website. Raises ``InvalidNotification`` or ``NotificationLimitReached``."""
    fields = alert_fields({}, body)
    alert_id = random_id("alr_", 21)
    with transaction(con):
        if con.execute(_LIVE_WEBSITE_SQL, [website_id]).fetchone() is None:
            return None
        count = con.execute("SELECT count(*) FROM alert_rules WHERE website_id = ?", [website_id]).fetchone()[0]
        if count >= MAX_ALERTS_PER_WEBSITE:
            raise NotificationLimitReached("alerts")
        con.execute(
            "INSERT INTO alert_rules (id, website_id, name, metric, condition_type, threshold_value, lookback_days,"
            " channel, target, is_active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [alert_id, website_id, *(fields[k] for k in _ALERT_FIELDS), now],
        )
        secret = _new_secret_if_webhook(con, website_id, fields["channel"])
        return get_alert(con, website_id, alert_id), secret


def update_alert(
    con: duckdb.DuckDBPyConnection, website_id: str, alert_id: str, changes: Mapping[str, Any]
) -> tuple[Alert, str | None] | None:
    with transaction(con):
        current = get_alert(con, website_id, alert_id)
        if current is None:
            return None
        fields = alert_fields({k: getattr(current, k) for k in _ALERT_FIELDS}, changes)
        con.execute(
            "UPDATE alert_rules SET name = ?, metric = ?, condition_type = ?, threshold_value = ?, lookback_days = ?,"
            " channel = ?, target = ?, is_active = ? WHERE id = ?",
            [*(fields[k] for k in _ALERT_FIELDS), alert_id],
        )
        secret = _new_secret_if_webhook(con, website_id, fields["channel"])
        return get_alert(con, website_id, alert_id), secret


def delete_alert(con: duckdb.DuckDBPyConnection, website_id: str, alert_id: str) -> bool:
    with transaction(con):
        found = con.execute(
            "DELETE FROM alert_rules WHERE website_id = ? AND id = ? RETURNING id", [website_id, alert_id]
        ).fetchall()
        if found:
            con.execute("DELETE FROM notification_deliveries WHERE source_type = 'alert' AND source_id = ?", [alert_id])
    return bool(found)


def active_alerts(con: duckdb.DuckDBPyConnection, limit: int, after: tuple[str, str] | None) -> list[Alert]:
    """Active alerts of live websites, oldest first, starting after ``after``
    (created_at text, id) so successive ticks take turns when there are more than fit."""
    rows = con.execute(
        f"SELECT {_ALERT_COLUMNS.format(t='a.')} FROM alert_rules a JOIN websites w ON w.id = a.website_id AND w.deleted_at IS NULL"
        " WHERE a.is_active AND ($at IS NULL OR (a.created_at, a.id) > (CAST($at AS TIMESTAMP), $id))"
        " ORDER BY a.created_at, a.id LIMIT $limit",
        {"at": after[0] if after else None, "id": after[1] if after else None, "limit": limit},
    ).fetchall()
    return [Alert(*row) for row in rows]


# --- deliveries -------------------------------------------------------------------------


def claim_delivery(
    con: duckdb.DuckDBPyConnection,
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
    with transaction(con):
        if con.execute("SELECT 1 FROM notification_deliveries WHERE idempotency_key = ?", [key]).fetchone():
            return None
        con.execute(
            "INSERT INTO notification_deliveries (id, source_type, source_id, idempotency_key, status, error_message,"
            " delivered_at) VALUES (?, ?, ?, ?, 'failed', ?, ?)",
            [delivery_id, source_type, source_id, key, INTERRUPTED, now],
        )
        if advance is not None:
            con.execute(
                "UPDATE report_subscriptions SET last_run_at = ?, next_run_at = ? WHERE id = ?", [*advance, source_id]
            )
    return delivery_id


def finish_delivery(
    con: duckdb.DuckDBPyConnection, delivery_id: str, status: str, error: str | None, at: datetime
) -> Delivery:
    with transaction(con):
        con.execute(
            "UPDATE notification_deliveries SET status = ?, error_message = ?, delivered_at = ? WHERE id = ?",
            [status, error, at, delivery_id],
        )
        row = con.execute(
            f"SELECT {_DELIVERY_COLUMNS} FROM notification_deliveries d WHERE d.id = ?", [delivery_id]
        ).fetchone()
    return Delivery(*row)


def delivery_claimed(con: duckdb.DuckDBPyConnection, key: str) -> bool:
    return con.execute("SELECT 1 FROM notification_deliveries WHERE idempotency_key = ?", [key]).fetchone() is not None


def delivery_history(con: duckdb.DuckDBPyConnection, website_id: str, limit: int) -> list[Delivery]:
    """Deliveries of the website's subscriptions and alerts, newest first."""
    rows = con.execute(
        f"SELECT {_DELIVERY_COLUMNS} FROM notification_deliveries d"
        " WHERE (d.source_type = 'subscription' AND d.source_id IN (SELECT id FROM report_subscriptions WHERE website_id = $w))"
        " OR (d.source_type = 'alert' AND d.source_id IN (SELECT id FROM alert_rules WHERE website_id = $w))"
        " ORDER BY d.delivered_at DESC, d.id DESC LIMIT $limit",
        {"w": website_id, "limit": limit},
    ).fetchall()
    return [Delivery(*row) for row in rows]


# --- webhook secrets --------------------------------------------------------------------


def webhook_secret(con: duckdb.DuckDBPyConnection, website_id: str) -> str | None:
    row = con.execute("SELECT secret FROM webhook_secrets WHERE website_id = ?", [website_id]).fetchone()
    return None if row is None else row[0]


def _new_secret_if_webhook(con: duckdb.DuckDBPyConnection, website_id: str, channel: str) -> str | None:
    """Make the website's webhook secret if ``channel`` is a webhook and it has none;
    the new secret (to show once), else None."""
    if channel != "webhook" or webhook_secret(con, website_id) is not None:
        return None
    secret = "whsec_" + secrets.token_hex(24)
    con.execute("INSERT INTO webhook_secrets (website_id, secret) VALUES (?, ?)", [website_id, secret])
    return secret


def _check_report(con: duckdb.DuckDBPyConnection, website_id: str, report_id: str) -> None:
    if con.execute("SELECT 1 FROM saved_reports WHERE website_id = ? AND id = ?", [website_id, report_id]).fetchone() is None:
        raise MissingReport(report_id)
