"""The import's progress line on stderr: rows, rows/s, and the ETA when it is knowable.

The total is known in bytes (the export's files have sizes), not in rows, so the
share done is bytes read / total bytes and the ETA follows from the byte rate. Without a
total (a pipe) the line is a running count. On a terminal the line is rewritten in
place (``\\r``); into a file or pipe one line is written per update, so logs stay
readable. Updates come at most every ``interval`` seconds, plus a final one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO


class Progress:
    def __init__(
        self,
        out: TextIO | None,
        *,
        total_bytes: int | None,
        unit: str = "rows",
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._out = out
        self._total = total_bytes or None
        self._unit = unit
        self._interval = interval
        self._clock = clock
        self._started = clock()
        self._last = self._started
        self.rows = 0

    def advance(self, rows: int, bytes_done: int) -> None:
        """``rows`` more rows are done and ``bytes_done`` bytes read so far; redraw if due."""
        self.rows += rows
        now = self._clock()
        if now - self._last >= self._interval:
            self._last = now
            self._draw(self.line(bytes_done, now - self._started))

    def finish(self, bytes_done: int) -> float:
        """Draw the final line; return the seconds the import took."""
        seconds = self._clock() - self._started
        self._draw(self.line(bytes_done, seconds, final=True), final=True)
        return seconds

    def line(self, bytes_done: int, seconds: float, *, final: bool = False) -> str:
        rate = self.rows / seconds if seconds > 0 else 0.0
        text = f"imported {self.rows:,} {self._unit} in {seconds:.1f} s ({rate:,.0f}/s)"
        if self._total and not final:
            share = min(bytes_done / self._total, 1.0)
            text += f", {share:.0%}"
            if bytes_done > 0:
                remaining = seconds * (self._total - bytes_done) / bytes_done
                text += f", ETA {_clock_text(remaining)}"
        return text

    def _draw(self, text: str, *, final: bool = False) -> None:
        if self._out is None:
            return
        tty = self._out.isatty()
        self._out.write(("\r" if tty else "") + text + ("\n" if final or not tty else ""))
        self._out.flush()


def _clock_text(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
