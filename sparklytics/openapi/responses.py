"""The shapes of our answers as pydantic models, for the OpenAPI document.

The handlers build plain dicts (the fast path); these models describe them. They are
kept honest by ``tests/test_openapi.py``, which validates real answers of a running
server against the document. A route whose body has no model here is documented as
``Data`` (``{"data": object}``) and described in docs/api.md.

Envelopes (API.md §0.1): ``Data[T]`` is ``{"data": T}``; paged lists add
``pagination``; errors are :class:`ErrorBody` everywhere.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

__all__ = [
    "ApiKey",
    "ApiKeyCreated",
    "ApiKeysPage",
    "AuthSession",
    "AuthStatus",
    "Data",
    "DataList",
    "ErrorBody",
    "ErrorDetail",
    "Health",
    "Ok",
    "OffsetPagination",
    "OpenApiDocument",
    "RecomputeStarted",
    "Share",
    "Stats",
    "StatsV2Result",
    "Website",
    "WebsiteCreated",
    "WebsiteSummary",
    "WebsiteUpdated",
    "WebsitesPage",
]


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable error code, e.g. `validation_error`")
    message: str = Field(description="what went wrong, in English")
    field: str | None = Field(description="the parameter or body field at fault, when there is one")


class ErrorBody(BaseModel):
    """Every error answer (API.md §0.2)."""

    error: ErrorDetail


class Data(BaseModel, Generic[T]):
    data: T


class DataList(BaseModel, Generic[T]):
    data: list[T]


class Ok(BaseModel):
    ok: Literal[True]


class UmamiAnswer(BaseModel):
    """Umami's answer to ``/api/send``; its ids are null (sessions are assigned after it)."""

    cache: None
    sessionId: None
    visitId: None


class Health(BaseModel):
    """200 when healthy; 503 with ``reasons`` when degraded."""

    status: Literal["ok", "degraded"]
    version: str
    geo: dict[str, Any] | None = Field(description="the IP geolocation database in use and its build date; null: none")
    reasons: list[str] | None = Field(default=None, description="present when degraded")
    stores: dict[str, str] = Field(
        description="each store by its engine (`duckdb`; in cloud mode `postgresql` and `clickhouse`): `ok` or its error"
    )


class AuthStatus(BaseModel):
    mode: Literal["local", "password"]
    setup_required: bool
    authenticated: bool
    password_change_required: bool


class AuthSession(BaseModel):
    authenticated: Literal[True]
    mode: str
    expires_at: str = Field(description="RFC 3339")


class WebsiteCreated(BaseModel):
    id: str = Field(pattern=r"^site_[0-9a-z]{10}$")
    tenant_id: None
    name: str
    domain: str
    timezone: str
    tracking_snippet: str = Field(description="the <script> tag to paste into the website's pages")
    created_at: str


class Website(WebsiteCreated):
    share_id: str | None = Field(description="the public share link's id, null when sharing is off")
    updated_at: str


class WebsiteSummary(BaseModel):
    id: str
    tenant_id: None
    name: str
    domain: str
    timezone: str
    ingest_peak_eps: int | None
    ingest_queue_max_events: int | None
    share_id: str | None
    created_at: str
    updated_at: str


class CursorPagination(BaseModel):
    total: int
    limit: int
    cursor: str | None = Field(description="pass as `cursor` to get the next page; null on the last")
    has_more: bool


class WebsitesPage(BaseModel):
    data: list[WebsiteSummary]
    pagination: CursorPagination


class WebsiteUpdated(BaseModel):
    id: str
    name: str
    domain: str
    timezone: str
    updated_at: str


class Stats(BaseModel):
    """``bounce_rate`` here is a fraction 0–1 (Decision 2)."""

    pageviews: int
    visitors: int
    sessions: int
    bounce_rate: float = Field(ge=0, le=1)
    avg_duration_seconds: float
    prev_pageviews: int
    prev_visitors: int
    prev_sessions: int
    prev_bounce_rate: float
    prev_avg_duration_seconds: float
    timezone: str


class Share(BaseModel):
    share_id: str
    share_url: str


class OffsetPagination(BaseModel):
    total: int
    limit: int
    offset: int
    has_more: bool


class RecomputeStarted(BaseModel):
    job_id: str
    status: Literal["queued"]


class OpenApiDocument(BaseModel):
    """This document (its top level; the rest is OpenAPI 3.1 itself)."""

    model_config = ConfigDict(extra="allow")
    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


class StatsV2Row(BaseModel):
    metrics: list[float | None | dict[str, Any]] = Field(description="in the order of the query's metrics")
    dimensions: list[str | None] = Field(description="in the order of the query's dimensions")


class StatsV2Result(BaseModel):
    """Plausible's Stats API v2 answer."""

    results: list[StatsV2Row]
    meta: dict[str, Any]
    query: dict[str, Any] = Field(description="the query as understood, dates resolved")


class ApiKey(BaseModel):
    id: str
    name: str
    key_prefix: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


class ApiKeysPage(BaseModel):
    data: list[ApiKey]
    pagination: OffsetPagination


class ApiKeyCreated(BaseModel):
    id: str
    name: str
    key: str = Field(description="the raw key (`spk_selfhosted_…`), shown this once")
    prefix: str
    created_at: str = Field(description="RFC 3339")
