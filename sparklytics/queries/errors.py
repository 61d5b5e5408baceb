"""Errors raised by the query layer.

    Exception
     └── QueryError        bad report input → the API answers 400 ``validation_error``

Who raises it: :func:`sparklytics.queries.report_query.parse_report_query` for every invalid
query parameter (before any SQL runs), and a few reports for limits only known after a
count (``result set too large: …`` in :mod:`sparklytics.queries.export`).

What to do with it: the API layer maps it to HTTP 400 with the envelope
``{"error": {"code": "validation_error", "message": err.message, "field": err.field}}``.
``message`` is the exact text of API.md; never reword it here without changing the
contract.
"""

from __future__ import annotations


class QueryError(Exception):
    """A report parameter is invalid; ``message`` is the exact API.md text."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"QueryError({self.message!r}, field={self.field!r})"
