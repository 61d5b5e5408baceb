"""Funnel results: how many sessions reached each step, in order (API.md §1.9).

:func:`funnel_results` takes a ``funnel_results`` query (strict dates, default 30 days,
at most 90; strict filters; ``timezone``; ``include_bots``) and the funnel as
the MetadataStore returns it (``get_funnel``), and answers::

    {"funnel_id", "name", "total_sessions_entered", "final_conversion_rate",
     "steps": [{"step_order", "label", "sessions_reached", "drop_off_count",
                "drop_off_rate", "conversion_rate_from_start",
                "conversion_rate_from_previous"}]}

Semantics. Only events in the range that pass the filters (and are not bots unless
included) count. A session reaches step 1 at its earliest event matching step 1; it
reaches step N at its earliest event matching step N *strictly later* than the time it
reached step N−1, so an event that happened before the previous step never counts and
one event never serves two steps. Taking the earliest match at every step is what makes
the count exact: any later choice could only leave fewer events for the next step.

A step matches (Decision 3):

* ``page_view`` (pageview rows only): when ``match_value`` starts with ``http``, the URL
  as sent (``equals``: the whole URL, ``contains``: a substring); otherwise the
  normalized ``path`` — ``equals`` compares with the path of ``match_value`` normalized
  the way stored URLs are (``/pricing?x=1`` and ``pricing`` both mean ``/pricing``),
  ``contains`` is a substring of the path. So relative and absolute URLs from the
  tracker match the same steps.
* ``event`` (custom event rows only): ``event_name`` equals / contains ``match_value``.

Numbers: ``drop_off_count`` of a step is the sessions that reached it but not the next
(0 for the last step) and ``drop_off_rate`` that over the step's sessions;
``conversion_rate_from_start`` is over step 1's sessions, ``_from_previous`` over the
previous step's (1.0 for step 1 when anyone entered); ``final_conversion_rate`` is the
last step over the first. Rates are unrounded fractions and 0.0 when their denominator
is 0 (as in the original server; the dashboard formats them).

The DuckDB SQL is in ``stores/duckdb/reports/funnels.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def shape_results(funnel: Mapping[str, Any], reached: Sequence[int]) -> dict[str, Any]:
    """The ``data`` payload from the sessions that reached each step (pure)."""
    entered = reached[0] if reached else 0
    steps = []
    for i, step in enumerate(funnel["steps"]):
        count = reached[i]
        is_last = i == len(reached) - 1
        drop_off = 0 if is_last else max(count - reached[i + 1], 0)
        previous = count if i == 0 else reached[i - 1]
        steps.append(
            {
                "step_order": step["step_order"],
                "label": step["label"],
                "sessions_reached": count,
                "drop_off_count": drop_off,
                "drop_off_rate": _ratio(drop_off, count),
                "conversion_rate_from_start": _ratio(count, entered),
                "conversion_rate_from_previous": _ratio(count, previous),
            }
        )
    return {
        "funnel_id": funnel["id"],
        "name": funnel["name"],
        "total_sessions_entered": entered,
        "final_conversion_rate": _ratio(reached[-1], entered) if reached else 0.0,
        "steps": steps,
    }


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0
