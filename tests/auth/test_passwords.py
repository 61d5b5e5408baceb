"""Argon2id hashing off the event loop, new-password rules, constant-time secrets."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from sparklytics.auth.errors import WeakPassword
from sparklytics.auth.passwords import PasswordHasher, check_new_password, secrets_match

MEMORY_KB = 8192


async def test_hash_is_argon2id_with_our_parameters() -> None:
    phc = await PasswordHasher(memory_kb=MEMORY_KB).hash("correct horse battery")
    assert phc.startswith(f"$argon2id$v=19$m={MEMORY_KB},t=3,p=1$")
    assert "correct horse battery" not in phc


async def test_verify_accepts_the_password_and_refuses_others() -> None:
    hasher = PasswordHasher(memory_kb=MEMORY_KB)
    phc = await hasher.hash("correct horse battery")
    assert await hasher.verify(phc, "correct horse battery") is True
    assert await hasher.verify(phc, "correct horse batterY") is False
    assert await hasher.verify(phc, "") is False


async def test_each_hash_has_its_own_salt() -> None:
    hasher = PasswordHasher(memory_kb=MEMORY_KB)
    assert await hasher.hash("same password!") != await hasher.hash("same password!")


async def test_verify_reads_parameters_from_the_hash() -> None:
    """Raising the memory setting later must not lock the admin out."""
    phc = await PasswordHasher(memory_kb=MEMORY_KB).hash("correct horse battery")
    assert await PasswordHasher(memory_kb=MEMORY_KB * 2).verify(phc, "correct horse battery") is True


async def test_an_unreadable_hash_never_matches() -> None:
    assert await PasswordHasher(memory_kb=MEMORY_KB).verify("not-a-phc-string", "anything") is False


async def test_hashing_runs_off_the_event_loop() -> None:
    """While a hash is computed in its thread, other tasks keep running."""
    hasher = PasswordHasher(memory_kb=MEMORY_KB, limiter=trio.CapacityLimiter(1))
    ticks = 0
    done = trio.Event()

    async def tick() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await trio.sleep(0)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(tick)
        await hasher.hash("correct horse battery")
        done.set()
    assert ticks > 1


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "password cannot be empty or whitespace-only"),
        ("            ", "password cannot be empty or whitespace-only"),
        ("\t\n ", "password cannot be empty or whitespace-only"),
        ("short", "password must be at least 12 characters"),
        ("elevenchars", "password must be at least 12 characters"),
    ],
)
def test_weak_passwords_are_refused(password: str, message: str) -> None:
    with pytest.raises(WeakPassword, match=rf"^{message}$") as caught:
        check_new_password(password)
    assert caught.value.field == "password"


def test_the_length_counts_utf8_bytes() -> None:
    check_new_password("twelve chars")
    check_new_password("éééééé")  # 6 characters, 12 bytes
    with pytest.raises(WeakPassword):
        check_new_password("ééééé")  # 10 bytes


def test_the_error_names_the_field_it_is_about() -> None:
    with pytest.raises(WeakPassword) as caught:
        check_new_password("x", field="new_password")
    assert caught.value.field == "new_password"


def test_secrets_match() -> None:
    assert secrets_match("sparklytics", "sparklytics")
    assert not secrets_match("sparklytics", "sparklytic")
    assert not secrets_match("sparklytics", "sparklytics ")
    assert not secrets_match("sparklytics", "")
