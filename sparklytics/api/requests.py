"""Request helpers shared by every blueprint: JSON bodies and the client's IP."""

from __future__ import annotations

from typing import Any

from quart import request

from sparklytics.api.errors import ApiError
from sparklytics.api.json_body import decode_json
from sparklytics.enrich import TrustedProxies
from sparklytics.enrich import client_ip as resolve_client_ip


async def parse_json_body(max_bytes: int, *, allow_text_plain: bool = False) -> Any:
    """The request body as JSON, or the right 4xx (Decision 9).

    Only ``application/json`` is accepted (plus ``text/plain`` where the tracker needs
    to avoid a CORS preflight), so a cross-site HTML form can never post to the API.
    """
    mimetype = request.mimetype
    allowed = ("application/json", "text/plain") if allow_text_plain else ("application/json",)
    if mimetype not in allowed:
        raise ApiError(415, "unsupported_media_type", f"Content-Type must be {' or '.join(allowed)}")
    if request.content_length is not None and request.content_length > max_bytes:
        raise ApiError(413, "payload_too_large", "Payload exceeds size limit")
    raw = await request.get_data(cache=True)
    if len(raw) > max_bytes:
        raise ApiError(413, "payload_too_large", "Payload exceeds size limit")
    return decode_json(raw)


def client_ip(trusted: TrustedProxies) -> str:
    """The client's address per the trusted-proxy rules (§2 step 3): one helper for all."""
    peer = request.remote_addr
    return resolve_client_ip(peer, request.headers.get("X-Forwarded-For"), trusted)
