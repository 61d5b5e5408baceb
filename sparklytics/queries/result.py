"""The value every report returns: the ``data`` payload plus its top-level siblings.

API.md puts some things next to ``data`` rather than inside it: ``pagination`` (metrics,
sessions) and ``compare`` (stats and pageviews only when compare is active; metrics
always, ``null`` when inactive). A report fills ``extras`` with exactly the siblings its
route shows, so the API layer answers ``result.body()`` without knowing which is which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class ReportResult:
    """``data`` is the JSON-able payload; ``extras`` the top-level siblings of ``data``."""

    data: Any
    extras: Mapping[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The full JSON response body: ``{"data": …, **extras}``."""
        return {"data": self.data, **self.extras}


def round_half_up(value: float, digits: int) -> float:
    """Round like a person does (``0.125 → 0.13``), not banker's rounding of ``round()``.

    Works on the shortest decimal text of the float, so ``0.46875`` → ``0.469`` and
    ``2/3`` → ``0.667`` whatever the binary representation.
    """
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))
