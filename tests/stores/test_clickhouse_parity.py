"""ClickHouse answers what DuckDB answers, over the same data, beyond the contract's
hand-worked numbers: every breakdown type, filters, the other time zone and its DST
day, hourly buckets, the export byte for byte, a session's detail, journeys backwards,
monthly retention. DuckDB is the reference (its own tests fix its numbers)."""

from __future__ import annotations

import pytest

from sparklytics.queries.journey import parse_journey_options
from sparklytics.queries.retention import parse_retention_options
from sparklytics.config import load_config
from sparklytics.stores.analytics import QueryBudgets
from sparklytics.stores.clickhouse.connection import read_timeout_for
from sparklytics.stores.errors import QueryTimeout
from tests.queries.conftest import make_query

from .conftest import analytics_on

WEEK = {"start_date": "2026-03-02", "end_date": "2026-03-08"}
TYPES = ["page", "event_name", "referrer", "channel", "utm_source", "utm_medium", "utm_campaign", "country",
         "region", "city", "browser", "os", "device", "screen", "language", "entry_page", "exit_page"]


@pytest.fixture
async def both(request, main_dataset):
    # ClickHouse first: its copy reads the DuckDB file before the DuckDB store opens it.
    async with analytics_on("clickhouse", main_dataset, request) as click:
        async with analytics_on("duckdb", main_dataset, request) as duck:
            yield duck, click


async def same(both, report: str, *args) -> object:
    duck, click = both
    expected = await getattr(duck, report)(*args)
    assert await getattr(click, report)(*args) == expected
    return expected


@pytest.mark.parametrize("metric", TYPES)
async def test_every_breakdown(both, metric):
    result = await same(both, "metrics", make_query("metrics", type=metric, limit="3", offset="1", **WEEK))
    assert result.data["rows"] or metric in ("utm_campaign", "utm_medium", "utm_source", "referrer", "event_name")


@pytest.mark.parametrize("params", [
    {"filter_country": "US"}, {"filter_page": "/pricing"}, {"filter_referrer": "(direct)"},
    {"filter_channel": "Email"}, {"filter_utm_source": "google"}, {"compare": "previous_period"},
])
async def test_filtered_stats_series_and_breakdowns(both, params):
    await same(both, "stats", make_query("stats", **WEEK, **params))
    await same(both, "pageviews", make_query("pageviews", **WEEK, **params))
    await same(both, "metrics", make_query("metrics", type="page", **WEEK, **params))


async def test_the_other_zone_its_dst_day_and_hours(both):
    duck, click = both
    # The seed hand-writes w3's two events an hour apart as one session (the Writer never
    # stores that); ClickHouse derives two, by the rule. So compare what events decide.
    stats = make_query("stats", "site_la", **WEEK)
    expected = (await duck.stats(stats)).data
    found = (await click.stats(stats)).data
    assert (found["pageviews"], found["visitors"]) == (expected["pageviews"], expected["visitors"]) == (5, 4)
    await same(both, "pageviews", make_query("pageviews", "site_la", start_date="2026-03-08",
                                             end_date="2026-03-08", granularity="hour"))
    await same(both, "pageviews", make_query("pageviews", "site_la", start_date="2026-03-01",
                                             end_date="2026-03-31", granularity="month"))


async def test_the_export_byte_for_byte(both):
    duck, click = both
    query = make_query("export", start_date="2026-02-01", end_date="2026-03-31")
    expected = b"".join([chunk async for chunk in duck.export(query)])
    assert b"".join([chunk async for chunk in click.export(query)]) == expected


def without_ids(session: dict) -> dict:
    return {key: value for key, value in session.items() if key != "session_id"}


async def test_sessions_and_their_details_with_event_ids(both):
    """The seed names its sessions (their ids are hashes of the names); ClickHouse derives
    the contract's ids. So each backend's detail is looked up by its own list's id."""
    duck, click = both
    query = make_query("sessions", limit="5", **WEEK)
    duck_page, click_page = (await duck.sessions(query)).data, (await click.sessions(query)).data
    assert [without_ids(s) for s in click_page] == [without_ids(s) for s in duck_page]
    for duck_session, click_session in zip(duck_page, click_page, strict=True):
        expected = (await duck.session("site_utc", duck_session["session_id"])).data
        found = (await click.session("site_utc", click_session["session_id"])).data
        assert found["events"] == expected["events"]
        assert without_ids(found["session"]) == without_ids(expected["session"])


async def test_journeys_backwards_and_from_an_event(both):
    for raw in ({"anchor_type": "page", "anchor_value": "/docs", "direction": "previous"},
                {"anchor_type": "event", "anchor_value": "signup_click", "direction": "next", "max_depth": "2"}):
        await same(both, "journey", make_query("journey", **WEEK), parse_journey_options(raw))


async def test_monthly_and_filtered_retention(both):
    options = parse_retention_options({"cohort_granularity": "month", "max_periods": "2"})
    await same(both, "retention", make_query("retention", start_date="2026-02-01", end_date="2026-03-31"), options)
    weekly = parse_retention_options({"cohort_granularity": "week", "max_periods": "3"})
    await same(both, "retention", make_query("retention", start_date="2026-03-02", end_date="2026-03-15",
                                             filter_country="US"), weekly)


async def test_a_report_over_its_budget_is_a_query_timeout(request, main_dataset):
    # 1 ms: the server stops the statement (max_execution_time) and says why.
    async with analytics_on("clickhouse", main_dataset, request, QueryBudgets(default=1, retention=1)) as click:
        with pytest.raises(QueryTimeout):
            await click.stats(make_query("stats", **WEEK))


def test_the_client_waits_for_the_server_to_stop_a_report_at_any_budget():
    """Past its budget the server stops a report and says why (``query_timeout`` above);
    the HTTP client must not give up first, or the user gets ``storage_unavailable`` —
    it did at 60 s, under the retention report's 120-s default."""
    defaults = load_config({})
    for budget_ms in (1, defaults.query_timeout_ms, defaults.retention_statement_timeout_ms, 600_000):
        assert read_timeout_for({"max_execution_time": budget_ms / 1000}).read > budget_ms / 1000
