"""A saved report as the product knows it: its stored row and the rules of its config.

API.md §1.13. A saved report is a name, an optional description and a *config*: which
report (``stats``, ``pageviews``, ``metrics`` or ``events``), over which range (the last
``relative_days`` days, or fixed ``start_date``..``end_date``), compared with what, in
which time zone, through which filters. The config is checked by turning it into the
query parameters of the matching analytics route (:func:`query_params`) and parsing them
with :func:`~sparklytics.queries.report_query.parse_report_query`, the parser the
dashboard's own requests go through: a config is valid exactly when the dashboard's
request for the same view would be, and its errors carry the same messages (400).

Name rules follow Decision 11 (422 like goals and funnels): non-blank after trimming and
at most :data:`MAX_NAME_CHARS` characters; unique per website (exact comparison) and at
most :data:`MAX_REPORTS_PER_WEBSITE` reports per website — those two are checked inside
the write that would break them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sparklytics.queries.errors import QueryError
from sparklytics.queries.report_query import FILTERS, is_valid_timezone, parse_report_query

MAX_REPORTS_PER_WEBSITE = 100
MAX_NAME_CHARS = 100
MAX_DESCRIPTION_CHARS = 1000
REPORT_TYPES = ("stats", "pageviews", "metrics", "events")
DATE_RANGE_TYPES = ("relative", "absolute")
DEFAULT_RELATIVE_DAYS = 30
MAX_RELATIVE_DAYS = 365
METRICS_LIMIT = 25
# Report configs take every dimension filter but ``filter_language`` (§1.13).
CONFIG_FILTERS = tuple(key for key in FILTERS if key != "filter_language")
_TEXT_FIELDS = ("start_date", "end_date", "compare_mode", "compare_start_date", "compare_end_date", "timezone", "metric_type")
CONFIG_FIELDS = ("version", "report_type", "date_range_type", "relative_days", *_TEXT_FIELDS, *CONFIG_FILTERS)


@dataclass(frozen=True, slots=True)
class SavedReport:
    """A saved report as stored (§1.13's SavedReport); timestamps as API text (§0.3)."""

    id: str
    website_id: str
    name: str
    description: str | None
    config: dict[str, Any]
    last_run_at: str | None = None
    created_at: str | None = None
    updated_at: str | None = None

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def summary(self) -> dict[str, Any]:
        """The list row of ``GET …/reports``."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "report_type": self.config["report_type"],
            "last_run_at": self.last_run_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


class InvalidReport(Exception):
    """A name or description breaks a rule (the API answers 422 with ``field``)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidConfig(InvalidReport):
    """The config breaks a rule of §1.13 (the API answers 400 ``validation_error``)."""


class ReportLimitReached(Exception):
    """The website has :data:`MAX_REPORTS_PER_WEBSITE` reports (422 ``limit_exceeded``)."""


class DuplicateReportName(Exception):
    """Another report of the website has this exact name (422 ``duplicate_name``)."""


def check_name(name: Any) -> str:
    """The trimmed name; raises :class:`InvalidReport` (field ``name``)."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidReport("name is required", "name")
    name = name.strip()
    if len(name) > MAX_NAME_CHARS:
        raise InvalidReport(f"name must be at most {MAX_NAME_CHARS} characters", "name")
    return name


def check_description(description: Any) -> str | None:
    """The trimmed description, None when blank; raises :class:`InvalidReport`."""
    if description is None:
        return None
    if not isinstance(description, str):
        raise InvalidReport("description must be a string", "description")
    description = description.strip()
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise InvalidReport(f"description must be at most {MAX_DESCRIPTION_CHARS} characters", "description")
    return description or None


def parse_config(raw: Any) -> dict[str, Any]:
    """The normalized config (every known key, defaults filled, blanks as None).

    Checks the shape here and the meaning through :func:`check_config_query`.

    Raises:
        InvalidConfig: the first rule broken, with the field at fault.
    """
    if not isinstance(raw, Mapping):
        raise InvalidConfig("config must be a JSON object", "config")
    unknown = sorted(set(raw) - set(CONFIG_FIELDS))
    if unknown:
        raise InvalidConfig(f"unknown config field: {unknown[0]}", unknown[0])
    version = raw.get("version")
    if version is None:
        raise InvalidConfig("version is required", "version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidConfig("version must be a positive integer", "version")
    report_type = _choice(raw, "report_type", REPORT_TYPES)
    range_type = _choice(raw, "date_range_type", DATE_RANGE_TYPES)
    relative_days = raw.get("relative_days")
    if relative_days is None:
        relative_days = DEFAULT_RELATIVE_DAYS
    if isinstance(relative_days, bool) or not isinstance(relative_days, int) or not 1 <= relative_days <= MAX_RELATIVE_DAYS:
        raise InvalidConfig(f"relative_days must be an integer from 1 to {MAX_RELATIVE_DAYS}", "relative_days")
    config: dict[str, Any] = {
        "version": version,
        "report_type": report_type,
        "date_range_type": range_type,
        "relative_days": relative_days,
    }
    for key in (*_TEXT_FIELDS, *CONFIG_FILTERS):
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidConfig(f"{key} must be a string", key)
        config[key] = (value or "").strip() or None
    if range_type == "absolute":
        for key in ("start_date", "end_date"):
            if config[key] is None:
                raise InvalidConfig(f"{key} is required for an absolute date range", key)
    if config["timezone"] is not None and not is_valid_timezone(config["timezone"]):
        raise InvalidConfig("invalid timezone", "timezone")
    if report_type == "metrics" and config["metric_type"] is None:
        raise InvalidConfig("metric_type is required for metrics reports", "metric_type")
    check_config_query(config)
    return config


def check_config_query(config: Mapping[str, Any]) -> None:
    """Parse ``config`` as its analytics route would (dates, compare, metric, filters)."""
    params = query_params(config, today=date(2026, 1, 1))
    try:
        parse_report_query(params, route=config["report_type"], website_id="check", now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    except QueryError as error:
        field = error.field
        if field == "type":
            field = "metric_type"
        raise InvalidConfig(error.message, field or "config") from None


def query_params(config: Mapping[str, Any], *, today: date) -> dict[str, str]:
    """The query string the analytics route of ``config`` would get, with ``today`` (the
    local date in the report's time zone) fixing a relative range."""
    params: dict[str, str] = {}
    if config["date_range_type"] == "relative":
        params["start_date"] = (today - timedelta(days=config["relative_days"] - 1)).isoformat()
        params["end_date"] = today.isoformat()
    else:
        params["start_date"], params["end_date"] = config["start_date"], config["end_date"]
    for key in ("compare_mode", "compare_start_date", "compare_end_date", "timezone", *CONFIG_FILTERS):
        if config.get(key):
            params[key] = config[key]
    if config["report_type"] == "metrics":
        params["type"] = config["metric_type"] or ""
        params["limit"] = str(METRICS_LIMIT)
    return params


def local_today(config: Mapping[str, Any], website_timezone: str, now: datetime) -> date:
    """Today in the report's time zone (its own, else the website's), ``now`` naive UTC."""
    zone = config.get("timezone") or website_timezone or "UTC"
    if not is_valid_timezone(zone):
        zone = "UTC"
    return now.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(zone)).date()


def dump_config(config: Mapping[str, Any]) -> str:
    return json.dumps(config, separators=(",", ":"), sort_keys=True)


def load_config(text: str) -> dict[str, Any]:
    return json.loads(text)


def _choice(raw: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = raw.get(key)
    if value is None:
        raise InvalidConfig(f"{key} is required", key)
    if value not in allowed:
        raise InvalidConfig(f"{key} must be one of: {', '.join(allowed)}", key)
    return value
