"""The ClickHouse SQL of the reports that are not compositions of ``ReportRows``: one
module per report family, each an async function over a :data:`Fetch`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Fetch = Callable[[str, dict], Awaitable[list[list[Any]]]]
"""Run one SELECT with its parameters and return its rows (the store's budgeted client)."""

Scope = Callable[..., Awaitable[tuple[str, dict]]]
"""``(q, facts=(), *, sessions=True, rows=None, converted=None)`` → the report's ``WITH ev, sess, m`` and its
parameters (:func:`..event_sessions.scope_of`: from the stored sessions on the store
that keeps them)."""
