"""A report that outlives its time budget is interrupted and answers 503 (API.md §0.2).

The real reports finish in milliseconds on test data, so the test mounts one route that
runs an endless statement through the same ``Database.read`` budget every DuckDB report
runs under (``stores/duckdb/analytics.py``).
"""

from __future__ import annotations

from quart import current_app, jsonify

from tests.api.helpers import assert_error

ENDLESS = "SELECT sum(a.range * b.range) FROM range(1000000000) a, range(1000000000) b"


async def test_a_report_past_its_budget_is_a_503_and_the_server_carries_on(app, client) -> None:
    async def endless_report(website_id: str):
        db = current_app.config["SERVICES"].db
        return jsonify(await db.read(lambda cur: cur.execute(ENDLESS).fetchone(), timeout=0.1))

    app.add_url_rule("/api/websites/<website_id>/endless", view_func=endless_report, endpoint="endless")
    response = await client.get("/api/websites/any/endless")
    await assert_error(response, 503, "query_timeout", "Query timed out, retry later")
    assert response.headers["Retry-After"] == "2"
    assert (await client.get("/health")).status_code == 200
