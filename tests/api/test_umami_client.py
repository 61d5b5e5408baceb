"""Umami's own Python client (PyPI ``umami-analytics``) posting to our ``POST /api/send``,
counted through our API: page views, events with data, revenue, the distinct id."""

from __future__ import annotations

import uuid

import httpx
import httpx2
import pytest
import umami

UMAMI_ID = str(uuid.uuid4())


@pytest.fixture(scope="module")
def umami_site(live_server):
    site = httpx.post(
        f"{live_server.url}/api/websites",
        json={"name": "Umami client", "domain": "umami-client.example.com", "umami_website_id": UMAMI_ID},
    ).json()["data"]
    umami.set_url_base(live_server.url)
    umami.set_website_id(UMAMI_ID)
    umami.set_hostname("umami-client.example.com")
    umami.enable()
    return site["id"]


def report(live_server, website_id: str, route: str, **params) -> dict:
    live_server.flush()
    return httpx.get(f"{live_server.url}/api/websites/{website_id}/{route}", params=params).json()["data"]


def test_the_umami_python_client_posts_to_us(live_server, umami_site) -> None:
    goal = httpx.post(
        f"{live_server.url}/api/websites/{umami_site}/goals",
        json={"name": "Course", "goal_type": "event", "match_value": "purchase-course", "value_mode": "event_property",
              "value_property_key": "revenue", "currency": "EUR"},
    ).json()["data"]

    answer = umami.new_page_view("Pricing", "/pricing?utm_source=podcast", referrer="https://www.google.com/", language="fr-FR", screen="1440x900")
    assert answer == {"cache": None, "sessionId": None, "visitId": None}
    umami.new_event("signup", url="/signup", custom_data={"plan": "pro"}, distinct_id="customer-7")
    umami.new_revenue_event(49.0, currency="EUR", event_name="purchase-course", url="/checkout")

    pages = {row["value"]: row["pageviews"] for row in report(live_server, umami_site, "metrics", type="page")["rows"]}
    assert pages == {"/pricing": 1}
    assert [r["value"] for r in report(live_server, umami_site, "metrics", type="utm_source")["rows"]] == ["podcast"]
    # The anonymous visitor landed with the page view's screen; customer-7 is a visitor of its own.
    screens = {r["value"]: r["visitors"] for r in report(live_server, umami_site, "metrics", type="screen")["rows"]}
    assert screens == {"1440x900": 1, "1920x1080": 1}
    assert [r["value"] for r in report(live_server, umami_site, "metrics", type="language")["rows"]][0] == "fr-FR"
    events = {row["event_name"]: row["count"] for row in report(live_server, umami_site, "events")["rows"]}
    assert events == {"signup": 1, "purchase-course": 1}
    props = report(live_server, umami_site, "events/properties", event_name="signup")["properties"]
    assert {(p["property_key"], p["property_value"]) for p in props} == {("plan", "pro")}
    [row] = report(live_server, umami_site, "goals/conversions")["rows"]
    assert (row["goal_id"], row["conversions"], row["revenue"], row["currency"]) == (goal["id"], 1, 49.0, "EUR")
    visitors = {s["visitor_id"] for s in httpx.get(f"{live_server.url}/api/websites/{umami_site}/sessions").json()["data"]}
    assert "customer-7" in visitors


def test_an_unknown_umami_website_is_an_error_the_client_raises(live_server, umami_site) -> None:
    with pytest.raises(httpx2.HTTPStatusError) as error:  # the client's own HTTP library
        umami.new_event("signup", website_id=str(uuid.uuid4()))
    assert error.value.response.status_code == 404
    assert error.value.response.json()["error"]["code"] == "not_found"
