"""SQL of the daily retention purge (Decision 5).

Each call deletes at most ``batch_size`` rows, so the Scheduler can hand the purge to
the Writer in small pieces that interleave with ingest instead of one long transaction.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from sparklytics.stores.duckdb import visits
from sparklytics.stores.duckdb.schema import transaction


def purge_batch(con: duckdb.DuckDBPyConnection, cutoff: datetime, batch_size: int) -> int:
    """Delete up to ``batch_size`` events and sessions older than ``cutoff``; return rows.

    The purged visitors' remaining sessions are unsettled: their previous visits may be
    gone (``visits.py``)."""
    with transaction(con):
        events = con.execute(
            "DELETE FROM events WHERE rowid IN ("
            " SELECT rowid FROM events WHERE created_at < $cutoff LIMIT $n)",
            {"cutoff": cutoff, "n": batch_size},
        ).fetchone()[0]
        con.execute(
            "CREATE OR REPLACE TEMP TABLE purged_sessions AS"
            " SELECT session_id, website_id, visitor_id FROM sessions WHERE last_seen < $cutoff LIMIT $n",
            {"cutoff": cutoff, "n": batch_size},
        )
        sessions = con.execute(
            "DELETE FROM sessions WHERE session_id IN (SELECT session_id FROM purged_sessions)"
        ).fetchone()[0]
        visits.unsettle(con, "SELECT website_id, visitor_id FROM purged_sessions", {})
        con.execute("DROP TABLE purged_sessions")
        visits.settle_if_due(con)
    return events + sessions
