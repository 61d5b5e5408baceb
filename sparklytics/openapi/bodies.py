"""Bodies of the routes that check their JSON by hand rather than with a pydantic model.

Those handlers (bot controls, saved reports, ingest limits, the Stats API v2 query, the
Plausible- and Umami-compatible ingest bodies)
validate field by field to answer their exact 400s in their own words; these models
describe the same fields for the document, reading limits and names from the checking
code's constants where it has them. Unlike a handler's own model they are not executed
on requests: ``tests/test_openapi.py`` sends each route a body that uses every field
its schema names, checks it against the schema and expects the server to accept it, so
a field renamed on one side only fails there.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from sparklytics.api.plausible_event import MAX_PROPS
from sparklytics.api.umami_send import TYPES as UMAMI_TYPES
from sparklytics.queries.stats_v2.catalogue import DIMENSIONS, METRICS, PROPS, TIME_DIMENSIONS
from sparklytics.queries.stats_v2.parse import INCLUDE_KEYS, MAX_LIMIT
from sparklytics.saved_reports import (
    CONFIG_FIELDS,
    DATE_RANGE_TYPES,
    DEFAULT_RELATIVE_DAYS,
    MAX_DESCRIPTION_CHARS,
    MAX_NAME_CHARS,
    MAX_RELATIVE_DAYS,
    REPORT_TYPES,
)

__all__ = [
    "BotEntryBody",
    "BotPolicyBody",
    "IngestLimitsBody",
    "PlausibleEventBody",
    "RecomputeBody",
    "SavedReportBody",
    "SavedReportConfig",
    "SavedReportUpdate",
    "StatsV2Query",
    "UmamiSendBody",
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


_SHAPED_CONFIG_FIELDS = {
    "version": (int, Field(ge=1)),
    "report_type": (Literal[REPORT_TYPES], ...),  # type: ignore[valid-type]
    "date_range_type": (Literal[DATE_RANGE_TYPES], ...),  # type: ignore[valid-type]
    "relative_days": (int | None, Field(default=DEFAULT_RELATIVE_DAYS, ge=1, le=MAX_RELATIVE_DAYS)),
}
# A saved report's config, field for field from saved_reports.CONFIG_FIELDS: the rest are
# texts (dates, compare, timezone, metric_type and the filters its route takes).
SavedReportConfig = create_model(
    "SavedReportConfig",
    __config__=ConfigDict(extra="forbid"),
    __doc__="The analytics query a saved report runs (`start_date`/`end_date` with `date_range_type: absolute`).",
    **_SHAPED_CONFIG_FIELDS,
    **{name: (str | None, None) for name in CONFIG_FIELDS if name not in _SHAPED_CONFIG_FIELDS},
)


class SavedReportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_CHARS)
    config: SavedReportConfig  # type: ignore[valid-type]


class SavedReportUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME_CHARS)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_CHARS)
    config: SavedReportConfig | None = None  # type: ignore[valid-type]


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


class PlausibleRevenue(BaseModel):
    amount: float | str = Field(description="a number, or numeric text")
    currency: str = Field(description="ISO 4217 code")


class PlausibleEventBody(BaseModel):
    """Plausible's event body (``sparklytics/api/plausible_event.py`` checks it). Each
    field may also be sent under Plausible's one-letter name: ``n``, ``u``, ``d``, ``r``,
    ``p``, ``$``, ``i``, ``h``; fields Plausible's clients add that are not listed here
    are ignored."""

    name: str = Field(description="`pageview` for a pageview, any other name for a custom event")
    url: str = Field(description="the page's full URL")
    domain: str = Field(description="the website's domain or one of its extra domains; a comma-separated list records the event for each")
    referrer: str | None = None
    props: dict[str, str | float | bool | None] | str | None = Field(
        default=None, description=f"custom properties (at most {MAX_PROPS}), an object or a JSON string of one"
    )
    revenue: PlausibleRevenue | None = Field(default=None, description="stored as the properties `revenue` and `currency`")
    interactive: bool | None = Field(default=None, description="accepted; no effect (bounces count pageviews only)")
    hashMode: int | None = Field(default=None, description="1: the URL's fragment is part of the page path")


class UmamiPayload(BaseModel):
    website: str = Field(description="an Umami website UUID a website carries as `umami_website_id`, or our `site_…` id")
    hostname: str | None = None
    language: str | None = None
    referrer: str | None = None
    screen: str | None = Field(default=None, description="`<width>x<height>`")
    title: str | None = Field(default=None, description="accepted, not stored")
    url: str = Field(description="the page's URL or path (a path is read against `hostname`)")
    name: str | None = Field(default=None, description="a custom event's name; none: a pageview")
    data: dict[str, Any] | None = Field(default=None, description="the custom event's (or identify's) properties")
    tag: str | None = Field(default=None, description="stored as the property `tag`")
    id: str | None = Field(default=None, description="Umami's distinct id: the visitor id")


class UmamiSendBody(BaseModel):
    """Umami's collect body (``sparklytics/api/umami_send.py`` checks it)."""

    type: Literal[UMAMI_TYPES]  # type: ignore[valid-type]
    payload: UmamiPayload
