"""Readable helpers for HTTP tests: make websites, send events, read what was stored."""

from __future__ import annotations

from typing import Any

from actors.buffer import Flush
from actors.runtime import ask

BROWSER_UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)
BROWSER_HEADERS = {"User-Agent": BROWSER_UA, "Accept": "*/*", "Accept-Language": "en-US,en;q=0.9"}


def from_ip(ip: str) -> dict[str, Any]:
    """``scope_base`` for the Quart test client: the request comes from ``ip``."""
    return {"client": (ip, 40000)}


async def create_website(client: Any, name: str = "Example", domain: str = "example.com", **extra: Any) -> str:
    response = await client.post("/api/websites", json={"name": name, "domain": domain, **extra})
    assert response.status_code == 201, await response.get_data(as_text=True)
    return (await response.get_json())["data"]["id"]


def pageview(website_id: str, url: str = "https://example.com/", **fields: Any) -> dict[str, Any]:
    return {"website_id": website_id, "type": "pageview", "url": url, **fields}


def custom_event(website_id: str, name: str, data: Any = None, **fields: Any) -> dict[str, Any]:
    event = {"website_id": website_id, "type": "event", "url": "https://example.com/", "event_name": name, **fields}
    if data is not None:
        event["event_data"] = data
    return event


async def send(client: Any, body: Any, *, ip: str = "198.51.100.7", headers: dict[str, str] | None = None, path: str = "/api/collect") -> Any:
    return await client.post(path, json=body, headers=headers or BROWSER_HEADERS, scope_base=from_ip(ip))


async def stored_events(services: Any, columns: str = "*", where: str = "TRUE") -> list[dict[str, Any]]:
    """Commit everything acknowledged, then read the events table (oldest first)."""
    await ask(services.buffer.inbox, Flush(), timeout=30)

    def read(cur: Any) -> list[dict[str, Any]]:
        cur.execute(f"SELECT {columns} FROM events WHERE {where} ORDER BY created_at")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    return await services.db.read(read)


async def assert_error(response: Any, status: int, code: str, message: str | None = None, field: str | None = None) -> dict[str, Any]:
    """The response is the JSON error envelope of API.md §0.2 with these values."""
    assert response.status_code == status, (response.status_code, await response.get_data(as_text=True))
    body = await response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "field"}, body
    assert body["error"]["code"] == code, body
    if message is not None:
        assert body["error"]["message"] == message, body
    if field is not None:
        assert body["error"]["field"] == field, body
    return body["error"]
