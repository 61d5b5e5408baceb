"""The notifications tick on a real DuckDB file and a real SMTP server, with the clock
in the test's hand: due times across a DST change, caps per tick, idempotency across
ticks and a restart, and alerts delivered at most once per day.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from sparklytics.clock import utc_now
from sparklytics.notifications.notifier import Notifier, NotifierSettings
from sparklytics.notifications.smtp import SmtpSettings
from sparklytics.saved_reports import parse_config
from sparklytics.services import open_services
from tests.api.helpers import create_website, pageview, send, stored_events
from tests.harness import on_duckdb_writer
from tests.notifications.servers import smtp_server

STATS_7 = {"version": 1, "report_type": "stats", "date_range_type": "relative", "relative_days": 7}


@pytest.fixture
def smtp():
    with smtp_server() as sink:
        yield sink


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def notifier(services, smtp, clock, **settings) -> Notifier:
    smtp_settings = SmtpSettings(host="127.0.0.1", port=smtp.port, tls="none")
    return Notifier(metadata=services.metadata, analytics=services.analytics,
                    settings=NotifierSettings(smtp=smtp_settings, **settings), clock=clock)


async def website_with_report(services) -> tuple[str, str]:
    await services.metadata.insert_website(website_id="site_n", name="N", domain="n.example", timezone="Europe/Berlin")
    report = await services.metadata.create_report("site_n", "Daily", None, parse_config(STATS_7))
    return "site_n", report.id


async def subscribe(services, site: str, report_id: str, now: datetime, **fields) -> str:
    body = {"report_id": report_id, "schedule": "daily", "timezone": "Europe/Berlin", "channel": "email", "target": "ops@example.com", **fields}
    subscription, _ = await services.metadata.create_subscription(site, body, now)
    return subscription.id


async def test_a_daily_0800_berlin_report_arrives_at_0800_local_across_the_dst_change(services, smtp) -> None:
    site, report_id = await website_with_report(services)
    start = datetime(2026, 3, 27, 7, 0)  # 08:00 CET, Friday; summer time begins Sunday 29 March
    sub_id = await subscribe(services, site, report_id, start)
    clock = Clock(start)
    ticker = notifier(services, smtp, clock)
    sent_at = []
    for minute in range(0, 3 * 24 * 60 + 60, 20):  # a tick every 20 minutes for three days and an hour
        clock.now = start + timedelta(minutes=minute)
        result = await ticker.tick()
        sent_at += [clock.now for _ in result.subscriptions]
    berlin = [t.replace(tzinfo=timezone.utc).astimezone(ZoneInfo("Europe/Berlin")) for t in sent_at]
    assert [(t.day, t.hour, t.minute) for t in berlin] == [(28, 8, 0), (29, 8, 0), (30, 8, 0)]
    assert [t.hour for t in sent_at] == [7, 6, 6]  # UTC moves, the wall clock does not
    assert len(smtp.messages) == 3
    history = await services.metadata.delivery_history(site, 10)
    assert [d.idempotency_key for d in history] == [f"sub:{sub_id}:20260330060000", f"sub:{sub_id}:20260329060000", f"sub:{sub_id}:20260328070000"]
    assert {d.status for d in history} == {"sent"}


async def test_a_late_tick_does_not_move_the_schedule_and_missed_runs_are_not_sent_in_a_burst(services, smtp) -> None:
    site, report_id = await website_with_report(services)
    start = datetime(2026, 1, 5, 7, 0)
    sub_id = await subscribe(services, site, report_id, start)
    clock = Clock(datetime(2026, 1, 9, 7, 0, 59))  # down for three days, back a minute late
    await notifier(services, smtp, clock).tick()
    subscription = await services.metadata.get_subscription(site, sub_id)
    assert subscription.next_run_at == "2026-01-10 07:00:00"
    assert subscription.last_run_at == "2026-01-09 07:00:59"
    assert len(smtp.messages) == 1


async def test_at_most_max_subscriptions_per_tick_longest_overdue_first(services, smtp) -> None:
    site, report_id = await website_with_report(services)
    start = datetime(2026, 1, 5, 7, 0)
    ids = [await subscribe(services, site, report_id, start + timedelta(minutes=n)) for n in range(3)]
    clock = Clock(start + timedelta(days=1, hours=1))
    ticker = notifier(services, smtp, clock, max_subscriptions=2)
    first = await ticker.tick()
    second = await ticker.tick()
    third = await ticker.tick()
    assert [d.source_id for d in first.subscriptions] == ids[:2]
    assert [d.source_id for d in second.subscriptions] == ids[2:]
    assert third.subscriptions == ()


async def test_a_second_tick_or_a_restart_never_sends_twice(config, smtp) -> None:
    start = datetime(2026, 1, 5, 7, 0)
    clock = Clock(start + timedelta(days=1))
    async with open_services(config) as services:
        site, report_id = await website_with_report(services)
        sub_id = await subscribe(services, site, report_id, start)
        assert len((await notifier(services, smtp, clock).tick()).subscriptions) == 1

        # Even with next_run_at put back (a restored backup, a clock that went back),
        # the claimed idempotency key stops a second delivery.
        def put_back(con) -> None:
            con.execute("UPDATE report_subscriptions SET next_run_at = ? WHERE id = ?", [start + timedelta(days=1), sub_id])

        await on_duckdb_writer(services, put_back)
        assert (await notifier(services, smtp, clock).tick()).subscriptions == ()
    async with open_services(config) as services:
        assert (await notifier(services, smtp, clock).tick()).subscriptions == ()
        assert len(await services.metadata.delivery_history(site, 10)) == 1
    assert len(smtp.messages) == 1


async def test_a_claim_the_server_stopped_after_is_reported_and_not_resent(config, smtp) -> None:
    start = datetime(2026, 1, 5, 7, 0)
    async with open_services(config) as services:
        site, report_id = await website_with_report(services)
        sub_id = await subscribe(services, site, report_id, start)
        # The claim was written, then the process died before sending.
        key = f"sub:{sub_id}:20260106070000"
        await services.metadata.claim_delivery("subscription", sub_id, key, start + timedelta(days=1), (start + timedelta(days=1), start + timedelta(days=2)))
    async with open_services(config) as services:
        assert (await notifier(services, smtp, Clock(start + timedelta(days=1, minutes=1))).tick()).subscriptions == ()
        [delivery] = await services.metadata.delivery_history(site, 10)
    assert (delivery.status, delivery.idempotency_key) == ("failed", key)
    assert delivery.error_message.startswith("interrupted")
    assert smtp.messages == []


@pytest.fixture
async def busy_site(client, services) -> str:
    site = await create_website(client)
    await send(client, [pageview(site, "https://example.com/"), pageview(site, "https://example.com/thanks")], ip="203.0.113.1")
    await send(client, pageview(site, "https://example.com/"), ip="203.0.113.2")
    assert len(await stored_events(services)) == 3
    return site


async def test_an_alert_is_delivered_at_most_once_per_utc_day(services, smtp, busy_site) -> None:
    body = {"name": "Quiet", "metric": "pageviews", "condition_type": "threshold_below", "threshold_value": 5,
            "lookback_days": 1, "channel": "email", "target": "ops@example.com"}
    alert, _ = await services.metadata.create_alert(busy_site, body, utc_now())
    clock = Clock(utc_now())
    ticker = notifier(services, smtp, clock)
    first = await ticker.tick()
    assert [d.source_id for d in first.alerts] == [alert.id]
    clock.now += timedelta(minutes=5)
    assert (await ticker.tick()).alerts == ()
    clock.now += timedelta(days=1)
    assert [d.idempotency_key for d in (await ticker.tick()).alerts] == [f"alert:{alert.id}:{clock.now:%Y%m%d}"]
    assert [m.message["Subject"] for m in smtp.messages] == ["Sparklytics alert: Quiet"] * 2


async def test_alert_series_for_each_metric(services, smtp, busy_site) -> None:
    await services.metadata.create_goal(busy_site, {"name": "Thanks", "goal_type": "page_view", "match_value": "/thanks"})
    now = utc_now()
    ticker = notifier(services, smtp, Clock(now))
    expected = {"pageviews": 3.0, "visitors": 2.0, "conversions": 1.0, "conversion_rate": 50.0}
    for metric, today in expected.items():
        body = {"name": metric, "metric": metric, "condition_type": "threshold_above", "threshold_value": today,
                "lookback_days": 3, "channel": "email", "target": "ops@example.com"}
        alert, _ = await services.metadata.create_alert(busy_site, body, now)
        assert await ticker.daily_series(alert, now) == [0.0, 0.0, 0.0, today], metric
    assert len((await ticker.tick()).alerts) == 4  # each fires at >= its own value


async def test_alerts_take_turns_when_more_are_active_than_a_tick_checks(services, smtp) -> None:
    await services.metadata.insert_website(website_id="site_t", name="T", domain="t.example", timezone="UTC")
    body = {"name": "never", "metric": "pageviews", "condition_type": "threshold_below", "threshold_value": -1,
            "channel": "email", "target": "ops@example.com"}
    for n in range(3):
        await services.metadata.create_alert("site_t", body, datetime(2026, 1, 1) + timedelta(minutes=n))
    ticker = notifier(services, smtp, Clock(datetime(2026, 1, 2)), max_alerts=2)
    assert [(await ticker.tick()).alerts_checked for _ in range(4)] == [2, 1, 2, 1]
