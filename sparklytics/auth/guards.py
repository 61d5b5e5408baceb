"""The one gate every request passes: who may call which route, and from which origin.

:func:`install` adds an app-level ``before_request`` hook, so a blueprint registered
later is guarded without doing anything. Each matched route falls in one access class
(API.md §1.0, §1.1):

=====================  ===============================================================
class                  who gets through (``SPARKLYTICS_AUTH=local|password``)
=====================  ===============================================================
``PUBLIC``             everybody
``PROTECTED`` (A)      a session cookie or ``Authorization: Bearer <api key>``, and no
                       forced password rotation pending; restricted CORS applies
``COOKIE`` (C)         a session cookie only (keys get 403), rotation cleared
``COOKIE_ROTATING``    a session cookie only, allowed while rotation is pending (C*)
=====================  ===============================================================

How a route gets its class, first match wins:

1. the view is decorated with :func:`public`, :func:`protected`, :func:`cookie_only`
   or :func:`cookie_only_during_rotation`;
2. its path is in :data:`PUBLIC_PATHS` or starts with one of :data:`PUBLIC_PREFIXES`;
3. every other ``/api/`` path is ``PROTECTED``; other paths (``/s.js``, ``/l/…``,
   the dashboard) are ``PUBLIC``.

Unmatched paths are left to the router (bare 404/405, Decision 9). In ``none`` mode
nobody is asked for credentials, but ``PROTECTED`` routes still get restricted CORS.

Order of the checks (the auth layer wraps CORS, so a preflight without credentials
gets the auth error and no CORS headers): setup required → credentials (a Bearer
header decides when both are sent; an unknown key is 401 with no cookie fallback) →
keys refused on cookie-only routes → forced rotation. Failures raise the errors of
:mod:`sparklytics.auth.errors`; ``sparklytics/api/errors.py`` turns them into HTTP.

Restricted CORS (``SPARKLYTICS_CORS_ORIGINS``): the request's ``Origin`` is echoed in
``Access-Control-Allow-Origin`` only when listed (compared case-insensitively);
methods GET, POST, PUT, DELETE; any request headers; never
``Access-Control-Allow-Credentials``. Collect has its own, open CORS
(:mod:`sparklytics.api.ingest_cors`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from quart import Quart, Response, current_app, g, request

from sparklytics.auth.errors import KeyNotAllowed, NotAuthenticated, PasswordChangeRequired, SetupRequired
from sparklytics.auth.keys import bearer_token
from sparklytics.auth.state import AuthState
from sparklytics.auth.tokens import COOKIE_NAME, Session

if TYPE_CHECKING:
    from sparklytics.services import Services

EXTENSION_KEY = "sparklytics.auth"
ACCESS_ATTRIBUTE = "__sparklytics_access__"

PUBLIC_PATHS = frozenset(
    {
        "/health",
        "/e",
        "/api/collect",
        "/api/auth/status",
        "/api/auth/setup",
        "/api/auth/login",
        # The OpenAPI document: what the API is, never what is in it (issue 19).
        "/api/openapi.json",
    }
)
PUBLIC_PREFIXES = ("/api/share/",)
PROTECTED_ROOT = "/api/"

CORS_METHODS = "GET, POST, PUT, DELETE"
CORS_MAX_AGE_SECONDS = 600


class Access(enum.Enum):
    PUBLIC = "public"
    PROTECTED = "protected"
    COOKIE = "cookie"
    COOKIE_ROTATING = "cookie_during_rotation"


ViewT = TypeVar("ViewT", bound=Callable[..., object])


def _marker(access: Access) -> Callable[[ViewT], ViewT]:
    def mark(view: ViewT) -> ViewT:
        setattr(view, ACCESS_ATTRIBUTE, access)
        return view

    return mark


public = _marker(Access.PUBLIC)
public.__doc__ = "Decorate a view (under the route decorator) that anybody may call."
protected = _marker(Access.PROTECTED)
protected.__doc__ = "Decorate a non-``/api/`` view that needs a cookie or an API key."
cookie_only = _marker(Access.COOKIE)
cookie_only.__doc__ = "Decorate a view only a signed-in browser may call (no API keys)."
cookie_only_during_rotation = _marker(Access.COOKIE_ROTATING)
cookie_only_during_rotation.__doc__ = "Like :func:`cookie_only`, and allowed while a password change is pending."


def access_for(path: str, view: Callable[..., object] | None) -> Access:
    """The access class of ``view`` serving ``path`` (rules in the module docstring)."""
    marked = getattr(view, ACCESS_ATTRIBUTE, None)
    if isinstance(marked, Access):
        return marked
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
        return Access.PUBLIC
    if path.startswith(PROTECTED_ROOT):
        return Access.PROTECTED
    return Access.PUBLIC


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a browser session, an API key, or anybody (``none`` mode)."""

    session: Session | None = None
    key_id: str | None = None

    @property
    def is_key(self) -> bool:
        return self.key_id is not None


