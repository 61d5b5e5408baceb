"""SQL of authentication: admin settings, revoked sessions and API keys, shared by every
node (a key made or a session logged out on one node holds on all of them once they
reload the auth state).

Settings keys: ``admin_password_hash`` (Argon2id PHC string), ``password_change_required``
(``true|false``) and ``jwt_secret`` (64 hex). Login attempts are not stored
(``sparklytics.auth.attempts`` says why).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from sparklytics.stores.metadata import AuthSettings

from .settings import get_setting, set_settings
from .sql import dict_rows

ADMIN_PASSWORD_HASH = "admin_password_hash"
PASSWORD_CHANGE_REQUIRED = "password_change_required"
JWT_SECRET = "jwt_secret"


def load_auth_settings(conn: psycopg.Connection, *, new_jwt_secret: str, now: datetime) -> AuthSettings:
    """Read the auth settings, first storing the session secret if it is missing (the
    first node to start stores it; ``ON CONFLICT`` makes the others read that one)."""
    conn.execute("INSERT INTO settings (key, value) VALUES (%s, %s) ON CONFLICT DO NOTHING", [JWT_SECRET, new_jwt_secret])
    return AuthSettings(
        admin_password_hash=get_setting(conn, ADMIN_PASSWORD_HASH),
        password_change_required=get_setting(conn, PASSWORD_CHANGE_REQUIRED) == "true",
        jwt_secret=get_setting(conn, JWT_SECRET) or new_jwt_secret,
        active_keys=dict(conn.execute("SELECT key_hash, id FROM local_api_keys WHERE revoked_at IS NULL").fetchall()),
        revoked_sessions=dict(
            conn.execute("SELECT jti, expires_at FROM revoked_sessions WHERE expires_at > %s", [now]).fetchall()
        ),
    )


def complete_setup(conn: psycopg.Connection, *, password_hash: str, change_required: bool) -> bool:
    """Store the first admin password; False (nothing written) if one exists already.

    The insert is the check: of two nodes setting up at once, one inserts the row."""
    inserted = conn.execute(
        "INSERT INTO settings (key, value) VALUES (%s, %s) ON CONFLICT DO NOTHING RETURNING key",
        [ADMIN_PASSWORD_HASH, password_hash],
    ).fetchone()
    if inserted is None:
        return False
    set_settings(conn, {PASSWORD_CHANGE_REQUIRED: "true" if change_required else "false"})
    return True


def change_password(conn: psycopg.Connection, *, password_hash: str, jwt_secret: str) -> None:
    """Replace the admin password, clear a forced rotation and rotate the JWT secret."""
    set_settings(conn, {ADMIN_PASSWORD_HASH: password_hash, PASSWORD_CHANGE_REQUIRED: "false", JWT_SECRET: jwt_secret})


def revoke_session(conn: psycopg.Connection, jti: str, expires_at: datetime) -> None:
    """Remember a logged-out session until it would have expired anyway."""
    conn.execute("INSERT INTO revoked_sessions (jti, expires_at) VALUES (%s, %s) ON CONFLICT DO NOTHING", [jti, expires_at])


def prune_revoked_sessions(conn: psycopg.Connection, before: datetime) -> int:
    """Forget revocations of sessions expired before ``before``; return how many."""
    return conn.execute("DELETE FROM revoked_sessions WHERE expires_at < %s", [before]).rowcount


_KEY_COLUMNS = (
    "id, name, key_prefix, created_at::text AS created_at,"
    " last_used_at::text AS last_used_at, revoked_at::text AS revoked_at"
)


def insert_api_key(
    conn: psycopg.Connection, *, key_id: str, name: str, key_hash: str, key_prefix: str, created_at: datetime
) -> None:
    conn.execute(
        "INSERT INTO local_api_keys (id, name, key_hash, key_prefix, created_at) VALUES (%s, %s, %s, %s, %s)",
        [key_id, name, key_hash, key_prefix, created_at],
    )


def list_api_keys(conn: psycopg.Connection, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """One page of keys, newest first, revoked ones included; and the total count."""
    rows = dict_rows(
        conn.execute(
            f"SELECT {_KEY_COLUMNS} FROM local_api_keys ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s",
            [limit, offset],
        )
    )
    (total,) = conn.execute("SELECT count(*) FROM local_api_keys").fetchone()
    return rows, total


def revoke_api_key(conn: psycopg.Connection, key_id: str, now: datetime) -> str | None:
    """Mark a non-revoked key revoked; its hash, or None if there was no such key."""
    row = conn.execute(
        "UPDATE local_api_keys SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL RETURNING key_hash",
        [now, key_id],
    ).fetchone()
    return row[0] if row else None


def record_key_usage(conn: psycopg.Connection, used: dict[str, datetime]) -> None:
    """Set ``last_used_at`` for each key id, never moving it backwards (whichever node
    writes last)."""
    for key_id, at in used.items():
        conn.execute(
            "UPDATE local_api_keys SET last_used_at = %s WHERE id = %s AND (last_used_at IS NULL OR last_used_at < %s)",
            [at, key_id, at],
        )
