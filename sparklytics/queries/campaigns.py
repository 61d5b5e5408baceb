"""Campaign link and tracking pixel stats: what they count and their shapes (API.md §1.15,
Decision 16).

Over the events in the range that pass the filters (bots per ``include_bots``, Decision
15 having scored clicks like any event):

* **Link** — ``clicks``: the ``link_click`` events carrying the link's id;
  ``unique_visitors``: their distinct visitors; ``conversions``: the goal conversions
  (every goal of the website, each matching event counted once per goal it matches, as
  the goal panel counts them) in the sessions that contain a click of the link;
  ``revenue``: the value of those conversions (the goal's value rules, §1.8), rounded to
  cents. Goals are definitions evaluated at query time (Decision 16), never stored
  ``goal_conversion`` events.
* **Pixel** — ``views``: the ``pixel_view`` events carrying the pixel's id;
  ``unique_visitors``: their distinct visitors.

A store answers every link (pixel) of the website with a hit in the range in one scan;
records without one count zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sparklytics.queries.result import ReportResult, round_half_up

# (clicks, unique visitors, conversions, revenue) of one link.
LinkCounts = tuple[int, int, int, float]
# (views, unique visitors) of one pixel.
PixelCounts = tuple[int, int]

NO_LINK_HITS: LinkCounts = (0, 0, 0, 0.0)
NO_PIXEL_HITS: PixelCounts = (0, 0)


def shape_link_stats(counts: Mapping[str, LinkCounts]) -> ReportResult:
    """``{link_id: {clicks, unique_visitors, conversions, revenue}}`` (pure)."""
    return ReportResult({link_id: link_stat_fields(c) for link_id, c in counts.items()})


def link_stat_fields(counts: LinkCounts) -> dict[str, Any]:
    clicks, visitors, conversions, revenue = counts
    return {"clicks": clicks, "unique_visitors": visitors, "conversions": conversions, "revenue": round_half_up(revenue, 2)}


def shape_pixel_stats(counts: Mapping[str, PixelCounts]) -> ReportResult:
    """``{pixel_id: {views, unique_visitors}}`` (pure)."""
    return ReportResult({pixel_id: pixel_stat_fields(c) for pixel_id, c in counts.items()})


def pixel_stat_fields(counts: PixelCounts) -> dict[str, Any]:
    return {"views": counts[0], "unique_visitors": counts[1]}
