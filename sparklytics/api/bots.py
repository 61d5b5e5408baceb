"""Bot controls (API.md §1.12): the policy, the allow- and blocklist, the audit trail, and
the bot summary and report.

The website is checked first (404 ``Website not found``). Every change writes its audit
entry in the same transaction and then tells the Enricher to forget the website, so the
next event is scored by the new policy and lists (not after a cache TTL). Bad input is
400 with the field at fault (§1.12 has no 422s): a policy outside ``strict|balanced|off``
or 0..100, an entry that breaks :mod:`sparklytics.bot_controls`'s rules, a duplicate
entry (``entry already exists``), an invalid cursor.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, current_app, jsonify, request

from actors.enricher import InvalidateWebsite
from actors.runtime import tell
from actors.scheduler import StartRecompute
from sparklytics.api.errors import ApiError, bad_request, not_found
from sparklytics.api.reports import report_query, website_context
from sparklytics.api.requests import parse_json_body
from sparklytics.bot_controls import (
    LISTS,
    DuplicateEntry,
    InvalidBotControl,
    PageCursor,
    RecomputeRunning,
    check_entry,
    check_policy,
)
from sparklytics.queries import parse_report_query, time_bounds
from sparklytics.openapi import Query, operation
from sparklytics.openapi.bodies import BotEntryBody, BotPolicyBody, RecomputeBody
from sparklytics.openapi.responses import RecomputeStarted

bots_bp = Blueprint("bots", __name__, url_prefix="/api/websites/<website_id>/bot")
# ``/bot-summary`` sits beside ``/bot/…`` in the contract, so it has a blueprint of its own.
bot_summary_bp = Blueprint("bot_summary", __name__)

MAX_BODY_BYTES = 8 * 1024
DEFAULT_LIMIT, MAX_LIMIT = 50, 200


_PAGE_QUERY = (
    Query("limit", "entries per page (clamped into range)", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
    Query("cursor", "the `next_cursor` of the previous page"),
)


def _services():
    return current_app.config["SERVICES"]


@bots_bp.route("/policy", methods=["GET"])
@operation("The bot policy", tag="Bot controls")
async def get_policy(website_id: str) -> Response:
    await website_context(website_id)
    return jsonify({"data": await _services().metadata.get_bot_policy(website_id)})


@bots_bp.route("/policy", methods=["PUT"])
@operation("Set the bot policy", tag="Bot controls", body=BotPolicyBody)
async def put_policy(website_id: str) -> Response:
    await website_context(website_id)
    body = await _object_body()
    for field in ("mode", "threshold_score"):
        if field not in body:
            raise bad_request(f"{field} is required", field=field)
    mode, threshold = _checked(check_policy, body["mode"], body["threshold_score"])
    policy = await _services().metadata.set_bot_policy(website_id, mode, threshold)
    if policy is None:
        raise not_found("Website not found")
    await _forget(website_id)
    return jsonify({"data": policy})


@bots_bp.route("/<kind>", methods=["GET"])
@operation("List the allow- or blocklist", tag="Bot controls", query=_PAGE_QUERY, path_enums={"kind": LISTS}, errors=[(400, "validation_error")])
async def list_entries(website_id: str, kind: str) -> Response:
    _check_list(kind)
    await website_context(website_id)
    after, limit = _page_params()
    rows, following = await _services().metadata.list_bot_entries(website_id, kind, after=after, limit=limit)
    return jsonify({"data": rows, "next_cursor": following.encode() if following else None})


@bots_bp.route("/<kind>", methods=["POST"])
@operation("Add an allow- or blocklist entry", tag="Bot controls", ok=201, body=BotEntryBody, path_enums={"kind": LISTS})
async def add_entry(website_id: str, kind: str) -> tuple[Response, int]:
    _check_list(kind)
    await website_context(website_id)
    body = await _object_body()
    entry = _checked(check_entry, body.get("match_type"), body.get("match_value"), body.get("note"))
    try:
        added = await _services().metadata.add_bot_entry(website_id, kind, entry)
    except DuplicateEntry:
        raise bad_request("entry already exists", field="match_value") from None
    if added is None:
        raise not_found("Website not found")
    await _forget(website_id)
    return jsonify({"data": added}), 201


@bots_bp.route("/<kind>/<entry_id>", methods=["DELETE"])
@operation("Remove an allow- or blocklist entry", tag="Bot controls", ok=204, path_enums={"kind": LISTS})
async def remove_entry(website_id: str, kind: str, entry_id: str) -> Response:
    _check_list(kind)
    await website_context(website_id)
    if not await _services().metadata.remove_bot_entry(website_id, kind, entry_id):
        raise not_found(f"{kind} entry not found")
    await _forget(website_id)
    return Response("", status=204)


@bots_bp.route("/report", methods=["GET"])
@operation("Bots and humans over time", tag="Bot controls", report="bot_report")
async def report(website_id: str) -> Response:
    result = await _services().analytics.bot_report(await report_query("bot_report", website_id))
    return jsonify(result.body())


@bots_bp.route("/recompute", methods=["POST"])
@operation("Re-classify past events with the current rules", tag="Bot controls", ok=202, body=RecomputeBody, response=RecomputeStarted, errors=[(409, "conflict")])
async def start_recompute(website_id: str) -> tuple[Response, int]:
    services = _services()
    context = await website_context(website_id)
    body = await _object_body() if await request.get_data(cache=True) else {}
    dates = {name: body[name] for name in ("start_date", "end_date") if body.get(name) is not None}
    for name, value in dates.items():
        if not isinstance(value, str):
            raise bad_request(f"invalid {name} (expected YYYY-MM-DD)", field=name)
    query = parse_report_query(dates, route="bot_recompute", website_id=website_id, website_timezone=context[1])
    start, end = time_bounds(query)
    split = (await services.analytics.bot_summary(query)).data
    try:
        job_id = await services.metadata.start_recompute(
            website_id, start, end, split["bot_events"] + split["human_events"]
        )
    except RecomputeRunning:
        raise ApiError(409, "conflict", "recompute already running") from None
    if job_id is None:
        raise not_found("Website not found")
    await tell(services.scheduler.inbox, StartRecompute(job_id, website_id, start, end))
    return jsonify({"job_id": job_id, "status": "queued"}), 202


@bots_bp.route("/recompute/<job_id>", methods=["GET"])
@operation("A recompute job", tag="Bot controls")
async def recompute_job(website_id: str, job_id: str) -> Response:
    await website_context(website_id)
    job = await _services().metadata.get_recompute(website_id, job_id)
    if job is None:
        raise not_found("recompute job not found")
    return jsonify({"data": job})


@bots_bp.route("/audit", methods=["GET"])
@operation("The audit trail of bot controls", tag="Bot controls", query=_PAGE_QUERY, errors=[(400, "validation_error")])
async def audit(website_id: str) -> Response:
    await website_context(website_id)
    after, limit = _page_params()
    rows, following = await _services().metadata.list_bot_audit(website_id, after=after, limit=limit)
    return jsonify({"data": rows, "next_cursor": following.encode() if following else None})


@bot_summary_bp.route("/api/websites/<website_id>/bot-summary", methods=["GET"])
@operation("Bot and human event counts", tag="Bot controls", report="bot_summary")
async def summary(website_id: str) -> Response:
    result = await _services().analytics.bot_summary(await report_query("bot_summary", website_id))
    return jsonify(result.body())


def _check_list(kind: str) -> None:
    if kind not in LISTS:
        raise not_found("Not found")


async def _object_body() -> dict[str, Any]:
    body = await parse_json_body(MAX_BODY_BYTES)
    if not isinstance(body, dict):
        raise bad_request("request body must be a JSON object")
    return body


def _checked(check, *values):
    try:
        return check(*values)
    except InvalidBotControl as invalid:
        raise bad_request(invalid.message, field=invalid.field) from None


def _page_params() -> tuple[PageCursor | None, int]:
    raw_limit = (request.args.get("limit") or "").strip()
    limit = DEFAULT_LIMIT
    if raw_limit:
        try:
            limit = max(1, min(MAX_LIMIT, int(raw_limit)))
        except ValueError:
            raise bad_request("limit must be an integer", field="limit") from None
    raw_cursor = (request.args.get("cursor") or "").strip()
    return (_checked(PageCursor.decode, raw_cursor) if raw_cursor else None), limit


async def _forget(website_id: str) -> None:
    await tell(_services().enricher.inbox, InvalidateWebsite(website_id))

