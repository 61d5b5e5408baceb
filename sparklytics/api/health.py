"""``GET /health``: 200 ok when all is well, else 503 ``degraded`` with the reasons.

Degraded means: a store does not answer (DuckDB; in cloud mode PostgreSQL or ClickHouse,
each named in ``stores``), an actor is restarting, or storage is failing
(the ingest WAL cannot be written, commits fail, the database was invalidated). The
``reasons`` list says which, so an operator sees "No space left on device" instead of
guessing; it clears by itself once the fault is gone.

``geo`` says which IP geolocation database is loaded and its build date (null: none),
so an operator can see that geo works and how old its data is.
"""

from __future__ import annotations

from quart import Blueprint, Response, current_app, jsonify

from sparklytics import __version__
from sparklytics.openapi import operation
from sparklytics.openapi.responses import Health

health_bp = Blueprint("health", __name__)

@health_bp.route("/health", methods=["GET"])
@operation("Whether the server is healthy", tag="Meta", response=Health, other_answers={503: "degraded: `status: degraded` and the `reasons`"})
async def health() -> Response:
    services = current_app.config["SERVICES"]
    reasons = []
    stores = {}
    for engine, ping in services.store_pings():
        try:
            await ping()
            stores[engine] = "ok"
        except Exception as exc:
            stores[engine] = _first_line(exc)
            reasons.append(f"the database does not answer ({engine}): {stores[engine]}")
    reasons += [f"{actor.name} is restarting after: {actor.last_error}" for actor in services.supervisor.actors if actor.restarting]
    if services.writer.storage_fault is not None:
        reasons.append(services.writer.storage_fault)
    reasons += services.buffer.storage_faults()
    body = {"status": "degraded", "reasons": reasons} if reasons else {"status": "ok"}
    geo = services.geo_database.as_json() if services.geo_database else None
    response = jsonify({**body, "version": __version__, "geo": geo, "stores": stores})
    response.status_code = 503 if reasons else 200
    return response


def _first_line(exc: Exception) -> str:
    """DuckDB errors run to several lines (the original error, hints); the first says it."""
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
