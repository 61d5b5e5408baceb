"""The skipped-row summary: how many rows were refused for each reason, and where.

Printed after an import so a user can fix the export: one line per reason with its
count and its first line numbers (``file:line`` when the export has several files).
"""

from __future__ import annotations

from dataclasses import dataclass, field

FIRST_LINES = 5


@dataclass
class _Reason:
    count: int = 0
    first: list[str] = field(default_factory=list)


class Skipped:
    def __init__(self) -> None:
        self._reasons: dict[str, _Reason] = {}

    def add(self, reason: str, where: str) -> None:
        tally = self._reasons.setdefault(reason, _Reason())
        tally.count += 1
        if len(tally.first) < FIRST_LINES:
            tally.first.append(where)

    @property
    def total(self) -> int:
        return sum(r.count for r in self._reasons.values())

    def by_reason(self) -> dict[str, int]:
        return {reason: tally.count for reason, tally in self._reasons.items()}

    def summary(self) -> list[str]:
        """One line per reason, most frequent first."""
        lines = []
        for reason, tally in sorted(self._reasons.items(), key=lambda item: -item[1].count):
            more = ", …" if tally.count > len(tally.first) else ""
            lines.append(f"skipped {tally.count:,} row(s): {reason} (line {', '.join(tally.first)}{more})")
        return lines
