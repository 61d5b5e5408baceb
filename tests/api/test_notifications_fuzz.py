"""A bounded fuzz of the saved-report and notification bodies (fixed seed): no answer is
a 5xx, every error is the JSON envelope."""

from __future__ import annotations

import random
from urllib.parse import quote

from tests.api.helpers import create_website
from tests.api.test_fuzz import nasty

SEED = 20261218
REQUESTS = 600
REPORT_FIELDS = ["version", "report_type", "date_range_type", "relative_days", "start_date", "end_date", "compare_mode",
                 "compare_start_date", "compare_end_date", "timezone", "metric_type", "filter_page", "filter_country", "extra"]
GOOD_CONFIG = {"version": 1, "report_type": "metrics", "date_range_type": "absolute", "start_date": "2026-03-01",
               "end_date": "2026-03-07", "metric_type": "page", "compare_mode": "previous_period"}
SUBSCRIPTION_FIELDS = ["report_id", "schedule", "timezone", "channel", "target", "is_active", "extra"]
ALERT_FIELDS = ["name", "metric", "condition_type", "threshold_value", "lookback_days", "channel", "target", "is_active"]


def mutate(rng: random.Random, good: dict, fields: list[str]) -> object:
    if rng.random() < 0.05:
        return nasty(rng)
    body = dict(good)
    for _ in range(rng.randint(1, 3)):
        body[rng.choice(fields)] = nasty(rng)
    return body


async def test_bodies_never_answer_5xx(client) -> None:
    rng = random.Random(SEED)
    site = await create_website(client)
    base = f"/api/websites/{site}"
    report = (await (await client.post(f"{base}/reports", json={"name": "r", "config": GOOD_CONFIG})).get_json())["data"]
    sub_body = {"report_id": report["id"], "schedule": "daily", "channel": "email", "target": "a@b.co"}
    sub = (await (await client.post(f"{base}/subscriptions", json=sub_body)).get_json())["data"]
    alert_body = {"name": "a", "metric": "pageviews", "condition_type": "spike", "threshold_value": 2, "channel": "email", "target": "a@b.co"}
    alert = (await (await client.post(f"{base}/alerts", json=alert_body)).get_json())["data"]
    statuses = []
    for n in range(REQUESTS):
        kind = n % 6
        if kind == 0:
            method, path, body = "POST", f"{base}/reports", {"name": nasty(rng), "config": mutate(rng, GOOD_CONFIG, REPORT_FIELDS)}
        elif kind == 1:
            method, path, body = "POST", f"{base}/reports/preview", mutate(rng, GOOD_CONFIG, REPORT_FIELDS)
        elif kind == 2:
            method, path, body = "PUT", f"{base}/reports/{report['id']}", {rng.choice(["name", "description", "config"]): nasty(rng)}
        elif kind == 3:
            method, path, body = rng.choice(["POST", "PUT"]), f"{base}/subscriptions", mutate(rng, sub_body, SUBSCRIPTION_FIELDS)
            if method == "PUT":
                path += f"/{sub['id']}"
        elif kind == 4:
            method, path, body = rng.choice(["POST", "PUT"]), f"{base}/alerts", mutate(rng, alert_body, ALERT_FIELDS)
            if method == "PUT":
                path += f"/{alert['id']}"
        else:
            method, path, body = "GET", f"{base}/notifications/history?limit={quote(str(nasty(rng)), safe='', errors='surrogatepass')}", None
        response = await client.open(path, method=method, json=body) if body is not None else await client.get(path)
        statuses.append(response.status_code)
        assert response.status_code < 500, (method, path, body, await response.get_data(as_text=True))
        if response.status_code >= 400:
            error = (await response.get_json())["error"]
            assert set(error) == {"code", "message", "field"}
    assert {200, 201, 400, 422} <= set(statuses)
