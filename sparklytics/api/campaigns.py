"""Campaign links and tracking pixels (API.md §1.15): CRUD under
``/api/websites/{id}/links`` and ``…/pixels``, with their stats.

The website is checked first (404 ``Website not found``), then the query (400), the body
(422 for a wrong type or an unknown field), then the record (404 ``Campaign link not
found`` / ``Tracking pixel not found``). The rules of the fields
(:mod:`sparklytics.campaigns`) are checked inside the write against the website's domain
and answer 400 with the field at fault. Every change tells the Enricher to forget its
cached lookups, so ``/l/`` and ``/p/`` see it at once (a disabled link is 404 on the
next click).

Links and pixels carry their stats over the report range (``start_date``/``end_date``,
default the last 7 days; filters and ``include_bots`` as on every report): the list,
the record and ``…/stats`` all count the same way (:mod:`sparklytics.queries.campaigns`).
``GET …/links/{id}`` and ``GET …/pixels/{id}`` are ours (the contract has only lists).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from quart import Blueprint, Response, current_app, jsonify

from actors.enricher import InvalidateCampaigns
from actors.runtime import tell
from sparklytics.api.errors import bad_request, not_found
from sparklytics.api.reports import build_query, website_context
from sparklytics.api.requests import parse_json_body
from sparklytics.api.validation import parse_model
from sparklytics.campaigns import LINK_NOT_FOUND, PIXEL_NOT_FOUND, CampaignLink, InvalidCampaign, TrackingPixel
from sparklytics.queries.campaigns import NO_LINK_HITS, NO_PIXEL_HITS, link_stat_fields, pixel_stat_fields
from sparklytics.openapi import operation

campaigns_bp = Blueprint("campaigns", __name__, url_prefix="/api/websites/<website_id>")

MAX_BODY_BYTES = 16 * 1024
_TEXT = Field(default=None, max_length=4096)


class CreateLink(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Missing name and destination are the rules' 400s, not the model's 422s.
    name: str = Field(default="", max_length=4096)
    destination_url: str = Field(default="", max_length=4096)
    utm_source: str | None = _TEXT
    utm_medium: str | None = _TEXT
    utm_campaign: str | None = _TEXT
    utm_term: str | None = _TEXT
    utm_content: str | None = _TEXT


class UpdateLink(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = _TEXT
    destination_url: str | None = _TEXT
    utm_source: str | None = _TEXT
    utm_medium: str | None = _TEXT
    utm_campaign: str | None = _TEXT
    utm_term: str | None = _TEXT
    utm_content: str | None = _TEXT
    is_active: bool | None = None


class CreatePixel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(default="", max_length=4096)
    default_url: str | None = _TEXT


class UpdatePixel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = _TEXT
    default_url: str | None = _TEXT
    is_active: bool | None = None


def _services():
    return current_app.config["SERVICES"]


# --- links ------------------------------------------------------------------------------


@campaigns_bp.route("/links", methods=["GET"])
@operation("List campaign links with their stats", tag="Campaign links and pixels", report="campaigns")
async def list_links(website_id: str) -> Response:
    query = await build_query("campaigns", await website_context(website_id))
    services = _services()
    links = await services.metadata.list_links(website_id)
    stats = await _link_stats(website_id, query)
    return jsonify({"data": [_link_view(link, stats) for link in links]})


@campaigns_bp.route("/links", methods=["POST"])
@operation("Create a campaign link", tag="Campaign links and pixels", ok=201, body=CreateLink)
async def create_link(website_id: str) -> tuple[Response, int]:
    await website_context(website_id)
    body = parse_model(CreateLink, await parse_json_body(MAX_BODY_BYTES))
    link = await _changed(_services().metadata.create_link(website_id, body.model_dump()))
    if link is None:
        raise not_found("Website not found")
    return jsonify({"data": _link_view(link, {})}), 201


@campaigns_bp.route("/links/<link_id>", methods=["GET"])
@operation("Get a campaign link with its stats", tag="Campaign links and pixels", report="campaigns")
async def get_link(website_id: str, link_id: str) -> Response:
    query = await build_query("campaigns", await website_context(website_id))
    link = await _link(website_id, link_id)
    return jsonify({"data": _link_view(link, await _link_stats(website_id, query))})


@campaigns_bp.route("/links/<link_id>", methods=["PUT"])
@operation("Update a campaign link", tag="Campaign links and pixels", body=UpdateLink)
async def update_link(website_id: str, link_id: str) -> Response:
    await website_context(website_id)
    body = parse_model(UpdateLink, await parse_json_body(MAX_BODY_BYTES))
    changes = _changes(body, required=("name", "destination_url", "is_active"))
    link = await _changed(_services().metadata.update_link(website_id, link_id, changes))
    if link is None:
        raise not_found(LINK_NOT_FOUND)
    return jsonify({"data": _link_view(link, {})})


@campaigns_bp.route("/links/<link_id>", methods=["DELETE"])
@operation("Delete a campaign link", tag="Campaign links and pixels", ok=204)
async def delete_link(website_id: str, link_id: str) -> Response:
    await website_context(website_id)
    if not await _changed(_services().metadata.delete_link(website_id, link_id)):
        raise not_found(LINK_NOT_FOUND)
    return Response("", status=204)


@campaigns_bp.route("/links/<link_id>/stats", methods=["GET"])
@operation("A campaign link's stats", tag="Campaign links and pixels", report="campaigns")
async def link_stats(website_id: str, link_id: str) -> Response:
    query = await build_query("campaigns", await website_context(website_id))
    link = await _link(website_id, link_id)
    stats = await _link_stats(website_id, query)
    return jsonify({"data": {"link_id": link.id, **stats.get(link.id, link_stat_fields(NO_LINK_HITS))}})


async def _link(website_id: str, link_id: str) -> CampaignLink:
    link = await _services().metadata.get_link(website_id, link_id)
    if link is None:
        raise not_found(LINK_NOT_FOUND)
    return link


async def _link_stats(website_id: str, query) -> dict[str, Any]:
    services = _services()
    goals = await services.metadata.list_goals(website_id)
    return (await services.analytics.link_stats(query, goals)).data


def _link_view(link: CampaignLink, stats: dict[str, Any]) -> dict[str, Any]:
    view = link.as_json(_services().config.public_url)
    return {**view, **stats.get(link.id, link_stat_fields(NO_LINK_HITS))}


# --- pixels -----------------------------------------------------------------------------


@campaigns_bp.route("/pixels", methods=["GET"])
@operation("List tracking pixels with their stats", tag="Campaign links and pixels", report="campaigns")
async def list_pixels(website_id: str) -> Response:
    query = await build_query("campaigns", await website_context(website_id))
    services = _services()
    pixels = await services.metadata.list_pixels(website_id)
    stats = (await services.analytics.pixel_stats(query)).data
    return jsonify({"data": [_pixel_view(pixel, stats) for pixel in pixels]})


@campaigns_bp.route("/pixels", methods=["POST"])
@operation("Create a tracking pixel", tag="Campaign links and pixels", ok=201, body=CreatePixel)
async def create_pixel(website_id: str) -> tuple[Response, int]:
    await website_context(website_id)
    body = parse_model(CreatePixel, await parse_json_body(MAX_BODY_BYTES))
    pixel = await _changed(_services().metadata.create_pixel(website_id, body.model_dump()))
    if pixel is None:
        raise not_found("Website not found")
    return jsonify({"data": _pixel_view(pixel, {})}), 201


@campaigns_bp.route("/pixels/<pixel_id>", methods=["GET"])
@operation("Get a tracking pixel with its stats", tag="Campaign links and pixels", report="campaigns")
async def get_pixel(website_id: str, pixel_id: str) -> Response:
    query = await build_query("campaigns", await website_context(website_id))
    pixel = await _pixel(website_id, pixel_id)
    return jsonify({"data": _pixel_view(pixel, (await _services().analytics.pixel_stats(query)).data)})


@campaigns_bp.route("/pixels/<pixel_id>", methods=["PUT"])
@operation("Update a tracking pixel", tag="Campaign links and pixels", body=UpdatePixel)
async def update_pixel(website_id: str, pixel_id: str) -> Response:
    await website_context(website_id)
    body = parse_model(UpdatePixel, await parse_json_body(MAX_BODY_BYTES))
    changes = _changes(body, required=("name", "is_active"))
    pixel = await _changed(_services().metadata.update_pixel(website_id, pixel_id, changes))
    if pixel is None:
        raise not_found(PIXEL_NOT_FOUND)
    return jsonify({"data": _pixel_view(pixel, {})})


@campaigns_bp.route("/pixels/<pixel_id>", methods=["DELETE"])
@operation("Delete a tracking pixel", tag="Campaign links and pixels", ok=204)
async def delete_pixel(website_id: str, pixel_id: str) -> Response:
    await website_context(website_id)
    if not await _changed(_services().metadata.delete_pixel(website_id, pixel_id)):
        raise not_found(PIXEL_NOT_FOUND)
    return Response("", status=204)


@campaigns_bp.route("/pixels/<pixel_id>/stats", methods=["GET"])
@operation("A tracking pixel's stats", tag="Campaign links and pixels", report="campaigns")
async def pixel_stats(website_id: str, pixel_id: str) -> Response:
    query = await build_query("campaigns", await website_context(website_id))
    pixel = await _pixel(website_id, pixel_id)
    stats = (await _services().analytics.pixel_stats(query)).data
    return jsonify({"data": {"pixel_id": pixel.id, **stats.get(pixel.id, pixel_stat_fields(NO_PIXEL_HITS))}})


async def _pixel(website_id: str, pixel_id: str) -> TrackingPixel:
    pixel = await _services().metadata.get_pixel(website_id, pixel_id)
    if pixel is None:
        raise not_found(PIXEL_NOT_FOUND)
    return pixel


def _pixel_view(pixel: TrackingPixel, stats: dict[str, Any]) -> dict[str, Any]:
    view = pixel.as_json(_services().config.public_url)
    return {**view, **stats.get(pixel.id, pixel_stat_fields(NO_PIXEL_HITS))}


# --- shared -----------------------------------------------------------------------------


def _changes(body: BaseModel, *, required: tuple[str, ...]) -> dict[str, Any]:
    """The fields a ``PUT`` sent; ``null`` clears an optional one, never a required one."""
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise bad_request("request must include at least one updatable field")
    for field in required:
        if field in changes and changes[field] is None:
            raise bad_request(f"{field} must not be null", field=field)
    return changes


async def _changed(write):
    """Await a link or pixel write: its refusals are 400s, and once it has run (whatever
    it found) the Enricher forgets its cached lookups."""
    try:
        return await write
    except InvalidCampaign as invalid:
        raise bad_request(invalid.message, field=invalid.field) from None
    finally:
        await tell(_services().enricher.inbox, InvalidateCampaigns())