ANONYMOUS = Principal()


class Authority(Protocol):
    """What :func:`authorize` needs to know (implemented by :class:`AuthState`)."""

    @property
    def setup_required(self) -> bool: ...

    @property
    def password_change_required(self) -> bool: ...

    def verify_session(self, token: str) -> Session: ...

    def find_key(self, raw: str) -> str | None: ...

    def note_key_used(self, key_id: str) -> None: ...


def authorize(authority: Authority, access: Access, *, authorization: str | None, cookie: str | None) -> Principal:
    """Decide one request to a non-public route; raise an ``AuthError`` to refuse it."""
    if access is Access.PUBLIC:
        return ANONYMOUS
    if authority.setup_required:
        raise SetupRequired()
    bearer = bearer_token(authorization)
    if bearer is not None:
        key_id = authority.find_key(bearer)
        if key_id is None:
            raise NotAuthenticated()
        if access is not Access.PROTECTED:
            raise KeyNotAllowed()
        principal = Principal(key_id=key_id)
    elif cookie:
        principal = Principal(session=authority.verify_session(cookie))
    else:
        raise NotAuthenticated()
    if authority.password_change_required and access is not Access.COOKIE_ROTATING:
        raise PasswordChangeRequired()
    if principal.key_id is not None:
        authority.note_key_used(principal.key_id)
    return principal


def allowed_origin(origin: str | None, allowed: Sequence[str]) -> str | None:
    """``origin`` if it is listed (case-insensitive, trailing ``/`` ignored), else None."""
    if not origin or not allowed:
        return None
    wanted = origin.rstrip("/").lower()
    return origin if any(candidate.lower() == wanted for candidate in allowed) else None


def install(app: Quart, services: Services) -> AuthState:
    """Create the app's :class:`AuthState` and register the guard and the CORS layer."""
    state = AuthState(services)
    app.extensions[EXTENSION_KEY] = state
    app.before_request(_guard)
    app.after_request(_restricted_cors)
    return state


def auth_state(app: Quart) -> AuthState:
    return app.extensions[EXTENSION_KEY]


def current_principal() -> Principal:
    """Who the guard let through for this request (``ANONYMOUS`` on public routes)."""
    return g.get("sparklytics_principal", ANONYMOUS)


async def _guard() -> Response | None:
    rule = request.url_rule
    if rule is None:
        return None  # the router answers 404 / 405
    access = access_for(request.path, current_app.view_functions.get(rule.endpoint))
    if access is Access.PUBLIC:
        return None
    state = auth_state(current_app)
    if state.mode != "none":
        await state.ensure_loaded()
        g.sparklytics_principal = authorize(
            state,
            access,
            authorization=request.headers.get("Authorization"),
            cookie=request.cookies.get(COOKIE_NAME),
        )
    if access is Access.PROTECTED:
        g.sparklytics_cors = True
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            return _preflight()
    return None


def _preflight() -> Response:
    response = Response("", status=204)
    if allowed_origin(request.headers.get("Origin"), current_app.config["SERVICES"].config.cors_origins):
        response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
        response.headers["Access-Control-Allow-Headers"] = request.headers.get("Access-Control-Request-Headers") or "*"
        response.headers["Access-Control-Max-Age"] = str(CORS_MAX_AGE_SECONDS)
    return response


async def _restricted_cors(response: Response) -> Response:
    """Add CORS headers to responses of routes the guard let through as PROTECTED."""
    if not g.get("sparklytics_cors", False):
        return response
    allowed = current_app.config["SERVICES"].config.cors_origins
    if allowed:
        response.vary.add("Origin")
    origin = allowed_origin(request.headers.get("Origin"), allowed)
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
    return response
