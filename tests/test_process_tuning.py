"""``tune_for_serving``: what a serving process leaves out of garbage collection.

Run in a fresh interpreter: freezing the test runner's own heap would keep every later
test's cyclic garbage alive.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SCRIPT = """
import gc, json
from sparklytics.process_tuning import YOUNG_GENERATION_THRESHOLD, tune_for_serving

made_at_startup = [[i] for i in range(50_000)]  # lists: always tracked by the GC
cycle = []
cycle.append(cycle)
del cycle  # garbage at startup: collected, not frozen
before = gc.get_threshold()
tune_for_serving()
frozen = gc.get_freeze_count()
print(json.dumps({
    "frozen": frozen,
    "startup_list_frozen": not any(o is made_at_startup for gen in range(3) for o in gc.get_objects(generation=gen)),
    "threshold": gc.get_threshold(),
    "before": before,
    "expected_young": YOUNG_GENERATION_THRESHOLD,
}))
"""


def test_startup_objects_are_frozen_and_young_collections_are_rarer() -> None:
    completed = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, check=True)
    result = json.loads(completed.stdout)
    assert result["frozen"] >= 50_000
    assert result["startup_list_frozen"]
    assert result["threshold"] == [result["expected_young"], *result["before"][1:]]
