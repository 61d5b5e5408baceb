"""Umami's collect body (``POST /api/send``) → one of our collect payloads.

Umami's tracker (and ours in Umami mode, ``/script.js``), its Node and Python clients
send::

    {"type": "event", "payload": {"website": "<uuid>", "hostname": "example.com",
     "language": "en-US", "referrer": "…", "screen": "1920x1080", "title": "…",
     "url": "/pricing?utm_source=x", "name": "signup", "data": {"plan": "pro"},
     "tag": "spring", "id": "user-42"}}

How each becomes our event:

* ``website`` is an Umami website UUID some website carries as ``umami_website_id``,
  or one of our own ``site_…`` ids.
* ``type`` ``event`` without a ``name`` is a pageview, with one a custom event whose
  properties are ``data``; ``type`` ``identify`` is a custom event ``identify``
  carrying ``data`` (Umami's session data), so what a site says about a visitor is
  in the event properties report.
* ``id`` (Umami's distinct id) is the visitor id (what ``identify(id)`` sets), so the
  visitor's later events join one visitor as ``sparklytics.identify`` does.
* ``tag`` becomes the property ``tag``. A path-only ``url`` is read against
  ``https://<hostname>``, as Umami does, so the page's host is known. ``title`` and
  Umami's ``timestamp`` are not stored (we have no column for them).

The answer is Umami's ``200`` JSON object; ``cache``, ``sessionId`` and ``visitId`` are
null, since sessions are assigned when the event is written, after the answer (a
client only needs the 200; Umami's tracker sends ``cache`` back only when it has one).
Everything else is checked by collect's own rules (:func:`parse_events`).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from actors.enricher import SiteName
from sparklytics.api.errors import bad_request, unprocessable

TYPES = ("event", "identify")
# A host (with an optional port) that can stand in front of a path.
_HOSTNAME = re.compile(r"^[A-Za-z0-9.\-]{1,253}(?::\d{1,5})?$")


def umami_event(body: Any) -> tuple[tuple[SiteName, ...], dict[str, Any]]:
    """The website an Umami body names and the collect payload of its event (without
    ``website_id``); raise the 4xx of the first problem."""
    if not isinstance(body, dict):
        raise unprocessable("body must be a JSON object")
    kind = body.get("type")
    if kind not in TYPES:
        raise bad_request("type must be one of: event, identify", field="type")
    payload = body.get("payload")
    if not isinstance(payload, dict):
        raise unprocessable("payload must be an object", field="payload")
    website = payload.get("website")
    if not isinstance(website, str) or not website.strip():
        raise bad_request("website is required", field="website")
    name, data, tag = payload.get("name"), payload.get("data"), payload.get("tag")
    if data is not None and not isinstance(data, dict):
        raise unprocessable("data must be an object", field="data")
    if tag is not None and not isinstance(tag, str):
        raise unprocessable("tag must be a string", field="tag")
    properties = {**(data or {}), **({"tag": tag} if tag else {})}
    if kind == "identify":
        name = "identify"
    event = {
        "type": "event" if name else "pageview",
        "url": _absolute_url(payload.get("url"), payload.get("hostname")),
        "referrer": payload.get("referrer") or None,
        "screen": payload.get("screen") or None,
        "language": payload.get("language") or None,
        "event_name": name or None,
        "event_data": properties or None,
        "visitor_id": payload.get("id") or None,
    }
    return (_site(website.strip()),), event


def _site(website: str) -> SiteName:
    try:
        return SiteName("umami", str(uuid.UUID(website)))
    except ValueError:
        return SiteName("id", website)


def _absolute_url(url: Any, hostname: Any) -> Any:
    """``url``, read against ``https://<hostname>`` when it is a path (Umami's rule)."""
    if url is None or url == "":
        url = "/"
    if isinstance(url, str) and url.startswith("/") and not url.startswith("//"):
        if isinstance(hostname, str) and _HOSTNAME.match(hostname):
            return f"https://{hostname}{url}"
    return url
