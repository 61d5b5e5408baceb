"""Runs the notifications: the Scheduler's tick and the API's "send test" (API.md §6).

A tick takes at most ``max_subscriptions`` due subscriptions (the longest overdue
first) and ``max_alerts`` active alerts (oldest first, later ticks continuing after the
last one checked, so every alert gets its turn when there are more than fit). Each
delivery first *claims* its idempotency key (``sub:{id}:`` + the first 16 letters and
digits of ``next_run_at``, or ``alert:{id}:{YYYYMMDD}``) in the store, together with
moving the subscription's ``next_run_at`` on (:func:`following_run`); a key claimed
before means "already done" and nothing is sent, so a second tick or a restart never
sends twice, and an alert is delivered at most once per UTC day. Then the report runs
(``report_runner``, the dashboard's own path) or the alert's series is read, the
message goes out, and the outcome (``sent``, or ``failed`` with the reason) is written
to the claimed row.

Reports and series are read through the AnalyticsStore; e-mail goes through ``smtp``
(a worker thread), webhooks through ``webhook`` (trio-native HTTP): both have their
own time budgets, so a slow receiver delays its own delivery only.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import trio

from sparklytics.clock import rfc3339, utc_now
from sparklytics.enrich import random_id
from sparklytics.notifications.alerts import evaluate
from sparklytics.notifications.render import Rendered, render_alert, render_report
from sparklytics.notifications.rules import Alert, Delivery, Subscription
from sparklytics.notifications.schedule import next_run
from sparklytics.notifications.smtp import DeliveryFailed, SmtpSettings, build_message, send_email
from sparklytics.notifications.webhook import Resolver, post_webhook, resolve
from sparklytics.queries.report_query import parse_report_query
from sparklytics.report_runner import run_report
from sparklytics.stores.analytics import AnalyticsStore
from sparklytics.stores.metadata import MetadataStore

log = logging.getLogger("sparklytics.notifications")

SMTP_THREADS = 2


@dataclass(frozen=True, slots=True)
class NotifierSettings:
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    allow_private_webhooks: bool = False
    max_subscriptions: int = 10
    max_alerts: int = 25


@dataclass(frozen=True, slots=True)
class TickResult:
    """What one tick delivered (or tried to), and how many alerts it checked."""

    subscriptions: tuple[Delivery, ...]
    alerts: tuple[Delivery, ...]
    alerts_checked: int


class Notifier:
    def __init__(
        self,
        *,
        metadata: MetadataStore,
        analytics: AnalyticsStore,
        settings: NotifierSettings,
        clock: Callable[[], datetime] = utc_now,
        resolver: Resolver = resolve,
    ) -> None:
        self._metadata = metadata
        self._analytics = analytics
        self._settings = settings
        self._clock = clock
        self._resolver = resolver
        self._smtp_threads = trio.CapacityLimiter(SMTP_THREADS)
        self._alerts_after: tuple[str, str] | None = None

    # --- the tick -----------------------------------------------------------------------

    async def tick(self) -> TickResult:
        """Deliver what is due now and check a turn of alerts."""
        now = self._clock()
        sent_subscriptions = []
        for subscription in await self._metadata.due_subscriptions(now, self._settings.max_subscriptions):
            delivery = await self._scheduled_report(subscription, now)
            if delivery is not None:
                sent_subscriptions.append(delivery)
        alerts = await self._metadata.active_alerts(self._settings.max_alerts, self._alerts_after)
        if len(alerts) < self._settings.max_alerts:
            self._alerts_after = None  # the end of the list: start again from the oldest
        else:
            self._alerts_after = (alerts[-1].created_at, alerts[-1].id)
        fired = []
        for alert in alerts:
            delivery = await self._check_alert(alert, now)
            if delivery is not None:
                fired.append(delivery)
        return TickResult(tuple(sent_subscriptions), tuple(fired), len(alerts))

    async def _scheduled_report(self, subscription: Subscription, now: datetime) -> Delivery | None:
        key = f"sub:{subscription.id}:{''.join(re.findall(r'[0-9A-Za-z]', subscription.next_run_at))[:16]}"
        advance = (now, following_run(subscription, now))
        delivery_id = await self._metadata.claim_delivery("subscription", subscription.id, key, now, advance)
        if delivery_id is None:
            return None
        return await self._finish(delivery_id, self._deliver_report(subscription, now, "report_subscription"))

    async def _check_alert(self, alert: Alert, now: datetime) -> Delivery | None:
        key = f"alert:{alert.id}:{now:%Y%m%d}"
        if await self._metadata.delivery_claimed(key):
            return None  # delivered today: skip reading its series (the claim decides anyway)
        try:
            series = await self.daily_series(alert, now)
        except Exception:
            log.exception("alert %s: could not read its series", alert.id)
            return None
        result = evaluate(alert.condition_type, alert.threshold_value, series)
        if not result.fired:
            return None
        delivery_id = await self._metadata.claim_delivery("alert", alert.id, key, now)
        if delivery_id is None:
            return None
        payload = {
            "kind": "alert",
            "website_id": alert.website_id,
            "alert_id": alert.id,
            "name": alert.name,
            "metric": alert.metric,
            "condition_type": alert.condition_type,
            "threshold_value": alert.threshold_value,
            "current_value": result.current_value,
            "baseline_mean": result.baseline_mean,
            "baseline_stddev": result.baseline_stddev,
            "z_score": result.z_score,
            "triggered_at": rfc3339(now),
        }
        return await self._finish(delivery_id, self._send(alert.website_id, alert.channel, alert.target, payload, render_alert(payload, test=False)))

    # --- send test ----------------------------------------------------------------------

    async def test_subscription(self, subscription: Subscription) -> Delivery:
        """Run the report now and deliver it as ``report_subscription_test``."""
        now = self._clock()
        key = f"test:sub:{subscription.id}:{random_id('', 12)}"
        delivery_id = await self._metadata.claim_delivery("subscription", subscription.id, key, now)
        assert delivery_id is not None  # a fresh random key
        return await self._finish(delivery_id, self._deliver_report(subscription, now, "report_subscription_test"))

    async def test_alert(self, alert: Alert) -> Delivery:
        """Deliver an ``alert_test`` payload to the alert's target."""
        now = self._clock()
        key = f"test:alert:{alert.id}:{random_id('', 12)}"
        delivery_id = await self._metadata.claim_delivery("alert", alert.id, key, now)
        assert delivery_id is not None
        payload = {
            "kind": "alert_test",
            "website_id": alert.website_id,
            "alert_id": alert.id,
            "name": alert.name,
            "metric": alert.metric,
            "condition_type": alert.condition_type,
            "threshold_value": alert.threshold_value,
            "triggered_at": rfc3339(now),
        }
        return await self._finish(delivery_id, self._send(alert.website_id, alert.channel, alert.target, payload, render_alert(payload, test=True)))

    # --- the parts ----------------------------------------------------------------------

    async def daily_series(self, alert: Alert, now: datetime) -> list[float]:
        """The alert metric per UTC day: ``lookback_days`` days before today, then today."""
        context = await self._metadata.report_context(alert.website_id)
        if context is None:
            raise LookupError("the website was deleted")
        website_id, website_timezone, bot_mode = context
        today = now.date()
        days = [today - timedelta(days=n) for n in range(alert.lookback_days, -1, -1)]

        def query(route: str, start: date, end: date, **extra: str):
            params = {"start_date": start.isoformat(), "end_date": end.isoformat(), "timezone": "UTC", **extra}
            return parse_report_query(params, route=route, website_id=website_id, website_timezone=website_timezone,
                                      include_bots_default=bot_mode == "off", now=now)

        if alert.metric in ("pageviews", "visitors"):
            result = await self._analytics.pageviews(query("pageviews", days[0], today, granularity="day"))
            return [float(point[alert.metric]) for point in result.data["series"]]
        goals = await self._metadata.list_goals(website_id)
        series = []
        for day in days:
            conversions = 0
            if goals:
                result = await self._analytics.goal_conversions(query("goal_conversions", day, day), goals)
                conversions = sum(row["conversions"] for row in result.data["rows"])
            if alert.metric == "conversions":
                series.append(float(conversions))
            else:
                sessions = (await self._analytics.stats(query("stats", day, day))).data["sessions"]
                series.append(conversions / sessions * 100 if sessions else 0.0)
        return series

    async def _deliver_report(self, subscription: Subscription, now: datetime, kind: str) -> None:
        report = await self._metadata.get_report(subscription.website_id, subscription.report_id)
        context = await self._metadata.report_context(subscription.website_id)
        if report is None or context is None:
            raise DeliveryFailed("report not found")
        try:
            data = await run_report(self._analytics, context, report.config, now=now)
        except Exception as error:
            raise DeliveryFailed(f"the report failed: {type(error).__name__}: {error}") from None
        payload = {
            "kind": kind,
            "website_id": subscription.website_id,
            "subscription_id": subscription.id,
            "report_id": report.id,
            "generated_at": rfc3339(now),
            "data": data,
        }
        rendered = render_report(report.name, report.config["report_type"], _range_text(report.config), data, test=kind.endswith("_test"))
        await self._send(subscription.website_id, subscription.channel, subscription.target, payload, rendered)

    async def _send(self, website_id: str, channel: str, target: str, payload: Mapping[str, Any], rendered: Rendered) -> None:
        if channel == "email":
            message = build_message(self._settings.smtp, target, rendered, payload)
            await send_email(self._settings.smtp, message, self._smtp_threads)
            return
        secret = await self._metadata.webhook_secret(website_id)
        if secret is None:
            raise DeliveryFailed("the website has no webhook secret")
        body = json.dumps(payload, separators=(",", ":")).encode()
        await post_webhook(target, body, secret, allow_private=self._settings.allow_private_webhooks, resolver=self._resolver)

    async def _finish(self, delivery_id: str, attempt) -> Delivery:
        """Await the delivery ``attempt`` and record its outcome on the claimed row."""
        try:
            await attempt
        except DeliveryFailed as failed:
            status, error = "failed", failed.reason
        except Exception as error:  # a bug must not leave the row saying "interrupted"
            log.exception("delivery %s failed unexpectedly", delivery_id)
            status, error = "failed", f"{type(error).__name__}: {error}"
        else:
            status, error = "sent", None
        return await self._metadata.finish_delivery(delivery_id, status, error, self._clock())


def following_run(subscription: Subscription, now: datetime) -> datetime:
    """The run after the one due now: schedule steps from the *scheduled* time, not from
    the tick that noticed it, so a tick up to a minute late does not push a daily 08:00
    report to 08:01 and on; runs missed while the server was down are skipped, not
    sent in a burst."""
    at = datetime.fromisoformat(subscription.next_run_at)
    while at <= now:
        at = next_run(at, subscription.schedule, subscription.timezone)
    return at


def _range_text(config: Mapping[str, Any]) -> str:
    if config["date_range_type"] == "relative":
        days = config["relative_days"]
        return "today" if days == 1 else f"last {days} days"
    return f"{config['start_date']} – {config['end_date']}"

