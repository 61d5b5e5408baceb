"""Websites CRUD (API.md §1.16; Decisions 4, 11, 12).

Writes go to the Writer; the Enricher is told to forget its cached lookup so a new or
deleted website is seen by collect at once. A website's ``extra_domains`` and
``umami_website_id`` (:mod:`sparklytics.website_aliases`) are the names ``/api/event``
and ``/api/send`` also find it by; one held by another website is a 409 ``conflict``.

A delete first retires the website (ingest refuses it from then on), waits until the
events acknowledged before that are stored, and only then deletes its rows: an event
acknowledged a moment before the delete would otherwise be committed after it, left
behind without its website.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field
from quart import Blueprint, Response, current_app, jsonify, request

from actors.buffer import Flush
from actors.enricher import InvalidateWebsite
from actors.runtime import AskTimeout, ask, tell
from actors.writer import ForgetWebsite
from sparklytics.api.errors import ApiError, bad_request, not_found
from sparklytics.api.requests import parse_json_body
from sparklytics.api.validation import parse_model
from sparklytics.domains import InvalidDomain, normalize_domain
from sparklytics.enrich import random_id
from sparklytics.openapi import Query, operation
from sparklytics.openapi.responses import Data, Website, WebsiteCreated, WebsitesPage, WebsiteUpdated
from sparklytics.website_aliases import AliasTaken, InvalidAlias, normalize_extra_domains, normalize_umami_id

MAX_BODY_BYTES = 16_384
ACTOR_TIMEOUT = 10.0
# How long a delete waits for the events acknowledged before it to be stored: a few
# batches normally; longer only while storage is failing.
FLUSH_TIMEOUT = 30.0
# The names a website answers to at /api/event and /api/send besides its own.
_ALIAS_KEYS = ("extra_domains", "umami_website_id")
T = TypeVar("T")

logger = logging.getLogger(__name__)

websites_bp = Blueprint("websites", __name__)


# A list longer than this is refused by the body model (the rule's own limit is
# MAX_EXTRA_DOMAINS, after repeats are dropped).
_EXTRA_DOMAINS_FIELD = Field(default=None, max_length=100)


class CreateWebsite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200)
    domain: str = Field(max_length=300)
    timezone: str | None = Field(default=None, max_length=64)
    extra_domains: list[Annotated[str, Field(max_length=300)]] | None = _EXTRA_DOMAINS_FIELD
    umami_website_id: str | None = Field(default=None, max_length=64)


class UpdateWebsite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    domain: str | None = Field(default=None, max_length=300)
    timezone: str | None = Field(default=None, max_length=64)
    extra_domains: list[Annotated[str, Field(max_length=300)]] | None = _EXTRA_DOMAINS_FIELD
    # Sent as null, it removes the alias; left out, it keeps it.
    umami_website_id: str | None = Field(default=None, max_length=64)


@websites_bp.route("/api/websites", methods=["POST"])
@operation("Create a website", tag="Websites", ok=201, body=CreateWebsite, response=Data[WebsiteCreated])
async def create_website() -> tuple[Response, int]:
    body = parse_model(CreateWebsite, await parse_json_body(MAX_BODY_BYTES))
    name = _name(body.name)
    domain = _domain(body.domain)
    timezone = _timezone(body.timezone) if body.timezone is not None else "UTC"
    aliases = _aliases(body, domain)
    services = current_app.config["SERVICES"]
    website_id = random_id("site_", 10)
    website = await _claiming_aliases(
        services.metadata.insert_website(website_id=website_id, name=name, domain=domain, timezone=timezone, aliases=aliases)
    )
    await tell(services.enricher.inbox, InvalidateWebsite(website_id))
    return jsonify({"data": _created_view(website)}), 201


@websites_bp.route("/api/websites", methods=["GET"])
@operation("List websites", tag="Websites", response=WebsitesPage, query=(Query("limit", "websites per page (clamped into range)", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}), Query("cursor", "the `pagination.cursor` of the previous page")), errors=[(400, "validation_error")])
async def list_websites() -> Response:
    limit = _clamped_int(request.args.get("limit"), default=20, low=1, high=100)
    cursor = request.args.get("cursor") or None
    services = current_app.config["SERVICES"]
    rows, total = await services.metadata.list_websites(after=cursor, limit=limit + 1)
    has_more = len(rows) > limit
    page = rows[:limit]
    return jsonify(
        {
            "data": [_list_view(row) for row in page],
            "pagination": {
                "total": total,
                "limit": limit,
                "cursor": page[-1]["id"] if has_more and page else None,
                "has_more": has_more,
            },
        }
    )


@websites_bp.route("/api/websites/<website_id>", methods=["GET"])
@operation("Get a website", tag="Websites", response=Data[Website])
async def get_website(website_id: str) -> Response:
    return jsonify({"data": _detail_view(await load_website(website_id))})


@websites_bp.route("/api/websites/<website_id>", methods=["PUT"])
@operation("Update a website", tag="Websites", body=UpdateWebsite, response=Data[WebsiteUpdated])
async def update_website(website_id: str) -> Response:
    body = parse_model(UpdateWebsite, await parse_json_body(MAX_BODY_BYTES))
    changes: dict[str, Any] = {}
    if body.name is not None:
        changes["name"] = _name(body.name)
    if body.domain is not None:
        changes["domain"] = _domain(body.domain)
    if body.timezone is not None:
        changes["timezone"] = _timezone(body.timezone)
    if body.extra_domains is not None or "umami_website_id" in body.model_fields_set:
        # Dropping the website's own domain from the list needs the domain it will have.
        domain = changes.get("domain") or (await load_website(website_id))["domain"]
        changes.update(_aliases(body, domain))
    services = current_app.config["SERVICES"]
    website = await _claiming_aliases(services.metadata.update_website(website_id, changes))
    if website is None:
        raise not_found("Website not found")
    await tell(services.enricher.inbox, InvalidateWebsite(website_id))
    keys = ("id", "name", "domain", "timezone", "extra_domains", "umami_website_id", "updated_at")
    return jsonify({"data": {key: website[key] for key in keys}})


@websites_bp.route("/api/websites/<website_id>", methods=["DELETE"])
@operation("Delete a website and all its data", tag="Websites", ok=204)
async def delete_website(website_id: str) -> Response:
    services = current_app.config["SERVICES"]
    if not await services.metadata.retire_website(website_id):
        raise not_found("Website not found")
    await ask(services.enricher.inbox, InvalidateWebsite(website_id), timeout=ACTOR_TIMEOUT)
    try:
        await ask(services.buffer.inbox, Flush(), timeout=FLUSH_TIMEOUT)
    except AskTimeout:  # storage is failing: the retired website's rows go now; a straggler may stay
        logger.warning("deleting website %s before the events acknowledged for it were stored", website_id)
    await services.metadata.delete_website(website_id)
    await tell(services.writer.inbox, ForgetWebsite(website_id))
    return Response("", status=204)


async def load_website(website_id: str) -> dict[str, Any]:
    """The website's row, or 404 ``Website not found``."""
    website = await current_app.config["SERVICES"].metadata.get_website(website_id)
    if website is None:
        raise not_found("Website not found")
    return website


