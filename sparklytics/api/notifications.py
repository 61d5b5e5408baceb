"""Report subscriptions, alerts, "send test" and the delivery history (API.md §1.14).

The website is checked first (404 ``Website not found``), then the body: its shape by
pydantic (an unknown field, a wrong type or a missing required field is 422), its rules
by :mod:`sparklytics.notifications.rules` (400 ``validation_error`` with the field:
``invalid email target``, ``webhook target host is not allowed``, …), then the object
(404 ``Subscription not found`` / ``Alert not found`` / ``Report not found``).

The first webhook target of a website creates the secret its webhooks are signed
with; that create's answer carries it as ``webhook_secret``, and nothing shows it again.

"Send test" runs now, inside the request, and answers the delivery: 200 whether it was
sent or failed (the reason is in ``error_message``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, StrictBool
from quart import Blueprint, Response, current_app, jsonify, request

from sparklytics.api.errors import ApiError, bad_request, not_found
from sparklytics.api.reports import website_context
from sparklytics.api.requests import parse_json_body
from sparklytics.api.validation import parse_model
from sparklytics.clock import utc_now
from sparklytics.notifications.rules import (
    MAX_ALERTS_PER_WEBSITE,
    MAX_SUBSCRIPTIONS_PER_WEBSITE,
    Alert,
    Delivery,
    InvalidNotification,
    MissingReport,
    NotificationLimitReached,
    Subscription,
    history_limit,
)
from sparklytics.openapi import Query, operation
from sparklytics.openapi.responses import Data, DataList

notifications_bp = Blueprint("notifications", __name__, url_prefix="/api/websites/<website_id>")

MAX_BODY_BYTES = 16 * 1024


class CreateSubscription(BaseModel):
    model_config = ConfigDict(extra="forbid")
    report_id: str
    schedule: str
    timezone: str | None = None
    channel: str
    target: str


class UpdateSubscription(BaseModel):
    model_config = ConfigDict(extra="forbid")
    report_id: str | None = None
    schedule: str | None = None
    timezone: str | None = None
    channel: str | None = None
    target: str | None = None
    is_active: StrictBool | None = None


class CreateAlert(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    metric: str
    condition_type: str
    threshold_value: float
    lookback_days: int | None = None
    channel: str
    target: str


class UpdateAlert(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    metric: str | None = None
    condition_type: str | None = None
    threshold_value: float | None = None
    lookback_days: int | None = None
    channel: str | None = None
    target: str | None = None
    is_active: StrictBool | None = None


def _services():
    return current_app.config["SERVICES"]


# --- subscriptions ------------------------------------------------------------------------


@notifications_bp.route("/subscriptions", methods=["GET"])
@operation("List report subscriptions", tag="Notifications", response=DataList[Subscription])
async def list_subscriptions(website_id: str) -> Response:
    await website_context(website_id)
    subscriptions = await _services().metadata.list_subscriptions(website_id)
    return jsonify({"data": [s.as_json() for s in subscriptions]})


@notifications_bp.route("/subscriptions", methods=["POST"])
@operation("Subscribe to a saved report", tag="Notifications", ok=201, body=CreateSubscription, errors=[(422, "limit_exceeded")])
async def create_subscription(website_id: str) -> tuple[Response, int]:
    await website_context(website_id)
    body = parse_model(CreateSubscription, await parse_json_body(MAX_BODY_BYTES)).model_dump()
    created = await _write(_services().metadata.create_subscription(website_id, body, utc_now()))
    if created is None:
        raise not_found("Website not found")
    return jsonify({"data": _with_secret(*created)}), 201


@notifications_bp.route("/subscriptions/<subscription_id>", methods=["PUT"])
@operation("Update a subscription", tag="Notifications", body=UpdateSubscription)
async def update_subscription(website_id: str, subscription_id: str) -> Response:
    await website_context(website_id)
    changes = _changes(parse_model(UpdateSubscription, await parse_json_body(MAX_BODY_BYTES)), nullable={"timezone", "target"})
    updated = await _write(_services().metadata.update_subscription(website_id, subscription_id, changes, utc_now()))
    if updated is None:
        raise not_found("Subscription not found")
    return jsonify({"data": _with_secret(*updated)})


@notifications_bp.route("/subscriptions/<subscription_id>", methods=["DELETE"])
@operation("Delete a subscription", tag="Notifications", ok=204)
async def delete_subscription(website_id: str, subscription_id: str) -> Response:
    await website_context(website_id)
    if not await _services().metadata.delete_subscription(website_id, subscription_id):
        raise not_found("Subscription not found")
    return Response("", status=204)


@notifications_bp.route("/subscriptions/<subscription_id>/test", methods=["POST"])
@operation("Deliver a subscription now", tag="Notifications", response=Data[Delivery])
async def test_subscription(website_id: str, subscription_id: str) -> Response:
    services = _services()
    await website_context(website_id)
    subscription = await services.metadata.get_subscription(website_id, subscription_id)
    if subscription is None:
        raise not_found("Subscription not found")
    delivery = await services.notifier.test_subscription(subscription)
    return jsonify({"data": delivery.as_json()})


# --- alerts -------------------------------------------------------------------------------


@notifications_bp.route("/alerts", methods=["GET"])
@operation("List alerts", tag="Notifications", response=DataList[Alert])
async def list_alerts(website_id: str) -> Response:
    await website_context(website_id)
    alerts = await _services().metadata.list_alerts(website_id)
    return jsonify({"data": [a.as_json() for a in alerts]})


@notifications_bp.route("/alerts", methods=["POST"])
@operation("Create an alert", tag="Notifications", ok=201, body=CreateAlert, errors=[(422, "limit_exceeded")])
async def create_alert(website_id: str) -> tuple[Response, int]:
    await website_context(website_id)
    body = parse_model(CreateAlert, await parse_json_body(MAX_BODY_BYTES)).model_dump()
    created = await _write(_services().metadata.create_alert(website_id, body, utc_now()))
    if created is None:
        raise not_found("Website not found")
    return jsonify({"data": _with_secret(*created)}), 201


@notifications_bp.route("/alerts/<alert_id>", methods=["PUT"])
@operation("Update an alert", tag="Notifications", body=UpdateAlert)
async def update_alert(website_id: str, alert_id: str) -> Response:
    await website_context(website_id)
    changes = _changes(parse_model(UpdateAlert, await parse_json_body(MAX_BODY_BYTES)), nullable={"lookback_days"})
    updated = await _write(_services().metadata.update_alert(website_id, alert_id, changes))
    if updated is None:
        raise not_found("Alert not found")
    return jsonify({"data": _with_secret(*updated)})


@notifications_bp.route("/alerts/<alert_id>", methods=["DELETE"])
@operation("Delete an alert", tag="Notifications", ok=204)
async def delete_alert(website_id: str, alert_id: str) -> Response:
    await website_context(website_id)
    if not await _services().metadata.delete_alert(website_id, alert_id):
        raise not_found("Alert not found")
    return Response("", status=204)


@notifications_bp.route("/alerts/<alert_id>/test", methods=["POST"])
@operation("Deliver a test alert now", tag="Notifications", response=Data[Delivery])
async def test_alert(website_id: str, alert_id: str) -> Response:
    services = _services()
    await website_context(website_id)
    alert = await services.metadata.get_alert(website_id, alert_id)
    if alert is None:
        raise not_found("Alert not found")
    delivery = await services.notifier.test_alert(alert)
    return jsonify({"data": delivery.as_json()})


# --- history ------------------------------------------------------------------------------


@notifications_bp.route("/notifications/history", methods=["GET"])
@operation("Delivery history", tag="Notifications", response=DataList[Delivery], query=(Query("limit", "deliveries to list", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}),), errors=[(400, "validation_error")])
async def history(website_id: str) -> Response:
    await website_context(website_id)
    try:
        limit = history_limit(request.args.get("limit"))
    except InvalidNotification as invalid:
        raise bad_request(invalid.message, field=invalid.field) from None
    deliveries = await _services().metadata.delivery_history(website_id, limit)
    return jsonify({"data": [d.as_json() for d in deliveries]})


def _changes(body: BaseModel, *, nullable: set[str]) -> dict[str, Any]:
    """The fields a ``PUT`` sent; ``null`` is refused except where it means "default"."""
    changes = body.model_dump(exclude_unset=True)
    for key, value in changes.items():
        if value is None and key not in nullable:
            raise bad_request(f"{key} must not be null", field=key)
    if not changes:
        raise bad_request("request must include at least one updatable field")
    return changes


def _with_secret(obj: Any, secret: str | None) -> dict[str, Any]:
    body = obj.as_json()
    if secret is not None:
        body["webhook_secret"] = secret
    return body


async def _write(change):
    """Await a notification write, turning its refusals into the contract's 4xx."""
    try:
        return await change
    except InvalidNotification as invalid:
        raise bad_request(invalid.message, field=invalid.field) from None
    except MissingReport:
        raise not_found("Report not found") from None
    except NotificationLimitReached as limit:
        kind = str(limit)
        most = MAX_SUBSCRIPTIONS_PER_WEBSITE if kind == "subscriptions" else MAX_ALERTS_PER_WEBSITE
        raise ApiError(422, "limit_exceeded", f"maximum of {most} {kind} per website reached", field=kind) from None
