"""SQL for the ``funnels`` and ``funnel_steps`` tables (API.md §1.9).

A funnel is written with its 2–8 steps in one transaction and deleted with them in one
(``funnel_steps`` references it ``ON DELETE CASCADE``). Creates and renames lock the
website's row first (``sql.lock_live_website``), so the 20-funnel limit and the unique
name hold with several nodes writing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg

from sparklytics.clock import utc_now
from sparklytics.enrich import random_id
from sparklytics.funnels import MAX_FUNNELS_PER_WEBSITE, DuplicateFunnelName, FunnelLimitReached, NewStep

from .sql import dict_rows, lock_live_website

_LIST_SQL = """
SELECT f.id, f.website_id, f.name, count(*) AS step_count,
       f.created_at::text AS created_at, f.updated_at::text AS updated_at
FROM funnels f JOIN funnel_steps s ON s.funnel_id = f.id
WHERE f.website_id = %s
GROUP BY f.id, f.website_id, f.name, f.created_at, f.updated_at
ORDER BY f.created_at DESC, f.id DESC
"""

_GET_SQL = (
    "SELECT id, website_id, name, created_at::text AS created_at, updated_at::text AS updated_at"
    " FROM funnels WHERE website_id = %s AND id = %s"
)

_STEPS_SQL = """
SELECT id, funnel_id, step_order, step_type, match_value, match_operator, label, created_at::text AS created_at
FROM funnel_steps WHERE funnel_id = %s ORDER BY step_order
"""


def list_funnels(conn: psycopg.Connection, website_id: str) -> list[dict[str, Any]]:
    """The website's funnels as list items (``step_count``, no steps), newest first."""
    return dict_rows(conn.execute(_LIST_SQL, [website_id]))


def get_funnel(conn: psycopg.Connection, website_id: str, funnel_id: str) -> dict[str, Any] | None:
    """The funnel with its steps in order, or None if the website has no such funnel."""
    rows = dict_rows(conn.execute(_GET_SQL, [website_id, funnel_id]))
    if not rows:
        return None
    funnel = rows[0]
    funnel["steps"] = dict_rows(conn.execute(_STEPS_SQL, [funnel_id]))
    return funnel


def create_funnel(conn: psycopg.Connection, website_id: str, name: str, steps: Sequence[NewStep]) -> dict[str, Any] | None:
    """Insert a funnel and its steps; None if the website does not exist.

    Raises:
        FunnelLimitReached: the website has 20 funnels already.
        DuplicateFunnelName: the website has a funnel called ``name``.
    """
    funnel_id = random_id("fun_", 21)
    now = utc_now()
    if lock_live_website(conn, website_id) is None:
        return None
    (count,) = conn.execute("SELECT count(*) FROM funnels WHERE website_id = %s", [website_id]).fetchone()
    if count >= MAX_FUNNELS_PER_WEBSITE:
        raise FunnelLimitReached(website_id)
    _check_name_free(conn, website_id, name, funnel_id)
    conn.execute(
        "INSERT INTO funnels (id, website_id, name, created_at, updated_at) VALUES (%s, %s, %s, %s, %s)",
        [funnel_id, website_id, name, now, now],
    )
    _insert_steps(conn, funnel_id, steps, now)
    return get_funnel(conn, website_id, funnel_id)


def update_funnel(
    conn: psycopg.Connection,
    website_id: str,
    funnel_id: str,
    *,
    name: str | None = None,
    steps: Sequence[NewStep] | None = None,
) -> dict[str, Any] | None:
    """Rename the funnel and/or replace all its steps (new ids); None if there is no
    such funnel. ``updated_at`` moves on every update.

    Raises:
        DuplicateFunnelName: another funnel of the website is called ``name``.
    """
    now = utc_now()
    if lock_live_website(conn, website_id) is None or get_funnel(conn, website_id, funnel_id) is None:
        return None
    if name is not None:
        _check_name_free(conn, website_id, name, funnel_id)
    conn.execute(
        "UPDATE funnels SET name = coalesce(%s, name), updated_at = %s WHERE id = %s", [name, now, funnel_id]
    )
    if steps is not None:
        conn.execute("DELETE FROM funnel_steps WHERE funnel_id = %s", [funnel_id])
        _insert_steps(conn, funnel_id, steps, now)
    return get_funnel(conn, website_id, funnel_id)


def delete_funnel(conn: psycopg.Connection, website_id: str, funnel_id: str) -> bool:
    """Delete the funnel and its steps; False if there is no such funnel."""
    return conn.execute("DELETE FROM funnels WHERE website_id = %s AND id = %s", [website_id, funnel_id]).rowcount > 0


def _check_name_free(conn: psycopg.Connection, website_id: str, name: str, funnel_id: str) -> None:
    taken = conn.execute(
        "SELECT 1 FROM funnels WHERE website_id = %s AND name = %s AND id <> %s", [website_id, name, funnel_id]
    ).fetchone()
    if taken:
        raise DuplicateFunnelName(name)


def _insert_steps(conn: psycopg.Connection, funnel_id: str, steps: Sequence[NewStep], now: datetime) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO funnel_steps (id, funnel_id, step_order, step_type, match_value, match_operator, label, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (random_id("fstep_", 21), funnel_id, order, step.step_type, step.match_value, step.match_operator,
                 step.label, now)
                for order, step in enumerate(steps, start=1)
            ],
        )
