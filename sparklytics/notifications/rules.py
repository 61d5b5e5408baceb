"""Subscriptions, alerts and deliveries as the product knows them (API.md §1.14).

:func:`subscription_fields` and :func:`alert_fields` are the one place the rules of
their fields live: a create applies the body to an empty object, an update applies the
body to the stored one, and the merged result is checked as a whole (so a ``PUT`` that
switches a webhook subscription to e-mail must bring an address, and one that changes
only the target is checked against the stored channel, not blindly as e-mail as the
original server did). A refusal is :class:`InvalidNotification`: 400
``validation_error`` with the field at fault.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sparklytics.notifications.schedule import SCHEDULES
from sparklytics.notifications.targets import CHANNELS, InvalidTarget, check_target
from sparklytics.queries.report_query import is_valid_timezone

MAX_SUBSCRIPTIONS_PER_WEBSITE = 100
MAX_ALERTS_PER_WEBSITE = 100
MAX_NAME_CHARS = 100
METRICS = ("pageviews", "visitors", "conversions", "conversion_rate")
CONDITIONS = ("spike", "drop", "threshold_above", "threshold_below")
DEFAULT_LOOKBACK_DAYS = 7
LOOKBACK_DAYS = (1, 30)
HISTORY_LIMIT = (50, 1, 200)  # default, lowest, highest


@dataclass(frozen=True, slots=True)
class Subscription:
    """A report subscription as stored; timestamps as API text (§0.3)."""

    id: str
    website_id: str
    report_id: str
    schedule: str
    timezone: str
    channel: str
    target: str
    is_active: bool
    last_run_at: str | None
    next_run_at: str
    created_at: str

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert rule as stored; timestamps as API text (§0.3)."""

    id: str
    website_id: str
    name: str
    metric: str
    condition_type: str
    threshold_value: float
    lookback_days: int
    channel: str
    target: str
    is_active: bool
    created_at: str

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One attempt to deliver a notification (``status``: ``sent`` or ``failed``)."""

    id: str
    source_type: str
    source_id: str
    idempotency_key: str
    status: str
    error_message: str | None
    delivered_at: str

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class InvalidNotification(Exception):
    """A field breaks a rule of §1.14 (400 ``validation_error`` with ``field``)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotificationLimitReached(Exception):
    """The website has the most subscriptions (or alerts) it may have (422)."""


def subscription_fields(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``current`` (report_id, schedule, timezone, channel, target, is_active) with
    ``changes`` applied and checked. A ``None`` timezone means UTC."""
    merged = {**current, **changes}
    if not isinstance(merged.get("report_id"), str) or not merged["report_id"].strip():
        raise InvalidNotification("report_id is required", "report_id")
    merged["report_id"] = merged["report_id"].strip()
    merged["schedule"] = _choice(merged, "schedule", SCHEDULES)
    zone = (merged.get("timezone") or "").strip() or "UTC"
    if not is_valid_timezone(zone):
        raise InvalidNotification("invalid timezone", "timezone")
    merged["timezone"] = zone
    _channel_and_target(merged)
    merged["is_active"] = bool(merged.get("is_active", True))
    return merged


def alert_fields(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``current`` (name, metric, condition_type, threshold_value, lookback_days,
    channel, target, is_active) with ``changes`` applied and checked; lookback days
    are clamped to 1..30."""
    merged = {**current, **changes}
    name = merged.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidNotification("name is required", "name")
    if len(name.strip()) > MAX_NAME_CHARS:
        raise InvalidNotification(f"name must be at most {MAX_NAME_CHARS} characters", "name")
    merged["name"] = name.strip()
    merged["metric"] = _choice(merged, "metric", METRICS)
    merged["condition_type"] = _choice(merged, "condition_type", CONDITIONS)
    threshold = merged.get("threshold_value")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not math.isfinite(threshold):
        raise InvalidNotification("threshold_value must be a finite number", "threshold_value")
    merged["threshold_value"] = float(threshold)
    lookback = merged.get("lookback_days")
    if lookback is None:
        lookback = DEFAULT_LOOKBACK_DAYS
    if isinstance(lookback, bool) or not isinstance(lookback, int):
        raise InvalidNotification("lookback_days must be an integer", "lookback_days")
    merged["lookback_days"] = min(max(lookback, LOOKBACK_DAYS[0]), LOOKBACK_DAYS[1])
    _channel_and_target(merged)
    merged["is_active"] = bool(merged.get("is_active", True))
    return merged


def history_limit(raw: str | None) -> int:
    """``?limit=`` of the history: default 50, clamped to 1..200; not a number → 400."""
    default, low, high = HISTORY_LIMIT
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip(), 10)
    except ValueError:
        raise InvalidNotification("limit must be an integer", "limit") from None
    return min(max(value, low), high)


def _channel_and_target(merged: dict[str, Any]) -> None:
    merged["channel"] = _choice(merged, "channel", CHANNELS)
    try:
        merged["target"] = check_target(merged["channel"], merged.get("target"))
    except InvalidTarget as refused:
        raise InvalidNotification(refused.message, "target") from None


def _choice(merged: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = merged.get(key)
    if value is None:
        raise InvalidNotification(f"{key} is required", key)
    if value not in allowed:
        raise InvalidNotification(f"{key} must be one of: {', '.join(allowed)}", key)
    return value


class MissingReport(Exception):
    """The subscription names a report the website does not have (404 ``Report not found``)."""
