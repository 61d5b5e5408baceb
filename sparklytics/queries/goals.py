"""Goals: what a conversion is, and the goal reports' shapes (API.md §1.8, Decision 16).

A goal (:class:`sparklytics.goals.Goal`) is a definition, never a stored event: conversions are counted at query time
from the events that match it, so a goal created today counts last month's visits too.

Matching (Decision 3, the same rule as funnel steps):

* ``page_view`` (pageview rows only): when ``match_value`` starts with ``http``, the URL
  as sent (``equals``: the whole URL, ``contains``: a substring); otherwise the
  normalized ``path`` — ``equals`` compares with ``match_value`` normalized the way
  stored URLs are (``/pricing?x=1`` and ``pricing`` both mean ``/pricing``),
  ``contains`` is a substring of the path. Relative and absolute URLs from the tracker
  therefore match alike (§1.8's stats rule, which never matched relative URLs, is
  overridden by Decision 3).
* ``event`` (custom event rows only): ``event_name`` equals / contains ``match_value``.

Value of one conversion: ``none`` → 0; ``fixed`` → ``fixed_value``; ``event_property`` →
the top-level key ``value_property_key`` of the event's properties when it is a finite
number or a numeric string (``"19.90"``), else 0.

Reports (each over the events in the range that pass the filters, bots per
``include_bots``):

* **Goal stats** (``GET …/goals/{id}/stats``): ``conversions`` = matching events,
  ``converting_sessions`` = sessions with one, ``total_sessions`` = sessions with any
  event, ``conversion_rate`` = converting / total (an unrounded fraction, 0.0 without
  sessions, as funnels). The ``prev_*`` fields are over the equal-length period before
  and ``null`` when that period has no event at all; ``trend_pct`` is the relative
  change of the rate × 100, ``null`` unless the previous rate is above 0.
* **Goal conversions** (``GET …/goals/conversions``, the overview panel, ours): every
  goal of the website in one scan — ``visitors`` (unique converting visitors),
  ``conversions``, ``conversion_rate`` (converting visitors over the range's visitors,
  percent with one decimal, as Plausible's CR), ``revenue``; the same over the
  previous (or compared) period, and the change of the rate in points.
* **Attribution** (``GET …/attribution``): each conversion is credited to a channel
  ``"<source> / <medium>"`` (source = utm_source, else referrer domain; medium =
  utm_medium, else ``utm`` with a utm_source, ``referral`` with a referrer). A *touch*
  is an event carrying a source; ``first_touch`` credits the session's first touch,
  ``last_touch`` its latest touch at or before the conversion; a conversion with no
  such touch is ``(direct) / direct``. Rows are ordered by conversions, then revenue,
  then channel; ``share`` = conversions / total (unrounded).
* **Revenue summary** (``GET …/revenue/summary``): the goal's conversions and revenue.

Revenue is rounded to cents (sums of floats would otherwise show 0.30000000000000004).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sparklytics.enrich.urls import split_url
from sparklytics.goals import Goal
from sparklytics.queries.errors import QueryError
from sparklytics.queries.result import ReportResult, round_half_up

ATTRIBUTION_MODELS = ("first_touch", "last_touch")
DEFAULT_MODEL = "last_touch"


@dataclass(frozen=True, slots=True)
class MatchTest:
    """What a goal or funnel step tests: rows of ``event_type`` whose ``column`` equals
    or contains the value bound as ``param``; each store writes it in its own SQL."""

    event_type: str  # pageview | event
    column: str  # path | url | event_name
    operator: str  # equals | contains
    param: str


def match_test(kind: str, operator: str, value: str, param: str) -> tuple[MatchTest, dict[str, str]]:
    """The test a goal or funnel step makes, and its bound value.

    ``kind`` is ``page_view`` or ``event``, ``operator`` ``equals`` or ``contains``
    (Decision 3: a page value starting with ``http`` tests the URL as sent, any other
    the normalized path, an ``equals`` value being normalized the same way).
    """
    if kind == "event":
        event_type, column = "event", "event_name"
    elif value.startswith("http"):
        event_type, column = "pageview", "url"
    else:
        event_type, column = "pageview", "path"
        if operator == "equals":
            value = split_url(value).path
    return MatchTest(event_type, column, operator, param), {param: value}


@dataclass(frozen=True, slots=True)
class AttributionOptions:
    goal_id: str
    model: str = DEFAULT_MODEL


def parse_attribution_options(params: Mapping[str, str]) -> AttributionOptions:
    """``goal_id`` (required) and ``model`` of the attribution and revenue routes."""
    goal_id = (params.get("goal_id") or "").strip()
    if not goal_id:
        raise QueryError("goal_id is required", "goal_id")
    model = (params.get("model") or "").strip() or DEFAULT_MODEL
    if model not in ATTRIBUTION_MODELS:
        raise QueryError(f"model must be one of: {', '.join(ATTRIBUTION_MODELS)}", "model")
    return AttributionOptions(goal_id, model)


# (conversions, converting_sessions, total_sessions, events): one period of goal stats.
GoalTotals = tuple[int, int, int, int]
# (visitors, conversions, revenue) of one goal over one period.
GoalCounts = tuple[int, int, float]


def shape_goal_stats(goal_id: str, current: GoalTotals, previous: GoalTotals) -> dict:
    """The goal stats object from the totals of the range and of the period before (pure)."""
    conversions, converting, total, _ = current
    rate = _fraction(converting, total)
    prev_conversions = prev_rate = trend = None
    if previous[3] > 0:
        prev_conversions = previous[0]
        prev_rate = _fraction(previous[1], previous[2])
        if prev_rate > 0:
            trend = (rate - prev_rate) / prev_rate * 100
    return {
        "goal_id": goal_id,
        "conversions": conversions,
        "converting_sessions": converting,
        "total_sessions": total,
        "conversion_rate": rate,
        "prev_conversions": prev_conversions,
        "prev_conversion_rate": prev_rate,
        "trend_pct": trend,
    }


def shape_goal_conversions(
    goals: Sequence[Goal],
    current: Sequence[GoalCounts],
    visitors: int,
    previous: Sequence[GoalCounts],
    previous_visitors: int,
) -> ReportResult:
    """The overview panel: one row per goal, most converting visitors first (pure)."""
    rows = []
    for goal, now, before in zip(goals, current, previous, strict=True):
        rate = _percent(now[0], visitors)
        prev_rate = _percent(before[0], previous_visitors)
        rows.append(
            {
                "goal_id": goal.id,
                "name": goal.name,
                "goal_type": goal.goal_type,
                "visitors": now[0],
                "conversions": now[1],
                "conversion_rate": rate,
                "revenue": round_half_up(now[2], 2) if goal.value_mode != "none" else None,
                "currency": goal.currency if goal.value_mode != "none" else None,
                "prev_visitors": before[0],
                "prev_conversions": before[1],
                "prev_conversion_rate": prev_rate,
                "conversion_rate_change": round_half_up(rate - prev_rate, 1),
            }
        )
    rows.sort(key=lambda row: (-row["visitors"], -row["conversions"], row["name"]))
    return ReportResult({"visitors": visitors, "rows": rows})


def shape_attribution(goal_id: str, model: str, credited: Sequence[tuple[str, int, float]]) -> dict:
    """Rows ``(channel, conversions, revenue)`` → the attribution payload (pure)."""
    total = sum(conversions for _, conversions, _ in credited)
    revenue = sum(value for _, _, value in credited)
    rows = [
        {
            "channel": channel,
            "conversions": conversions,
            "revenue": round_half_up(value, 2),
            "share": _fraction(conversions, total),
        }
        for channel, conversions, value in credited
    ]
    rows.sort(key=lambda row: (-row["conversions"], -row["revenue"], row["channel"]))
    return {
        "goal_id": goal_id,
        "model": model,
        "rows": rows,
        "totals": {"conversions": total, "revenue": round_half_up(revenue, 2)},
    }


def shape_revenue_summary(goal_id: str, model: str, conversions: int, revenue: float) -> dict:
    return {"goal_id": goal_id, "model": model, "conversions": conversions, "revenue": round_half_up(revenue, 2)}


def _fraction(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _percent(part: int, whole: int) -> float:
    return round_half_up(100.0 * part / whole, 1) if whole else 0.0
