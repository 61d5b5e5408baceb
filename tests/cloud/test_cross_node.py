"""What no single node can fake: a visitor's session built from events two nodes took,
and auth (cookies, API keys, logout) decided on one node and honoured on the other."""

from __future__ import annotations

import time
import uuid
from contextlib import closing

import httpx

from tests.cloud.conftest import new_website, recent_days, wait_for_pageviews

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


def test_a_visitor_alternating_between_nodes_makes_one_session(cluster, api) -> None:
    site = new_website(api, "cross-node")
    # No visitor_id: the visitor hash comes from the salts both nodes read from PostgreSQL.
    agent = f"{BROWSER} cross-node/{uuid.uuid4().hex[:8]}"
    pages = ["/landing", "/pricing", "/docs", "/signup"]
    for n, page in enumerate(pages):
        node = cluster.node(1 + n % 2)
        event = {"website_id": site, "type": "pageview", "url": f"https://example.com{page}"}
        if n == 0:
            event["referrer"] = "https://news.ycombinator.com/item?id=1"
        response = httpx.post(f"{node}/api/collect", json=event, headers={"User-Agent": agent})
        assert response.status_code == 202, response.text
        time.sleep(0.6)  # a measurable duration, well inside the 30-minute rule
    assert wait_for_pageviews(api, site, 4) == 4

    stats = api.get(f"/api/websites/{site}/stats", params=recent_days()).json()["data"]
    assert (stats["sessions"], stats["visitors"], stats["bounce_rate"]) == (1, 1, 0.0)
    sessions = api.get(f"/api/websites/{site}/sessions", params=recent_days()).json()["data"]
    [session] = sessions
    assert session["pageview_count"] == 4
    assert session["entry_page"].endswith("/landing") and session["exit_page"].endswith("/signup")
    detail = api.get(f"/api/websites/{site}/sessions/{session['session_id']}").json()["data"]
    assert [event["url"].removeprefix("https://example.com") for event in detail["events"]] == pages
    assert 1 <= session["duration_seconds"] <= 60
    sources = api.get(f"/api/websites/{site}/metrics", params={**recent_days(), "type": "referrer"}).json()["data"]
    assert [(row["value"], row["visitors"]) for row in sources["rows"]] == [("news.ycombinator.com", 1)]


def test_a_login_on_one_node_holds_on_the_other(cluster) -> None:
    with closing(cluster.client(cluster.node(1))) as first, httpx.Client(base_url=cluster.node(2), timeout=30) as second:
        second.cookies = first.cookies
        assert second.get("/api/auth/session").status_code == 200

        created = second.post("/api/auth/keys", json={"name": "cross-node"})
        assert created.status_code == 201, created.text
        key = created.json()["data"]["key"]
        bearer = {"Authorization": f"Bearer {key}"}
        assert _eventually(lambda: httpx.get(f"{cluster.node(1)}/api/websites", headers=bearer).status_code == 200)

        assert first.post("/api/auth/logout").status_code == 200
        assert _eventually(lambda: second.get("/api/auth/session").status_code == 401)


def _eventually(check, timeout: float = 5.0) -> bool:
    """Nodes read the auth state again within a second (auth/state.py)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False
