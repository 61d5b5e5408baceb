"""The other names a website answers to at ingest: extra domains and an Umami id.

Plausible's snippet names its site by domain (``data-domain="example.com"``) and
Umami's by a website UUID (``data-website-id="…"``). A website keeps its own ``domain``
and ``site_…`` id; these aliases let the compatible routes (``/api/event``,
``/api/send``) find it when a snippet was written for the other product, or for one of
several domains the site is served from (``www.``, a staging host, a second TLD).

Rules (checked here, before the write; uniqueness is checked inside the write by the
store, so two requests cannot both claim one name):

* ``extra_domains``: at most :data:`MAX_EXTRA_DOMAINS`, each a host as
  :func:`sparklytics.domains.normalize_domain` accepts it, duplicates and the website's
  own domain dropped; no other website's domain or extra domain.
* ``umami_website_id``: a UUID (any case, stored lower-case) or null; no other
  website's Umami id.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sparklytics.domains import InvalidDomain, normalize_domain

MAX_EXTRA_DOMAINS = 20


class InvalidAlias(ValueError):
    """An alias breaks a rule above; ``field`` names it (the API answers 400)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class AliasTaken(Exception):
    """Another website already answers to this name (the API answers 409 ``conflict``)."""

    def __init__(self, field: str, value: str) -> None:
        super().__init__(f"{value} is already used by another website")
        self.message = str(self)
        self.field = field
        self.value = value


def normalize_extra_domains(raw: Sequence[str], primary: str) -> tuple[str, ...]:
    """The extra domains to store: normalized, in the given order, without repeats or ``primary``."""
    domains: dict[str, None] = {}
    for item in raw:
        try:
            domain = normalize_domain(item)
        except InvalidDomain as invalid:
            raise InvalidAlias(f"extra_domains: {invalid}", "extra_domains") from None
        if domain != primary:
            domains[domain] = None
    if len(domains) > MAX_EXTRA_DOMAINS:
        raise InvalidAlias(f"extra_domains may list at most {MAX_EXTRA_DOMAINS} domains", "extra_domains")
    return tuple(domains)


def normalize_umami_id(raw: str | None) -> str | None:
    """The canonical lower-case UUID, or None to clear the alias."""
    if raw is None or not raw.strip():
        return None
    try:
        return str(uuid.UUID(raw.strip()))
    except ValueError:
        raise InvalidAlias("umami_website_id must be a UUID such as 3f2b…-…", "umami_website_id") from None
