"""``POST /api/collect`` and its alias ``POST /e`` (API.md §1.4, Decisions 9, 10, 17).

The handler validates the body, resolves the client, sends one message into the ingest
pipeline (RateLimiter → Enricher → Buffer) and awaits its single reply: 202 means the
events are fsynced in the WAL. Checks run in the contract's order: size, JSON, batch
size, emptiness, fields, ``event_data`` size; then the pipeline checks the website,
the rate limit and the queue bounds.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from quart import Blueprint, Response, current_app, jsonify, request

from actors.buffer import Accepted
from actors.enricher import ClientInfo, Collect
from actors.ratelimiter import Admit, Limit
from actors.runtime import ask_nowait
from sparklytics.api.errors import ApiError, bad_request, unprocessable
from sparklytics.api.requests import client_ip, parse_json_body

MAX_BODY_BYTES = 102_400
MAX_BATCH = 50
MAX_EVENT_DATA_BYTES = 4_096
COLLECT_LIMIT = Limit("collect", 60)
EVENT_TYPES = ("pageview", "event")
PIPELINE_TIMEOUT = 30.0

collect_bp = Blueprint("collect", __name__)


class CollectEvent(BaseModel):
    """One event as the tracker or an SDK sends it; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    website_id: str = Field(min_length=1, max_length=64)
    type: str = Field(max_length=32)
    url: str = Field(min_length=1, max_length=4096)
    referrer: str | None = Field(default=None, max_length=4096)
    screen: str | None = Field(default=None, max_length=32)
    screen_width: int | None = Field(default=None, ge=0, le=100_000)
    screen_height: int | None = Field(default=None, ge=0, le=100_000)
    language: str | None = Field(default=None, max_length=64)
    event_name: str | None = Field(default=None, max_length=200)
    event_data: Any = None
    utm_source: str | None = Field(default=None, max_length=512)
    utm_medium: str | None = Field(default=None, max_length=512)
    utm_campaign: str | None = Field(default=None, max_length=512)
    utm_term: str | None = Field(default=None, max_length=512)
    utm_content: str | None = Field(default=None, max_length=512)
    visitor_id: str | None = Field(default=None, max_length=256)


_EVENTS = TypeAdapter(list[CollectEvent])


@collect_bp.route("/api/collect", methods=["POST"], provide_automatic_options=False)
@collect_bp.route("/e", methods=["POST"], provide_automatic_options=False)
async def collect() -> Response:
    body = await parse_json_body(MAX_BODY_BYTES, allow_text_plain=True)
    payloads = _validate(body)
    services = current_app.config["SERVICES"]
    client = ClientInfo(
        ip=client_ip(services.trusted_proxies),
        user_agent=request.headers.get("User-Agent", ""),
        has_accept="Accept" in request.headers,
        has_accept_language="Accept-Language" in request.headers,
    )
    received_at = datetime.now(timezone.utc).replace(tzinfo=None)
    message = Admit(COLLECT_LIMIT, client.ip, services.enricher.inbox, Collect(payloads, client, received_at))
    accepted: Accepted = await ask_nowait(services.ratelimiter.inbox, message, timeout=PIPELINE_TIMEOUT)
    response = jsonify({"ok": True})
    response.status_code = 202
    response.headers.update(
        {
            "x-sparklytics-ingest-ack": "durable",
            "x-sparklytics-ingest-queue-events": str(accepted.queued),
            "x-sparklytics-ingest-queue-capacity": str(accepted.capacity),
            "x-sparklytics-ingest-accepted-events": str(accepted.accepted),
            "x-sparklytics-ingest-dropped-events": str(accepted.dropped),
        }
    )
    if accepted.drop_reasons:
        response.headers["x-sparklytics-ingest-drop-reason"] = ",".join(accepted.drop_reasons)
    return response


@collect_bp.route("/api/collect", methods=["OPTIONS"])
@collect_bp.route("/e", methods=["OPTIONS"])
async def collect_preflight() -> Response:
    response = Response("", status=204)
    response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = request.headers.get("Access-Control-Request-Headers", "*")
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


@collect_bp.after_request
async def allow_any_origin(response: Response) -> Response:
    """Collect is open to every origin (the tracker runs on the customer's site)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _validate(body: Any) -> list[dict[str, Any]]:
    items = body if isinstance(body, list) else [body]
    if not isinstance(body, (list, dict)):
        raise unprocessable("body must be an event object or an array of them")
    if len(items) > MAX_BATCH:
        raise ApiError(400, "batch_too_large", f"Batch exceeds maximum of {MAX_BATCH} events")
    if not items:
        raise bad_request("empty batch")
    try:
        events = _EVENTS.validate_python(items)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"][1:]) or None
        raise unprocessable(f"{field}: {first['msg']}" if field else first["msg"], field=field) from None
    payloads = []
    for event in events:
        if event.type not in EVENT_TYPES:
            raise bad_request("type must be one of: pageview, event", field="type")
        if event.event_data is not None:
            if len(json.dumps(event.event_data, separators=(",", ":")).encode()) > MAX_EVENT_DATA_BYTES:
                raise ApiError(400, "payload_too_large", "Payload exceeds size limit", field="event_data")
        payloads.append(event.model_dump())
    return payloads
