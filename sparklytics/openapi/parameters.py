"""The query parameters of the analytics routes, read off the parser's route policies.

:func:`sparklytics.queries.report_query.parse_report_query` reads a route's parameters
according to its policy in ``ROUTES`` and the filter registry ``FILTERS``; this module
turns the same two tables into OpenAPI parameter objects, so the document names exactly
the parameters the parser reads, with its defaults, limits and enums. A parameter added
to the parser is added here by reading the same policy field.
"""

from __future__ import annotations

from typing import Any

from sparklytics.queries.report_query import (
    COMPARE_MODES,
    FILTERS,
    GOAL_FILTER,
    GRANULARITIES,
    METRIC_TYPES,
    ROLLING_PERIODS,
    ROUTES,
    SUPPORTED_DATES,
)

__all__ = ["report_parameters"]



def _date(description: str) -> dict[str, Any]:
    low, high = SUPPORTED_DATES
    return {"type": "string", "format": "date", "description": f"{description} ({low} … {high})"}


def _param(name: str, schema: dict[str, Any], description: str, *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def report_parameters(route: str) -> list[dict[str, Any]]:
    """The query parameters ``parse_report_query(route=route)`` reads, in its order."""
    policy = ROUTES[route]
    params = [
        _param(
            "timezone",
            {"type": "string", "examples": ["Europe/Berlin"]},
            "IANA time zone the days and buckets are counted in; default the website's, else UTC (400 `invalid timezone`).",
        )
    ]
    if policy.dates != "none":
        required = policy.dates == "required"
        default = "" if required else f"; default: the last {policy.default_days} local days"
        limit = f"; at most {policy.max_days} days" if policy.max_days else ""
        params.append(_param("start_date", _date("first local day, YYYY-MM-DD"), f"inclusive{default}{limit}", required=required))
        params.append(_param("end_date", _date("last local day, YYYY-MM-DD"), f"inclusive{default}", required=required))
    if policy.dates == "default":
        params.append(
            _param("period", {"type": "string", "enum": list(ROLLING_PERIODS)}, "a rolling window up to now instead of start_date/end_date (hourly buckets)")
        )
    if policy.include_bots == "param":
        params.append(
            _param(
                "include_bots",
                {"type": "string", "enum": ["true", "false", "1", "0"]},
                "count bot traffic too; default: hidden unless the website's bot policy is `off`",
            )
        )
    if policy.filters:
        for spec in FILTERS.values():
            params.append(_param(spec.key, {"type": "string", "maxLength": spec.max_chars}, f"only where {spec.describe('…')}"))
        params.append(_param(GOAL_FILTER, {"type": "string"}, "a goal id of the website: only the visits that converted on it"))
    if policy.compare:
        params.append(_param("compare_mode", {"type": "string", "enum": list(COMPARE_MODES), "default": "none"}, "compare with another range"))
        params.append(_param("compare_start_date", _date("first day of a custom comparison"), "with compare_mode=custom"))
        params.append(_param("compare_end_date", _date("last day of a custom comparison"), "with compare_mode=custom; at most twice the primary range"))
    if policy.granularity:
        params.append(_param("granularity", {"type": "string", "enum": list(GRANULARITIES)}, "bucket size; default by range length"))
    if policy.metric:
        params.append(_param("type", {"type": "string", "enum": list(METRIC_TYPES)}, "the dimension to break down by", required=True))
    if policy.limit:
        mode, default, low, high = policy.limit
        clamp = " (clamped into range)" if mode == "clamp" else ""
        params.append(_param("limit", {"type": "integer", "minimum": low, "maximum": high, "default": default}, f"rows per page{clamp}"))
    if policy.offset:
        params.append(_param("offset", {"type": "integer", "minimum": 0, "default": 0}, "rows to skip"))
    if policy.cursor:
        params.append(_param("cursor", {"type": "string"}, "the `next_cursor` of the previous page"))
    if policy.event_name:
        params.append(_param("event_name", {"type": "string", "minLength": 1, "maxLength": 255}, "the custom event's name", required=True))
    if policy.export_format:
        params.append(_param("format", {"type": "string", "enum": ["csv"], "default": "csv"}, "file format"))
    return params
