"""The auth part of the MetadataStore on each backend (the ``metadata`` fixture: DuckDB's
through the Writer, PostgreSQL's, where several nodes share the secret, sessions and
keys), and the Scheduler's revoked-session prune job."""

from __future__ import annotations

from datetime import datetime, timedelta

from actors.scheduler import Scheduler
from sparklytics.stores.metadata import AuthSettings

NOW = datetime(2026, 3, 29, 12, 0, 0)


async def load(metadata, jwt="j" * 64, now: datetime = NOW) -> AuthSettings:
    return await metadata.load_auth_settings(new_jwt_secret=jwt, now=now)


async def test_secrets_are_created_once(metadata) -> None:
    first = await load(metadata)
    assert first.jwt_secret == "j" * 64 and first.revoked_sessions == {}
    assert first.admin_password_hash is None and first.password_change_required is False
    again = await load(metadata, jwt="x" * 64)
    assert again.jwt_secret == first.jwt_secret


async def test_setup_writes_once(metadata) -> None:
    assert await metadata.complete_setup(password_hash="$argon2id$h1", change_required=True)
    assert not await metadata.complete_setup(password_hash="$argon2id$h2", change_required=False)
    settings = await load(metadata)
    assert settings.admin_password_hash == "$argon2id$h1" and settings.password_change_required is True


async def test_change_password_clears_rotation_and_rotates_the_secret(metadata) -> None:
    await load(metadata)
    await metadata.complete_setup(password_hash="$argon2id$h1", change_required=True)
    await metadata.change_password(password_hash="$argon2id$h2", jwt_secret="n" * 64)
    settings = await load(metadata)
    assert (settings.admin_password_hash, settings.password_change_required, settings.jwt_secret) == ("$argon2id$h2", False, "n" * 64)


async def test_revoked_sessions_load_until_they_expire(metadata) -> None:
    await metadata.revoke_session("gone", NOW + timedelta(days=7))
    await metadata.revoke_session("gone", NOW + timedelta(days=7))  # twice: once
    await metadata.revoke_session("expired", NOW - timedelta(seconds=1))
    assert (await load(metadata)).revoked_sessions == {"gone": NOW + timedelta(days=7)}


async def test_prune_job_forgets_revocations_of_expired_sessions(services) -> None:
    scheduler = Scheduler(
        metadata=services.metadata,
        writer=services.writer.inbox,
        buffer=services.buffer.inbox,
        enricher=services.enricher.inbox,
        retention_days=365,
        clock=lambda: NOW,
    )
    await services.metadata.revoke_session("old", NOW - timedelta(seconds=1))
    await services.metadata.revoke_session("live", NOW + timedelta(hours=1))
    assert await scheduler._jobs["prune_revoked_sessions"]() == 1
    left = await services.db.read(lambda cur: cur.execute("SELECT jti FROM revoked_sessions").fetchall())
    assert left == [("live",)]
    assert scheduler.statistics().last_runs["prune_revoked_sessions"] == NOW.isoformat()


async def test_prune_runs_at_start_then_daily(services) -> None:
    scheduler = services.scheduler
    assert scheduler._next_due(NOW)["prune_revoked_sessions"] == NOW
    scheduler._last_runs["prune_revoked_sessions"] = NOW
    assert scheduler._next_due(NOW + timedelta(hours=1))["prune_revoked_sessions"] == NOW + timedelta(days=1)


async def insert_key(metadata, key_id: str, at: datetime) -> None:
    await metadata.insert_api_key(
        key_id=key_id, name=key_id, key_hash=key_id.ljust(64, "0"), key_prefix="spk_selfhosted_abcde", created_at=at
    )


async def test_keys_list_newest_first_with_revoked_ones(metadata) -> None:
    for i in range(3):
        await insert_key(metadata, f"key_{i}", NOW + timedelta(minutes=i))
    assert await metadata.revoke_api_key("key_1", NOW) == "key_1".ljust(64, "0")
    assert await metadata.revoke_api_key("key_1", NOW) is None
    assert await metadata.revoke_api_key("key_x", NOW) is None
    rows, total = await metadata.list_api_keys(limit=2, offset=0)
    assert total == 3 and [r["id"] for r in rows] == ["key_2", "key_1"]
    assert rows[1]["revoked_at"] == "2026-03-29 12:00:00" and rows[1]["created_at"] == "2026-03-29 12:01:00"
    assert set(rows[0]) == {"id", "name", "key_prefix", "created_at", "last_used_at", "revoked_at"}
    active = (await load(metadata)).active_keys
    assert active == {"key_0".ljust(64, "0"): "key_0", "key_2".ljust(64, "0"): "key_2"}


async def test_last_used_never_moves_backwards(metadata) -> None:
    await insert_key(metadata, "key_a", NOW)
    await metadata.record_key_usage(lambda: {"key_a": NOW + timedelta(hours=2)})
    await metadata.record_key_usage(lambda: {"key_a": NOW + timedelta(hours=1)})
    rows, _ = await metadata.list_api_keys(limit=10, offset=0)
    assert rows[0]["last_used_at"] == "2026-03-29 14:00:00"
