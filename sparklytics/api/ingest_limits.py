"""``GET/PUT /api/websites/{id}/ingest-limits`` (API.md §1.16): per-website overrides of
the peak events/s and queue bound, where a present ``null`` clears back to the default.
The Enricher is told to forget its cached copy so new limits apply at once.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, current_app, jsonify

from actors.enricher import InvalidateWebsite
from actors.runtime import tell
from sparklytics.api.errors import bad_request, not_found, unprocessable
from sparklytics.api.requests import parse_json_body
from sparklytics.api.websites import load_website
from sparklytics.openapi import operation
from sparklytics.openapi.bodies import IngestLimitsBody

FIELDS = {"peak_events_per_sec": "ingest_peak_eps", "queue_max_events": "ingest_queue_max_events"}
MAX_VALUE = 2_000_000_000

ingest_limits_bp = Blueprint("ingest_limits", __name__)


@ingest_limits_bp.route("/api/websites/<website_id>/ingest-limits", methods=["GET"])
@operation("The website's ingest limits", tag="Websites")
async def get_limits(website_id: str) -> Response:
    return jsonify({"data": _view(await load_website(website_id))})


@ingest_limits_bp.route("/api/websites/<website_id>/ingest-limits", methods=["PUT"])
@operation("Set the website's ingest limits", tag="Websites", body=IngestLimitsBody)
async def put_limits(website_id: str) -> Response:
    body = await parse_json_body(4096)
    if not isinstance(body, dict):
        raise unprocessable("request body must be a JSON object")
    unknown = set(body) - set(FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise unprocessable(f"{field}: unknown field", field=field)
    if not body:
        raise bad_request("at least one ingest limit field must be provided")
    changes: dict[str, Any] = {}
    for field, value in body.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise unprocessable(f"{field} must be an integer or null", field=field)
        if value is not None and value <= 0:
            raise bad_request(f"{field} must be > 0", field=field)
        if value is not None and value > MAX_VALUE:
            raise bad_request(f"{field} must be <= {MAX_VALUE}", field=field)
        changes[FIELDS[field]] = value
    services = current_app.config["SERVICES"]
    website = await services.metadata.update_website(website_id, changes)
    if website is None:
        raise not_found("Website not found")
    await tell(services.enricher.inbox, InvalidateWebsite(website_id))
    return jsonify({"data": _view(website)})


def _view(website: dict[str, Any]) -> dict[str, Any]:
    config = current_app.config["SERVICES"].config
    defaults = {
        "peak_events_per_sec": config.ingest_website_peak_eps_default,
        "queue_max_events": config.ingest_website_queue_max_events_default,
    }
    custom = {field: website[column] for field, column in FIELDS.items()}
    return {
        "website_id": website["id"],
        "peak_events_per_sec": custom["peak_events_per_sec"] or defaults["peak_events_per_sec"],
        "queue_max_events": custom["queue_max_events"] or defaults["queue_max_events"],
        "custom": custom,
        "source": {field: "default" if custom[field] is None else "custom" for field in FIELDS},
    }
