"""Small helpers every report uses to run SQL with named parameters.

DuckDB refuses a parameter dict holding names the statement does not use, so
:func:`bind` keeps only the ``$names`` that appear in the text. Reports can then merge
the parameter dicts of the fragments they compose without bookkeeping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import duckdb

Cursor = duckdb.DuckDBPyConnection
"""What every report takes: a DuckDB connection or cursor (``db.read`` hands one over)."""

_PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def bind(sql: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The subset of ``params`` named in ``sql`` (a missing name is a programming error)."""
    names = set(_PARAM_RE.findall(sql))
    missing = names - params.keys()
    if missing:
        raise KeyError(f"unbound SQL parameters: {sorted(missing)}")
    return {name: params[name] for name in names}


def fetch_all(cur: Cursor, sql: str, params: Mapping[str, Any]) -> list[tuple]:
    return cur.execute(sql, bind(sql, params)).fetchall()


def fetch_one(cur: Cursor, sql: str, params: Mapping[str, Any]) -> tuple:
    row = cur.execute(sql, bind(sql, params)).fetchone()
    assert row is not None
    return row


def public_event_id(column: str) -> str:
    """SQL for the UUID the API shows for the event whose BIGINT id is ``column``.

    Events store a counter (``schema.py`` says why); the contract shows UUID v4 text.
    The UUID is the MD5 of the install's ``event_id_key`` and the counter, with the
    version and variant nibbles set: stable for an event, unrelated between events.
    """
    digest = f"md5((SELECT value FROM settings WHERE key = 'event_id_key') || CAST({column} AS VARCHAR))"
    # No braces in the pattern: report SQL goes through str.format.
    return f"regexp_replace({digest}, '^(........)(....).(...).(...)(............)$', '\\1-\\2-4\\3-8\\4-\\5')"
