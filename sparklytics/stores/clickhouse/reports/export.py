"""CSV export (``/export``) in ClickHouse SQL.

What the export holds and how cells are guarded and quoted:
:mod:`sparklytics.queries.export` (``csv_cell``); the SQL below applies the same rule
per cell, as DuckDB's does, and ClickHouse sends the finished lines as one ``RawBLOB``
body that is streamed to the client chunk by chunk (memory stays flat).

:func:`export_csv` counts first and raises :class:`QueryError` before returning the
stream, so a refused export fails before any byte is sent. All events of the range:
bots included, no filters (the same query DuckDB exports).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace

from sparklytics.queries.errors import QueryError
from sparklytics.queries.export import EXPORT_COLUMNS, EXPORT_MAX_ROWS
from sparklytics.queries.report_query import ReportQuery, time_bounds

from . import Fetch
from .sessions import public_event_id, timestamp_text

Stream = Callable[[str, dict], AsyncIterator[bytes]]

_SOURCE = {
    "id": public_event_id("event_id_key"),
    "created_at": timestamp_text("created_at"),
    "is_bot": "if(is_bot, 'true', 'false')",
}
_GUARD = "if(substring({x}, 1, 1) IN ('=', '+', '-', '@', '\\t', '\\r'), concat('''', {x}), {x})"
_QUOTE = (
    "if({x} IS NULL, '', if(match(assumeNotNull({x}), '[,\"\\r\\n]'),"
    " concat('\"', replaceAll(assumeNotNull({x}), '\"', '\"\"'), '\"'), assumeNotNull({x})))"
)
_LINE = ", ',', ".join(_QUOTE.format(x=_GUARD.format(x=_SOURCE.get(c, c))) for c in EXPORT_COLUMNS)
_RANGE = (
    "FROM events WHERE website_id = {website_id:String}"
    " AND created_at >= {utc_start:DateTime64(6)} AND created_at < {utc_end:DateTime64(6)}"
)
_ROWS = f"SELECT concat({_LINE}, '\\r\\n') {_RANGE} ORDER BY created_at ASC, node_id ASC, id ASC FORMAT RawBLOB"
_HEADER = (",".join(EXPORT_COLUMNS) + "\r\n").encode()


async def export_csv(fetch: Fetch, stream: Stream, q: ReportQuery, event_id_key: str,
                     *, max_rows: int = EXPORT_MAX_ROWS) -> AsyncIterator[bytes]:
    """Check the size, then return the CSV chunks (header first)."""
    utc_start, utc_end = time_bounds(replace(q, include_bots=True, filters=()))
    params = {"website_id": q.website_id, "utc_start": utc_start, "utc_end": utc_end, "event_id_key": event_id_key}
    [[count]] = await fetch("SELECT count() " + _RANGE, params)
    if int(count) > max_rows:
        raise QueryError(f"result set too large: {count} rows (max {max_rows})")
    return _chunks(stream, params)


async def _chunks(stream: Stream, params: dict) -> AsyncIterator[bytes]:
    yield _HEADER
    async for chunk in stream(_ROWS, params):
        yield chunk
