"""The login lockout's in-memory attempts (issue 13 #8: no IP-derived value on disk)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sparklytics.auth.attempts import LoginAttempts

NOW = datetime(2026, 3, 29, 12, 0, 0)
WINDOW = timedelta(minutes=15)


def test_five_failures_in_the_window_lock_the_client_out() -> None:
    attempts = LoginAttempts(max_failures=5, window=WINDOW)
    for i in range(5):
        assert attempts.begin("198.51.100.1", NOW + timedelta(minutes=i)) is not None
    assert attempts.begin("198.51.100.1", NOW + timedelta(minutes=5)) is None
    assert attempts.begin("198.51.100.2", NOW + timedelta(minutes=5)) is not None  # per client
    # The oldest failure leaves the 15-minute window: one more attempt is allowed.
    assert attempts.begin("198.51.100.1", NOW + timedelta(minutes=15, seconds=1)) is not None


def test_successes_do_not_count_and_an_attempt_in_progress_does() -> None:
    attempts = LoginAttempts(max_failures=2, window=WINDOW)
    for _ in range(5):
        attempts.succeeded(attempts.begin("a", NOW))
    first = attempts.begin("a", NOW)
    assert attempts.begin("a", NOW) is not None  # the first is still being checked: it counts
    assert attempts.begin("a", NOW) is None
    attempts.succeeded(first)
    assert attempts.begin("a", NOW) is not None  # the first matched: only the second counts
    assert attempts.begin("a", NOW) is None


def test_memory_is_bounded_by_forgetting_the_longest_idle_client() -> None:
    attempts = LoginAttempts(max_failures=1, window=WINDOW, max_clients=3)
    for client in ("a", "b", "c"):
        attempts.begin(client, NOW)
    assert attempts.begin("a", NOW) is None  # touching "a" makes "b" the longest idle
    attempts.begin("d", NOW)
    assert len(attempts) == 3
    assert attempts.begin("b", NOW) is not None  # forgotten
    assert attempts.begin("a", NOW) is None
