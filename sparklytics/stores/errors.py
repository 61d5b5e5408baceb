"""Errors every store raises the same way, whichever engine answers.

The API maps them to responses (``api/errors.py``); nothing above the stores catches
an engine's own exception types.
"""

from __future__ import annotations


class QueryTimeout(Exception):
    """Raised by a store when a report ran past its time budget.

    The query was interrupted; the API answers 503 ``query_timeout`` with Retry-After.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__(f"query exceeded {seconds:g} s")
        self.seconds = seconds


class StorageFault(Exception):
    """Raised by a store when the storage refused a write for a reason outside the
    request: a full disk, a read-only or damaged file, a missing table.

    The message is the engine's own (an operator reads it in ``/health``). The Writer
    answers the write with it and the Buffer retries the batch. ``needs_reopen`` says the
    engine invalidated itself (DuckDB after a failed checkpoint): every further call
    fails until the Writer calls ``EventStore.reopen()``.
    """

    def __init__(self, message: str, *, needs_reopen: bool = False) -> None:
        super().__init__(message)
        self.needs_reopen = needs_reopen
