"""CSV export (``/export``): the DuckDB SQL.

Rows: every event of the website in the local-day range (Decision 4), **bots
included**, no filters, oldest first (``created_at``, then ``id``). Columns, in this
order (no visitor id, session id or IP):

    id,website_id,event_type,url,referrer_domain,event_name,country,browser,os,
    device_type,language,utm_source,utm_medium,utm_campaign,created_at,is_bot,event_data

``created_at`` is ``CAST(created_at AS VARCHAR)`` (UTC, API.md §0.3); ``is_bot`` is
``true``/``false`` (bots are included, so a spreadsheet can tell them apart);
``event_data`` is the custom event's properties as the JSON object it was stored as.
The two columns beyond the contract's list come last, so scripts that read the
contract's columns by position keep working. NULL is an empty cell. Quoting is RFC 4180 with ``\\r\\n`` line ends, the same minimal rule as Python's
``csv`` module (quote a cell holding a comma, a double quote, CR or LF; double the
quotes inside). Formula-injection guard: a cell beginning with ``=``, ``+``, ``-``,
``@``, TAB or CR gets a leading ``'`` (before quoting).
More than 500 000 rows → ``QueryError("result set too large: N rows (max 500000)")``.

How to call it: :func:`export_csv` counts first and raises :class:`QueryError` *before*
returning, then hands back a generator of UTF-8 chunks (header first, then one chunk
per batch of ≤ ``batch_size`` rows fetched with ``fetchmany``), so memory stays flat
whatever the size. The generator owns ``cur`` until it is exhausted or closed: run the
whole iteration on one cursor that nothing else uses meanwhile (e.g. pull chunks with
``trio.to_thread.run_sync(next, it, None)`` on a dedicated cursor), and ``close()`` it
if the client goes away.

Speed: one count (zonemap-pruned range scan) and one ordered scan. Each CSV line is
built in SQL (guard, quoting and join), so Python only joins the lines of a batch —
several times faster than formatting every cell with the ``csv`` module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from sparklytics.queries.errors import QueryError
from sparklytics.queries.export import EXPORT_COLUMNS, EXPORT_MAX_ROWS
from sparklytics.queries.report_query import ReportQuery
from sparklytics.stores.duckdb.sql import Cursor, bind, fetch_one, public_event_id
from sparklytics.stores.duckdb.where import compile_where

_SOURCE = {
    "id": public_event_id("e.id"),
    "created_at": "CAST(e.created_at AS VARCHAR)",
    "is_bot": "CAST(e.is_bot AS VARCHAR)",
}

# The formula guard, then minimal quoting, in SQL. chr(9)/chr(10)/chr(13) are TAB, LF,
# CR (DuckDB string literals have no backslash escapes).
_GUARD = "CASE WHEN left({x}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN '''' || {x} ELSE {x} END"
_QUOTE = (
    "CASE WHEN {x} IS NULL THEN ''"
    " WHEN contains({x}, ',') OR contains({x}, '\"') OR contains({x}, chr(13)) OR contains({x}, chr(10))"
    " THEN '\"' || replace({x}, '\"', '\"\"') || '\"'"
    " ELSE {x} END"
)
_GUARDED = ", ".join(
    _GUARD.format(x=_SOURCE.get(c, f"e.{c}")) + f" AS c{i}" for i, c in enumerate(EXPORT_COLUMNS)
)
_LINE = " || ',' || ".join(_QUOTE.format(x=f"c{i}") for i in range(len(EXPORT_COLUMNS)))
_ROWS_SQL = (
    f"SELECT {_LINE} AS line FROM ("
    f"SELECT {_GUARDED}, e.created_at AS sort_t, e.id AS sort_id FROM events e WHERE {{where}}"
    ") ORDER BY sort_t ASC, sort_id ASC"
)
_COUNT_SQL = "SELECT count(*) FROM events e WHERE {where}"
_HEADER = (",".join(EXPORT_COLUMNS) + "\r\n").encode()


def _export_query(q: ReportQuery) -> ReportQuery:
    # All events: bots included, no filters, whatever the query carried.
    return replace(q, include_bots=True, filters=())


def export_csv(
    cur: Cursor, q: ReportQuery, *, batch_size: int = 5_000, max_rows: int = EXPORT_MAX_ROWS
) -> Iterator[bytes]:
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


def _chunks(cur: Cursor, sql: str, params: dict, batch_size: int) -> Iterator[bytes]:
    yield _HEADER
    result = cur.execute(sql, params)
    while True:
        batch = result.fetchmany(batch_size)
        if not batch:
            return
        yield ("\r\n".join(line for (line,) in batch) + "\r\n").encode()
