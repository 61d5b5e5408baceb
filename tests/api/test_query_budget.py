"""A report that outlives its time budget is interrupted and answers 503 (API.md §0.2).

The real reports finish in milliseconds on test data, so the test mounts one route that
runs an endless statement through the same ``run()`` every report uses.
"""

from __future__ import annotations

from quart import jsonify

from sparklytics.api.reports import run
from tests.api.helpers import assert_error

ENDLESS = "SELECT sum(a.range * b.range) FROM range(1000000000) a, range(1000000000) b"


async def test_a_report_past_its_budget_is_a_503_and_the_server_carries_on(app, client) -> None:
    async def endless_report(website_id: str):
        return jsonify(await run(lambda cur: cur.execute(ENDLESS).fetchone(), timeout_ms=100))

    app.add_url_rule("/api/websites/<website_id>/endless", view_func=endless_report, endpoint="endless")
    response = await client.get("/api/websites/any/endless")
    await assert_error(response, 503, "query_timeout", "Query timed out, retry later")
    assert response.headers["Retry-After"] == "2"
    assert (await client.get("/health")).status_code == 200
