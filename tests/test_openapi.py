"""``GET /api/openapi.json`` describes the server exactly, and is valid OpenAPI 3.1.

* **Routes**: the document's (method, path) pairs equal the app's — the url_map plus the
  raw-ASGI routes (the same sweep ``tests/test_api_docs.py`` checks docs/api.md with) —
  every route carries an ``@operation`` declaration, and every path parameter of a rule
  is in the document.
* **Behaviour**: a probe sends every operation of a real app (a real DuckDB file, real
  websites, goals, funnels, links, pixels and saved reports) its plain request, each
  query parameter any operation knows with a bad value, a malformed body, a wrong content
  type and a wrong method, unauthenticated too. Every answer's status and error code must
  be documented for that operation, every parameter the server names in a 400 must be
  documented, and every success body must match its documented schema.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate

from sparklytics.api.collect import MAX_BATCH
from sparklytics.app import RAW_ENDPOINTS
from sparklytics.openapi.declare import OPERATION_ATTRIBUTE
from sparklytics.openapi.document import ERROR_CODES_KEY, FRAMEWORK_ENDPOINTS, openapi_path
from tests.api.helpers import BROWSER_HEADERS, create_website, pageview, send
from tests.api.test_fuzz import QUERY_NAMES
from tests.harness import test_config
from tests.test_api_docs import app_routes

METHODS = ("get", "post", "put", "delete", "patch")
BAD_VALUE = "garbage value"
MISSING_ID = "nosuchid0000"
# 400s that refuse a parameter the route does not take, rather than read it (the
# parser checks a `period` value before it says the route takes none).
REFUSALS = ("unknown filter: ", "period is not supported here", "period must be one of")


@pytest.fixture
def config(data_dir):
    return test_config(data_dir, SPARKLYTICS_AUTH="local")


async def fetch_document(client) -> dict[str, Any]:
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    return await response.get_json()


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): op
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


async def test_the_document_is_valid_openapi_3_1(client) -> None:
    document = await fetch_document(client)
    assert document["openapi"] == "3.1.0"
    validate(document)  # openapi-spec-validator: raises with the first problem


async def test_the_document_is_public_in_local_mode_before_setup(client) -> None:
    """No cookie, no key, setup not even done: a client generator can still read it."""
    document = await fetch_document(client)
    assert operations(document)[("GET", "/api/openapi.json")]["security"] == []
    assert set(document["components"]["securitySchemes"]) == {"session", "apiKey"}


async def test_every_route_of_the_app_is_documented_and_nothing_else(app, client) -> None:
    documented = set(operations(await fetch_document(client)))
    served = app_routes(app)
    assert documented == served, {
        "routes the app serves that the document lacks": sorted(served - documented),
        "routes the document names that the app does not serve": sorted(documented - served),
    }


async def test_every_route_carries_its_own_declaration(app) -> None:
    undeclared = sorted(
        f"{sorted(rule.methods - {'HEAD', 'OPTIONS'})} {rule.rule}: decorate view {rule.endpoint!r} with "
        "@operation(...) from sparklytics.openapi (see sparklytics/openapi/declare.py)"
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in FRAMEWORK_ENDPOINTS
        and not hasattr(app.view_functions[rule.endpoint], OPERATION_ATTRIBUTE)
    )
    assert not undeclared, "\n".join(undeclared)
    for endpoint in RAW_ENDPOINTS:
        assert getattr(endpoint, "OPERATIONS", None), (
            f"{endpoint.__name__} (sparklytics.app.RAW_ENDPOINTS) serves routes but declares no "
            "OPERATIONS = {(method, path): Operation(...)}"
        )


async def test_every_path_parameter_of_a_rule_is_documented(app, client) -> None:
    ops = operations(await fetch_document(client))
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in FRAMEWORK_ENDPOINTS:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            op = ops[(method, openapi_path(rule.rule))]
            names = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            missing += [f"{method} {rule.rule}: path parameter {arg}" for arg in rule.arguments - set(rule.defaults or {}) - names]
    assert not missing, missing


async def test_the_analytics_parameters_are_the_parsers(client) -> None:
    """The report routes document every filter of the registry and the parser's limits."""
    from sparklytics.queries.report_query import FILTERS, METRIC_TYPES

    ops = operations(await fetch_document(client))
    stats = {p["name"]: p for p in ops[("GET", "/api/websites/{website_id}/stats")]["parameters"]}
    assert set(FILTERS) <= set(stats) and "filter_goal" in stats
    assert stats["filter_page"]["schema"]["maxLength"] == FILTERS["filter_page"].max_chars
    metrics = {p["name"]: p for p in ops[("GET", "/api/websites/{website_id}/metrics")]["parameters"]}
    assert metrics["type"]["required"] is True and metrics["type"]["schema"]["enum"] == list(METRIC_TYPES)
    assert metrics["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}
    journey = {p["name"]: p for p in ops[("GET", "/api/websites/{website_id}/journey")]["parameters"]}
    assert journey["start_date"]["required"] and "period" not in journey
    collect = ops[("POST", "/api/collect")]["requestBody"]["content"]
    assert set(collect) == {"application/json", "text/plain"}
    assert collect["application/json"]["schema"]["oneOf"][1]["maxItems"] == MAX_BATCH


# ---------------------------------------------------------------------------------------
# The probe: what the server really answers must be in the document.
# ---------------------------------------------------------------------------------------


class Probe:
    """Sends requests to one app and checks each answer against the document."""

    def __init__(self, client, document: dict[str, Any], ids: dict[str, str]) -> None:
        self.client = client
        self.document = document
        self.ops = operations(document)
        self.ids = ids
        self.problems: list[str] = []
        self.seen: dict[tuple[str, str], set[tuple[int, str | None]]] = defaultdict(set)
        self.known_params = sorted(
            {p["name"] for op in self.ops.values() for p in op.get("parameters", []) if p["in"] == "query"} | set(QUERY_NAMES)
        )

    def url(self, path: str, *, real_ids: bool) -> str:
        for name in ("website_id", "goal_id", "funnel_id", "link_id", "pixel_id", "report_id", "share_id", "kind", "report"):
            path = path.replace("{" + name + "}", self.ids[name] if real_ids else MISSING_ID)
        for name in ("subscription_id", "alert_id", "key_id", "job_id", "session_id", "entry_id", "path", "slug", "pixel_key"):
            path = path.replace("{" + name + "}", MISSING_ID)
        return path

    def baseline(self, op: dict[str, Any]) -> dict[str, str]:
        """A value for each required query parameter, so the bad one is the only fault."""
        values = {}
        for param in op.get("parameters", []):
            if param["in"] != "query" or not param["required"]:
                continue
            schema = param["schema"]
            if param["name"] in self.ids:
                values[param["name"]] = self.ids[param["name"]]
            elif "enum" in schema:
                values[param["name"]] = schema["enum"][0]
            elif schema.get("format") == "date":
                values[param["name"]] = "2026-01-01"
            else:
                values[param["name"]] = "/"
        return values

    async def send(self, key: tuple[str, str], url: str, *, query=None, **kwargs) -> str | None:
        """Send one request and check its answer; returns the name of an undocumented
        query parameter the answer refused, if any."""
        method, path = key
        response = await self.client.open(url, method=method, query_string=query or {}, **kwargs)
        status = response.status_code
        body = await response.get_json(silent=True) if response.mimetype == "application/json" else None
        code = body["error"]["code"] if isinstance(body, dict) and isinstance(body.get("error"), dict) else None
        where = f"{method} {url} {query or ''}"
        if status >= 500 and status != 503:
            self.problems.append(f"{where}: answered {status}")
        answers = self.ops[key]["responses"]
        answer = answers.get(str(status))
        if answer is None:
            self.problems.append(f"{method} {path}: status {status} ({code}) is not documented (sent {where})")
            return None
        self.seen[key].add((status, code))
        if code is not None and code not in answer.get(ERROR_CODES_KEY, []):
            self.problems.append(f"{method} {path}: {status} error code {code!r} is not documented (sent {where})")
        if status == 400 and code == "validation_error" and method == "GET":
            field, message = body["error"]["field"], body["error"]["message"]
            names = {p["name"] for p in self.ops[key].get("parameters", [])}
            if field is not None and field not in names and field in (query or {}) and not message.startswith(REFUSALS):
                self.problems.append(f"{method} {path}: reads query parameter {field!r}, which is not documented")
                return field
        return None
        if 200 <= status < 300 and body is not None:
            schema = answer["content"]["application/json"]["schema"]
            errors = sorted(jsonschema.Draft202012Validator({**schema, "components": self.document["components"]}).iter_errors(body), key=str)
            if errors:
                self.problems.append(f"{method} {path}: {status} body does not match its schema: {errors[0].message}")

    async def run(self, key: tuple[str, str]) -> None:
        method, path = key
        op = self.ops[key]
        writes = method in ("POST", "PUT")
        destructive = method == "DELETE"
        base = self.baseline(op)
        if not destructive:
            await self.send(key, self.url(path, real_ids=True), query=base, **self.plain_body(key, op))
        await self.send(key, self.url(path, real_ids=False), query=base, **self.plain_body(key, op))
        await self.send(key, self.url(path, real_ids=True), method_override="PATCH")
        if method == "GET":
            url = self.url(path, real_ids=True)
            documented = {p["name"] for p in op.get("parameters", [])}
            for name in sorted(documented & set(self.known_params)):
                await self.send(key, url, query={**base, name: BAD_VALUE})
            # The rest in one request: a route that reads none of them answers once; one
            # that reads some is caught one name at a time.
            others = {name: BAD_VALUE for name in self.known_params if name not in documented and name not in base}
            while others:
                refused = await self.send(key, url, query={**base, **others})
                if refused is None:
                    break
                del others[refused]
        if writes and "requestBody" in op:
            url = self.url(path, real_ids=True)
            await self.send(key, url, data=b"{not json", headers={"Content-Type": "application/json", **BROWSER_HEADERS})
            await self.send(key, url, data=b"<p>", headers={"Content-Type": "text/html", **BROWSER_HEADERS})
            await self.send(key, url, json={"no_such_field": 1}, headers=BROWSER_HEADERS)

    def plain_body(self, key: tuple[str, str], op: dict[str, Any]) -> dict[str, Any]:
        if key[0] not in ("POST", "PUT") or "requestBody" not in op:
            return {}
        if key[1] in ("/api/collect", "/e"):
            return {"json": pageview(self.ids["website_id"]), "headers": BROWSER_HEADERS}
        return {"json": {}, "headers": BROWSER_HEADERS}


@pytest.fixture
async def probe_setup(data_dir):
    """A none-mode app with one of each resource the probe's paths name."""
    from sparklytics.app import create_app
    from sparklytics.services import open_services

    async with open_services(test_config(data_dir, SPARKLYTICS_RATE_LIMIT_DISABLE="true")) as services:
        client = create_app(services).test_client()
        website = await create_website(client)
        assert (await send(client, pageview(website))).status_code == 202
        created = {}
        for kind, path, body in (
            ("goal_id", "goals", {"name": "Signup", "goal_type": "event", "match_value": "signup"}),
            ("funnel_id", "funnels", {"name": "Buy", "steps": [{"step_type": "page_view", "match_value": "/"}, {"step_type": "event", "match_value": "buy"}]}),
            ("link_id", "links", {"name": "Spring", "destination_url": "https://example.com/spring"}),
            ("pixel_id", "pixels", {"name": "Mail"}),
            ("report_id", "reports", {"name": "Weekly", "config": {"version": 1, "report_type": "stats", "date_range_type": "relative"}}),
        ):
            response = await client.post(f"/api/websites/{website}/{path}", json=body)
            assert response.status_code == 201, await response.get_data(as_text=True)
            created[kind] = (await response.get_json())["data"]["id"]
        share = await client.post(f"/api/websites/{website}/share")
        created["share_id"] = (await share.get_json())["data"]["share_id"]
        yield client, {"website_id": website, "kind": "allowlist", "report": "stats", **created}


async def test_every_answer_of_every_route_is_documented(probe_setup) -> None:
    client, ids = probe_setup
    probe = Probe(_MethodOverrideClient(client), await fetch_document(client), ids)
    for key in sorted(probe.ops):
        await probe.run(key)
    assert not probe.problems, "\n".join(sorted(set(probe.problems)))
    # The probe reached the handlers: reports answered, bad parameters were refused.
    assert (200, None) in probe.seen[("GET", "/api/websites/{website_id}/metrics")]
    assert (400, "validation_error") in probe.seen[("GET", "/api/websites/{website_id}/journey")]
    assert (405, "method_not_allowed") in probe.seen[("POST", "/api/collect")]
    assert (415, "unsupported_media_type") in probe.seen[("POST", "/api/websites")]


async def test_every_refusal_without_credentials_is_documented(client) -> None:
    """Local mode before setup, and with a wrong API key: the auth answers of each route."""
    document = await fetch_document(client)
    probe = Probe(_MethodOverrideClient(client), document, {})
    for key in sorted(probe.ops):
        url = probe.url(key[1], real_ids=False)
        await probe.send(key, url)
        await probe.send(key, url, headers={"Authorization": "Bearer spk_selfhosted_wrong"})
    assert not probe.problems, "\n".join(sorted(set(probe.problems)))
    assert (403, "setup_required") in probe.seen[("GET", "/api/websites")]
    assert (403, "setup_required") in probe.seen[("GET", "/api/auth/keys")]


class _MethodOverrideClient:
    """The Quart test client, whose ``open`` also takes ``method_override``."""

    def __init__(self, client) -> None:
        self._client = client

    async def open(self, url, *, method, method_override=None, **kwargs):
        return await self._client.open(url, method=method_override or method, **kwargs)



async def test_bodies_checked_by_hand_accept_what_their_schemas_describe(probe_setup) -> None:
    """The routes whose handlers check JSON field by field (openapi/bodies.py): a body
    that uses every field the schema names must match the schema and be accepted."""
    client, ids = probe_setup
    document = await fetch_document(client)
    ops = operations(document)
    site = "/api/websites/{website_id}"
    report = {"version": 1, "report_type": "metrics", "date_range_type": "relative", "relative_days": 7, "metric_type": "page"}
    bodies = {
        ("PUT", f"{site}/bot/policy"): {"mode": "strict", "threshold_score": 80},
        ("POST", f"{site}/bot/{{kind}}"): {"match_type": "ip_cidr", "match_value": "203.0.113.0/24", "note": "office"},
        ("POST", f"{site}/bot/recompute"): {"start_date": "2026-01-01", "end_date": "2026-01-07"},
        ("PUT", f"{site}/ingest-limits"): {"peak_events_per_sec": 500, "queue_max_events": None},
        ("POST", f"{site}/reports/preview"): {**report, "timezone": "Europe/Berlin", "filter_page": "/"},
        ("POST", f"{site}/reports"): {"name": "Pages", "description": "top pages", "config": report},
        ("PUT", f"{site}/reports/{{report_id}}"): {"name": "Renamed", "description": None, "config": report},
        ("POST", "/api/v2/query"): {
            "site_id": "example.com",
            "metrics": ["visitors", "pageviews"],
            "date_range": "day",
            "dimensions": ["event:page"],
            "filters": [["contains", "event:page", ["/"]]],
            "order_by": [["visitors", "desc"]],
            "include": {"total_rows": True},
            "pagination": {"limit": 5, "offset": 0},
        },
        ("POST", "/api/event"): {
            "name": "signup", "url": "https://example.com/pricing", "domain": "example.com",
            "referrer": "https://news.example/", "props": {"plan": "pro"},
            "revenue": {"amount": "9.50", "currency": "EUR"}, "interactive": True, "hashMode": 0,
        },
        ("POST", "/api/send"): {
            "type": "event",
            "payload": {
                "website": ids["website_id"], "hostname": "example.com", "language": "en-US",
                "referrer": "https://news.example/", "screen": "1280x720", "title": "Pricing", "url": "/pricing",
                "name": "signup", "data": {"plan": "pro"}, "tag": "spring", "id": "user-42",
            },
        },
    }
    for (method, path), body in bodies.items():
        schema = ops[(method, path)]["requestBody"]["content"]["application/json"]["schema"]
        jsonschema.validate(body, {**schema, "components": document["components"]}, cls=jsonschema.Draft202012Validator)
        url = path.replace("{website_id}", ids["website_id"]).replace("{kind}", "blocklist").replace("{report_id}", ids["report_id"])
        response = await client.open(url, method=method, json=body)
        assert 200 <= response.status_code < 300, (method, path, await response.get_data(as_text=True))
