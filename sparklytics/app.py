"""Builds the Quart-Trio app: blueprints, error envelope, security headers.

The app holds no state of its own: everything lives in the :class:`Services` passed in
(``app.config["SERVICES"]``), whose actors run in the caller's nursery.
"""

from __future__ import annotations

from quart import Quart, Response, request
from quart_trio import QuartTrio

from sparklytics.api.collect import collect_bp
from sparklytics.api.errors import register_error_handlers
from sparklytics.api.health import health_bp
from sparklytics.api.websites import websites_bp
from sparklytics.services import Services

# Bodies bigger than this are refused while being read; routes set tighter limits.
MAX_REQUEST_BYTES = 1024 * 1024


def create_app(services: Services) -> Quart:
    app = QuartTrio("sparklytics")
    app.config["SERVICES"] = services
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = 0
    register_error_handlers(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(collect_bp)
    app.register_blueprint(websites_bp)
    app.after_request(_security_headers)
    return app


async def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.path.startswith("/api/") and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response
