"""A website's bot controls as the product knows them (API.md §1.12): the policy, the
allow- and blocklist entries, their audit trail, and the paging cursor of both lists.

The rules an entry must follow live here, so the API and every store agree: a
``match_type`` of ``ua_contains``, ``ip_exact`` or ``ip_cidr``; a ``match_value``
trimmed, non-empty and at most 255 characters — and, for the IP types, an address or
a network that parses (an entry that could never match is refused rather than stored);
a ``note`` of at most 255 characters. A duplicate (website, type, value) is refused
inside the write that would add it.

IP rules act on the client address in memory at ingest (Decision 7): no raw IP is
stored, so a recompute of past events can apply the user-agent rules only.
"""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sparklytics.enrich.bots import MATCH_TYPES, MODES, BotPolicy, BotRule, BotScorer, BotVerdict, override_verdict

LISTS = ("allowlist", "blocklist")
RECOMPUTE_PAGE_EVENTS = 500
# Pages re-classified by one write of the Writer (one read, one transaction): ≈0.1 s of
# work, so ingest commits interleave and an event still reaches the reports well within
# Decision 22's second while a recompute runs (bench/RESULTS.md has the figures).
RECOMPUTE_PAGES_PER_WRITE = 8
RECOMPUTE_EVENTS_PER_WRITE = RECOMPUTE_PAGE_EVENTS * RECOMPUTE_PAGES_PER_WRITE
RECOMPUTE_CACHED_AGENTS = 65_536
RECOMPUTE_MAX_DAYS = 30
MAX_VALUE_CHARS = 255
MAX_NOTE_CHARS = 255
DEFAULT_MODE = "balanced"
DEFAULT_THRESHOLD = 70


class InvalidBotControl(Exception):
    """A field breaks a rule of §1.12 (the API answers 400 with ``field``)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class RecomputeRunning(Exception):
    """The website has a queued or running recompute (409 ``recompute already running``)."""


class DuplicateEntry(Exception):
    """The list already has this (match_type, match_value) (400 ``entry already exists``)."""


class BotSample(NamedTuple):
    """What a bot recompute knows of a stored event (no IP, no headers: none is stored)."""

    visitor_id: str
    user_agent: str | None
    path: str
    seconds: float  # created_at as seconds since the Unix epoch (UTC)


@dataclass(frozen=True, slots=True)
class NewEntry:
    match_type: str
    match_value: str
    note: str | None


@dataclass(frozen=True, slots=True)
class PageCursor:
    """Where a newest-first page resumes: after (created_at, id)."""

    created_at: str
    id: str

    def encode(self) -> str:
        text = json.dumps({"created_at": self.created_at, "id": self.id}, separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> PageCursor:
        """Raises :class:`InvalidBotControl` (``invalid cursor``) for anything else."""
        try:
            raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            if isinstance(raw, dict) and isinstance(raw.get("created_at"), str) and isinstance(raw.get("id"), str):
                datetime.fromisoformat(raw["created_at"])
                return cls(raw["created_at"], raw["id"])
        except (ValueError, binascii.Error, UnicodeDecodeError):
            pass
        raise InvalidBotControl("invalid cursor", "cursor")


def check_policy(mode: object, threshold_score: object) -> tuple[str, int]:
    if mode not in MODES:
        raise InvalidBotControl(f"mode must be one of: {', '.join(MODES)}", "mode")
    if isinstance(threshold_score, bool) or not isinstance(threshold_score, int) or not 0 <= threshold_score <= 100:
        raise InvalidBotControl("threshold_score must be an integer between 0 and 100", "threshold_score")
    return mode, threshold_score


def check_entry(match_type: object, match_value: object, note: object) -> NewEntry:
    if match_type not in MATCH_TYPES:
        raise InvalidBotControl(f"match_type must be one of: {', '.join(MATCH_TYPES)}", "match_type")
    if not isinstance(match_value, str) or not match_value.strip():
        raise InvalidBotControl("match_value must not be empty", "match_value")
    value = match_value.strip()
    if len(value) > MAX_VALUE_CHARS:
        raise InvalidBotControl(f"match_value must be at most {MAX_VALUE_CHARS} characters", "match_value")
    try:
        if match_type == "ip_exact":
            ipaddress.ip_address(value)
        elif match_type == "ip_cidr":
            ipaddress.ip_network(value, strict=False)
    except ValueError:
        kind = "an IP address" if match_type == "ip_exact" else "an IP network (CIDR)"
        raise InvalidBotControl(f"match_value must be {kind}", "match_value") from None
    if note is not None and not isinstance(note, str):
        raise InvalidBotControl("note must be a string", "note")
    if note is not None and len(note) > MAX_NOTE_CHARS:
        raise InvalidBotControl(f"note must be at most {MAX_NOTE_CHARS} characters", "note")
    return NewEntry(match_type, value, note)


def recompute_classifier(website_id: str, policy: BotPolicy, allow: Sequence[BotRule], block: Sequence[BotRule]):
    """The verdict of one stored event under the current policy and lists, for a recompute.

    A fresh :class:`BotScorer` per job sees the window's events in time order, so the
    burst and path-sweep signals fire as they would have at ingest. What is not stored
    cannot count: the IP (Decision 7: IP rules never match here) and the request headers
    (assumed present, §1.12).

    Without an address the lists depend on the user agent alone, so their verdict is
    looked up once per distinct agent (a window holds few), not once per event.
    """
    scorer = BotScorer()

    @functools.lru_cache(maxsize=RECOMPUTE_CACHED_AGENTS)
    def override(user_agent: str | None) -> BotVerdict | None:
        return override_verdict(allow, block, (user_agent or "").lower(), None)

    def classify(sample: BotSample) -> BotVerdict:
        verdict = override(sample.user_agent)
        if verdict is not None:
            return verdict
        return scorer.score(
            website_id=website_id,
            visitor_id=sample.visitor_id,
            user_agent=sample.user_agent,
            ip=None,
            has_accept=True,
            has_accept_language=True,
            path=sample.path,
            now=sample.seconds,
            policy=policy,
        )

    return classify
