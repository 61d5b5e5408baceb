"""Builds the Quart-Trio app: blueprints, error envelope, auth guard, security headers.

The app holds no state of its own: everything lives in the :class:`Services` passed in
(``app.config["SERVICES"]``), whose actors run in the caller's nursery — except the
auth cache (``sparklytics.auth.guards.auth_state(app)``), which mirrors DuckDB rows.

Every route is guarded by ``sparklytics.auth.guards`` (installed before any blueprint):
a new ``/api/`` blueprint is protected by default; see that module to make a route
public or cookie-only.
"""

from __future__ import annotations

from quart import Quart, Response, current_app, request
from quart_trio import QuartTrio

from sparklytics.api.acquisition import AcquisitionEndpoint
from sparklytics.api.analytics import analytics_bp
from sparklytics.api.auth import auth_bp
from sparklytics.api.bots import bot_summary_bp, bots_bp
from sparklytics.api.campaigns import campaigns_bp
from sparklytics.api.collect import CollectEndpoint
from sparklytics.api.compat_ingest import CompatIngestEndpoint
from sparklytics.api.dashboard import content_security_policy, dashboard_bp
from sparklytics.api.errors import register_error_handlers
from sparklytics.api.export import export_bp
from sparklytics.api.funnels import funnels_bp
from sparklytics.api.goals import goals_bp
from sparklytics.api.health import health_bp
from sparklytics.api.ingest_limits import ingest_limits_bp
from sparklytics.api.share import share_bp
from sparklytics.api.stats_v2 import stats_v2_bp
from sparklytics.api.tracker import tracker_bp
from sparklytics.api.notifications import notifications_bp
from sparklytics.api.openapi import openapi_bp
from sparklytics.api.saved_reports import saved_reports_bp
from sparklytics.api.response_end import close_connections_when, shield_response_end
from sparklytics.api.websites import websites_bp
from sparklytics.auth import guards
from sparklytics.services import Services

# Bodies bigger than this are refused while being read; routes set tighter limits.
MAX_REQUEST_BYTES = 1024 * 1024

# The raw-ASGI endpoints in front of Quart, outermost first. Each answers its own paths
# and declares them in ``OPERATIONS`` for /api/openapi.json (sparklytics/openapi).
RAW_ENDPOINTS = (CollectEndpoint, CompatIngestEndpoint, AcquisitionEndpoint)


def create_app(services: Services) -> Quart:
    app = QuartTrio("sparklytics")
    app.config["SERVICES"] = services
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = 0
    register_error_handlers(app)
    guards.install(app, services)
    if services.config.auth != "none":
        app.register_blueprint(auth_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(websites_bp)
    app.register_blueprint(analytics_bp)
    app.register_blueprint(stats_v2_bp)
    app.register_blueprint(export_bp)
    app.register_blueprint(share_bp)
    app.register_blueprint(ingest_limits_bp)
    app.register_blueprint(tracker_bp)
    app.register_blueprint(funnels_bp)
    app.register_blueprint(goals_bp)
    app.register_blueprint(campaigns_bp)
    app.register_blueprint(bots_bp)
    app.register_blueprint(bot_summary_bp)
    app.register_blueprint(saved_reports_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(openapi_bp)
    app.register_blueprint(dashboard_bp)  # last: the SPA fallback for every non-API path
    app.config["DASHBOARD_CSP"] = content_security_policy(services.config.auth)
    app.after_request(_security_headers)
    app.config["BODY_TIMEOUT"] = services.config.body_timeout_seconds
    app.config["RAW_ENDPOINTS"] = RAW_ENDPOINTS
    inner = shield_response_end(app.asgi_app)
    for endpoint in reversed(RAW_ENDPOINTS):
        inner = endpoint(inner, services)
    app.asgi_app = close_connections_when(services.stopping, inner)  # type: ignore[method-assign]
    return app


# JSON (and anything else that is not a page) may not load or frame anything.
API_CSP = "default-src 'none'; frame-ancestors 'none'"


async def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    # A handler that sets its own CSP (the dashboard's frameable share pages) decides
    # framing too; everything else is never framed.
    if "Content-Security-Policy" not in response.headers and response.mimetype in ("text/html", "application/json"):
        html = response.mimetype == "text/html"
        response.headers["Content-Security-Policy"] = current_app.config["DASHBOARD_CSP"] if html else API_CSP
        response.headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith("/api/") and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response
