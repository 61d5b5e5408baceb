"""The enriched event: one typed row, declared once, from the Enricher to the store.

The Enricher builds an :class:`EventRow` per accepted event; the Buffer writes it to the
WAL, the Writer hands it to the :class:`~sparklytics.stores.EventStore`. The stored
columns (:data:`EVENT_COLUMNS`) are derived from its fields, so adding a column is one
line here, one migration, and a new WAL row version (below).

A ``NamedTuple``, not a dataclass: it is a tuple, so the WAL's JSON encoder writes it
as a list with no per-event Python call, and a store turns it into the list its bulk
insert wants with one ``list(row)`` (the ingest path handles thousands a second).

WAL row versions: a WAL record stores rows as JSON lists in field order, and its header
carries the version of that layout (:data:`EVENT_ROWS`). A record written by an older
release is read by the field names of its version, so a new field can never shift the
old values into the wrong columns; a field it did not have is ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from sparklytics.wal import RowFormat


class EventRow(NamedTuple):
    """One enriched event, in the column order of the ``events`` table.

    ``id`` and ``session_id`` are ``None`` until the store commits the event: it numbers
    events and resolves sessions (``sparklytics.sessions``) as it commits them, so a
    replayed event gets them once. ``created_at`` is naive UTC in ISO 8601 (the form
    the WAL keeps). ``previous_visitor_id`` is not stored: it is the visitor id under
    yesterday's salt (or ``None``), used only to continue a session across midnight.
    """

    id: int | None
    website_id: str
    tenant_id: str | None
    session_id: int | None
    visitor_id: str
    event_type: str
    url: str
    path: str
    hostname: str | None
    referrer_url: str | None
    referrer_domain: str | None
    channel: str | None
    event_name: str | None
    event_data: str | None
    country: str | None
    region: str | None
    city: str | None
    browser: str | None
    browser_version: str | None
    os: str | None
    os_version: str | None
    device_type: str | None
    screen: str | None
    language: str | None
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    utm_term: str | None
    utm_content: str | None
    link_id: str | None
    pixel_id: str | None
    user_agent: str | None
    is_bot: bool
    bot_score: int
    bot_reason: str | None
    created_at: str
    previous_visitor_id: str | None


# The columns a store keeps: every field but the transient last one.
EVENT_COLUMNS: tuple[str, ...] = EventRow._fields[: EventRow._fields.index("previous_visitor_id")]

# The layout of each WAL row version this build reads: the EventRow fields of the
# release that wrote it. Version 1 is also what segments older than record headers hold.
ROW_LAYOUTS: dict[int, tuple[str, ...]] = {
    1: (
        "id", "website_id", "tenant_id", "session_id", "visitor_id", "event_type", "url", "path",
        "hostname", "referrer_url", "referrer_domain", "channel", "event_name", "event_data",
        "country", "region", "city", "browser", "browser_version", "os", "os_version",
        "device_type", "screen", "language", "utm_source", "utm_medium", "utm_campaign",
        "utm_term", "utm_content", "link_id", "pixel_id", "user_agent", "is_bot", "bot_score",
        "bot_reason", "created_at", "previous_visitor_id",
    ),
}
ROW_VERSION = max(ROW_LAYOUTS)  # the version written: its layout is EventRow's fields


def reader_of(layout: tuple[str, ...]) -> Callable[[list[list[Any]]], list[EventRow]]:
    """Rows of ``layout`` as EventRows: the current layout directly, an older one by name."""
    if layout == EventRow._fields:
        return lambda rows: list(map(EventRow._make, rows))
    defaults = dict.fromkeys(EventRow._fields)

    def read(rows: Sequence[list[Any]]) -> list[EventRow]:
        return [EventRow(**{**defaults, **dict(zip(layout, row, strict=True))}) for row in rows]

    return read


EVENT_ROWS = RowFormat(ROW_VERSION, {version: reader_of(layout) for version, layout in ROW_LAYOUTS.items()})
