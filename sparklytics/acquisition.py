"""What a hit on ``/l/<slug>`` or ``/p/<key>`` records (API.md §1.15; Decisions 10, 15).

The HTTP layer (:mod:`sparklytics.api.acquisition`) reads the request into a :class:`Hit`
with :func:`read_query` (more than 32 query parameters is a 400). The Enricher, which
caches links and pixels (60 s, forgotten on every change), finds the link or pixel and
turns the hit into the collect payload of its event with :func:`link_click` or
:func:`pixel_view`; from there the event goes the way of every collected event: bot
score (Decision 15: clicks too), visitor id, session, WAL, durable ack.

* A **link click** is an ``event`` row named ``link_click`` with the link's id, its URL
  the redirect target and its UTM tags the link's, so the visit it starts (same visitor,
  same session) is attributed to the campaign. ``event_data`` is ``{link_id, slug,
  destination_url, query}``.
* A **pixel view** is an ``event`` row named ``pixel_view`` with the pixel's id; its URL
  is the ``url`` query parameter, else the pixel's ``default_url``, else
  ``pixel://<key>``, and its UTM tags are read from that URL. ``event_data`` is
  ``{pixel_id, pixel_key, url, query}``.

``query`` keeps the request's query parameters whose name is at most 64 bytes and value
at most 256 bytes (the first of a repeated name). ``event_data`` over 4 096 bytes is 400
``payload_too_large``, as on collect. The language is the first tag of
``Accept-Language`` (what the tracker sends as ``navigator.language``), so clicks and
pageviews fall in the same language row; the contract's raw header would not.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from sparklytics.campaigns import LINK_NOT_FOUND, MAX_URL_BYTES, PIXEL_NOT_FOUND, CampaignLink, TrackingPixel

MAX_QUERY_PARAMS = 32
MAX_QUERY_KEY_BYTES = 64
MAX_QUERY_VALUE_BYTES = 256
MAX_EVENT_DATA_BYTES = 4_096
MAX_REFERRER_CHARS = 4_096
LINK_CLICK = "link_click"
PIXEL_VIEW = "pixel_view"

# The 43-byte transparent 1×1 GIF89a every pixel hit answers with.
TRANSPARENT_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)

_LANGUAGE = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")
# One shared encoder measures event_data the way collect does (UTF-8 bytes, compact).
_SIZE_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Hit:
    """A request to ``/l/<slug>`` (``token`` = slug) or ``/p/<key>`` (``token`` = key)."""

    token: str
    query: tuple[tuple[str, str], ...]
    referrer: str | None
    language: str | None


class HitRefused(Exception):
    """The hit breaks a limit of §1.15: answer ``status`` with ``code`` and ``message``."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


class CampaignNotFound(Exception):
    """No active link (pixel) has this slug (key): 404, and nothing is recorded."""

    def __init__(self, kind: str) -> None:
        super().__init__(LINK_NOT_FOUND if kind == "link" else PIXEL_NOT_FOUND)


def read_query(raw: str) -> tuple[tuple[str, str], ...]:
    """The decoded query parameters of a hit, in order.

    Raises:
        HitRefused: more than :data:`MAX_QUERY_PARAMS` parameters.
    """
    try:
        return tuple(parse_qsl(raw, keep_blank_values=True, max_num_fields=MAX_QUERY_PARAMS))
    except ValueError:
        raise HitRefused(400, "validation_error", "too many query parameters") from None


def language_of(accept_language: str | None) -> str | None:
    """The first language tag of an ``Accept-Language`` header (``de-CH`` of
    ``de-CH,de;q=0.9``), or None when there is no well-formed one."""
    if not accept_language:
        return None
    first = accept_language.split(",", 1)[0].split(";", 1)[0].strip()
    return first if _LANGUAGE.match(first) else None


def referrer_of(referer: str | None) -> str | None:
    return referer[:MAX_REFERRER_CHARS] if referer else None


def link_click(link: CampaignLink, hit: Hit) -> dict[str, Any]:
    """The collect payload of a click on ``link``.

    Raises:
        HitRefused: its ``event_data`` is over 4 096 bytes.
    """
    data = {"link_id": link.id, "slug": link.slug, "destination_url": link.destination_url, "query": _kept(hit.query)}
    return {
        **_payload(link.website_id, link.location, LINK_CLICK, _checked(data), hit),
        **link.utms,
        "link_id": link.id,
    }


def pixel_view(pixel: TrackingPixel, hit: Hit) -> dict[str, Any]:
    """The collect payload of a load of ``pixel``.

    Raises:
        HitRefused: its URL is over 2 048 bytes or its ``event_data`` over 4 096.
    """
    query = dict(reversed(hit.query))  # the first value of a repeated name wins
    url = query.get("url") or pixel.default_url or f"pixel://{pixel.pixel_key}"
    if len(url.encode()) > MAX_URL_BYTES:
        raise HitRefused(400, "validation_error", f"url must be at most {MAX_URL_BYTES} bytes", "url")
    data = {"pixel_id": pixel.id, "pixel_key": pixel.pixel_key, "url": url, "query": _kept(hit.query)}
    return {**_payload(pixel.website_id, url, PIXEL_VIEW, _checked(data), hit), "pixel_id": pixel.id}


def _payload(website_id: str, url: str, event_name: str, event_data: dict[str, Any], hit: Hit) -> dict[str, Any]:
    """The fields of a collect payload (``api.collect.CollectEvent``) for a server-made event."""
    return {
        "website_id": website_id,
        "type": "event",
        "url": url,
        "referrer": hit.referrer,
        "screen": None,
        "screen_width": None,
        "screen_height": None,
        "language": hit.language,
        "event_name": event_name,
        "event_data": event_data,
        "utm_source": None,
        "utm_medium": None,
        "utm_campaign": None,
        "utm_term": None,
        "utm_content": None,
        "visitor_id": None,
    }


def _kept(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for key, value in pairs:
        if key not in kept and len(key.encode()) <= MAX_QUERY_KEY_BYTES and len(value.encode()) <= MAX_QUERY_VALUE_BYTES:
            kept[key] = value
    return kept


def _checked(event_data: dict[str, Any]) -> dict[str, Any]:
    if len(_SIZE_JSON.encode(event_data).encode()) > MAX_EVENT_DATA_BYTES:
        raise HitRefused(400, "payload_too_large", "Payload exceeds size limit", "event_data")
    return event_data
