"""Enricher: turns a validated collect request into stored-event rows.

It owns the caches of the ingest path — website lookups (TTL), campaign link and
tracking pixel lookups (TTL, forgotten on every change), the user-agent parser, the
GeoIP reader, the bot scorer's sliding windows, the per-website peak windows — and the
current visitor-id salts. A ``CampaignHit`` (``/l/<slug>``, ``/p/<key>``) is first
turned into the collect payload of its ``link_click`` or ``pixel_view`` event
(``sparklytics.acquisition``), then goes the way of a collect request; a link's
redirect target travels with the events as the Buffer's receipt, so the route still
awaits one reply. For each ``Collect`` it checks the websites, applies the
per-website peak admission (excess events are soft-dropped with reason ``peak_rate``),
derives every column (Decision 3 path/hostname, Decision 6 visitor id, §2 bot score,
referrer, channel, UTM, geo, device), and forwards the rows to the Buffer in the same
message's reply chain. The raw IP is used here and never leaves this actor (Decision 7).

It never writes anything. Back-pressure: if the Buffer's mailbox is full the request is
refused at once with ``IngestOverloaded`` rather than waiting.
"""

from __future__ import annotations

import functools
import json
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import trio

from actors.buffer import Append, IngestOverloaded
from actors.runtime import Actor, ActorStatistics, MailboxFull, Mailbox, Reply
from sparklytics.acquisition import CampaignNotFound, Hit, HitRefused, link_click, pixel_view
from sparklytics.campaigns import CampaignLink, TrackingPixel
from sparklytics.enrich import (
    BotPolicy,
    BotScorer,
    GeoLookup,
    channel_for,
    new_salt,
    parse_user_agent,
    referrer_domain,
    split_url,
    utm_from,
    visitor_id,
)
from sparklytics.events import EventRow
from sparklytics.stores.metadata import MetadataStore, Salts, WebsiteIngestInfo

PEAK_WINDOW_SECONDS = 60


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """What the HTTP layer knows about the sender (the IP is already proxy-resolved)."""

    ip: str
    user_agent: str
    has_accept: bool
    has_accept_language: bool


@dataclass(frozen=True, slots=True)
class Collect:
    """Validated collect payloads (dicts of the §1.4 fields) from one request."""

    events: list[dict[str, Any]]
    client: ClientInfo
    received_at: datetime
    reply: Reply = field(default_factory=Reply)


@dataclass(frozen=True, slots=True)
class Import:
    """Events with their own clients and times (``sparklytics import``); no peak limit."""

    items: list[tuple[dict[str, Any], ClientInfo, datetime]]
    reply: Reply = field(default_factory=Reply)


@dataclass(frozen=True, slots=True)
class CampaignHit:
    """A hit on a campaign link (``kind`` ``link``, ``hit.token`` its slug) or a tracking
    pixel (``pixel``, its key). Replies ``Accepted`` with the redirect target of a link
    as ``receipt``, or fails with ``CampaignNotFound`` / ``HitRefused``."""

    kind: str  # link | pixel
    hit: Hit
    client: ClientInfo
    received_at: datetime
    reply: Reply = field(default_factory=Reply)


@dataclass(frozen=True, slots=True)
class InvalidateCampaigns:
    """Forget every cached link and pixel lookup (one was created, changed or deleted)."""


@dataclass(frozen=True, slots=True)
class SetSalts:
    salts: Salts


@dataclass(frozen=True, slots=True)
class InvalidateWebsite:
    """Forget the cached lookup of a website (created, updated or deleted). The reply
    comes once every event enriched before it has been handed to the Buffer."""

    website_id: str
    reply: Reply = field(default_factory=Reply)


class UnknownWebsite(Exception):
    """Given to a ``Collect`` naming a website that does not exist (404)."""

    def __init__(self, website_id: str) -> None:
        super().__init__(f"Unknown website_id: {website_id}")
        self.website_id = website_id


@dataclass(frozen=True, slots=True)
class EnricherStatistics(ActorStatistics):
    events: int
    website_cache_size: int
    peak_dropped: int


