"""Bodies of the routes that check their JSON by hand rather than with a pydantic model.

Those handlers (bot controls, saved reports, ingest limits, the Stats API v2 query)
validate field by field to answer their exact 400s in their own words; these models
describe the same fields for the document, reading limits and names from the checking
code's constants where it has them. Unlike a handler's own model they are not executed
on requests, so a field renamed in a handler must be renamed here too: the probe of
``tests/test_openapi.py`` sends these routes empty and malformed bodies, not bodies
built from these schemas.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sparklytics.queries.stats_v2.catalogue import DIMENSIONS, METRICS, PROPS, TIME_DIMENSIONS
from sparklytics.queries.stats_v2.parse import INCLUDE_KEYS, MAX_LIMIT


__all__ = [
    "BotEntryBody",
    "BotPolicyBody",
    "IngestLimitsBody",
    "RecomputeBody",
    "SavedReportBody",
    "SavedReportUpdate",
    "StatsV2Query",
]


class BotPolicyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["strict", "balanced", "off"]
    threshold_score: int = Field(ge=0, le=100)


class BotEntryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    match_type: Literal["ua_contains", "ip_exact", "ip_cidr"]
    match_value: str = Field(min_length=1, max_length=255, description="trimmed; an IP address or CIDR network for the IP types")
    note: str | None = Field(default=None, max_length=255)


class RecomputeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start_date: str | None = Field(default=None, description="YYYY-MM-DD; default 6 days before end_date")
    end_date: str | None = Field(default=None, description="YYYY-MM-DD; default today; at most 30 days")


class SavedReportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    description: str | None = None
    config: dict[str, Any] = Field(
        description="`{version: 1, report_type: stats|pageviews|metrics|events, date_range_type: relative|absolute, "
        "relative_days | start_date + end_date, timezone?, compare_mode?, metric_type?, filter_*?}`"
    )


class SavedReportUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = None
    config: dict[str, Any] | None = None


class IngestLimitsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    peak_events_per_sec: int | None = Field(default=None, gt=0, le=2_000_000_000, description="null: back to the server default")
    queue_max_events: int | None = Field(default=None, gt=0, le=2_000_000_000, description="null: back to the server default")




class StatsV2Pagination(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=10_000, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0)


class StatsV2Query(BaseModel):
    """Plausible's Stats API v2 query (``sparklytics/queries/stats_v2`` checks it)."""

    model_config = ConfigDict(extra="forbid")
    site_id: str = Field(description="the website's id or its domain")
    metrics: list[Literal[METRICS]] = Field(min_length=1)  # type: ignore[valid-type]
    date_range: str | list[str] = Field(
        description='"day", "7d", "30d", "month", "6mo", "12mo", "year", "all", or [from, to] as dates or ISO date-times'
    )
    dimensions: list[str] = Field(
        default_factory=list,
        description=f"any of {', '.join(sorted(DIMENSIONS))}, {', '.join(TIME_DIMENSIONS)} or `{PROPS}<key>`",
    )
    filters: list[Any] = Field(default_factory=list, description='e.g. ["is", "visit:country", ["DE"]]; and/or/not nest them')
    order_by: list[Any] = Field(default_factory=list, description='e.g. [["visitors", "desc"]]')
    include: dict[Literal[INCLUDE_KEYS], bool] = Field(default_factory=dict)  # type: ignore[valid-type]
    pagination: StatsV2Pagination | None = None
