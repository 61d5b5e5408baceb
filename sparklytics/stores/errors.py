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