class Enricher(Actor):
    def __init__(
        self,
        metadata: MetadataStore,
        buffer: Mailbox[Any],
        salts: Salts,
        *,
        geo: GeoLookup,
        website_queue_default: int,
        website_peak_eps_default: int,
        cache_max_entries: int,
        cache_ttl_seconds: int,
        campaign_cache_max_entries: int = 10_000,
        campaign_cache_ttl_seconds: int = 60,
    ) -> None:
        super().__init__("enricher", capacity=1024)
        self._metadata = metadata
        self._buffer = buffer
        self._salts = salts
        self._geo = geo
        self._queue_default = website_queue_default
        self._peak_default = website_peak_eps_default
        self._websites = _TtlCache(cache_max_entries, cache_ttl_seconds)
        self._campaigns = _TtlCache(campaign_cache_max_entries, campaign_cache_ttl_seconds)
        self._bots = BotScorer()
        self._peaks: dict[str, _PeakWindow] = {}
        self._past_salts: dict[date, Salts] = {}
        self._events = 0
        self._peak_dropped = 0

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        async for msg in self.inbox:
            match msg:
                case Collect():
                    await self._collect(msg)
                case CampaignHit():
                    await self._campaign_hit(msg)
                case Import():
                    await self._import(msg)
                case SetSalts(salts):
                    self._salts = salts
                case InvalidateWebsite(website_id, reply):
                    self._websites.pop(website_id)
                    # A deleted website takes its links and pixels with it.
                    self._campaigns.clear()
                    reply.send(None)
                case InvalidateCampaigns():
                    self._campaigns.clear()
                case _:
                    raise TypeError(f"enricher got an unknown message: {msg!r}")

    def statistics(self) -> EnricherStatistics:
        return EnricherStatistics(*self._actor_statistics(), self._events, len(self._websites), self._peak_dropped)

    async def _collect(self, msg: Collect) -> None:
        await self._append(msg.events, msg.client, msg.received_at, msg.reply)

    async def _campaign_hit(self, msg: CampaignHit) -> None:
        try:
            target = await self._campaign(msg.kind, msg.hit.token)
        except Exception as error:  # a failed lookup answers this hit; the caches and windows stay
            msg.reply.fail(error)
            return
        if target is None or not target.is_active:
            msg.reply.fail(CampaignNotFound(msg.kind))
            return
        try:
            payload = link_click(target, msg.hit) if msg.kind == "link" else pixel_view(target, msg.hit)
        except HitRefused as refused:
            msg.reply.fail(refused)
            return
        receipt = payload["url"] if msg.kind == "link" else None
        await self._append([payload], msg.client, msg.received_at, msg.reply, receipt)

    async def _campaign(self, kind: str, token: str) -> CampaignLink | TrackingPixel | None:
        """The link (pixel) of a slug (key), from the cache or the store; None if none."""
        key = f"{kind}:{token}"
        found, target = self._campaigns.get(key)
        if not found:
            lookup = self._metadata.link_by_slug if kind == "link" else self._metadata.pixel_by_key
            target = await lookup(token)
            self._campaigns.put(key, target)
        return target

    async def _append(
        self, payloads: list[dict[str, Any]], client: ClientInfo, received_at: datetime, reply: Reply, receipt: Any = None
    ) -> None:
        """Enrich one request's payloads and hand them to the Buffer, which answers ``reply``."""
        websites = await self._known_websites([payload["website_id"] for payload in payloads], reply)
        if websites is None:
            return
        admitted = self._admit_peak(payloads, websites)
        dropped = len(payloads) - len(admitted)
        rows = self._rows(
            [(payload, client, received_at + timedelta(microseconds=i)) for i, payload in enumerate(admitted)],
            websites,
        )
        self._events += len(rows)
        caps = {w: info.queue_max_events or self._queue_default for w, info in websites.items()}
        append = Append(rows, caps, dropped, ("peak_rate",) if dropped else (), reply=reply, receipt=receipt)
        try:
            self._buffer.send_nowait(append)
        except MailboxFull:
            reply.fail(IngestOverloaded("ingest buffer is busy"))

    async def _import(self, msg: Import) -> None:
        websites = await self._known_websites([payload["website_id"] for payload, _, _ in msg.items], msg.reply)
        if websites is None:
            return
        rows = self._rows(msg.items, websites)
        self._events += len(rows)
        await self._buffer.send(Append(rows, {}, reply=msg.reply))

    async def _known_websites(self, website_ids: list[str], reply: Reply) -> dict[str, WebsiteIngestInfo] | None:
        """The named websites, or None after failing ``reply`` with the first unknown one."""
        websites = {}
        for website_id in dict.fromkeys(website_ids):
            found, info = self._websites.get(website_id)
            if not found:
                info = await self._load_website(website_id)
            if info is None:
                reply.fail(UnknownWebsite(website_id))
                return None
            websites[website_id] = info
        return websites

    async def _load_website(self, website_id: str) -> WebsiteIngestInfo | None:
        """Read a website missing from the cache, and cache it (a None too).

        Cache hits are looked up by the caller: no coroutine per request for them."""
        info = await self._metadata.website_ingest_info(website_id)
        self._websites.put(website_id, info)
        return info

    def _admit_peak(self, events: list[dict[str, Any]], websites: dict[str, WebsiteIngestInfo]) -> list[dict[str, Any]]:
        """Per-website sliding 60-s window of event counts; keep what fits (§2 step 5)."""
        now = int(time.monotonic())
        admitted = []
        for website_id, info in websites.items():
            window = self._peaks.get(website_id)
            if window is None:
                window = self._peaks[website_id] = _PeakWindow()
            seconds = window.seconds
            while seconds and seconds[0][0] <= now - PEAK_WINDOW_SECONDS:
                window.total -= seconds.popleft()[1]
            capacity = (info.peak_events_per_sec or self._peak_default) * PEAK_WINDOW_SECONDS
            room = max(0, capacity - window.total)
            mine = [e for e in events if e["website_id"] == website_id][:room]
            if mine:
                if seconds and seconds[-1][0] == now:
                    seconds[-1][1] += len(mine)
                else:
                    seconds.append([now, len(mine)])
                window.total += len(mine)
            admitted.extend(mine)
        self._peak_dropped += len(events) - len(admitted)
        return admitted

    def _rows(self, items: list[tuple[dict[str, Any], ClientInfo, datetime]], websites: dict[str, WebsiteIngestInfo]) -> list[EventRow]:
        """One event row per (payload, client, time).

        What depends only on the client (device, geo, visitor id per website) or on the
        URL and referrer is computed once per call: batches repeat them.
        """
        clients: dict[ClientInfo, tuple[Any, Any]] = {}
        visitors: dict[tuple[ClientInfo, str, date], tuple[str, str | None]] = {}
        sources: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        rows = []
        for payload, client, at in items:
            website_id = payload["website_id"]
            device = clients.get(client)
            if device is None:
                device = clients[client] = (parse_user_agent(client.user_agent), self._geo.lookup(client.ip))
            ua, geo = device
            client_visitor = payload["visitor_id"]
            if client_visitor and len(client_visitor) <= 64:
                visitor, previous_visitor = client_visitor, None
            else:
                key = (client, website_id, at.date())
                ids = visitors.get(key)
                if ids is None:
                    ids = visitors[key] = self._visitor_ids(website_id, client, at)
                visitor, previous_visitor = ids
            source_key = (
                payload["url"],
                payload["referrer"],
                payload["utm_source"],
                payload["utm_medium"],
                payload["utm_campaign"],
                payload["utm_term"],
                payload["utm_content"],
            )
            source = sources.get(source_key)
            if source is None:
                source = sources[source_key] = _source(payload)
            parts, utm, ref_domain, channel = source
            info = websites[website_id]
            verdict = self._bots.score(
                website_id=website_id,
                visitor_id=visitor,
                user_agent=client.user_agent,
                ip=client.ip,
                has_accept=client.has_accept,
                has_accept_language=client.has_accept_language,
                path=parts.path,
                now=(at - _EPOCH).total_seconds(),
                policy=_bot_policy(info.bot_mode, info.bot_threshold),
                allow=info.allow,
                block=info.block,
            )
            event_data = payload["event_data"]
            rows.append(
                EventRow(
                    id=None,  # the event store numbers events as it commits them
                    website_id=website_id,
                    tenant_id=None,
                    session_id=None,  # the event store resolves sessions as it commits
                    visitor_id=visitor,
                    event_type=payload["type"],
                    url=payload["url"],
                    path=parts.path,
                    hostname=parts.hostname,
                    referrer_url=payload["referrer"] or None,
                    referrer_domain=ref_domain,
                    channel=channel,
                    event_name=payload["event_name"],
                    event_data=None if event_data is None else _COMPACT_JSON.encode(event_data),
                    country=geo.country,
                    region=geo.region,
                    city=geo.city,
                    browser=ua.browser,
                    browser_version=ua.browser_version,
                    os=ua.os,
                    os_version=ua.os_version,
                    device_type=ua.device_type,
                    screen=_screen(payload),
                    language=payload["language"] or None,
                    utm_source=utm.source,
                    utm_medium=utm.medium,
                    utm_campaign=utm.campaign,
                    utm_term=utm.term,
                    utm_content=utm.content,
                    link_id=payload.get("link_id"),
                    pixel_id=payload.get("pixel_id"),
                    user_agent=client.user_agent or None,
                    is_bot=verdict.is_bot,
                    bot_score=verdict.score,
                    bot_reason=verdict.reason,
                    created_at=at.isoformat(),
                    previous_visitor_id=previous_visitor,
                )
            )
        return rows

    def _visitor_ids(self, website_id: str, client: ClientInfo, at: datetime) -> tuple[str, str | None]:
        """The visitor id under the salt of ``at``'s day, and under yesterday's while
        it is still kept (Decision 6). Imports of past days use a salt of their own
        that is never stored: their ids only need to be stable within the import."""
        salts = self._salts if at.date() >= self._salts.day else self._import_salt(at.date())
        previous = salts.previous_at(at)
        return (
            visitor_id(salts.current, website_id, client.ip, client.user_agent),
            visitor_id(previous, website_id, client.ip, client.user_agent) if previous else None,
        )

    def _import_salt(self, day: date) -> Salts:
        salt = self._past_salts.get(day)
        if salt is None:
            salt = self._past_salts[day] = Salts(new_salt(), day, None, None)
        return salt


