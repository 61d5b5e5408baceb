"""CSV export (``/export``): the DuckDB SQL.

What the export holds and how cells are quoted: :mod:`sparklytics.queries.export`.

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
