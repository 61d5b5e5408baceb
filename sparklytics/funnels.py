"""A funnel as the product knows it: its limits, a validated step, and the refusals of
its writes (API.md §1.9). The rules of the bodies live in ``api/funnels.py``; the limit
and the unique name are checked inside the write that would break them."""

from __future__ import annotations

from dataclasses import dataclass

MAX_FUNNELS_PER_WEBSITE = 20


@dataclass(frozen=True, slots=True)
class NewStep:
    """One step as validated by the API: ``label`` already defaulted to ``match_value``."""

    step_type: str
    match_value: str
    match_operator: str
    label: str


class FunnelLimitReached(Exception):
    """The website already has :data:`MAX_FUNNELS_PER_WEBSITE` funnels (API answers 422)."""


class DuplicateFunnelName(Exception):
    """Another funnel of the website has this exact name (API answers 422)."""
