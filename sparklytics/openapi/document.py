"""Builds the OpenAPI 3.1 document of a running app from its route table.

Sources, one each:

* **routes**: the app's ``url_map`` (Quart) and the ``OPERATIONS`` of each raw-ASGI
  endpoint in front of Quart (``sparklytics.app.RAW_ENDPOINTS``);
* **what a route takes and answers**: its :class:`~sparklytics.openapi.declare.Operation`
  (``@operation`` on the view);
* **analytics parameters**: the parser's route policy (:mod:`.parameters`);
* **security**: :func:`sparklytics.auth.guards.access_for` and the auth mode;
* **schemas**: the pydantic models the handlers validate with and :mod:`.responses`.

A route without a declaration still appears (so the document never lies by omission),
marked ``x-undeclared: true``; ``tests/test_openapi.py`` fails on it and says which.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from sparklytics import __version__
from sparklytics.auth.guards import Access, access_for
from sparklytics.openapi.declare import OPERATION_ATTRIBUTE, Operation
from sparklytics.openapi.parameters import report_parameters
from sparklytics.openapi.responses import Data, ErrorBody

__all__ = ["ERROR_CODES_KEY", "Route", "build_document", "declared_routes", "error_codes", "openapi_path"]

ERROR_CODES_KEY = "x-error-codes"
# Quart adds /static/<path:filename> for a package "static" folder; we have none.
FRAMEWORK_ENDPOINTS = frozenset({"static"})
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
_RULE_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_REF = "#/components/schemas/{model}"
# Each model's ``$ref``, by model and mode (validation for bodies, serialization for answers).
Refs = Mapping[tuple[type[BaseModel], str], dict[str, Any]]

SECURITY_SCHEMES = {
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "spk_session",
        "description": "the dashboard's session cookie, from `POST /api/auth/login`",
    },
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "an API key from `POST /api/auth/keys`: `Authorization: Bearer spk_selfhosted_…`",
    },
}

BODY_ERRORS = ((400, "invalid_json"), (400, "validation_error"), (413, "payload_too_large"), (415, "unsupported_media_type"), (422, "validation_error"))
REPORT_ERRORS = ((400, "validation_error"), (503, "query_timeout"))
AUTH_ERRORS = {
    Access.PROTECTED: ((401, "unauthorized"), (403, "setup_required"), (403, "password_change_required")),
    Access.COOKIE: ((401, "unauthorized"), (403, "setup_required"), (403, "password_change_required"), (403, "forbidden")),
    Access.COOKIE_ROTATING: ((401, "unauthorized"), (403, "setup_required"), (403, "forbidden")),
}


@dataclass(frozen=True, slots=True)
class Route:
    """One method of one path, with its declaration (``None``: undeclared) and access."""

    method: str
    path: str
    endpoint: str
    operation: Operation | None
    access: Access

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"\{([^{}]+)\}", self.path)


def openapi_path(rule: str) -> str:
    """``/api/websites/<website_id>`` → ``/api/websites/{website_id}``."""
    return _RULE_ARGUMENT.sub(r"{\1}", rule)


def declared_routes(app: Any, raw_endpoints: Iterable[Any]) -> list[Route]:
    """Every route the app serves: the raw-ASGI endpoints' first, then the url_map's."""
    routes = []
    for endpoint in raw_endpoints:
        # An endpoint without OPERATIONS is missing from the document, not a 500 of it;
        # tests/test_openapi.py names it.
        for (method, path), declared in getattr(endpoint, "OPERATIONS", {}).items():
            routes.append(Route(method, path, endpoint.__name__, declared, Access.PUBLIC))
    for rule in app.url_map.iter_rules():
        if rule.endpoint in FRAMEWORK_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        declared = getattr(view, OPERATION_ATTRIBUTE, None)
        path = openapi_path(rule.rule)
        for method in sorted(rule.methods - IGNORED_METHODS):
            routes.append(Route(method, path, rule.endpoint, declared, access_for(rule.rule, view)))
    return routes


def build_document(app: Any, raw_endpoints: Iterable[Any], *, auth_mode: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``app`` (as JSON-ready dicts)."""
    routes = declared_routes(app, raw_endpoints)
    schemas, refs = _schemas(routes)
    secured = auth_mode != "none"
    paths: dict[str, dict[str, Any]] = {}
    used_ids: set[str] = set()
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, secured, used_ids, refs)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Sparklytics HTTP API",
            "version": __version__,
            "summary": "Self-hosted, privacy-first web analytics.",
            "description": (
                "Generated from the server's route table. Every error answers the envelope "
                "`{\"error\": {\"code\", \"message\", \"field\"}}`; the codes each operation can "
                f"answer are listed under `{ERROR_CODES_KEY}` of each response. "
                f"This server runs in `SPARKLYTICS_AUTH={auth_mode}` mode. Prose reference: docs/api.md."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "tags": [{"name": tag} for tag in sorted({r.operation.tag for r in routes if r.operation})],
        "paths": paths,
        "components": {"schemas": schemas},
    }
    if secured:
        document["components"]["securitySchemes"] = SECURITY_SCHEMES
    return document


