"""All SQL of authentication: admin settings, revoked sessions and API keys.

Functions taking ``con`` write and are run by the Writer (``services.write``);
functions taking ``cur`` only read and run on a reader cursor (``services.db.read``).
Times are naive UTC ``datetime`` values; read-backs that the API shows are
``CAST(… AS VARCHAR)`` strings (API.md §0.3).

Settings keys used here: ``admin_password_hash`` (Argon2id PHC string),
``password_change_required`` (``true|false``) and ``jwt_secret`` (64 hex). Login
attempts are not stored at all (``sparklytics.auth.attempts`` says why).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from sparklytics.stores.duckdb.database import dict_rows
from sparklytics.stores.duckdb.schema import transaction
from sparklytics.stores.duckdb.settings import get_setting, set_settings
from sparklytics.stores.metadata import AuthSettings

ADMIN_PASSWORD_HASH = "admin_password_hash"
PASSWORD_CHANGE_REQUIRED = "password_change_required"
JWT_SECRET = "jwt_secret"


def load_auth_settings(con: duckdb.DuckDBPyConnection, *, new_jwt_secret: str, now: datetime) -> AuthSettings:
    """Read the auth settings, first storing the session secret if it is missing."""
    with transaction(con):
        con.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING", [JWT_SECRET, new_jwt_secret])
        settings = AuthSettings(
            admin_password_hash=get_setting(con, ADMIN_PASSWORD_HASH),
            password_change_required=get_setting(con, PASSWORD_CHANGE_REQUIRED) == "true",
            jwt_secret=get_setting(con, JWT_SECRET) or new_jwt_secret,
            active_keys=dict(con.execute("SELECT key_hash, id FROM local_api_keys WHERE revoked_at IS NULL").fetchall()),
            revoked_sessions=dict(con.execute("SELECT jti, expires_at FROM revoked_sessions WHERE expires_at > ?", [now]).fetchall()),
        )
    return settings


def complete_setup(con: duckdb.DuckDBPyConnection, *, password_hash: str, change_required: bool) -> bool:
    """Store the first admin password; False (nothing written) if one exists already."""
    with transaction(con):
        if get_setting(con, ADMIN_PASSWORD_HASH) is not None:
            return False
        set_settings(
            con,
            {ADMIN_PASSWORD_HASH: password_hash, PASSWORD_CHANGE_REQUIRED: "true" if change_required else "false"},
        )
    return True


def change_password(con: duckdb.DuckDBPyConnection, *, password_hash: str, jwt_secret: str) -> None:
    """Replace the admin password, clear a forced rotation and rotate the JWT secret."""
    with transaction(con):
        set_settings(
            con,
            {ADMIN_PASSWORD_HASH: password_hash, PASSWORD_CHANGE_REQUIRED: "false", JWT_SECRET: jwt_secret},
        )


# --- login attempts -------------------------------------------------------------------


def revoke_session(con: duckdb.DuckDBPyConnection, jti: str, expires_at: datetime) -> None:
    """Remember a logged-out session until it would have expired anyway."""
    con.execute("INSERT INTO revoked_sessions (jti, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING", [jti, expires_at])


def prune_revoked_sessions(con: duckdb.DuckDBPyConnection, before: datetime) -> int:
    """Forget revocations of sessions expired before ``before``; return how many."""
    row = con.execute("DELETE FROM revoked_sessions WHERE expires_at < ?", [before]).fetchone()
    return int(row[0]) if row else 0


# --- API keys -------------------------------------------------------------------------

_KEY_COLUMNS = (
    "id, name, key_prefix, CAST(created_at AS VARCHAR) AS created_at,"
    " CAST(last_used_at AS VARCHAR) AS last_used_at, CAST(revoked_at AS VARCHAR) AS revoked_at"
)


def insert_api_key(
    con: duckdb.DuckDBPyConnection, *, key_id: str, name: str, key_hash: str, key_prefix: str, created_at: datetime
) -> None:
    con.execute(
        "INSERT INTO local_api_keys (id, name, key_hash, key_prefix, created_at) VALUES (?, ?, ?, ?, ?)",
        [key_id, name, key_hash, key_prefix, created_at],
    )


def list_api_keys(cur: duckdb.DuckDBPyConnection, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """One page of keys, newest first, revoked ones included; and the total count."""
    cur.execute(
        f"SELECT {_KEY_COLUMNS} FROM local_api_keys ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
        [limit, offset],
    )
    rows = dict_rows(cur)
    (total,) = cur.execute("SELECT count(*) FROM local_api_keys").fetchone()
    return rows, total


def revoke_api_key(con: duckdb.DuckDBPyConnection, key_id: str, now: datetime) -> str | None:
    """Mark a non-revoked key revoked; its hash, or None if there was no such key."""
    row = con.execute(
        "UPDATE local_api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING key_hash",
        [now, key_id],
    ).fetchone()
    return row[0] if row else None


def record_key_usage(con: duckdb.DuckDBPyConnection, used: dict[str, datetime]) -> None:
    """Set ``last_used_at`` for each key id, never moving it backwards."""
    if not used:
        return
    with transaction(con):
        for key_id, at in used.items():
            con.execute(
                "UPDATE local_api_keys SET last_used_at = ?"
                " WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                [at, key_id, at],
            )
