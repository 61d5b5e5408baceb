"""``POST /api/event`` (Plausible) and ``POST /api/send`` (Umami): their trackers and
clients, unchanged, sending to us (issue 19; Decisions 17, 20).

Each body is translated into one of our collect payloads
(:mod:`~sparklytics.api.plausible_event`, :mod:`~sparklytics.api.umami_send`) and
checked by collect's own rules, then travels exactly as a collect request does: one
message down RateLimiter (collect's per-IP bucket) → Enricher (which finds the website
by the name the snippet uses, from a cache every website change empties) → Buffer (WAL,
fsync), and the answer waits for the durable ack. Answers are those the foreign
clients expect — Plausible's ``202`` with the text ``ok``, Umami's ``200`` JSON — with
our ingest headers; every error is our JSON envelope: 404 for a domain or website no
website answers to, 400/422 for a malformed body, 413, 415, 429, 503 as on collect.

Raw ASGI in front of Quart, like collect and for the same reason: these are hot paths.
"""

from __future__ import annotations

from actors.enricher import CollectFor
from sparklytics.api.collect import COLLECT_ERRORS, COLLECT_HEADERS, admit, ingest_ack_headers, parse_events, read_json_body
from sparklytics.api.collect_fields import FieldRepairs
from sparklytics.api.ingest_asgi import Headers, IngestPostEndpoint, Receive, Scope
from sparklytics.api.plausible_event import plausible_event
from sparklytics.api.umami_send import umami_event
from sparklytics.openapi import Operation
from sparklytics.openapi.bodies import PlausibleEventBody, UmamiSendBody
from sparklytics.openapi.responses import UmamiAnswer

PLAUSIBLE_PATH = "/api/event"
UMAMI_PATH = "/api/send"
PATHS = frozenset({PLAUSIBLE_PATH, UMAMI_PATH})
# parse_events checks a whole collect event; the website is named otherwise here and
# found by the Enricher, so this stands in for the id during that check.
_UNRESOLVED_WEBSITE = "(named by the body)"

_PLAUSIBLE_ANSWER = (202, b"ok", [(b"content-type", b"text/plain; charset=utf-8")])
_UMAMI_ANSWER = (200, b'{"cache":null,"sessionId":null,"visitId":null}', [(b"content-type", b"application/json")])


class CompatIngestEndpoint(IngestPostEndpoint):
    """ASGI middleware: answers ``/api/event`` and ``/api/send``, passes everything else on."""

    OPERATIONS = {
        ("POST", PLAUSIBLE_PATH): Operation(
            "Record a Plausible event", "Collect", name="plausible_event", ok=202, media_type="text/plain",
            body=PlausibleEventBody, body_types=("application/json", "text/plain"), errors=COLLECT_ERRORS,
            headers=COLLECT_HEADERS, description="Plausible's Events API body; answers `ok` as Plausible does.",
        ),
        ("POST", UMAMI_PATH): Operation(
            "Record an Umami event", "Collect", name="umami_send", response=UmamiAnswer,
            body=UmamiSendBody, body_types=("application/json", "text/plain"), errors=COLLECT_ERRORS,
            headers=COLLECT_HEADERS, description="Umami's `/api/send` body (`event` or `identify`); answers as Umami does.",
        ),
    }

    PATHS = PATHS

    async def handle(
        self, scope: Scope, headers: dict[bytes, bytes], receive: Receive, repairs: FieldRepairs
    ) -> tuple[int, bytes, Headers]:
        body = await read_json_body(headers, receive, self._services.config.body_timeout_seconds)
        plausible = scope["path"] == PLAUSIBLE_PATH
        sites, event = plausible_event(body) if plausible else umami_event(body)
        hash_routing = event.pop("hash_routing", False)
        [checked] = parse_events([{**event, "website_id": _UNRESOLVED_WEBSITE}], repairs)
        del checked["website_id"]
        if hash_routing:
            checked["hash_routing"] = True
        accepted = await admit(
            self._services, scope, headers, lambda client, at: CollectFor(sites, checked, client, at)
        )
        status, answer, own = _PLAUSIBLE_ANSWER if plausible else _UMAMI_ANSWER
        return status, answer, [*own, *ingest_ack_headers(accepted)]
