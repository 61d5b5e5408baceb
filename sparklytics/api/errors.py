"""One error type for handlers, one place that turns every failure into the envelope.

Every error body is ``{"error": {"code", "message", "field"}}`` (API.md §0.2), including
the framework's own 404/405/413/415 and malformed JSON (Decision 9). Domain errors
raised below the HTTP layer (rate limits, overload, query timeouts, unknown websites)
are mapped here and nowhere else.
"""

from __future__ import annotations

import logging

from quart import Quart, Response, jsonify
from werkzeug.exceptions import HTTPException

from actors.buffer import IngestOverloaded, StorageUnavailable
from actors.enricher import UnknownWebsite
from actors.ratelimiter import RateLimited
from actors.runtime import ActorError
from sparklytics.auth.errors import (
    AuthError,
    InvalidCredentials,
    KeyNotAllowed,
    LockedOut,
    NotAuthenticated,
    PasswordChangeRequired,
    SetupAlreadyDone,
    SetupRequired,
    WeakPassword,
)
from sparklytics.queries.errors import QueryError
from sparklytics.report_slots import SlotsBusy
from sparklytics.stores.errors import QueryTimeout, StorageFault

log = logging.getLogger("sparklytics.api")


class ApiError(Exception):
    """Raise from a handler to answer ``status`` with the JSON error envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


def bad_request(message: str, *, field: str | None = None) -> ApiError:
    return ApiError(400, "validation_error", message, field=field)


def unprocessable(message: str, *, field: str | None = None) -> ApiError:
    return ApiError(422, "validation_error", message, field=field)


def error_response(error: ApiError) -> Response:
    response = jsonify({"error": {"code": error.code, "message": error.message, "field": error.field}})
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


_HTTP_CODES = {
    400: ("bad_request", "Bad request"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("payload_too_large", "Payload exceeds size limit"),
    415: ("unsupported_media_type", "Content-Type must be application/json"),
}


def auth_error(error: AuthError) -> ApiError:
    """The HTTP answer to an auth failure (API.md §0.2, §4)."""
    match error:
        case NotAuthenticated():
            return ApiError(401, "unauthorized", "Not authenticated")
        case InvalidCredentials():
            return ApiError(401, "unauthorized", "Unauthorized")
        case SetupRequired():
            return ApiError(403, "setup_required", "Admin setup required. POST /api/auth/setup first.")
        case PasswordChangeRequired():
            return ApiError(403, "password_change_required", "Password change required before continuing")
        case KeyNotAllowed():
            return ApiError(403, "forbidden", "API keys cannot manage auth resources")
        case SetupAlreadyDone():
            return ApiError(410, "gone", "Setup already completed")
        case WeakPassword(message=message, field=field):
            return ApiError(400, "validation_error", message, field=field)
        case LockedOut(retry_after=retry_after):
            return ApiError(429, "rate_limited", "Rate limit exceeded", headers={"Retry-After": str(retry_after)})
    return ApiError(401, "unauthorized", "Unauthorized")


def domain_error(error: Exception) -> ApiError:
    """The HTTP answer to an error raised below the HTTP layer."""
    match error:
        case AuthError():
            return auth_error(error)
        case UnknownWebsite():
            return not_found(str(error))
        case RateLimited(retry_after=retry_after):
            return ApiError(429, "rate_limited", "Rate limit exceeded", headers={"Retry-After": str(retry_after)})
        case IngestOverloaded(retry_after=retry_after):
            return ApiError(503, "ingest_overloaded", "Ingest is overloaded, retry later", headers={"Retry-After": str(retry_after)})
        case StorageUnavailable(retry_after=retry_after):
            return ApiError(503, "storage_unavailable", "Storage is unavailable, retry later", headers={"Retry-After": str(retry_after)})
        case QueryError(message=message, field=field):
            return ApiError(400, "validation_error", message, field=field)
        case SlotsBusy():
            return ApiError(429, "rate_limited", "Too many concurrent reports, retry later", headers={"Retry-After": "2"})
        case QueryTimeout():
            return ApiError(503, "query_timeout", "Query timed out, retry later", headers={"Retry-After": "2"})
        case StorageFault():  # cloud mode: a store server (or one ClickHouse shard) cannot be reached
            log.warning("storage unavailable: %s", error)
            return ApiError(503, "storage_unavailable", "Storage is unavailable, retry later", headers={"Retry-After": "2"})
        case ActorError():
            log.warning("service unavailable: %s", error)
            return ApiError(503, "service_unavailable", "Service temporarily unavailable, retry later", headers={"Retry-After": "1"})
    raise TypeError(f"not a domain error: {error!r}")


DOMAIN_ERRORS = (
    AuthError, UnknownWebsite, RateLimited, IngestOverloaded, StorageUnavailable, QueryError, SlotsBusy, QueryTimeout,
    StorageFault, ActorError,
)


def register_error_handlers(app: Quart) -> None:
    @app.errorhandler(ApiError)
    async def _api_error(error: ApiError) -> Response:
        return error_response(error)

    @app.errorhandler(HTTPException)
    async def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        code, message = _HTTP_CODES.get(status, ("http_error", error.name))
        return error_response(ApiError(status, code, message))

    @app.errorhandler(AuthError)
    @app.errorhandler(UnknownWebsite)
    @app.errorhandler(RateLimited)
    @app.errorhandler(IngestOverloaded)
    @app.errorhandler(StorageUnavailable)
    @app.errorhandler(QueryError)
    @app.errorhandler(SlotsBusy)
    @app.errorhandler(QueryTimeout)
    @app.errorhandler(StorageFault)
    @app.errorhandler(ActorError)
    async def _domain_error(error: Exception) -> Response:
        return error_response(domain_error(error))

    @app.errorhandler(Exception)
    async def _internal(error: Exception) -> Response:
        log.exception("unhandled error", exc_info=error)
        return error_response(ApiError(500, "internal_error", "Internal server error"))
