"""CSV export: ``GET /api/websites/{id}/export?start_date=&end_date=&format=csv`` (§1.16).

Rows: every event of the website in the local-day range (Decision 4), **bots
included**, no filters, oldest first (``created_at``, then ``id``). Columns, in this
order (no visitor id, session id or IP):

    id,website_id,event_type,url,referrer_domain,event_name,country,browser,os,
    device_type,language,utm_source,utm_medium,utm_campaign,created_at

``created_at`` is ``CAST(created_at AS VARCHAR)`` (UTC, API.md §0.3); NULL is an empty
cell. Quoting is RFC 4180 (``csv`` module, ``\\r\\n`` line ends). Formula-injection
guard: a cell beginning with ``=``, ``+``, ``-``, ``@``, TAB or CR gets a leading ``'``.
More than 500 000 rows → ``QueryError("result set too large: N rows (max 500000)")``.

How to call it: :func:`export_csv` counts first and raises :class:`QueryError` *before*
returning, then hands back a generator of UTF-8 chunks (header first, then one chunk
per batch of ≤ ``batch_size`` rows fetched with ``fetchmany``), so memory stays flat
whatever the size. The generator owns ``cur`` until it is exhausted or closed: run the
whole iteration on one cursor that nothing else uses meanwhile (e.g. pull chunks with
``trio.to_thread.run_sync(next, it, None)`` on a dedicated cursor), and ``close()`` it
if the client goes away.

Speed: one count (zonemap-pruned range scan) and one ordered scan; rows are
appended in time order, so the sort is cheap, and Python only formats rows per batch.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace

from ._sql import bind, fetch_one
from .errors import QueryError
from .filters import ReportQuery, compile_where

__all__ = ["EXPORT_COLUMNS", "EXPORT_MAX_ROWS", "csv_cell", "export_csv", "export_filename"]

EXPORT_MAX_ROWS = 500_000
EXPORT_COLUMNS = (
    "id",
    "website_id",
    "event_type",
    "url",
    "referrer_domain",
    "event_name",
    "country",
    "browser",
    "os",
    "device_type",
    "language",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "created_at",
)

_SELECT = ", ".join(
    "CAST(e.id AS VARCHAR)"
    if c == "id"
    else "CAST(e.created_at AS VARCHAR)"
    if c == "created_at"
    else f"e.{c}"
    for c in EXPORT_COLUMNS
)
_ROWS_SQL = f"SELECT {_SELECT} FROM events e WHERE {{where}} ORDER BY e.created_at ASC, e.id ASC"
_COUNT_SQL = "SELECT count(*) FROM events e WHERE {where}"

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """One cell's text: NULL → empty, formula-looking text prefixed with ``'`` (pure)."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_DANGEROUS):
        return "'" + text
    return text


def export_filename(q: ReportQuery) -> str:
    """``events-{id}-{start}-{end}.csv`` for Content-Disposition."""
    return f"events-{q.website_id}-{q.start.isoformat()}-{q.end.isoformat()}.csv"


def _export_query(q: ReportQuery) -> ReportQuery:
    # All events: bots included, no filters, whatever the query carried.
    return replace(q, include_bots=True, filters=())


def export_csv(cur, q: ReportQuery, *, batch_size: int = 5_000, max_rows: int = EXPORT_MAX_ROWS) -> Iterator[bytes]:
    """Check the size, then return a generator of UTF-8 CSV chunks (header first).

    Raises:
        QueryError: ``result set too large: N rows (max 500000)``, before any output.
    """
    where, params = compile_where(_export_query(q), "e")
    count = int(fetch_one(cur, _COUNT_SQL.format(where=where), params)[0])
    if count > max_rows:
        raise QueryError(f"result set too large: {count} rows (max {max_rows})")
    sql = _ROWS_SQL.format(where=where)
    return _chunks(cur, sql, bind(sql, params), batch_size)


def _chunks(cur, sql: str, params: dict, batch_size: int) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    yield buffer.getvalue().encode()
    result = cur.execute(sql, params)
    while True:
        batch = result.fetchmany(batch_size)
        if not batch:
            return
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([csv_cell(v) for v in row] for row in batch)
        yield buffer.getvalue().encode()
