"""Our own CSV export (``GET …/export``) → events: the round trip.

The export (``sparklytics.queries.export``) has one row per event with its URL,
referrer domain, event name and properties, place, client, UTM tags, time and bot flag,
and deliberately no visitor id, session id or IP (API.md §1.16). Everything it has is
restored as it was; the formula guard's leading ``'`` is taken off again. An export
holds one website's events: they go to ``--website``, else to the website its first row
names.

Visitors are the one thing the file cannot say. Rows of the same UTC day with the same
country, browser, OS, device type and language are taken as one visitor (keyed with
this import's secret, :mod:`.given_rows`), and our session rules then rebuild the visits
from their times. So pageviews, pages, sources, places and devices come back exactly;
visitors and sessions come back exactly when the visitors of a day differ in those five
values, and visitors who share all five on one day are merged into one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from sparklytics.queries.export import EXPORT_COLUMNS

from .files import ByteCount, ExportFile, csv_rows, header_of
from .given_rows import GivenEvent, RowRefused, blank_to_none, parse_time

_GUARDED_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CLIENT_COLUMNS = ("country", "browser", "os", "device_type", "language")


def is_own_export(files: list[ExportFile]) -> bool:
    """One CSV whose header begins with our export's columns."""
    return len(files) == 1 and tuple(header_of(files[0])[:5]) == EXPORT_COLUMNS[:5]


def first_website_id(files: list[ExportFile]) -> str | None:
    """The ``website_id`` of the export's first row: an export holds one website."""
    for _line, row in csv_rows(files[0], ByteCount()):
        return blank_to_none(row.get("website_id"))
    return None


def read_own_export(files: list[ExportFile], count: ByteCount) -> Iterator[tuple[int, GivenEvent | RowRefused]]:
    """``(line, event or refusal)`` for every exported row."""
    for line, raw in csv_rows(files[0], count):
        row = {key: _unguard(value) for key, value in raw.items()}
        try:
            yield line, _event(row)
        except RowRefused as refused:
            yield line, refused


def _event(row: dict[str, str | None]) -> GivenEvent:
    event_type = row.get("event_type")
    if event_type not in ("pageview", "event"):
        raise RowRefused("event_type is not pageview or event", repr(event_type))
    created_at = parse_time(row.get("created_at"))
    referrer_domain = row.get("referrer_domain")
    client = [row.get(column) or "" for column in _CLIENT_COLUMNS]
    return GivenEvent(
        created_at=created_at,
        event_type=event_type,
        url=row.get("url") or "",
        visitor_key="|".join([created_at.date().isoformat(), *client]),
        referrer=f"https://{referrer_domain}/" if referrer_domain else None,
        event_name=row.get("event_name"),
        event_data=_event_data(row.get("event_data")),
        utm={"utm_source": row.get("utm_source"), "utm_medium": row.get("utm_medium"), "utm_campaign": row.get("utm_campaign")},
        country=row.get("country"),
        browser=row.get("browser"),
        os=row.get("os"),
        device_type=row.get("device_type"),
        language=row.get("language"),
        is_bot=row.get("is_bot") == "true",
    )


def _event_data(text: str | None) -> object:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise RowRefused("event_data is not JSON") from None


def _unguard(value: str | None) -> str | None:
    """The cell as stored: empty is NULL, and the export's formula guard is undone."""
    value = blank_to_none(value)
    if value is not None and value.startswith("'") and value[1:2] in _GUARDED_STARTS and len(value) > 1:
        return value[1:]
    return value
