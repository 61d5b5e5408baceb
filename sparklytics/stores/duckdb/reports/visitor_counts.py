"""Distinct visitors over the sessions overlapping a range, counted without a DISTINCT.

The columns and why the count is exact: :mod:`sparklytics.stores.duckdb.visits`. A
report whose rows are the non-bot sessions overlapping its range (no filters) selects
:attr:`VisitorCounting.columns` from ``sessions s`` into its rows, carries ``prev`` and
``unsettled`` through, and aggregates :attr:`VisitorCounting.visitors` over them in
place of ``count(DISTINCT visitor_id)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sparklytics.queries.report_query import ReportQuery
from sparklytics.stores.duckdb.sql import Cursor, fetch_one
from sparklytics.stores.duckdb.visits import ANY_VALUE_COLUMN, PREVIOUS_VISIT_COLUMNS

# Visitors with a session in the range whose columns are not settled: counted with a
# DISTINCT. Bot sessions too: a session that became a bot since its visitor was settled
# is still counted in its later sessions' columns.
_UNSETTLED_VISITORS = """s.visitor_id IN (
    SELECT u.visitor_id FROM sessions u
    WHERE u.website_id = $website_id AND u.last_seen >= $utc_start AND u.first_seen < $utc_end
      AND u.prev_known = FALSE)"""

_ANY_UNSETTLED = """
SELECT count(*) FROM sessions u
WHERE u.website_id = $website_id AND u.last_seen >= $utc_start AND u.first_seen < $utc_end
  AND u.prev_known = FALSE
"""

_FIRST_IN_RANGE = "(prev IS NULL OR prev < {start})"


@dataclass(frozen=True, slots=True)
class VisitorCounting:
    columns: str  # ", <prev> AS prev, <bool> AS unsettled" over ``sessions s``
    visitors: str  # the aggregate over rows carrying visitor_id, prev, unsettled

    def at(self, start: str) -> str:
        """:attr:`visitors` with the range start ``start`` (an SQL expression) in place
        of ``$utc_start`` — for buckets inside the range."""
        return self.visitors.replace("$utc_start", start)


CARRIED = ", prev, unsettled"


def visitor_counting(cur: Cursor, q: ReportQuery, dimension: str | None, params: dict) -> VisitorCounting | None:
    """How to count ``q``'s visitors of each value of ``dimension`` (``None``: of any
    value), or None when the columns cannot say (filters, bots included, a dimension
    without a column). ``params`` are the query's, with ``website_id`` and the range."""
    if q.has_filters or q.include_bots:
        return None
    if dimension is None:
        column = ANY_VALUE_COLUMN
    elif dimension in PREVIOUS_VISIT_COLUMNS:
        column = PREVIOUS_VISIT_COLUMNS[dimension][0]
    else:
        return None
    first = _FIRST_IN_RANGE.format(start="$utc_start")
    if fetch_one(cur, _ANY_UNSETTLED, _range_params(params))[0] == 0:
        return VisitorCounting(f", s.{column} AS prev, FALSE AS unsettled", f"count(*) FILTER (WHERE {first})")
    return VisitorCounting(
        f", s.{column} AS prev, {_UNSETTLED_VISITORS} AS unsettled",
        f"(count(*) FILTER (WHERE NOT unsettled AND {first})"
        " + count(DISTINCT visitor_id) FILTER (WHERE unsettled))",
    )


def _range_params(params: dict) -> dict:
    return {key: params[key] for key in ("website_id", "utc_start", "utc_end")}