def tracking_snippet(website_id: str) -> str:
    base = current_app.config["SERVICES"].config.tracking_public_base
    return f'<script defer src="{base}/s.js" data-website-id="{website_id}"></script>'


def _aliases(body: CreateWebsite | UpdateWebsite, domain: str) -> dict[str, Any]:
    """The alias changes a body asks for (``umami_website_id`` only when it was sent)."""
    aliases: dict[str, Any] = {}
    try:
        if body.extra_domains is not None:
            aliases["extra_domains"] = normalize_extra_domains(body.extra_domains, domain)
        if "umami_website_id" in body.model_fields_set:
            aliases["umami_website_id"] = normalize_umami_id(body.umami_website_id)
    except InvalidAlias as invalid:
        raise bad_request(invalid.message, field=invalid.field) from None
    return aliases


async def _claiming_aliases(write: Awaitable[T]) -> T:
    """Await a website write, turning a name another website holds into 409 ``conflict``."""
    try:
        return await write
    except AliasTaken as taken:
        raise ApiError(409, "conflict", taken.message, field=taken.field) from None


def _created_view(website: dict[str, Any]) -> dict[str, Any]:
    view = {key: website[key] for key in ("id", "tenant_id", "name", "domain", "timezone", *_ALIAS_KEYS)}
    view["tracking_snippet"] = tracking_snippet(website["id"])
    view["created_at"] = website["created_at"]
    return view


def _detail_view(website: dict[str, Any]) -> dict[str, Any]:
    view = {key: website[key] for key in ("id", "tenant_id", "name", "domain", "timezone", "share_id", *_ALIAS_KEYS)}
    view["tracking_snippet"] = tracking_snippet(website["id"])
    view["created_at"] = website["created_at"]
    view["updated_at"] = website["updated_at"]
    return view


def _list_view(website: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "tenant_id", "name", "domain", "timezone", "ingest_peak_eps", "ingest_queue_max_events",
            "share_id", *_ALIAS_KEYS, "created_at", "updated_at")
    return {key: website[key] for key in keys}


def _name(raw: str) -> str:
    name = raw.strip()
    if not name:
        raise bad_request("name is required", field="name")
    return name


def _domain(raw: str) -> str:
    try:
        return normalize_domain(raw)
    except InvalidDomain as exc:
        raise bad_request(str(exc), field="domain") from None


def _timezone(raw: str) -> str:
    name = raw.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_request(f"invalid timezone: {raw}", field="timezone") from None
    return name


def _clamped_int(raw: str | None, *, default: int, low: int, high: int) -> int:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request("limit must be an integer", field="limit") from None
    return max(low, min(high, value))
