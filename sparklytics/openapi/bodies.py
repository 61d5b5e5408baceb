"""Bodies of the routes that check their JSON by hand rather than with a pydantic model.

Those handlers (bot controls, saved reports, ingest limits) validate field by field to
answer the contract's exact 400s; these models describe the same fields for the
document. ``tests/test_openapi.py`` sends each route a body built from its schema and
expects it accepted, so a field renamed in the handler fails there.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


__all__ = ["BotEntryBody", "BotPolicyBody", "IngestLimitsBody", "RecomputeBody", "SavedReportBody", "SavedReportUpdate"]


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


