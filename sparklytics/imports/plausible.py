"""Plausible CE's CSV export → daily aggregates for ``imported_totals`` /
``imported_breakdowns``.

Plausible's "Export data" (Site settings → Imports & Exports) is a zip of CSV files, one
per ``imported_*`` table, named ``<table>_<YYYYMMDD>_<YYYYMMDD>.csv`` for the days they
cover; the header row names the columns (``Plausible.Exports``, read back by
``Plausible.Imported.CSVImporter``). Each row is one day (the site's local day) of one
value: ``imported_visitors`` has ``date, visitors, pageviews, bounces, visits,
visit_duration``; the others add their dimension (``page``, ``entry_page``,
``exit_page``, ``source`` with ``utm_*``, ``country``/``region``/``city``, ``device``,
``browser``, ``operating_system``, custom event ``name``) and the counts that table
has. Columns newer releases added (``pageviews`` on sources and devices, ``referrer``,
``utm_source``) are used when present.

How they map onto our reports (a breakdown adds the imported rows of its dimension):

=====================  ========================================================
file                   dimension rows
=====================  ========================================================
imported_visitors      the day's totals (stats, the pageview series)
imported_pages         ``page`` (visitors, pageviews)
imported_entry_pages   ``entry_page`` (visitors, entrances as visits, bounces, duration)
imported_exit_pages    ``exit_page`` (visitors, exits as visits)
imported_sources       ``referrer`` (the referrer's domain when exported, else
                       Plausible's source name; ``(direct)`` for Direct / None),
                       ``utm_source``, ``utm_medium``, ``utm_campaign`` and
                       ``channel`` (classified from them as at ingest)
imported_locations     ``country``, ``region`` (ISO 3166-2 code, as exported),
                       ``city`` (the GeoNames id: the export has no city names)
imported_devices       ``device`` (lower-cased; ``laptop`` is ``desktop``)
imported_browsers      ``browser``
imported_operating_systems  ``os``
imported_custom_events ``event_name`` (visitors, events)
=====================  ========================================================

A row's visits, bounces and visit duration are kept only when its file has all three,
so a file without bounces never dilutes a bounce rate.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sparklytics.enrich import channel_for, referrer_domain

from .files import ByteCount, ExportFile, csv_rows
from .given_rows import RowRefused, blank_to_none

_FILE_NAME = re.compile(r"^(imported_[a-z_]+?)(?:_(\d{8})_(\d{8}))?\.csv$")
_DIRECT = "Direct / None"
_COUNTS = ("visitors", "pageviews", "events", "visits", "bounces", "visit_duration")

# (dimension, value, visitors, pageviews, events, visits, bounces, visit_duration)
BreakdownRow = tuple[str, str, int, int, int, int, int, int]
# (day, visitors, pageviews, visits, bounces, visit_duration)
TotalsRow = tuple[date, int, int, int, int, int]


class ExportRefused(ValueError):
    """The export as a whole cannot be imported (a file lacks a required column)."""


@dataclass
class PlausibleExport:
    """Everything read: rows by day, and the days the files say they cover."""

    totals: list[TotalsRow] = field(default_factory=list)
    breakdowns: list[tuple[date, BreakdownRow]] = field(default_factory=list)
    first_day: date | None = None
    last_day: date | None = None
    ignored_files: list[str] = field(default_factory=list)

    def cover(self, first: date, last: date) -> None:
        self.first_day = first if self.first_day is None else min(self.first_day, first)
        self.last_day = last if self.last_day is None else max(self.last_day, last)


def is_plausible_export(files: list[ExportFile]) -> bool:
    return any(_FILE_NAME.match(f.name) for f in files)


def read_plausible(files: list[ExportFile], count: ByteCount, on_row: Callable[[int, RowRefused | None, str], None]) -> PlausibleExport:
    """Read every ``imported_*`` file; ``on_row(line, refusal or None, file name)`` is
    called per data row (the progress bar and the skipped-row summary)."""
    export = PlausibleExport()
    for file in files:
        match = _FILE_NAME.match(file.name)
        table = match.group(1) if match else None
        if table not in _TABLES:
            export.ignored_files.append(file.name)
            continue
        if match.group(2):
            export.cover(_day(match.group(2), "%Y%m%d"), _day(match.group(3), "%Y%m%d"))
        required, to_rows = _TABLES[table]
        checked = False
        for line, row in csv_rows(file, count):
            if not checked:
                missing = [c for c in ("date", *required) if c not in row]
                if missing:
                    raise ExportRefused(f"{file.name} lacks the column(s) {', '.join(missing)}")
                checked = True
            try:
                day = _day(row["date"], "%Y-%m-%d")
                export.cover(day, day)
                if table == "imported_visitors":
                    visitors, pageviews, _events, visits, bounces, duration = _counts(row, visits=True)
                    export.totals.append((day, visitors, pageviews, visits, bounces, duration))
                else:
                    export.breakdowns.extend((day, r) for r in to_rows(row))
            except RowRefused as refused:
                on_row(line, refused, file.name)
                continue
            on_row(line, None, file.name)
    return export


def _day(text: str, fmt: str) -> date:
    try:
        return datetime.strptime(text.strip(), fmt).date()
    except ValueError:
        raise RowRefused("date is not a day", repr(text)) from None


def _counts(row: dict[str, str], *, visits: bool) -> tuple[int, int, int, int, int, int]:
    """(visitors, pageviews, events, visits, bounces, visit_duration) of one row."""
    values = []
    for name in _COUNTS:
        text = (row.get(name) or "0").strip() or "0"
        if not text.isdigit():
            raise RowRefused(f"{name} is not a whole number", repr(text))
        values.append(int(text))
    if not visits or not all(c in row for c in ("visits", "bounces", "visit_duration")):
        values[3:] = [0, 0, 0]
    return tuple(values)  # type: ignore[return-value]


def _one(dimension: str, column: str, *, visits: bool = True, clean: Callable[[str], str] = str,
         unknown_ok: bool = False) -> Callable[[dict[str, str]], list[BreakdownRow]]:
    """Rows of a one-column dimension. An empty value is a bad row for pages and event
    names; for a browser, OS or device it means "unknown", which (like a NULL in the
    events) gives no breakdown row."""

    def rows(row: dict[str, str]) -> list[BreakdownRow]:
        counts = _counts(row, visits=visits)
        value = blank_to_none(row.get(column))
        if value is None:
            if unknown_ok:
                return []
            raise RowRefused(f"{column} is empty")
        return [(dimension, clean(value), *counts)]

    return rows


def _entry_rows(row: dict[str, str]) -> list[BreakdownRow]:
    renamed = {**row, "visits": row.get("entrances", "0")} if "entrances" in row else row
    return _one("entry_page", "entry_page")(renamed)


def _exit_rows(row: dict[str, str]) -> list[BreakdownRow]:
    renamed = {**row, "visits": row.get("exits", "0")} if "exits" in row else row
    return _one("exit_page", "exit_page")(renamed)


def _source_rows(row: dict[str, str]) -> list[BreakdownRow]:
    counts = _counts(row, visits=True)
    source = blank_to_none(row.get("source"))
    if source == _DIRECT:
        source = None
    referrer = referrer_domain(blank_to_none(row.get("referrer")), None) or (source.lower() if source and "." in source else source)
    tags = {key: blank_to_none(row.get(key)) for key in ("utm_source", "utm_medium", "utm_campaign")}
    out: list[BreakdownRow] = [("referrer", referrer or "(direct)", *counts)]
    out += [(key, value, *counts) for key, value in tags.items() if value]
    out.append(("channel", channel_for(referrer or (source or "").lower() or None, tags["utm_source"], tags["utm_medium"], tags["utm_campaign"]), *counts))
    return out


def _location_rows(row: dict[str, str]) -> list[BreakdownRow]:
    counts = _counts(row, visits=True)
    out: list[BreakdownRow] = []
    for column in ("country", "region", "city"):
        value = blank_to_none(row.get(column))
        if value and value != "0":
            out.append((column, value.upper() if column == "country" else value, *counts))
    return out


def _device(value: str) -> str:
    value = value.lower()
    return "desktop" if value == "laptop" else value


_TABLES: dict[str, tuple[tuple[str, ...], Callable[[dict[str, str]], list[BreakdownRow]]]] = {
    "imported_visitors": (("visitors", "pageviews", "bounces", "visits", "visit_duration"), lambda row: []),
    "imported_pages": (("page", "visitors", "pageviews"), _one("page", "page", visits=False)),
    "imported_entry_pages": (("entry_page", "visitors", "entrances"), _entry_rows),
    "imported_exit_pages": (("exit_page", "visitors", "exits"), _exit_rows),
    "imported_sources": (("source", "visitors", "visits"), _source_rows),
    "imported_locations": (("country", "visitors", "visits"), _location_rows),
    "imported_devices": (("device", "visitors", "visits"), _one("device", "device", clean=_device, unknown_ok=True)),
    "imported_browsers": (("browser", "visitors", "visits"), _one("browser", "browser", unknown_ok=True)),
    "imported_operating_systems": (
        ("operating_system", "visitors", "visits"), _one("os", "operating_system", unknown_ok=True),
    ),
    "imported_custom_events": (("name", "visitors", "events"), _one("event_name", "name", visits=False)),
}

