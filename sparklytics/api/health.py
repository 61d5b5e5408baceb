"""``GET /health``: 200 ok when DuckDB answers and no actor is restarting, else 503.

``geo`` says which IP geolocation database is loaded and its build date (null: none),
so an operator can see that geo works and how old its data is.
"""

from __future__ import annotations

from quart import Blueprint, Response, current_app, jsonify

from sparklytics import __version__

health_bp = Blueprint("health", __name__)

HEALTH_TIMEOUT = 5.0


@health_bp.route("/health", methods=["GET"])
async def health() -> Response:
    services = current_app.config["SERVICES"]
    try:
        await services.db.read(lambda cur: cur.execute("SELECT 1").fetchone(), timeout=HEALTH_TIMEOUT)
        healthy = not services.supervisor.degraded
    except Exception:
        healthy = False
    geo = services.geo_database.as_json() if services.geo_database else None
    response = jsonify({"status": "ok" if healthy else "degraded", "version": __version__, "geo": geo})
    response.status_code = 200 if healthy else 503
    return response
