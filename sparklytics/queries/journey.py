"""Journey: where sessions go after (or came from before) a page or an event (API.md §1.10).

``GET /api/websites/{id}/journey?anchor_type=page&anchor_value=/pricing&direction=next``

Semantics, per session, over the events of the required local-day range that match
the filters (and are not bots unless included):

* **Nodes.** A pageview's node is its stored normalized ``path`` (Decision 3: relative
  and absolute URLs give the same path, query and fragment already gone), lower-cased,
  trailing ``/`` removed except for the root. A custom event's node is its
  ``event_name``; an event without a name is not a node. Events are ordered by
  ``(created_at, id)``.
* **Anchor.** A page anchor is normalized like a node (``/Pricing/?a=1#x`` →
  ``/pricing``; ``https://Example.com/Docs/`` → ``/docs``) and matches pageviews only;
  an event anchor (trimmed) matches custom events with exactly that name. A session's
  anchor is its first matching event in the range.
* **Branch.** The ``max_depth`` nodes right after the anchor (``next``), or right
  before it listed chronologically (``previous``); fewer when the session has fewer.
  Sessions with nothing after/before form the branch with empty ``nodes``.
* **Result.** ``total_anchor_sessions`` = sessions with an anchor; the top 20 branches
  by sessions desc, then by nodes ascending (compared node by node, so ``[]`` comes
  first and ``["/a", "/b"]`` before ``["/a/x"]``); ``share`` = sessions / total.

Contract decisions (API.md is silent or Decision 3 changed it):

* Nodes use the stored path rather than re-parsing ``url``, so ``/pricing`` and
  ``https://example.com/pricing`` are one node (the original kept the scheme and host).
  Every trailing ``/`` is removed (``/docs//`` → ``/docs``).
* Filters select *events*, as everywhere else: with ``filter_page=blog`` a session's
  nodes are its matching pageviews only (a source filter selects every event of the
  visits from that source, Decision 21). The time range cuts sessions too: a branch
  never reaches outside the range.
* ``share`` is rounded half-up to 4 decimals.
* Parameters: a blank ``anchor_type`` or ``direction`` counts as missing
  (``anchor_type is required``, ``direction is required``); ``anchor_value`` longer
  than 500 characters is ``anchor_value must be at most 500 characters``; a blank
  ``max_depth`` takes the default 3, anything but an integer 1..5 is ``max_depth must
  be between 1 and 5``. These are checked before the date range and filters.

The DuckDB SQL is in ``stores/duckdb/reports/journey.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sparklytics.enrich.urls import split_url
from sparklytics.queries.errors import QueryError
from sparklytics.queries.report_query import parse_bounded_int
from sparklytics.queries.result import round_half_up

ANCHOR_VALUE_MAX_CHARS = 500
DEFAULT_MAX_DEPTH = 3
MAX_DEPTH_RANGE = (1, 5)
BRANCH_LIMIT = 20
STATEMENT_TIMEOUT_MS = 5_000
ANCHOR_TYPES = ("page", "event")
DIRECTIONS = ("next", "previous")


@dataclass(frozen=True, slots=True)
class JourneyOptions:
    """The journey's own parameters, validated; ``anchor_value`` is already normalized."""

    anchor_type: str  # page | event
    anchor_value: str
    direction: str  # next | previous
    max_depth: int = DEFAULT_MAX_DEPTH


def normalize_page(value: str) -> str:
    """A page as a journey node: path only, lower-cased, no trailing ``/`` except root.

    ``/Pricing/?a=1#x`` → ``/pricing``; ``https://example.com/Docs/`` → ``/docs``;
    ``""`` and ``?x`` → ``/``.
    """
    return split_url(value).path.lower().rstrip("/") or "/"


def parse_journey_options(params: Mapping[str, str]) -> JourneyOptions:
    """Validate ``anchor_type``, ``anchor_value``, ``direction`` and ``max_depth``.

    Raises:
        QueryError: with the exact API.md §1.10 message, first problem first.
    """
    anchor_type = (params.get("anchor_type") or "").strip()
    if not anchor_type:
        raise QueryError("anchor_type is required", "anchor_type")
    if anchor_type not in ANCHOR_TYPES:
        raise QueryError("anchor_type must be either 'page' or 'event'", "anchor_type")
    anchor_value = (params.get("anchor_value") or "").strip()
    if not anchor_value:
        raise QueryError("anchor_value is required", "anchor_value")
    if len(anchor_value) > ANCHOR_VALUE_MAX_CHARS:
        raise QueryError(f"anchor_value must be at most {ANCHOR_VALUE_MAX_CHARS} characters", "anchor_value")
    direction = (params.get("direction") or "").strip()
    if not direction:
        raise QueryError("direction is required", "direction")
    if direction not in DIRECTIONS:
        raise QueryError("direction must be either 'next' or 'previous'", "direction")
    return JourneyOptions(
        anchor_type=anchor_type,
        anchor_value=normalize_page(anchor_value) if anchor_type == "page" else anchor_value,
        direction=direction,
        max_depth=_parse_max_depth(params.get("max_depth")),
    )


def _parse_max_depth(raw: str | None) -> int:
    lo, hi = MAX_DEPTH_RANGE
    depth = parse_bounded_int(raw, lo, hi, QueryError(f"max_depth must be between {lo} and {hi}", "max_depth"))
    return DEFAULT_MAX_DEPTH if depth is None else depth


def shape_branches(top: list[tuple[list[str], int]], empty_sessions: int, total: int) -> list[dict]:
    """The top branches from the top non-empty ones plus the empty branch's count (pure).

    ``top`` is already the top :data:`BRANCH_LIMIT` non-empty branches, so the overall
    top is among them and the empty branch (when some session has one).
    """
    candidates = list(top)
    if empty_sessions > 0:
        candidates.append(([], empty_sessions))
    candidates.sort(key=lambda branch: (-branch[1], branch[0]))
    return [
        {"nodes": nodes, "sessions": sessions, "share": round_half_up(sessions / total, 4)}
        for nodes, sessions in candidates[:BRANCH_LIMIT]
    ]
