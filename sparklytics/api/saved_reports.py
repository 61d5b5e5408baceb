"""Saved reports (API.md §1.13): CRUD under ``/api/websites/{id}/reports``, preview and run.

The website is checked first (404 ``Website not found``), then the body, then the
report (404 ``Report not found``, scoped to the website in the path). A config that
breaks a rule is a 400 ``validation_error`` naming the field; name and description
problems, the 100-report limit and duplicate names are 422 (Decision 11). ``DELETE`` of
a missing report is 404 (Decision 11) and takes the report's subscriptions with it.

Preview and run go through :func:`sparklytics.report_runner.run_report`, the path every
delivery takes too; run also sets ``last_run_at``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from quart import Blueprint, Response, current_app, jsonify

from sparklytics.api.errors import ApiError, bad_request, not_found, unprocessable
from sparklytics.api.reports import website_context
from sparklytics.api.requests import parse_json_body
from sparklytics.clock import rfc3339, utc_now
from sparklytics.report_runner import run_report
from sparklytics.saved_reports import (
    MAX_REPORTS_PER_WEBSITE,
    DuplicateReportName,
    InvalidConfig,
    InvalidReport,
    ReportLimitReached,
    SavedReport,
    check_description,
    check_name,
    parse_config,
)
from sparklytics.stores.metadata import ReportContext
from sparklytics.openapi import operation
from sparklytics.openapi.responses import Data
from sparklytics.openapi.bodies import SavedReportBody, SavedReportConfig, SavedReportUpdate

saved_reports_bp = Blueprint("saved_reports", __name__, url_prefix="/api/websites/<website_id>")

MAX_BODY_BYTES = 32 * 1024
_CREATE_FIELDS = {"name", "description", "config"}


def _services():
    return current_app.config["SERVICES"]


@saved_reports_bp.route("/reports", methods=["GET"])
@operation("List saved reports", tag="Saved reports")
async def list_reports(website_id: str) -> Response:
    await website_context(website_id)
    reports = await _services().metadata.list_reports(website_id)
    return jsonify({"data": [report.summary() for report in reports]})


@saved_reports_bp.route("/reports", methods=["POST"])
@operation("Save a report", tag="Saved reports", ok=201, body=SavedReportBody, response=Data[SavedReport], errors=[(422, "limit_exceeded"), (422, "duplicate_name")])
async def create_report(website_id: str) -> tuple[Response, int]:
    await website_context(website_id)
    body = await _object_body()
    _refuse_unknown(body)
    if "config" not in body:
        raise bad_request("config is required", field="config")
    with _refusals():
        name, description = check_name(body.get("name")), check_description(body.get("description"))
        config = parse_config(body["config"])
        report = await _services().metadata.create_report(website_id, name, description, config)
    if report is None:
        raise not_found("Website not found")
    return jsonify({"data": report.as_json()}), 201


@saved_reports_bp.route("/reports/preview", methods=["POST"])
@operation("Run a report config without saving it", tag="Saved reports", body=SavedReportConfig, errors=[(503, "query_timeout")])
async def preview_report(website_id: str) -> Response:
    context = await website_context(website_id)
    body = await _object_body()
    with _refusals():
        config = parse_config(body)
    return jsonify({"data": await _run(context, None, config)})


@saved_reports_bp.route("/reports/<report_id>", methods=["GET"])
@operation("Get a saved report", tag="Saved reports", response=Data[SavedReport])
async def get_report(website_id: str, report_id: str) -> Response:
    await website_context(website_id)
    report = await _services().metadata.get_report(website_id, report_id)
    if report is None:
        raise not_found("Report not found")
    return jsonify({"data": report.as_json()})


@saved_reports_bp.route("/reports/<report_id>", methods=["PUT"])
@operation("Update a saved report", tag="Saved reports", body=SavedReportUpdate, response=Data[SavedReport], errors=[(422, "duplicate_name")])
async def update_report(website_id: str, report_id: str) -> Response:
    await website_context(website_id)
    body = await _object_body()
    _refuse_unknown(body)
    if not body:
        raise bad_request("request must include at least one updatable field")
    changes: dict[str, Any] = {}
    with _refusals():
        if "name" in body:
            changes["name"] = check_name(body["name"])
        if "description" in body:
            changes["description"] = check_description(body["description"])
        if "config" in body:
            changes["config"] = parse_config(body["config"])
        report = await _services().metadata.update_report(website_id, report_id, changes)
    if report is None:
        raise not_found("Report not found")
    return jsonify({"data": report.as_json()})


@saved_reports_bp.route("/reports/<report_id>", methods=["DELETE"])
@operation("Delete a saved report", tag="Saved reports", ok=204)
async def delete_report(website_id: str, report_id: str) -> Response:
    await website_context(website_id)
    if not await _services().metadata.delete_report(website_id, report_id):
        raise not_found("Report not found")
    return Response("", status=204)


@saved_reports_bp.route("/reports/<report_id>/run", methods=["POST"])
@operation("Run a saved report", tag="Saved reports", errors=[(400, "validation_error"), (503, "query_timeout")])
async def run_saved_report(website_id: str, report_id: str) -> Response:
    services = _services()
    context = await website_context(website_id)
    report = await services.metadata.get_report(website_id, report_id)
    if report is None:
        raise not_found("Report not found")
    result = await _run(context, report.id, report.config)
    await services.metadata.mark_report_run(website_id, report.id, utc_now())
    return jsonify({"data": result})


async def _run(context: ReportContext, report_id: str | None, config: dict[str, Any]) -> dict[str, Any]:
    now = utc_now()
    data = await run_report(_services().analytics, context, config, now=now)
    return {"report_id": report_id, "config": config, "ran_at": rfc3339(now), "data": data}


async def _object_body() -> dict[str, Any]:
    body = await parse_json_body(MAX_BODY_BYTES)
    if not isinstance(body, dict):
        raise unprocessable("request body must be a JSON object")
    return body


def _refuse_unknown(body: dict[str, Any]) -> None:
    unknown = sorted(set(body) - _CREATE_FIELDS)
    if unknown:
        raise unprocessable(f"{unknown[0]}: Extra inputs are not permitted", field=unknown[0])


@contextmanager
def _refusals() -> Iterator[None]:
    """``with _refusals():`` turns the domain's refusals into the contract's 400/422s."""
    try:
        yield
    except InvalidConfig as invalid:
        raise bad_request(invalid.message, field=invalid.field) from None
    except InvalidReport as invalid:
        raise unprocessable(invalid.message, field=invalid.field) from None
    except ReportLimitReached:
        raise ApiError(
            422, "limit_exceeded", f"maximum of {MAX_REPORTS_PER_WEBSITE} reports per website reached", field="reports"
        ) from None
    except DuplicateReportName:
        raise ApiError(422, "duplicate_name", "report name already exists for this website", field="name") from None
