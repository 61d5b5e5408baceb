"""The guard's decisions without HTTP: access classes, authorize(), allowed origins."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from sparklytics.auth.errors import (
    InvalidToken,
    KeyNotAllowed,
    NotAuthenticated,
    PasswordChangeRequired,
    SetupRequired,
)
from sparklytics.auth.guards import (
    ANONYMOUS,
    Access,
    access_for,
    allowed_origin,
    authorize,
    cookie_only,
    cookie_only_during_rotation,
    protected,
    public,
)
from sparklytics.auth.tokens import Session

GOOD_COOKIE = "good-cookie"
GOOD_KEY = "spk_selfhosted_" + "0" * 32
SESSION = Session(GOOD_COOKIE, jti="j1", expires_at=None)  # type: ignore[arg-type]


@dataclass
class Stub:
    """An Authority with one valid cookie and one valid key."""

    setup_required: bool = False
    password_change_required: bool = False
    used: list[str] = field(default_factory=list)

    def verify_session(self, token: str) -> Session:
        if token != GOOD_COOKIE:
            raise InvalidToken("bad")
        return SESSION

    def find_key(self, raw: str) -> str | None:
        return "key_1" if raw == GOOD_KEY else None

    def note_key_used(self, key_id: str) -> None:
        self.used.append(key_id)


def view() -> None: ...


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/websites", Access.PROTECTED),
        ("/api/websites/site_x/stats", Access.PROTECTED),
        ("/api/anything-added-later", Access.PROTECTED),
        ("/api/collect", Access.PUBLIC),
        ("/e", Access.PUBLIC),
        ("/health", Access.PUBLIC),
        ("/api/share/1234/stats", Access.PUBLIC),
        ("/api/auth/status", Access.PUBLIC),
        ("/api/auth/setup", Access.PUBLIC),
        ("/api/auth/login", Access.PUBLIC),
        ("/api/auth/keys", Access.PROTECTED),  # the view's marker makes it cookie-only
        ("/api/sharex", Access.PROTECTED),
        ("/s.js", Access.PUBLIC),
        ("/", Access.PUBLIC),
    ],
)
def test_access_by_path(path: str, expected: Access) -> None:
    assert access_for(path, view) is expected


def test_markers_win_over_paths() -> None:
    @public
    def open_view() -> None: ...

    @cookie_only
    def keys_view() -> None: ...

    @cookie_only_during_rotation
    def logout_view() -> None: ...

    @protected
    def private_page() -> None: ...

    assert access_for("/api/whatever", open_view) is Access.PUBLIC
    assert access_for("/api/auth/keys", keys_view) is Access.COOKIE
    assert access_for("/api/auth/logout", logout_view) is Access.COOKIE_ROTATING
    assert access_for("/reports/private", private_page) is Access.PROTECTED
    assert access_for("/api/whatever", None) is Access.PROTECTED


def decide(stub: Stub, access: Access, *, key: str | None = None, cookie: str | None = None):
    return authorize(stub, access, authorization=f"Bearer {key}" if key is not None else None, cookie=cookie)


def test_public_needs_nothing() -> None:
    assert decide(Stub(setup_required=True), Access.PUBLIC) is ANONYMOUS


@pytest.mark.parametrize("access", [Access.PROTECTED, Access.COOKIE, Access.COOKIE_ROTATING])
def test_setup_required_comes_before_credentials(access: Access) -> None:
    with pytest.raises(SetupRequired):
        decide(Stub(setup_required=True), access, cookie=GOOD_COOKIE)
    with pytest.raises(SetupRequired):
        decide(Stub(setup_required=True), access)


@pytest.mark.parametrize("access", [Access.PROTECTED, Access.COOKIE, Access.COOKIE_ROTATING])
def test_no_credentials_is_not_authenticated(access: Access) -> None:
    with pytest.raises(NotAuthenticated):
        decide(Stub(), access)
    with pytest.raises(NotAuthenticated):
        decide(Stub(), access, cookie="forged")


@pytest.mark.parametrize("access", [Access.PROTECTED, Access.COOKIE, Access.COOKIE_ROTATING])
def test_a_cookie_opens_every_class(access: Access) -> None:
    assert decide(Stub(), access, cookie=GOOD_COOKIE).session is SESSION


def test_a_key_opens_protected_routes_and_is_noted() -> None:
    stub = Stub()
    principal = decide(stub, Access.PROTECTED, key=GOOD_KEY)
    assert principal.key_id == "key_1" and principal.is_key and principal.session is None
    assert stub.used == ["key_1"]


@pytest.mark.parametrize("access", [Access.COOKIE, Access.COOKIE_ROTATING])
def test_keys_cannot_manage_auth_resources(access: Access) -> None:
    stub = Stub()
    with pytest.raises(KeyNotAllowed):
        decide(stub, access, key=GOOD_KEY, cookie=GOOD_COOKIE)
    assert stub.used == []


def test_bearer_decides_when_both_are_sent() -> None:
    with pytest.raises(NotAuthenticated):
        decide(Stub(), Access.PROTECTED, key="spk_selfhosted_unknown", cookie=GOOD_COOKIE)
    assert decide(Stub(), Access.PROTECTED, key=GOOD_KEY, cookie="forged").key_id == "key_1"


def test_an_empty_bearer_is_a_failed_key_not_a_missing_one() -> None:
    with pytest.raises(NotAuthenticated):
        authorize(Stub(), Access.PROTECTED, authorization="Bearer ", cookie=GOOD_COOKIE)


def test_other_authorization_schemes_fall_back_to_the_cookie() -> None:
    assert authorize(Stub(), Access.PROTECTED, authorization="Basic eDp5", cookie=GOOD_COOKIE).session is SESSION


@pytest.mark.parametrize(("access", "blocked"), [(Access.PROTECTED, True), (Access.COOKIE, True), (Access.COOKIE_ROTATING, False)])
def test_pending_rotation_blocks_all_but_cookie_during_rotation(access: Access, blocked: bool) -> None:
    stub = Stub(password_change_required=True)
    if blocked:
        with pytest.raises(PasswordChangeRequired):
            decide(stub, access, cookie=GOOD_COOKIE)
    else:
        assert decide(stub, access, cookie=GOOD_COOKIE).session is SESSION


def test_pending_rotation_blocks_keys_too() -> None:
    stub = Stub(password_change_required=True)
    with pytest.raises(PasswordChangeRequired):
        decide(stub, Access.PROTECTED, key=GOOD_KEY)
    assert stub.used == []


@pytest.mark.parametrize(
    ("origin", "allowed", "expected"),
    [
        ("https://app.example.com", ("https://app.example.com",), "https://app.example.com"),
        ("https://APP.example.com", ("https://app.example.com",), "https://APP.example.com"),
        ("https://app.example.com", ("https://App.Example.com",), "https://app.example.com"),
        ("https://evil.example.com", ("https://app.example.com",), None),
        ("http://app.example.com", ("https://app.example.com",), None),
        ("https://app.example.com:8443", ("https://app.example.com",), None),
        ("https://app.example.com.evil.io", ("https://app.example.com",), None),
        ("null", ("https://app.example.com",), None),
        (None, ("https://app.example.com",), None),
        ("https://app.example.com", (), None),
    ],
)
def test_allowed_origin(origin: str | None, allowed: tuple[str, ...], expected: str | None) -> None:
    assert allowed_origin(origin, allowed) == expected
