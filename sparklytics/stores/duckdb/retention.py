"""SQL of the daily retention purge (Decision 5).

Each call deletes at most about ``batch_size`` rows, so the Scheduler can hand the purge
to the Writer in small pieces that interleave with ingest instead of one long
transaction.

A batch takes whole sessions with their events (all older than the cutoff, since a
session's events are within its span), then, once no session is left to take, the
remaining old events (those of sessions that go on past the cutoff). So a half-done
purge never leaves an event without its session row: the overview's visitors count
from the sessions when the range's events add up to their sessions' event counts
(``reports/visitor_counts.sessions_cover_events``), and a session missing while its
events stay could cancel out a session whose events are gone.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from sparklytics.stores.duckdb import visits
from sparklytics.stores.duckdb.schema import transaction


def purge_batch(
    con: duckdb.DuckDBPyConnection, cutoff: datetime, batch_size: int
) -> tuple[int, list[tuple[str, str]]]:
    """Delete about ``batch_size`` sessions older than ``cutoff`` and their events, or
    when none is left, up to ``batch_size`` old events; return the rows deleted and the
    (website, visitor) pairs whose sessions went.

    The purged visitors' remaining sessions are settled again: their previous visits may
    be gone (``visits.py``)."""
    params = {"cutoff": cutoff, "n": batch_size}
    with transaction(con):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE purged_sessions AS"
            " SELECT session_id, website_id, visitor_id FROM sessions WHERE last_seen < $cutoff LIMIT $n",
            params,
        )
        events = con.execute(
            "DELETE FROM events WHERE created_at < $cutoff"
            " AND session_id IN (SELECT session_id FROM purged_sessions)",
            {"cutoff": cutoff},
        ).fetchone()[0]
        sessions = con.execute(
            "DELETE FROM sessions WHERE session_id IN (SELECT session_id FROM purged_sessions)"
        ).fetchone()[0]
        if sessions == 0:
            events = con.execute(
                "DELETE FROM events WHERE rowid IN ("
                " SELECT rowid FROM events WHERE created_at < $cutoff LIMIT $n)",
                params,
            ).fetchone()[0]
        visitors = con.execute("SELECT DISTINCT website_id, visitor_id FROM purged_sessions").fetchall()
        visits.settle_visitors(con, "SELECT website_id, visitor_id FROM purged_sessions", {})
        con.execute("DROP TABLE purged_sessions")
    return events + sessions, visitors
