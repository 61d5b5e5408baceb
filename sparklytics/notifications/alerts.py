"""Whether an alert fires: threshold and z-score arithmetic over a daily series (API.md §6).

The series holds one value per UTC day: the ``lookback_days`` days before today (the
baseline; a day without data is 0) and today's value so far, last. Thresholds compare
today's value (``>=`` above, ``<=`` below). A spike or drop is today's distance from
the baseline mean in population standard deviations: it fires at ``z >= threshold``
(spike) or ``z <= -threshold`` (drop). With a baseline that never moved (stddev ≈ 0)
or that has no data at all, a z-score means nothing, so the check is skipped rather
than firing on the first visitor of a quiet site.

Pure functions: ``notifier.py`` fetches the series through the AnalyticsStore.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

STDDEV_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The numbers behind a decision; ``skipped`` says why no decision was possible."""

    fired: bool
    current_value: float
    baseline_mean: float
    baseline_stddev: float
    z_score: float | None
    skipped: str | None = None


def evaluate(condition: str, threshold: float, series: Sequence[float]) -> Evaluation:
    """Decide ``condition`` for ``series`` (baseline days, then today)."""
    if not series:
        raise ValueError("the series needs at least today's value")
    *baseline, current = (float(v) for v in series)
    mean = sum(baseline) / len(baseline) if baseline else 0.0
    stddev = math.sqrt(sum((v - mean) ** 2 for v in baseline) / len(baseline)) if baseline else 0.0
    z = (current - mean) / stddev if stddev > STDDEV_EPSILON else None
    match condition:
        case "threshold_above":
            return Evaluation(current >= threshold, current, mean, stddev, z)
        case "threshold_below":
            return Evaluation(current <= threshold, current, mean, stddev, z)
        case "spike" | "drop":
            if not any(baseline):
                return Evaluation(False, current, mean, stddev, None, "no baseline")
            if z is None:
                return Evaluation(False, current, mean, stddev, None, "baseline stddev is 0")
            fired = z >= threshold if condition == "spike" else z <= -threshold
            return Evaluation(fired, current, mean, stddev, z)
        case _:
            raise ValueError(f"unknown condition {condition!r}")
