"""Umami's CSV data export → events.

Umami keeps one row per pageview or custom event in ``website_event`` (columns of its
Prisma schema: ``event_id``, ``website_id``, ``session_id``, ``visit_id``,
``created_at``, ``url_path``, ``url_query``, ``utm_source`` … ``utm_term``,
``referrer_path``, ``referrer_query``, ``referrer_domain``, ``page_title``, the click
ids, ``event_type`` — 1 pageview, 2 custom event —, ``event_name``, ``tag``,
``hostname``) and the visitor's client and place once per session in ``session``
(``session_id``, ``browser``, ``os``, ``device``, ``screen``, ``language``,
``country``, ``region``, ``city``). The export is a directory or zip holding
``website_event.csv`` and ``session.csv``, or a single ``website_event`` CSV that
carries the session columns itself (Umami's ClickHouse table does, with
``subdivision1`` for the region).

What we keep, and why:

* time, path + query (``https://<hostname><url_path>?<url_query>``), referrer, UTM
  tags, event name, and the session's place and client, **as exported**: there is no
  IP or user agent to derive them from. Browser, OS and device names are mapped to
  the names our parser gives (``chrome`` → ``Chrome``, ``laptop`` → ``desktop``), so
  imported and collected visits share rows; unknown names are kept as exported.
* visitors: Umami's ``session_id`` is its visitor key; it is keyed with this import's
  secret (:mod:`.given_rows`), never stored as is.
* sessions follow **our** session rules (30 minutes of inactivity, the landing
  source), not Umami's ``visit_id``: bounce rate, duration and sources then mean the
  same for imported and collected visits, and Umami's visit ids also roll over at
  every clock hour (its visit salt is hourly), which would split one visit in two.
* a custom event's properties come from ``event_data.csv`` when the export has it
  (``website_event_id``, ``data_key``, ``string_value``, ``number_value``,
  ``date_value``, ``data_type``: 1 string, 2 number, 3 boolean, 4 date, 5 array), at
  most 4 096 bytes of JSON as for collect.
* event types other than 1 and 2 (Umami's link and pixel hits, performance) and its
  ``session_data`` (properties of identified visitors) are not imported.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from .files import ByteCount, ExportFile, csv_rows, header_of
from .given_rows import GivenEvent, RowRefused, blank_to_none, parse_time

MAX_EVENT_DATA_BYTES = 4096  # as collect (API.md §1.4)
EVENT_COLUMNS = ("event_id", "session_id", "created_at", "url_path", "event_type")
SESSION_COLUMNS = ("browser", "os", "device", "screen", "language", "country", "region", "city")
_UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")

# Umami (detect-browser) names → the names our user-agent parser gives.
BROWSERS = {
    "chrome": "Chrome", "crios": "Chrome", "chromium-webview": "Chrome Webview",
    "firefox": "Firefox", "fxios": "Firefox", "safari": "Safari", "ios": "Safari",
    "ios-webview": "Safari", "edge": "Edge", "edge-chromium": "Edge", "edge-ios": "Edge",
    "opera": "Opera", "opera-mini": "Opera Mini", "samsung": "Samsung Internet",
    "yandexbrowser": "Yandex Browser", "facebook": "Facebook", "instagram": "Instagram",
    "android": "Android", "silk": "Amazon Silk", "ie": "IE", "brave": "Brave",
    "duckduckgo": "DuckDuckGo", "vivaldi": "Vivaldi",
}
OPERATING_SYSTEMS = {
    "mac os": "Mac OS X", "ios": "iOS", "android os": "Android", "linux": "Linux",
    "chrome os": "Chrome OS", "windows mobile": "Windows Phone",
}
DEVICES = {"desktop": "desktop", "laptop": "desktop", "mobile": "mobile", "tablet": "tablet"}


def is_umami_export(files: list[ExportFile]) -> bool:
    events = _event_file(files)
    return events is not None and all(c in header_of(events) for c in EVENT_COLUMNS)


def read_umami(files: list[ExportFile], count: ByteCount) -> Iterator[tuple[int, GivenEvent | RowRefused]]:
    """``(line, event or refusal)`` of every ``website_event`` row, oldest first as
    exported. The ``session`` file is read first (it is small: one row per visitor)."""
    events = _event_file(files)
    if events is None:
        raise ValueError("no website_event CSV in this Umami export")
    sessions: dict[str, dict[str, str]] = {}
    properties: dict[str, dict[str, object]] = {}
    for file in files:
        kind = _table_of(file)
        if kind == "session" and file is not events:
            for _line, row in csv_rows(file, count):
                sessions[row.get("session_id", "")] = row
        elif kind == "event_data":
            for _line, row in csv_rows(file, count):
                key = blank_to_none(row.get("data_key"))
                if key is not None:
                    properties.setdefault(row.get("website_event_id", ""), {})[key] = _property(row)
    for line, row in csv_rows(events, count):
        try:
            event = _event(row, sessions.get(row.get("session_id", ""), row))
            yield line, _with_properties(event, properties.get(row.get("event_id", "")))
        except RowRefused as refused:
            yield line, refused


def _table_of(file: ExportFile) -> str:
    """Which Umami table a file holds, by its name (``session_data`` is not ``session``)."""
    stem = file.name.lower().rsplit(".", 1)[0]
    for table in ("website_event", "event_data", "session_data", "session"):
        if stem.startswith(table):
            return table
    return ""


def _property(row: dict[str, str]) -> object:
    """One ``event_data`` value by its ``data_type``."""
    kind = (row.get("data_type") or "1").strip()
    text = row.get("string_value") or ""
    if kind == "2":
        raw = (row.get("number_value") or "").strip()
        try:
            number = Decimal(raw)
        except InvalidOperation:
            return raw  # kept as exported rather than lost
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "3":
        return text.strip().lower() == "true"
    if kind == "4":
        return row.get("date_value") or text
    if kind == "5":
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _with_properties(event: GivenEvent, properties: dict[str, object] | None) -> GivenEvent:
    if event.event_type != "event" or not properties:
        return event
    if len(json.dumps(properties, separators=(",", ":")).encode()) > MAX_EVENT_DATA_BYTES:
        raise RowRefused(f"event_data is longer than {MAX_EVENT_DATA_BYTES} bytes")
    return dataclasses.replace(event, event_data=properties)


def _event_file(files: list[ExportFile]) -> ExportFile | None:
    named = [f for f in files if _table_of(f) == "website_event"]
    return named[0] if named else (files[0] if len(files) == 1 else None)


def _event(row: dict[str, str], session: dict[str, str]) -> GivenEvent:
    kind = (row.get("event_type") or "").strip()
    if kind not in ("1", "2"):
        raise RowRefused("event_type is not 1 (pageview) or 2 (custom event)", repr(kind))
    session_id = blank_to_none(row.get("session_id"))
    if session_id is None:
        raise RowRefused("session_id is missing")
    event_name = blank_to_none(row.get("event_name"))
    if kind == "2" and event_name is None:
        raise RowRefused("a custom event (event_type 2) without event_name")
    return GivenEvent(
        created_at=parse_time(row.get("created_at")),
        event_type="pageview" if kind == "1" else "event",
        url=_url(blank_to_none(row.get("hostname")), row.get("url_path") or "/", blank_to_none(row.get("url_query"))),
        visitor_key="umami:" + session_id,
        referrer=_referrer(row),
        event_name=event_name if kind == "2" else None,
        utm={key: blank_to_none(row.get(key)) for key in _UTM_KEYS},
        country=_upper(blank_to_none(session.get("country"))),
        region=blank_to_none(session.get("region") or session.get("subdivision1")),
        city=blank_to_none(session.get("city")),
        browser=_mapped(BROWSERS, session.get("browser")),
        os=_os(blank_to_none(session.get("os"))),
        device_type=_mapped(DEVICES, session.get("device")),
        screen=blank_to_none(session.get("screen")),
        language=blank_to_none(session.get("language")),
    )


def _url(hostname: str | None, path: str, query: str | None) -> str:
    path = path.strip() or "/"
    if not path.startswith("/"):
        path = "/" + path
    tail = f"{path}?{query.lstrip('?')}" if query else path
    return f"https://{hostname}{tail}" if hostname else tail


def _referrer(row: dict[str, str]) -> str | None:
    domain = blank_to_none(row.get("referrer_domain"))
    if domain is None:
        return None
    path = blank_to_none(row.get("referrer_path")) or ""
    query = blank_to_none(row.get("referrer_query"))
    return _url(domain, path or "/", query)


def _mapped(names: dict[str, str], value: str | None) -> str | None:
    value = blank_to_none(value)
    return None if value is None else names.get(value.lower(), value)


def _os(value: str | None) -> str | None:
    if value is None:
        return None
    if value.lower().startswith("windows") and value.lower() != "windows mobile":
        return "Windows"
    return OPERATING_SYSTEMS.get(value.lower(), value)


def _upper(value: str | None) -> str | None:
    return value.upper() if value else None
