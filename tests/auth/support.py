"""Helpers for auth tests: server settings per auth mode, a settable clock, sign-in steps."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sparklytics.auth.guards import auth_state
from tests.harness import test_config

ADMIN_PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "an even longer admin password"
BOOTSTRAP = "let-me-set-up-please"
SHARED_PASSWORD = "the shared team password"

LOCAL = {"SPARKLYTICS_AUTH": "local", "SPARKLYTICS_BOOTSTRAP_PASSWORD": BOOTSTRAP}
LOCAL_DEFAULT_BOOTSTRAP = {"SPARKLYTICS_AUTH": "local"}
PASSWORD = {"SPARKLYTICS_AUTH": "password", "SPARKLYTICS_PASSWORD": SHARED_PASSWORD}
NONE = {"SPARKLYTICS_AUTH": "none"}


def config_for(data_dir: Any, request: Any, default: dict[str, str] = LOCAL) -> Any:
    """The Config a test asked for with ``parametrize("config", [env], indirect=True)``."""
    return test_config(data_dir, **getattr(request, "param", default))


class Clock:
    """A clock that stands still until told to move (naive UTC, like the server's)."""

    def __init__(self, now: datetime = datetime(2026, 3, 29, 12, 0, 0)) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def use_clock(app: Any, clock: Clock) -> Clock:
    auth_state(app).clock = clock
    return clock


def session_cookie(response: Any) -> str:
    """The ``spk_session`` value a response sets (fails if it sets none)."""
    for header in response.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        if name == "spk_session":
            return rest.split(";", 1)[0]
    raise AssertionError(f"no spk_session cookie in {response.headers!r}")


def cookie_attributes(response: Any) -> dict[str, str]:
    """The attributes of the ``spk_session`` Set-Cookie header, keys lower-cased."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("spk_session="):
            parts = [p.strip() for p in header.split(";")[1:]]
            return {k.lower(): v for k, _, v in (p.partition("=") for p in parts)}
    raise AssertionError("no spk_session cookie")


def with_cookie(token: str, **headers: str) -> dict[str, str]:
    return {"Cookie": f"spk_session={token}", **headers}


def with_key(key: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **headers}


async def setup_admin(client: Any, *, bootstrap: str = BOOTSTRAP, password: str = ADMIN_PASSWORD) -> Any:
    response = await client.post("/api/auth/setup", json={"bootstrap_password": bootstrap, "password": password})
    assert response.status_code == 201, await response.get_data(as_text=True)
    return response


async def login(client: Any, password: str = ADMIN_PASSWORD, **kwargs: Any) -> str:
    """Log in and return the session token (the client's cookie jar keeps it too)."""
    response = await client.post("/api/auth/login", json={"password": password}, **kwargs)
    assert response.status_code == 200, await response.get_data(as_text=True)
    return session_cookie(response)


async def signed_in(client: Any) -> str:
    """Local mode with a custom bootstrap: set up, log in, return the session token."""
    await setup_admin(client)
    return await login(client)


async def create_key(client: Any, token: str, name: str = "ci") -> dict[str, Any]:
    response = await client.post("/api/auth/keys", json={"name": name}, headers=with_cookie(token))
    assert response.status_code == 201, await response.get_data(as_text=True)
    return (await response.get_json())["data"]
