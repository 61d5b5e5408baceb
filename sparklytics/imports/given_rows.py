"""The stored event of an exported record: place and device as the export says.

Events collected live get their country, browser and device from the client's IP and
user agent. An export from another tool (or our own) has neither — it carries the
values that tool derived back then — so these rows take them as given. Path, hostname,
referrer domain, UTM tags and channel are derived from the URL and referrer exactly as
for live traffic (:func:`sparklytics.enrich.source.event_source`).

Visitor ids: the export's own visitor key (Umami's session id, our export's row id) is
never stored. It is keyed with a random secret made for this import (:class:`ImportKey`),
as Decision 6 keys IP + user agent, so the stored ids cannot be traced back to the
exporting tool's ids. The secret is saved only while the import is unfinished, so that a
run resuming a stopped one keys the same visitors alike; it is erased when it finishes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sparklytics.enrich import new_salt, visitor_id
from sparklytics.enrich.source import event_source
from sparklytics.events import EventRow

MAX_URL_CHARS = 4096


class RowRefused(ValueError):
    """A record that cannot be imported. ``reason`` is the same text for every record
    refused for that reason (the summary counts by it); ``str()`` adds the detail."""

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class GivenEvent:
    """One exported event, in our terms (``event_type`` is ``pageview`` or ``event``)."""

    created_at: datetime  # naive UTC
    event_type: str
    url: str
    visitor_key: str
    referrer: str | None = None
    event_name: str | None = None
    event_data: object = None
    utm: dict[str, str | None] | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    browser: str | None = None
    os: str | None = None
    device_type: str | None = None
    screen: str | None = None
    language: str | None = None
    is_bot: bool = False


class ImportKey:
    """The secret that keys exported visitor keys into our visitor ids: made per import,
    or the one a stopped run of it saved."""

    def __init__(self, salt: str | None = None) -> None:
        self.salt = salt or new_salt()

    def visitor_id(self, website_id: str, visitor_key: str) -> str:
        return visitor_id(self.salt, website_id, visitor_key, "")


def event_row(website_id: str, event: GivenEvent, key: ImportKey) -> EventRow:
    """The :class:`EventRow` of ``event`` on ``website_id``."""
    if not event.url or len(event.url) > MAX_URL_CHARS:
        raise RowRefused("url is missing or longer than 4096 characters")
    parts, utm, ref_domain, channel = event_source(event.url, event.referrer, event.utm or {})
    return EventRow(
        id=None,
        website_id=website_id,
        tenant_id=None,
        session_id=None,
        visitor_id=key.visitor_id(website_id, event.visitor_key),
        event_type=event.event_type,
        url=event.url,
        path=parts.path,
        hostname=parts.hostname,
        referrer_url=event.referrer or None,
        referrer_domain=ref_domain,
        channel=channel,
        event_name=event.event_name,
        event_data=None if event.event_data is None else json.dumps(event.event_data, separators=(",", ":")),
        country=event.country,
        region=event.region,
        city=event.city,
        browser=event.browser,
        browser_version=None,
        os=event.os,
        os_version=None,
        device_type=event.device_type,
        screen=event.screen,
        language=event.language,
        utm_source=utm.source,
        utm_medium=utm.medium,
        utm_campaign=utm.campaign,
        utm_term=utm.term,
        utm_content=utm.content,
        link_id=None,
        pixel_id=None,
        user_agent=None,
        is_bot=event.is_bot,
        bot_score=0,
        bot_reason="imported as a bot" if event.is_bot else None,
        created_at=event.created_at.isoformat(),
        previous_visitor_id=None,
    )


def parse_time(value: object, name: str = "created_at") -> datetime:
    """An exported timestamp (ISO 8601, or PostgreSQL's ``2024-03-01 10:00:00.123+00``)
    as naive UTC; naive input means UTC. ``name`` is the column, for the refusal."""
    if not isinstance(value, str) or not value.strip():
        raise RowRefused(f"{name} is required (ISO 8601)")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise RowRefused(f"{name} is not ISO 8601", repr(value)) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def blank_to_none(value: str | None) -> str | None:
    """CSV cells are text: an empty cell means no value."""
    if value is None:
        return None
    value = value.strip()
    return value or None
