"""The AnalyticsStore contract for ``with_imported=true``: the main dataset plus
imported daily aggregates, exact numbers (``sparklytics.queries.imported`` defines the
sums), the same from DuckDB and from ClickHouse (whose imported rows are read from
PostgreSQL, as in cloud mode).

Imported rows of ``site_utc`` (written as ``sparklytics import`` of a Plausible export
writes them): Tue 3 March 2026 — 10 visitors, 25 pageviews, 12 visits, 6 bounces,
1 200 s; browser Chrome 5 visitors / 10 pageviews / 6 visits / 3 bounces / 600 s; page
/pricing 8 visitors / 20 pageviews. Sat 7 March — 4 visitors, 4 pageviews, 4 visits,
4 bounces, 0 s; browser Safari 4 / 4 / 4 / 4 / 0. Outside the week (20 March) and on
``site_la`` there are rows the week's reports must not see.
"""

from __future__ import annotations

from datetime import date

import pytest

from sparklytics.stores.duckdb.metadata_db import DuckDBMetadataDb
from sparklytics.stores.metadata_sql.imported import replace_imported_stats
from tests.queries.conftest import make_query
from tests.queries.fixtures import seed_main_dataset
from tests.stores.conftest import analytics_on, seeded_file
from tests.stores.test_analytics import WEEK, daily

TUE, SAT, LATER = date(2026, 3, 3), date(2026, 3, 7), date(2026, 3, 20)
NEXT_WEEK = {
    "start_date": "2026-03-09", "end_date": "2026-03-13",
    "compare_mode": "custom", "compare_start_date": "2026-03-02", "compare_end_date": "2026-03-06",
}


def seed_with_imports(seed) -> None:
    seed_main_dataset(seed)
    replace_imported_stats(
        DuckDBMetadataDb(seed.con), "site_utc", date(2026, 3, 1), date(2026, 3, 31),
        [(TUE, 10, 25, 12, 6, 1200), (SAT, 4, 4, 4, 4, 0), (LATER, 100, 100, 100, 0, 0)],
        [
            ("browser", TUE, "Chrome", 5, 10, 0, 6, 3, 600),
            ("browser", SAT, "Safari", 4, 4, 0, 4, 4, 0),
            ("browser", LATER, "Chrome", 100, 100, 0, 100, 0, 0),
            ("page", TUE, "/pricing", 8, 20, 0, 0, 0, 0),
        ],
    )
    replace_imported_stats(DuckDBMetadataDb(seed.con), "site_la", TUE, TUE, [(TUE, 50, 50, 50, 0, 0)], [])


@pytest.fixture(scope="session")
def imported_dataset(tmp_path_factory):
    return seeded_file(tmp_path_factory.mktemp("imported"), seed_with_imports)


@pytest.fixture(params=["duckdb", "clickhouse"])
async def store(request, imported_dataset):
    """DuckDB, or ClickHouse with the imported aggregates in PostgreSQL (cloud mode)."""
    async with analytics_on(request.param, imported_dataset, request) as analytics:
        yield analytics


async def test_stats_with_imported(store):
    # 60+25+4 pageviews, 7+10+4 visitors, 31+12+4 sessions, 15+6+4 bounces of 47,
    # (15 × 240 + 1 200) / 47 s; the previous week has no imported rows.
    body = (await store.stats(make_query("stats", **WEEK, with_imported="true"))).body()
    assert body == {
        "data": {
            "pageviews": 89, "visitors": 21, "sessions": 47, "bounce_rate": 0.532, "avg_duration_seconds": 102.1,
            "prev_pageviews": 3, "prev_visitors": 2, "prev_sessions": 2, "prev_bounce_rate": 0.5,
            "prev_avg_duration_seconds": 30.0, "timezone": "UTC",
        },
        "meta": {"imports_included": True},
    }
    native = (await store.stats(make_query("stats", **WEEK))).body()
    assert "meta" not in native and native["data"]["pageviews"] == 60


async def test_pageviews_with_imported(store):
    body = (await store.pageviews(make_query("pageviews", **WEEK, with_imported="true"))).body()
    assert body["data"]["series"] == daily([(12, 6), (37, 16), (12, 6), (12, 7), (12, 6), (4, 4), (0, 0)])
    assert body["meta"] == {"imports_included": True}


async def test_monthly_pageviews_add_every_imported_day_of_the_month(store):
    # March: 25 + 4 + 100 imported pageviews and 10 + 4 + 100 visitors (20 March included).
    march = {"start_date": "2026-03-01", "end_date": "2026-03-31", "granularity": "month"}
    native = (await store.pageviews(make_query("pageviews", **march))).body()["data"]["series"]
    body = (await store.pageviews(make_query("pageviews", **march, with_imported="true"))).body()
    [(month, pageviews, visitors)] = [(p["date"], p["pageviews"], p["visitors"]) for p in native]
    assert [(p["date"], p["pageviews"], p["visitors"]) for p in body["data"]["series"]] == [
        (month, pageviews + 129, visitors + 114)
    ]


async def test_metrics_with_imported(store):
    # Chrome: 3 + 5 visitors, 35 + 10 pageviews, 5 + 3 bounces of 15 + 6 sessions,
    # (15 × 160 + 600) / 21 s.
    body = (await store.metrics(make_query("metrics", type="browser", **WEEK, with_imported="true"))).body()
    assert body == {
        "data": {
            "type": "browser",
            "rows": [
                {"value": "Chrome", "visitors": 8, "pageviews": 45, "bounce_rate": 38.1, "avg_duration_seconds": 142.9},
                {"value": "Safari", "visitors": 4, "pageviews": 4, "bounce_rate": 100.0, "avg_duration_seconds": 0.0},
                {"value": "Firefox", "visitors": 3, "pageviews": 25, "bounce_rate": 66.7, "avg_duration_seconds": 80.0},
            ],
        },
        "pagination": {"total": 3, "limit": 10, "offset": 0, "has_more": False},
        "compare": None,
        "meta": {"imports_included": True},
    }


async def test_imported_rows_stay_out_of_other_websites_filters_and_compare_rows(store):
    la = (await store.stats(make_query("stats", "site_la", **WEEK, with_imported="true"))).body()
    assert la["meta"] == {"imports_included": True}  # its own Tuesday row
    filtered = (await store.stats(make_query("stats", **WEEK, with_imported="true", filter_browser="Chrome"))).body()
    assert filtered["meta"] == {"imports_included": False}
    compared = (await store.metrics(make_query(
        "metrics", type="page", **NEXT_WEEK, with_imported="true",
    ))).body()
    pricing = next(r for r in compared["data"]["rows"] if r["value"] == "/pricing")
    # the previous week's /pricing: its native pageviews plus the 20 imported
    native = (await store.metrics(make_query(
        "metrics", type="page", **NEXT_WEEK,
    ))).body()
    native_pricing = next(r for r in native["data"]["rows"] if r["value"] == "/pricing")
    assert pricing["prev_pageviews"] == native_pricing["prev_pageviews"] + 20
    assert pricing["prev_visitors"] == native_pricing["prev_visitors"] + 8
    assert compared["meta"] == {"imports_included": False}  # nothing imported in the primary week
