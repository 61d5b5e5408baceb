"""Funnels (API.md §1.9): CRUD under ``/api/websites/{id}/funnels`` and their results.

Every route is rate-limited twice before any work (API.md §1.9 "Limits"): per client
(the resolved client IP, Decision 14) and per scope (website + funnel + operation), with
reads, mutations and results counted apart. All limits are named ``funnels.…`` so that
``SPARKLYTICS_RATE_LIMIT_DISABLE=true`` lifts them (the ``funnels`` family). Results
also run in the one-slot ``services.funnel_results`` pool (429 if not free within 1 s)
under a 5 s budget (503 ``query_timeout``).

Contract decisions taken here (API.md is silent or the original behaved badly):

* The website is checked first (404 ``Website not found``), then the body, then the
  funnel (404 ``Funnel not found``); rate limits come before all of them.
* ``name``, ``match_value`` and ``label`` are trimmed before they are checked and
  stored; lengths count characters (the original counted UTF-8 bytes, while its
  messages say characters). A missing or null ``match_operator`` is ``equals``; a
  missing or null ``label`` is the (trimmed) ``match_value``.
* The 422 messages and fields are the original's: ``name must not be empty`` /
  ``name must be 100 characters or fewer`` (``name``), ``funnels must have between 2
  and 8 steps`` (``steps``), ``match_value must not be empty`` / ``match_value must be
  500 characters or fewer`` (``match_value``), ``label must not be empty`` / ``label
  must be 120 characters or fewer`` (``label``), ``maximum of 20 funnels per website
  reached`` (``limit_exceeded``, ``funnels``), ``funnel name already exists for this
  website`` (``duplicate_name``, ``name``; exact, case-sensitive comparison). Unknown
  body fields and wrong types are 422 from the model, like every body of this API.
* ``PUT`` with neither ``name`` nor ``steps`` (absent or null) is 400 ``request must
  include at least one updatable field``; any update moves ``updated_at``.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict
from quart import Blueprint, Response, current_app, jsonify

from actors.ratelimiter import Check, Limit
from actors.runtime import ask
from sparklytics.api.errors import ApiError, bad_request, not_found, unprocessable
from sparklytics.api.reports import build_query, website_context
from sparklytics.api.requests import client_ip, parse_json_body
from sparklytics.api.validation import parse_model
from sparklytics.funnels import MAX_FUNNELS_PER_WEBSITE, DuplicateFunnelName, FunnelLimitReached, NewStep
from sparklytics.openapi import operation

MAX_BODY_BYTES = 65_536
MAX_NAME_CHARS = 100
MAX_MATCH_VALUE_CHARS = 500
MAX_LABEL_CHARS = 120
MIN_STEPS, MAX_STEPS = 2, 8

T = TypeVar("T")

funnels_bp = Blueprint("funnels", __name__, url_prefix="/api/websites/<website_id>/funnels")


class StepBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    step_type: Literal["page_view", "event"]
    match_value: str
    match_operator: Literal["equals", "contains"] | None = None
    label: str | None = None


class CreateFunnel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    steps: list[StepBody]


class UpdateFunnel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    steps: list[StepBody] | None = None


# ---------------------------------------------------------------------------------------
# Rate limits: (per client, per scope) for each kind of operation
# ---------------------------------------------------------------------------------------

READS = (Limit("funnels.reads", 60), Limit("funnels.scope_reads", 240))
MUTATIONS = (Limit("funnels.mutations", 30), Limit("funnels.scope_mutations", 60))
RESULTS = (Limit("funnels.results", 10), Limit("funnels.scope_results", 20))


async def check_limits(limits: tuple[Limit, Limit], website_id: str, funnel_id: str | None = None) -> None:
    """Count this request for the client and for its scope; RateLimited (429) if over."""
    services = current_app.config["SERVICES"]
    per_client, per_scope = limits
    await ask(services.ratelimiter.inbox, Check(per_client, client_ip(services.trusted_proxies)), timeout=10)
    scope = f"{website_id}/{funnel_id or '*'}"
    await ask(services.ratelimiter.inbox, Check(per_scope, scope), timeout=10)


# ---------------------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------------------


@funnels_bp.route("", methods=["GET"])
@operation("List funnels", tag="Funnels", errors=[(429, "rate_limited")])
async def list_funnels(website_id: str) -> Response:
    await check_limits(READS, website_id)
    await website_context(website_id)
    services = current_app.config["SERVICES"]
    funnels = await services.metadata.list_funnels(website_id)
    return jsonify({"data": funnels})


@funnels_bp.route("", methods=["POST"])
@operation("Create a funnel", tag="Funnels", ok=201, body=CreateFunnel, errors=[(422, "limit_exceeded"), (422, "duplicate_name"), (429, "rate_limited")])
async def create_funnel(website_id: str) -> tuple[Response, int]:
    await check_limits(MUTATIONS, website_id)
    await website_context(website_id)
    body = parse_model(CreateFunnel, await parse_json_body(MAX_BODY_BYTES))
    name = _name(body.name)
    steps = _steps(body.steps)
    funnel = await _write(services().metadata.create_funnel(website_id, name, steps))
    if funnel is None:
        raise not_found("Website not found")
    return jsonify({"data": funnel}), 201


@funnels_bp.route("/<funnel_id>", methods=["GET"])
@operation("Get a funnel", tag="Funnels", errors=[(429, "rate_limited")])
async def get_funnel(website_id: str, funnel_id: str) -> Response:
    await check_limits(READS, website_id, funnel_id)
    await website_context(website_id)
    services = current_app.config["SERVICES"]
    funnel = await services.metadata.get_funnel(website_id, funnel_id)
    if funnel is None:
        raise not_found("Funnel not found")
    return jsonify({"data": funnel})


@funnels_bp.route("/<funnel_id>", methods=["PUT"])
@operation("Update a funnel", tag="Funnels", body=UpdateFunnel, errors=[(422, "duplicate_name"), (429, "rate_limited")])
async def update_funnel(website_id: str, funnel_id: str) -> Response:
    await check_limits(MUTATIONS, website_id, funnel_id)
    await website_context(website_id)
    body = parse_model(UpdateFunnel, await parse_json_body(MAX_BODY_BYTES))
    if body.name is None and body.steps is None:
        raise bad_request("request must include at least one updatable field")
    name = _name(body.name) if body.name is not None else None
    steps = _steps(body.steps) if body.steps is not None else None
    funnel = await _write(services().metadata.update_funnel(website_id, funnel_id, name=name, steps=steps))
    if funnel is None:
        raise not_found("Funnel not found")
    return jsonify({"data": funnel})


@funnels_bp.route("/<funnel_id>", methods=["DELETE"])
@operation("Delete a funnel", tag="Funnels", ok=204, errors=[(429, "rate_limited")])
async def delete_funnel(website_id: str, funnel_id: str) -> Response:
    await check_limits(MUTATIONS, website_id, funnel_id)
    await website_context(website_id)
    deleted = await _write(services().metadata.delete_funnel(website_id, funnel_id))
    if not deleted:
        raise not_found("Funnel not found")
    return Response("", status=204)


@funnels_bp.route("/<funnel_id>/results", methods=["GET"])
@operation("How many sessions reached each step", tag="Funnels", report="funnel_results", errors=[(429, "rate_limited")])
async def results(website_id: str, funnel_id: str) -> Response:
    await check_limits(RESULTS, website_id, funnel_id)
    query = await build_query("funnel_results", await website_context(website_id))
    services = current_app.config["SERVICES"]
    funnel = await services.metadata.get_funnel(website_id, funnel_id)
    if funnel is None:
        raise not_found("Funnel not found")
    async with services.funnel_results.hold():
        result = await services.analytics.funnel(query, funnel)
    return jsonify(result.body())


def services():
    return current_app.config["SERVICES"]


async def _write(change: Awaitable[T]) -> T:
    """Await a funnel write, turning its refusals into 422s."""
    try:
        return await change
    except FunnelLimitReached:
        raise ApiError(
            422, "limit_exceeded", f"maximum of {MAX_FUNNELS_PER_WEBSITE} funnels per website reached", field="funnels"
        ) from None
    except DuplicateFunnelName:
        raise ApiError(422, "duplicate_name", "funnel name already exists for this website", field="name") from None


# ---------------------------------------------------------------------------------------
# Body checks (422 with the original's messages; see the module docstring)
# ---------------------------------------------------------------------------------------


def _name(raw: str) -> str:
    return _text(raw, "name", MAX_NAME_CHARS)


def _steps(steps: list[StepBody]) -> list[NewStep]:
    if not MIN_STEPS <= len(steps) <= MAX_STEPS:
        raise unprocessable(f"funnels must have between {MIN_STEPS} and {MAX_STEPS} steps", field="steps")
    out = []
    for step in steps:
        match_value = _text(step.match_value, "match_value", MAX_MATCH_VALUE_CHARS)
        label = _text(step.label, "label", MAX_LABEL_CHARS) if step.label is not None else match_value
        out.append(NewStep(step.step_type, match_value, step.match_operator or "equals", label))
    return out


def _text(raw: str, field: str, max_chars: int) -> str:
    value = raw.strip()
    if not value:
        raise unprocessable(f"{field} must not be empty", field=field)
    if len(value) > max_chars:
        raise unprocessable(f"{field} must be {max_chars} characters or fewer", field=field)
    return value
