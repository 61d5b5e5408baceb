"""Alert arithmetic on hand-built daily series (baseline days, then today)."""

from __future__ import annotations

import math

import pytest

from sparklytics.notifications.alerts import evaluate

# Baseline mean 10, population stddev 2 (values 8, 12 alternating).
BASELINE = [8, 12, 8, 12, 8, 12, 8, 12]


@pytest.mark.parametrize(
    "condition,threshold,today,fired",
    [
        ("spike", 2.0, 14, True),  # z = 2.0: fires at >=
        ("spike", 2.0, 13.9, False),
        ("drop", 2.0, 6, True),  # z = -2.0
        ("drop", 2.0, 6.1, False),
        ("spike", 2.0, 6, False),  # a drop is not a spike
        ("threshold_above", 100, 100, True),
        ("threshold_above", 100, 99, False),
        ("threshold_below", 5, 5, True),
        ("threshold_below", 5, 6, False),
    ],
)
def test_conditions(condition, threshold, today, fired) -> None:
    result = evaluate(condition, threshold, [*BASELINE, today])
    assert result.fired is fired
    assert (result.baseline_mean, result.baseline_stddev) == (10.0, 2.0)
    assert math.isclose(result.z_score, (today - 10) / 2)


def test_missing_days_count_as_zero_in_the_baseline() -> None:
    result = evaluate("spike", 1.0, [0, 0, 0, 4, 30])
    assert (result.baseline_mean, result.baseline_stddev) == (1.0, math.sqrt(3))
    assert result.fired and math.isclose(result.z_score, 29 / math.sqrt(3))


@pytest.mark.parametrize("condition", ["spike", "drop"])
def test_a_flat_baseline_is_skipped(condition) -> None:
    result = evaluate(condition, 0.5, [5, 5, 5, 5, 50])
    assert (result.fired, result.skipped, result.z_score) == (False, "baseline stddev is 0", None)


@pytest.mark.parametrize("condition", ["spike", "drop"])
def test_no_baseline_is_skipped(condition) -> None:
    result = evaluate(condition, 0.5, [0, 0, 0, 0, 50])
    assert (result.fired, result.skipped) == (False, "no baseline")


def test_thresholds_need_no_baseline() -> None:
    assert evaluate("threshold_above", 10, [0, 0, 12]).fired
    assert evaluate("threshold_above", 10, [12]).fired  # lookback of its own only
