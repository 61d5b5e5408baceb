"""All SQL of authentication: admin settings, revoked sessions and API keys, for both
metadata backends (in cloud mode shared by every node: a key made or a session logged
out on one node holds on all of them once they reload the auth state).

Times are naive UTC ``datetime`` values; read-backs that the API shows are
``CAST(… AS VARCHAR)`` strings (API.md §0.3).

Settings keys used here: ``admin_password_hash`` (Argon2id PHC string),
``password_change_required`` (``true|false``) and ``jwt_secret`` (64 hex). Login
attempts are not stored here (``sparklytics.auth.attempts`` says why).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sparklytics.stores.metadata import AuthSettings
from sparklytics.stores.metadata_sql.db import MetadataDb
from sparklytics.stores.metadata_sql.settings import get_setting, set_settings

ADMIN_PASSWORD_HASH = "admin_password_hash"
PASSWORD_CHANGE_REQUIRED = "password_change_required"
JWT_SECRET = "jwt_secret"


def load_auth_settings(db: MetadataDb, *, new_jwt_secret: str, now: datetime) -> AuthSettings:
    """Read the auth settings, first storing the session secret if it is missing (the
    first node to start stores it; ``ON CONFLICT`` makes the others read that one)."""
    with db.write():
        db.run("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING", [JWT_SECRET, new_jwt_secret])
        return AuthSettings(
            admin_password_hash=get_setting(db, ADMIN_PASSWORD_HASH),
            password_change_required=get_setting(db, PASSWORD_CHANGE_REQUIRED) == "true",
            jwt_secret=get_setting(db, JWT_SECRET) or new_jwt_secret,
            active_keys=dict(db.all("SELECT key_hash, id FROM local_api_keys WHERE revoked_at IS NULL")),
            revoked_sessions=dict(db.all("SELECT jti, expires_at FROM revoked_sessions WHERE expires_at > ?", [now])),
        )


def complete_setup(db: MetadataDb, *, password_hash: str, change_required: bool) -> bool:
    """Store the first admin password; False (nothing written) if one exists already.

    The insert is the check: of two nodes setting up at once, one inserts the row."""
    with db.write():
        inserted = db.one(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING key",
            [ADMIN_PASSWORD_HASH, password_hash],
        )
        if inserted is None:
            return False
        set_settings(db, {PASSWORD_CHANGE_REQUIRED: "true" if change_required else "false"})
    return True


def change_password(db: MetadataDb, *, password_hash: str, jwt_secret: str) -> None:
    """Replace the admin password, clear a forced rotation and rotate the JWT secret."""
    with db.write():
        set_settings(db, {ADMIN_PASSWORD_HASH: password_hash, PASSWORD_CHANGE_REQUIRED: "false", JWT_SECRET: jwt_secret})


def revoke_session(db: MetadataDb, jti: str, expires_at: datetime) -> None:
    """Remember a logged-out session until it would have expired anyway."""
    db.run("INSERT INTO revoked_sessions (jti, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING", [jti, expires_at])


def prune_revoked_sessions(db: MetadataDb, before: datetime) -> int:
    """Forget revocations of sessions expired before ``before``; return how many."""
    return len(db.all("DELETE FROM revoked_sessions WHERE expires_at < ? RETURNING jti", [before]))


_KEY_COLUMNS = (
    "id, name, key_prefix, CAST(created_at AS VARCHAR) AS created_at,"
    " CAST(last_used_at AS VARCHAR) AS last_used_at, CAST(revoked_at AS VARCHAR) AS revoked_at"
)


def insert_api_key(db: MetadataDb, *, key_id: str, name: str, key_hash: str, key_prefix: str, created_at: datetime) -> None:
    db.run(
        "INSERT INTO local_api_keys (id, name, key_hash, key_prefix, created_at) VALUES (?, ?, ?, ?, ?)",
        [key_id, name, key_hash, key_prefix, created_at],
    )


def list_api_keys(db: MetadataDb, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """One page of keys, newest first, revoked ones included; and the total count."""
    rows = db.dicts(
        f"SELECT {_KEY_COLUMNS} FROM local_api_keys ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", [limit, offset]
    )
    (total,) = db.one("SELECT count(*) FROM local_api_keys")
    return rows, total


def revoke_api_key(db: MetadataDb, key_id: str, now: datetime) -> str | None:
    """Mark a non-revoked key revoked; its hash, or None if there was no such key."""
    row = db.one(
        "UPDATE local_api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING key_hash", [now, key_id]
    )
    return row[0] if row else None


def record_key_usage(db: MetadataDb, used: dict[str, datetime]) -> None:
    """Set ``last_used_at`` for each key id, never moving it backwards (whichever node
    writes last)."""
    if not used:
        return
    with db.write():
        for key_id, at in used.items():
            db.run(
                "UPDATE local_api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                [at, key_id, at],
            )