_EPOCH = datetime(1970, 1, 1)
# json.dumps with separators builds a new encoder per call; one shared encoder gives
# the same text ~1 µs sooner.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))


@dataclass(slots=True)
class _PeakWindow:
    """A website's admitted events per second over the last minute, and their sum.

    The sum is kept up to date as seconds come and go: adding up to 60 counts again
    cost ~2 µs of every collect request under steady traffic.
    """

    seconds: deque[list[int]] = field(default_factory=deque)
    total: int = 0


@functools.lru_cache(maxsize=256)
def _bot_policy(mode: str, threshold: int) -> BotPolicy:
    """A website's bot policy, built once rather than per event (~0.8 µs each).

    BotPolicy is immutable, so websites with the same settings share one. An invalid
    mode raises ValueError on every call, as building it per event did.
    """
    return BotPolicy(mode, threshold)


def _source(payload: dict[str, Any]) -> tuple[Any, ...]:
    """Path/hostname, UTM tags, referrer domain and channel of one event's URL."""
    parts = split_url(payload["url"])
    utm = utm_from(payload["url"], payload)
    ref_domain = referrer_domain(payload["referrer"] or None, parts.hostname)
    return parts, utm, ref_domain, channel_for(ref_domain, utm.source, utm.medium, utm.campaign)


def _screen(payload: dict[str, Any]) -> str | None:
    if payload.get("screen"):
        return payload["screen"]
    width, height = payload.get("screen_width"), payload.get("screen_height")
    if width is not None and height is not None:
        return f"{width}x{height}"
    return None


class _TtlCache:
    """A bounded map whose entries expire; a stored None is a cached "not found"."""

    def __init__(self, max_entries: int, ttl_seconds: float) -> None:
        self._max = max_entries
        self._ttl = ttl_seconds
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    def get(self, key: str) -> tuple[bool, Any]:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, key: str, value: Any) -> None:
        self._entries[key] = (time.monotonic() + self._ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def pop(self, key: str) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
