"""Plausible's event body (``POST /api/event``) → one of our collect payloads.

Plausible's trackers (its ``script.js`` and extensions, the npm packages
``plausible-tracker`` and ``@plausible-analytics/tracker``) and its Events API send::

    {"n": "pageview", "u": "https://example.com/a?utm_source=x", "d": "example.com",
     "r": "https://news.example/", "p": {"author": "Ann"}, "$": {"amount": 9.5, "currency": "EUR"},
     "i": false, "h": 1}

with long names allowed for each (``name``, ``url``, ``domain``, ``referrer``,
``props``, ``revenue``, ``interactive``, ``hashMode``). How each becomes our event:

* ``name`` ``pageview`` is a pageview, any other name a custom event of that name.
* ``domain`` names the website by its domain or one of its extra domains; a comma
  separated list records the event for each website it names, as Plausible does.
* ``props`` (an object, or a JSON string of one, as ``plausible-tracker`` sends) become
  the event's properties; values must be text, numbers, booleans or null.
* ``revenue`` (``{amount, currency}``, amount a number or numeric text) becomes the
  properties ``revenue`` (a number) and ``currency`` (upper-case): a goal with
  ``value_mode`` ``event_property`` and ``value_property_key`` ``revenue`` counts it.
* ``hashMode`` 1 keeps the URL's fragment in the page path (hash-routed sites).
* ``interactive`` is accepted and has no effect: our bounce counts pageviews only
  (Decision 2), so a custom event never changes a bounce.
* Fields Plausible's own clients add (``w`` width, ``m`` meta, ``v`` version, …) are
  ignored, as Plausible ignores fields it does not know.

Everything else is then checked by collect's own rules (:func:`parse_events`): the
same limits, the same 4xx and the same repair of bad optional fields.
"""

from __future__ import annotations

import json
import math
from typing import Any

from actors.enricher import SiteName
from sparklytics.api.errors import bad_request, unprocessable

# (long name, short name) of every field we read.
FIELDS = {
    "name": "n", "url": "u", "domain": "d", "referrer": "r", "props": "p",
    "revenue": "$", "interactive": "i", "hashMode": "h",
}  # fmt: skip
MAX_DOMAINS = 10
MAX_PROPS = 30


def plausible_event(body: Any) -> tuple[tuple[SiteName, ...], dict[str, Any]]:
    """The websites a Plausible body names and the collect payload of its event
    (without ``website_id``); raise the 4xx of the first problem."""
    if not isinstance(body, dict):
        raise unprocessable("body must be a JSON object")
    values = {long: _pick(body, long, short) for long, short in FIELDS.items()}
    name = _required_text(values["name"], "name")
    url = _required_text(values["url"], "url")
    sites = _sites(_required_text(values["domain"], "domain"))
    referrer = values["referrer"]
    if referrer is not None and not isinstance(referrer, str):
        raise unprocessable("referrer must be a string", field="referrer")
    if values["interactive"] is not None and not isinstance(values["interactive"], bool):
        raise unprocessable("interactive must be true or false", field="interactive")
    data = {**_props(values["props"]), **_revenue(values["revenue"])}
    payload = {
        "type": "pageview" if name == "pageview" else "event",
        "url": url,
        "referrer": referrer or None,
        "event_name": None if name == "pageview" else name,
        "event_data": data or None,
        # Not a collect field: the caller takes it out before collect's checks.
        "hash_routing": values["hashMode"] in (1, True),
    }
    return sites, payload


def _pick(body: dict[str, Any], long: str, short: str) -> Any:
    value = body.get(long)
    return body.get(short) if value is None else value


def _required_text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"{field} is required", field=field)
    return value.strip()


def _sites(domains: str) -> tuple[SiteName, ...]:
    names = [d.strip().lower().rstrip(".") for d in domains.split(",") if d.strip()]
    if len(names) > MAX_DOMAINS:
        raise bad_request(f"domain may list at most {MAX_DOMAINS} domains", field="domain")
    if not names or any(len(name) > 253 for name in names):
        raise bad_request("domain is invalid", field="domain")
    return tuple(SiteName("domain", name) for name in dict.fromkeys(names))


def _props(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise bad_request("props must be an object or a JSON string of one", field="props") from None
    if not isinstance(raw, dict):
        raise bad_request("props must be an object or a JSON string of one", field="props")
    if len(raw) > MAX_PROPS:
        raise bad_request(f"props may have at most {MAX_PROPS} keys", field="props")
    for value in raw.values():
        if isinstance(value, (dict, list)) or (isinstance(value, float) and not math.isfinite(value)):
            raise bad_request("props values must be text, numbers, booleans or null", field="props")
    return raw


def _revenue(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    amount = raw.get("amount") if isinstance(raw, dict) else None
    currency = raw.get("currency") if isinstance(raw, dict) else None
    try:
        value = float(amount) if isinstance(amount, (int, float, str)) and not isinstance(amount, bool) else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not isinstance(currency, str) or not 1 <= len(currency.strip()) <= 8:
        raise bad_request("revenue must be {amount: number, currency: code}", field="revenue")
    return {"revenue": value, "currency": currency.strip().upper()}
