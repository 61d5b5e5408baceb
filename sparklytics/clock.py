"""The server's clock in the form DuckDB stores: naive UTC ``TIMESTAMP`` values.

Written from Python rather than DuckDB's ``now()``, whose cast to ``TIMESTAMP`` follows
the connection's ``TimeZone`` setting. Actors and services take it as their default
``clock`` so tests can pass their own.
"""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> datetime:
    """The current instant as a naive UTC datetime."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def rfc3339(naive_utc: datetime) -> str:
    """A naive UTC time as the API shows server-made times (§0.3): ``…T…+00:00``, seconds."""
    return naive_utc.replace(tzinfo=timezone.utc).isoformat(timespec="seconds")
