"""SQL for the ``funnels`` and ``funnel_steps`` tables (API.md §1.9), for both metadata
backends.

Creates and updates check the live website first (:meth:`MetadataDb.live_website_domain`,
which on PostgreSQL locks its row), so a check and the write it guards (the 20-funnel
limit, unique names) hold against every other writer.

**A funnel exists while it has steps.** Every funnel is written with its 2–8 steps in
one transaction, so a funnel row without steps is never a funnel a user made. It is
what a delete leaves for a moment: foreign keys are enforced (Decision 12) and DuckDB
refuses to delete a parent row in the transaction that deleted its children (see
``stores/duckdb/schema.py``), so a delete removes the steps in one write — the funnel is
gone for every reader from that commit — and the funnel rows without steps in the next
(on PostgreSQL the two writes are one transaction). A crash between the two leaves a row
that no read, limit or name check sees, and the website's next funnel delete (or the
website's own delete) removes it.

Timestamps are naive UTC written from Python (not DuckDB's ``now()``, whose cast to
``TIMESTAMP`` follows the connection's ``TimeZone`` setting) and read back as
``CAST(x AS VARCHAR)`` text (API.md §0.3).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sparklytics.clock import utc_now
from sparklytics.enrich import random_id
from sparklytics.funnels import MAX_FUNNELS_PER_WEBSITE, DuplicateFunnelName, FunnelLimitReached, NewStep
from sparklytics.stores.metadata_sql.db import MetadataDb

_HAS_STEPS = "EXISTS (SELECT 1 FROM funnel_steps s WHERE s.funnel_id = f.id)"

_FUNNEL_COLUMNS = (
    "f.id, f.website_id, f.name,"
    " CAST(f.created_at AS VARCHAR) AS created_at, CAST(f.updated_at AS VARCHAR) AS updated_at"
)

_LIST_SQL = """
SELECT f.id, f.website_id, f.name, count(*) AS step_count,
       CAST(f.created_at AS VARCHAR) AS created_at, CAST(f.updated_at AS VARCHAR) AS updated_at
FROM funnels f JOIN funnel_steps s ON s.funnel_id = f.id
WHERE f.website_id = ?
GROUP BY f.id, f.website_id, f.name, f.created_at, f.updated_at
ORDER BY f.created_at DESC, f.id DESC
"""

_GET_SQL = f"SELECT {_FUNNEL_COLUMNS} FROM funnels f WHERE f.website_id = ? AND f.id = ? AND {_HAS_STEPS}"

_STEPS_SQL = """
SELECT id, funnel_id, step_order, step_type, match_value, match_operator, label,
       CAST(created_at AS VARCHAR) AS created_at
FROM funnel_steps
WHERE funnel_id = ?
ORDER BY step_order
"""

_COUNT_SQL = f"SELECT count(*) FROM funnels f WHERE f.website_id = ? AND {_HAS_STEPS}"

_NAME_TAKEN_SQL = f"SELECT 1 FROM funnels f WHERE f.website_id = ? AND f.name = ? AND f.id <> ? AND {_HAS_STEPS}"

_INSERT_STEP_SQL = """
INSERT INTO funnel_steps (id, funnel_id, step_order, step_type, match_value, match_operator, label, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
"""

_DELETE_ORPHANS_SQL = f"DELETE FROM funnels f WHERE f.website_id = ? AND NOT {_HAS_STEPS}"


def list_funnels(db: MetadataDb, website_id: str) -> list[dict[str, Any]]:
    """The website's funnels as list items (``step_count``, no steps), newest first."""
    return db.dicts(_LIST_SQL, [website_id])


def get_funnel(db: MetadataDb, website_id: str, funnel_id: str) -> dict[str, Any] | None:
    """The funnel with its steps in order, or None if the website has no such funnel."""
    rows = db.dicts(_GET_SQL, [website_id, funnel_id])
    if not rows:
        return None
    funnel = rows[0]
    funnel["steps"] = db.dicts(_STEPS_SQL, [funnel_id])
    return funnel


def create_funnel(db: MetadataDb, website_id: str, name: str, steps: Sequence[NewStep]) -> dict[str, Any] | None:
    """Insert a funnel and its steps; None if the website does not exist.

    Raises:
        FunnelLimitReached: the website has 20 funnels already.
        DuplicateFunnelName: the website has a funnel called ``name``.
    """
    funnel_id = random_id("fun_", 21)
    now = utc_now()
    with db.write():
        if db.live_website_domain(website_id) is None:
            return None
        (count,) = db.one(_COUNT_SQL, [website_id])
        if count >= MAX_FUNNELS_PER_WEBSITE:
            raise FunnelLimitReached(website_id)
        _check_name_free(db, website_id, name, funnel_id)
        db.run("INSERT INTO funnels (id, website_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
               [funnel_id, website_id, name, now, now])
        _insert_steps(db, funnel_id, steps, now)
        return get_funnel(db, website_id, funnel_id)


def update_funnel(
    db: MetadataDb,
    website_id: str,
    funnel_id: str,
    *,
    name: str | None = None,
    steps: Sequence[NewStep] | None = None,
) -> dict[str, Any] | None:
    """Rename the funnel and/or replace all its steps; None if there is no such funnel.

    ``updated_at`` moves on every update. Replacing steps deletes the old rows and
    inserts new ones (new ids) in one transaction: children may be deleted and
    inserted under a parent that stays.

    Raises:
        DuplicateFunnelName: another funnel of the website is called ``name``.
    """
    now = utc_now()
    with db.write():
        if db.live_website_domain(website_id) is None or get_funnel(db, website_id, funnel_id) is None:
            return None
        if name is not None:
            _check_name_free(db, website_id, name, funnel_id)
        db.run("UPDATE funnels SET name = coalesce(?, name), updated_at = ? WHERE id = ?", [name, now, funnel_id])
        if steps is not None:
            db.run("DELETE FROM funnel_steps WHERE funnel_id = ?", [funnel_id])
            _insert_steps(db, funnel_id, steps, now)
        return get_funnel(db, website_id, funnel_id)


def delete_funnel(db: MetadataDb, website_id: str, funnel_id: str) -> bool:
    """Delete the funnel and its steps; False if there is no such funnel.

    Two writes (module docstring): the steps, then every step-less funnel row of the
    website (this one, and any a crash left behind).
    """
    with db.write():
        if get_funnel(db, website_id, funnel_id) is None:
            return False
        db.run("DELETE FROM funnel_steps WHERE funnel_id = ?", [funnel_id])
    with db.write():
        db.run(_DELETE_ORPHANS_SQL, [website_id])
    return True


def _check_name_free(db: MetadataDb, website_id: str, name: str, funnel_id: str) -> None:
    if db.one(_NAME_TAKEN_SQL, [website_id, name, funnel_id]) is not None:
        raise DuplicateFunnelName(name)


def _insert_steps(db: MetadataDb, funnel_id: str, steps: Sequence[NewStep], now: datetime) -> None:
    for order, step in enumerate(steps, start=1):
        db.run(
            _INSERT_STEP_SQL,
            [random_id("fstep_", 21), funnel_id, order, step.step_type, step.match_value, step.match_operator,
             step.label, now],
        )
