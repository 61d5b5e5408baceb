"""CSV export: ``GET /api/websites/{id}/export?start_date=&end_date=&format=csv`` (§1.16).

Rows: every event of the website in the local-day range (Decision 4), **bots
included**, no filters, oldest first (``created_at``, then ``id``). Columns, in this
order (no visitor id, session id or IP):

    id,website_id,event_type,url,referrer_domain,event_name,country,browser,os,
    device_type,language,utm_source,utm_medium,utm_campaign,created_at,is_bot,event_data

``created_at`` is ``CAST(created_at AS VARCHAR)`` (UTC, API.md §0.3); ``is_bot`` is
``true``/``false`` (bots are included, so a spreadsheet can tell them apart);
``event_data`` is the custom event's properties as the JSON object it was stored as.
The two columns beyond the contract's list come last, so scripts that read the
contract's columns by position keep working. NULL is an empty cell. Quoting is RFC
4180 with ``\\r\\n`` line ends, the same minimal rule as Python's ``csv`` module
(quote a cell holding a comma, a double quote, CR or LF; double the quotes inside).
Formula-injection guard: a cell beginning with ``=``, ``+``, ``-``, ``@``, TAB or CR
gets a leading ``'`` (before quoting).
More than 500 000 rows → ``QueryError("result set too large: N rows (max 500000)")``.

The DuckDB SQL is in ``stores/duckdb/reports/export.py``.
"""

from __future__ import annotations

from sparklytics.queries.report_query import ReportQuery

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
    "is_bot",
    "event_data",
)


_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """One cell's text before quoting: NULL → empty, formula-looking text gets ``'``.

    Pure; the Python statement of the rule the SQL applies (tests compare the two).
    """
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_DANGEROUS):
        return "'" + text
    return text


def export_filename(q: ReportQuery) -> str:
    """``events-{id}-{start}-{end}.csv`` for Content-Disposition."""
    return f"events-{q.website_id}-{q.start.isoformat()}-{q.end.isoformat()}.csv"
