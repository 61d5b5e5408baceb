"""Goals (API.md §1.8): CRUD under ``/api/websites/{id}/goals``, goal stats, the
conversions panel, attribution and the revenue summary.

The website is checked first (404 ``Website not found``), then the body or the query,
then the goal (404 ``Goal not found``). Bodies are pydantic models (unknown fields and
wrong types are 422); the rules of the fields (:func:`sparklytics.goals.apply_changes`),
the 50-goal limit and unique names are checked inside the write and answer 422 with the
field at fault. ``DELETE`` of a missing goal is 404 (Decision 11).

``GET …/goals/conversions`` is ours (the overview's Goal conversions panel): every goal
of the website in one scan, with the previous (or compared) period.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict
from quart import Blueprint, Response, current_app, jsonify, request

from sparklytics.api.errors import ApiError, bad_request, not_found, unprocessable
from sparklytics.api.reports import build_query, website_context
from sparklytics.api.requests import parse_json_body
from sparklytics.api.validation import parse_model
from sparklytics.goals import MAX_GOALS_PER_WEBSITE, DuplicateGoalName, Goal, GoalLimitReached, InvalidGoal
from sparklytics.queries.goals import parse_attribution_options
from sparklytics.openapi import Query, operation
from sparklytics.openapi.responses import Data, DataList
from sparklytics.queries.goals import ATTRIBUTION_MODELS, DEFAULT_MODEL

goals_bp = Blueprint("goals", __name__, url_prefix="/api/websites/<website_id>")

MAX_BODY_BYTES = 16 * 1024


class CreateGoal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    goal_type: Literal["page_view", "event"]
    match_value: str
    match_operator: Literal["equals", "contains"] = "equals"
    value_mode: Literal["none", "fixed", "event_property"] = "none"
    fixed_value: float | None = None
    value_property_key: str | None = None
    currency: str = "USD"


class UpdateGoal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    match_value: str | None = None
    match_operator: Literal["equals", "contains"] | None = None
    value_mode: Literal["none", "fixed", "event_property"] | None = None
    fixed_value: float | None = None
    value_property_key: str | None = None
    currency: str | None = None


def _services():
    return current_app.config["SERVICES"]


_ATTRIBUTION_QUERY = (
    Query("goal_id", "the goal whose conversions are attributed", required=True),
    Query("model", "which touch of the visit gets the credit", {"type": "string", "enum": list(ATTRIBUTION_MODELS), "default": DEFAULT_MODEL}),
)


@goals_bp.route("/goals", methods=["GET"])
@operation("List goals", tag="Goals", response=DataList[Goal])
async def list_goals(website_id: str) -> Response:
    await website_context(website_id)
    goals = await _services().metadata.list_goals(website_id)
    return jsonify({"data": [goal.as_json() for goal in goals]})


@goals_bp.route("/goals", methods=["POST"])
@operation("Create a goal", tag="Goals", ok=201, body=CreateGoal, response=Data[Goal], errors=[(422, "limit_exceeded"), (422, "duplicate_name")])
async def create_goal(website_id: str) -> tuple[Response, int]:
    await website_context(website_id)
    body = parse_model(CreateGoal, await parse_json_body(MAX_BODY_BYTES))
    goal = await _write(_services().metadata.create_goal(website_id, body.model_dump()))
    if goal is None:
        raise not_found("Website not found")
    return jsonify({"data": goal.as_json()}), 201


@goals_bp.route("/goals/<goal_id>", methods=["PUT"])
@operation("Update a goal", tag="Goals", body=UpdateGoal, response=Data[Goal], errors=[(422, "duplicate_name")])
async def update_goal(website_id: str, goal_id: str) -> Response:
    await website_context(website_id)
    body = parse_model(UpdateGoal, await parse_json_body(MAX_BODY_BYTES))
    changes = body.model_dump(exclude_unset=True)
    for field in ("name", "match_value", "match_operator", "value_mode", "currency"):
        if field in changes and changes[field] is None:
            raise unprocessable(f"{field} must not be null", field=field)
    if not changes:
        raise bad_request("request must include at least one updatable field")
    goal = await _write(_services().metadata.update_goal(website_id, goal_id, changes))
    if goal is None:
        raise not_found("Goal not found")
    return jsonify({"data": goal.as_json()})


@goals_bp.route("/goals/<goal_id>", methods=["DELETE"])
@operation("Delete a goal", tag="Goals", ok=204)
async def delete_goal(website_id: str, goal_id: str) -> Response:
    await website_context(website_id)
    if not await _services().metadata.delete_goal(website_id, goal_id):
        raise not_found("Goal not found")
    return Response("", status=204)


@goals_bp.route("/goals/<goal_id>/stats", methods=["GET"])
@operation("A goal's conversions", tag="Goals", report="goal_stats")
async def goal_stats(website_id: str, goal_id: str) -> Response:
    services = _services()
    query = await build_query("goal_stats", await website_context(website_id))
    goal = await _goal(website_id, goal_id)
    result = await services.analytics.goal_stats(query, goal)
    return jsonify(result.body())


@goals_bp.route("/goals/conversions", methods=["GET"])
@operation("Conversions of every goal", tag="Goals", report="goal_conversions")
async def goal_conversions(website_id: str) -> Response:
    services = _services()
    query = await build_query("goal_conversions", await website_context(website_id))
    goals = await services.metadata.list_goals(website_id)
    result = await services.analytics.goal_conversions(query, goals)
    return jsonify(result.body())


@goals_bp.route("/attribution", methods=["GET"])
@operation("Channels that earn a goal's conversions", tag="Goals", report="attribution", query=_ATTRIBUTION_QUERY)
async def attribution(website_id: str) -> Response:
    return jsonify(await _attribution_report("attribution", website_id))


@goals_bp.route("/revenue/summary", methods=["GET"])
@operation("A goal's revenue", tag="Goals", report="revenue_summary", query=_ATTRIBUTION_QUERY)
async def revenue_summary(website_id: str) -> Response:
    return jsonify(await _attribution_report("revenue_summary", website_id))


async def _attribution_report(route: str, website_id: str) -> dict:
    """The body of an attribution route: website (404), options and query (400), goal (404)."""
    services = _services()
    context = await website_context(website_id)
    options = parse_attribution_options(request.args.to_dict())
    query = await build_query(route, context)
    goal = await _goal(website_id, options.goal_id)
    report = services.analytics.attribution if route == "attribution" else services.analytics.revenue_summary
    return (await report(query, goal, options)).body()


async def _goal(website_id: str, goal_id: str) -> Goal:
    goal = await _services().metadata.get_goal(website_id, goal_id)
    if goal is None:
        raise not_found("Goal not found")
    return goal


async def _write(change):
    """Await a goal write, turning its refusals into 422s."""
    try:
        return await change
    except InvalidGoal as invalid:
        raise unprocessable(invalid.message, field=invalid.field) from None
    except GoalLimitReached:
        raise ApiError(
            422, "limit_exceeded", f"maximum of {MAX_GOALS_PER_WEBSITE} goals per website reached", field="goals"
        ) from None
    except DuplicateGoalName:
        raise ApiError(422, "duplicate_name", "goal name already exists for this website", field="name") from None