def _schemas(routes: list[Route]) -> tuple[dict[str, Any], Refs]:
    """The component schemas of every model the routes name, and each model's ``$ref``
    (keyed by model and mode: a body is read in validation mode, an answer written in
    serialization mode)."""
    models: dict[tuple[type[BaseModel], str], None] = {(ErrorBody, "serialization"): None, (Data[Any], "serialization"): None}
    for route in routes:
        if route.operation is None:
            continue
        if route.operation.body is not None:
            models[(route.operation.body, "validation")] = None
        if route.operation.response is not None:
            models[(route.operation.response, "serialization")] = None
    refs, top = models_json_schema(list(models), ref_template=_REF)
    return dict(sorted(top.get("$defs", {}).items())), refs


def _operation(route: Route, secured: bool, used_ids: set[str], refs: Refs) -> dict[str, Any]:
    declared = route.operation
    name = (declared and declared.name) or route.endpoint.rsplit(".", 1)[-1]
    # One view may serve several rules (the dashboard's "/" and "/{path}"): the later
    # ones are told apart by their path parameters.
    operation_id = name if name not in used_ids else "_".join([name, "by", *route.path_params] if route.path_params else [name, route.method.lower()])
    used_ids.add(operation_id)
    if declared is None:
        return {
            "operationId": operation_id,
            "summary": "Undeclared route",
            "x-undeclared": True,
            "parameters": [_path_param(name, {}) for name in route.path_params],
            "responses": {"default": {"description": "not declared: add @operation to the view"}},
        }
    op: dict[str, Any] = {"operationId": operation_id, "summary": declared.summary, "tags": [declared.tag]}
    if declared.description:
        op["description"] = declared.description
    parameters = [_path_param(name, declared.path_enums) for name in route.path_params]
    parameters += _query_params(declared)
    if parameters:
        op["parameters"] = parameters
    if declared.body is not None:
        op["requestBody"] = _request_body(declared, refs)
    op["responses"] = _responses(route, declared, secured, refs)
    if secured and route.access is not Access.PUBLIC:
        schemes = [{"session": []}]
        if route.access is Access.PROTECTED:
            schemes.append({"apiKey": []})
        op["security"] = schemes
    else:
        op["security"] = []
    return op


def _path_param(name: str, enums: Mapping[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if name in enums:
        schema["enum"] = list(enums[name])
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query_params(declared: Operation) -> list[dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for report in declared.reports:
        for param in report_parameters(report):
            merged.setdefault(param["name"], param)
    for query in declared.query:
        merged[query.name] = {
            "name": query.name,
            "in": "query",
            "required": query.required,
            "description": query.description,
            "schema": query.schema,
        }
    return list(merged.values())


def _request_body(declared: Operation, refs: Refs) -> dict[str, Any]:
    assert declared.body is not None
    schema: dict[str, Any] = dict(refs[(declared.body, "validation")])
    if declared.body_is_batch:
        schema = {"oneOf": [schema, {"type": "array", "items": schema, "minItems": 1, "maxItems": 50}]}
    return {"required": True, "content": {media: {"schema": schema} for media in declared.body_types}}


def error_codes(route: Route, secured: bool) -> dict[int, list[str]]:
    """``{status: [codes]}`` this route can answer with the error envelope."""
    declared = route.operation
    found: set[tuple[int, str]] = {(405, "method_not_allowed")}
    if route.path_params:
        found.add((404, "not_found"))
    if secured:
        found.update(AUTH_ERRORS.get(route.access, ()))
    if declared is not None:
        if declared.body is not None:
            found.update(BODY_ERRORS)
        if declared.reports:
            found.update(REPORT_ERRORS)
        found.update(declared.errors)
    grouped: dict[int, list[str]] = {}
    for status, code in sorted(found):
        grouped.setdefault(status, []).append(code)
    return grouped


def _responses(route: Route, declared: Operation, secured: bool, refs: Refs) -> dict[str, Any]:
    success: dict[str, Any] = {"description": "success"}
    if declared.ok != 204:
        if declared.media_type == "application/json":
            success["content"] = {"application/json": {"schema": dict(refs[(declared.response or Data[Any], "serialization")])}}
        else:
            success["content"] = {declared.media_type: {"schema": {"type": "string"}}}
    if declared.headers:
        success["headers"] = {name: {"description": text, "schema": {"type": "string"}} for name, text in declared.headers.items()}
    responses: dict[str, Any] = {str(declared.ok): success}
    for status, text in declared.other_answers.items():
        responses[str(status)] = {**success, "description": text}
    for status, codes in error_codes(route, secured).items():
        responses[str(status)] = {
            "description": "error: " + ", ".join(f"`{code}`" for code in codes),
            "content": {"application/json": {"schema": dict(refs[(ErrorBody, "serialization")])}},
            ERROR_CODES_KEY: codes,
        }
    return responses
