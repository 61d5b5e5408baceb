"""The names of the Stats API v2 and what they mean here.

Dimensions map to our own (``queries.conditions.DIMENSIONS`` for filters,
``queries.grouping.GROUP_DIMENSIONS`` for grouping). Where our data differs from
Plausible's, the value is ours: ``visit:region`` and ``visit:city`` are names (as the
GeoIP database gives them), ``visit:source`` and ``visit:referrer`` are both the
referring domain (``Direct / None`` without one), ``visit:device`` is ``Desktop``,
``Mobile`` or ``Tablet``.
"""

from __future__ import annotations

import pycountry

METRICS = (
    "visitors",
    "visits",
    "pageviews",
    "views_per_visit",
    "bounce_rate",
    "visit_duration",
    "events",
    "percentage",
    "conversion_rate",
    "group_conversion_rate",
    "total_revenue",
    "average_revenue",
)
# Metrics that exist only per visit: Plausible refuses them with event dimensions.
SESSION_METRICS = ("bounce_rate", "views_per_visit", "visit_duration")
# Metrics that need the visits grouped (``Grouping.visits``).
VISIT_METRICS = ("visits", *SESSION_METRICS)
REVENUE_METRICS = ("total_revenue", "average_revenue")
GOAL_METRICS = ("conversion_rate", "group_conversion_rate")

# v2 dimension → our dimension (the same key for conditions and grouping).
DIMENSIONS: dict[str, str] = {
    "event:page": "page",
    "event:name": "name",
    "event:goal": "goal",
    "event:hostname": "hostname",
    "visit:source": "referrer",
    "visit:referrer": "referrer",
    "visit:channel": "channel",
    "visit:utm_medium": "utm_medium",
    "visit:utm_source": "utm_source",
    "visit:utm_campaign": "utm_campaign",
    "visit:utm_content": "utm_content",
    "visit:utm_term": "utm_term",
    "visit:device": "device",
    "visit:browser": "browser",
    "visit:browser_version": "browser_version",
    "visit:os": "os",
    "visit:os_version": "os_version",
    "visit:country": "country",
    "visit:country_name": "country",
    "visit:region": "region",
    "visit:city": "city",
    "visit:entry_page": "entry_page",
    "visit:exit_page": "exit_page",
}
PROPS = "event:props:"
TIME_DIMENSIONS = ("time", "time:hour", "time:day", "time:week", "time:month")
# A goal is filtered with these operators only, and only at the top level.
GOAL_OPERATORS = ("is", "contains")
DIRECT = "Direct / None"  # Plausible's name for visits without a source


def is_dimension(name: object) -> bool:
    """Whether ``name`` is a v2 dimension (time dimensions included)."""
    if not isinstance(name, str):
        return False
    if name.startswith(PROPS):
        return len(name) > len(PROPS)
    return name in DIMENSIONS or name in TIME_DIMENSIONS


def is_event_dimension(name: str) -> bool:
    """Plausible's event dimensions (session metrics refuse them, except the page)."""
    return name.startswith("event:") and name != "event:page"


def our_dimension(name: str) -> str:
    """Our grouping/condition key of a non-time v2 dimension."""
    if name.startswith(PROPS):
        return "props:" + name[len(PROPS):]
    return DIMENSIONS[name]


def plausible_value(dimension: str, ours: str) -> str:
    """Our value of a (non-time, non-goal) dimension as Plausible names it."""
    if dimension in ("visit:source", "visit:referrer") and ours == "(direct)":
        return DIRECT
    if dimension == "visit:device":
        return ours.capitalize()
    if dimension == "visit:country_name":
        country = pycountry.countries.get(alpha_2=ours)
        return country.name if country is not None else ours
    return ours


def our_value(dimension: str, plausible: str) -> str:
    """The inverse of :func:`plausible_value`, for filter values."""
    if dimension in ("visit:source", "visit:referrer") and plausible == DIRECT:
        return "(direct)"
    if dimension == "visit:device":
        return plausible.lower()
    if dimension == "visit:country_name":
        country = pycountry.countries.get(name=plausible)
        return country.alpha_2 if country is not None else plausible
    return plausible
