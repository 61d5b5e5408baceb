"""``GET /api/websites/{id}/export``: the raw events of a range as CSV (API.md §1.16).

The CSV streams: the store fetches and formats rows a batch at a time, so memory stays
flat whatever the export size. One export runs at a time (429 when another is running
for more than 5 s). Errors that the contract puts before the body
(bad dates, more than 500 000 rows) are raised before the first byte is sent.
Unlike the original there is no 2-second response cache: streaming makes it moot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from quart import Blueprint, Response, current_app

from sparklytics.api.reports import report_query
from sparklytics.queries import export_filename
from sparklytics.openapi import operation

export_bp = Blueprint("export", __name__)


@export_bp.route("/api/websites/<website_id>/export")
@operation("Raw events as CSV", tag="Reports", report="export", media_type="text/csv", errors=[(429, "rate_limited")])
async def export(website_id: str) -> Response:
    services = current_app.config["SERVICES"]
    query = await report_query("export", website_id)
    chunks = _stream(services, query)
    first = await anext(chunks)
    response = Response(_prepend(first, chunks), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{export_filename(query)}"'
    return response


async def _stream(services, query) -> AsyncIterator[bytes]:
    async with services.exports.hold():
        async for chunk in services.analytics.export(query):
            yield chunk


async def _prepend(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in rest:
        yield chunk
