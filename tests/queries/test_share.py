"""Share routes: shapes of stats, pageviews, metrics and the overview."""

from __future__ import annotations

from .conftest import make_query
from .reports import overview, share_metrics, share_pageviews, share_stats, stats
from .test_breakdowns import EXPECTED, rows


def test_overview(cur):
    body = overview(cur, make_query("share_overview")).body()
    assert set(body) == {"data"}
    data = body["data"]
    # Default range = primary week; bots excluded by the policy default.
    assert data["stats"] == stats(cur, make_query("stats")).data
    assert data["pageviews"]["granularity"] == "day"
    assert set(data["pageviews"]) == {"series", "granularity"}
    assert [p["pageviews"] for p in data["pageviews"]["series"]] == [12, 12, 12, 12, 12, 0, 0]
    assert list(data["metrics"]) == ["page", "referrer", "browser", "country", "os", "device"]
    for metric, block in data["metrics"].items():
        assert set(block) == {"rows"}
        assert [tuple(r[k] for k in ("value", "visitors", "pageviews", "bounce_rate", "avg_duration_seconds"))
                for r in block["rows"]] == EXPECTED[metric]


def test_overview_top_10_and_bot_policy(db):
    con, seed = db
    seed.website("site_a")
    for n in range(12):
        seed.event(at=f"2026-03-02T10:{n:02d}Z", website="site_a", path=f"/p{n:02d}", visitor=f"v{n}", bot=n == 0)
    seed.flush()
    q = make_query("share_overview", "site_a", start_date="2026-03-02", end_date="2026-03-02")
    pages = overview(con.cursor(), q).data["metrics"]["page"]["rows"]
    assert [r["value"] for r in pages] == [f"/p{n:02d}" for n in range(1, 11)]
    # Bot policy "off" → bots included by default.
    q = make_query("share_overview", "site_a", bots_default=True, start_date="2026-03-02", end_date="2026-03-02")
    assert overview(con.cursor(), q).data["metrics"]["page"]["rows"][0]["value"] == "/p00"


def test_share_stats_pageviews_metrics_shapes(cur):
    assert set(share_stats(cur, make_query("share_stats")).body()) == {"data"}
    body = share_pageviews(cur, make_query("share_pageviews")).body()
    assert set(body) == {"data"} and set(body["data"]) == {"series", "granularity"}
    result = share_metrics(cur, make_query("share_metrics", type="country", limit="2"))
    assert set(result.body()) == {"data", "pagination"}
    assert rows(result) == EXPECTED["country"][:2]
    assert result.extras["pagination"] == {"total": 3, "limit": 2, "offset": 0, "has_more": True}
