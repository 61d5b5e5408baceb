"""Breakdowns: ``GET /api/websites/{id}/metrics?type=…`` (API.md §1.5) and share metrics.

Dimensions (``type``): the 14 of API.md plus ``entry_page``, ``exit_page`` and
``channel``. Two kinds:

* **Event-level** — ``page`` (``path``, Decision 3; pageview rows only: a custom event
  fired on a page is not a visit of it) and ``event_name``: the matching event rows
  grouped by the column. Visitors are distinct visitors of those rows; pageviews are
  the pageview rows.
* **Session-level** — every other type. A visit has one source, one browser, one
  place: the ``sessions`` row keeps the landing values (the session rules: the
  landing event's referrer, channel and UTM tags, Decision 21; the first known
  country, region, city, browser, os, device, screen, language) and
  ``entry_path``/``exit_path``. The
  sessions having matching events in the range are grouped by that value; visitors
  are distinct visitors of those sessions, pageviews the sessions' matching pageviews
  in the range. So a visitor who lands from Google and reads three pages gives Google
  three pageviews, as Plausible and GA attribute them (the internal referrer of the
  later pages is not a source).

==============  ==============================================  ======================
type            expression                                      order
==============  ==============================================  ======================
page            ``e.path``                                      pageviews desc
event_name      ``e.event_name``                                events desc (see below)
referrer        ``COALESCE(s.referrer_domain, '(direct)')``      visitors desc
device          ``s.device_type``                               visitors desc
entry/exit      ``s.entry_path`` / ``s.exit_path``              visitors desc
others          the same-named ``sessions`` column              visitors desc
==============  ==============================================  ======================

Rows with a NULL dimension are excluded. Ties break on visitors / pageviews, then
``value`` ascending, so pages are stable.

Row = ``value``, ``visitors``, ``pageviews`` (``event_type = 'pageview'`` rows,
Decision 1), ``bounce_rate`` (percent 0–100, 1 decimal: share of the sessions having
this value whose ``sessions.pageview_count = 1`` — Decision 2, the same session-level
definition as stats), ``avg_duration_seconds`` (1 decimal: mean ``last_seen −
first_seen`` of those sessions, zero-length included, like stats). Sessions count only
when their ``sessions`` row passes the bot filter.

Decision: because custom events are never pageviews, ``event_name`` rows would all show
``pageviews = 0``; they carry an extra ``events`` key (occurrences) and are ordered by
it. With compare active each row adds ``prev_visitors``, ``prev_pageviews`` (0 when the
value is absent from the comparison range), ``delta_visitors_abs`` and
``delta_visitors_pct`` (fraction, 4 decimals, 0.0 when prev = 0).

Result: ``ReportResult({"type", "rows"}, {"pagination": {"total", "limit", "offset",
"has_more"}, "compare": meta | None})``; ``total`` = distinct non-null values in the
primary range, ``has_more = offset + limit < total``.

The DuckDB SQL is in ``stores/duckdb/reports/breakdowns.py``.
"""

from __future__ import annotations

from sparklytics.queries.report_query import ReportQuery, compare_meta, comparison_query
from sparklytics.queries.result import ReportResult, round_half_up
from sparklytics.queries.rows import BreakdownRow, ReportRows


def metrics(rows: ReportRows, q: ReportQuery) -> ReportResult:
    """``GET /metrics``: ``{"data": {"type", "rows"}, "pagination", "compare"}``."""
    data, page = metrics_data(rows, q)
    return ReportResult(data, {"pagination": page, "compare": compare_meta(q)})


def metrics_data(
    rows: ReportRows, q: ReportQuery, *, metric: str | None = None, limit: int | None = None, offset: int | None = None
) -> tuple[dict, dict]:
    """``({"type", "rows"}, pagination)``; keyword overrides serve the share overview."""
    metric = metric or q.metric
    assert metric is not None, "parse with route='metrics' or pass metric="
    limit = limit if limit is not None else (q.limit or 10)
    offset = offset if offset is not None else q.offset
    page, total = rows.top_rows(q, metric, limit, offset)
    previous = None
    comparison = comparison_query(q)
    if comparison is not None:
        previous = rows.previous_values(comparison, metric, [r[0] for r in page])
    shaped = [shape_row(r, metric, previous) for r in page]
    return {"type": metric, "rows": shaped}, pagination(total, limit, offset)


def shape_row(row: BreakdownRow, metric: str, previous: dict[str, tuple[int, int]] | None) -> dict:
    """One MetricRow from a raw ``top_rows`` row (pure)."""
    value, visitors, pageviews, events, _total, sessions, bounces, avg_duration = row
    out = {
        "value": value,
        "visitors": int(visitors),
        "pageviews": int(pageviews),
        "bounce_rate": round_half_up(100.0 * bounces / sessions, 1) if sessions else 0.0,
        "avg_duration_seconds": round_half_up(float(avg_duration), 1) if avg_duration is not None else 0.0,
    }
    if metric == "event_name":
        out["events"] = int(events)
    if previous is not None:
        prev_visitors, prev_pageviews = previous.get(value, (0, 0))
        out["prev_visitors"] = prev_visitors
        out["prev_pageviews"] = prev_pageviews
        out["delta_visitors_abs"] = out["visitors"] - prev_visitors
        out["delta_visitors_pct"] = (
            round_half_up((out["visitors"] - prev_visitors) / prev_visitors, 4) if prev_visitors else 0.0
        )
    return out


def pagination(total: int, limit: int, offset: int) -> dict:
    return {"total": total, "limit": limit, "offset": offset, "has_more": offset + limit < total}
