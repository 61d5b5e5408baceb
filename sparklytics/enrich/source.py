"""Where an event was and where its visit came from, from its URL, referrer and UTM tags.

One function for every path that turns a URL into stored columns: live collect (the
Enricher) and the imports of other tools' exports (``sparklytics.imports``), so an
imported pageview gets exactly the path, hostname, referrer domain, UTM tags and channel
a collected one would.
"""

from __future__ import annotations

from collections.abc import Mapping

from sparklytics.enrich.channels import channel_for
from sparklytics.enrich.referrer import referrer_domain
from sparklytics.enrich.urls import MAX_PATH_CHARS, UrlParts, split_url
from sparklytics.enrich.utm import Utm, utm_from


def event_source(
    url: str, referrer: str | None, utm_fields: Mapping[str, str | None], *, hash_routing: bool = False
) -> tuple[UrlParts, Utm, str | None, str]:
    """``(url parts, UTM tags, referrer domain, channel)`` of one event.

    ``utm_fields`` are explicit ``utm_*`` values; they win over tags in ``url``'s query.
    A site with hash routing (Plausible's ``h: 1``) has its pages in the fragment
    (``/#/pricing``): there the path keeps it, as Plausible's does.
    """
    parts = split_url(url)
    fragment = url.partition("#")[2] if hash_routing else ""
    if fragment:
        parts = UrlParts(f"{parts.path}#{fragment}"[:MAX_PATH_CHARS], parts.hostname)
    utm = utm_from(url, utm_fields)
    ref_domain = referrer_domain(referrer or None, parts.hostname)
    return parts, utm, ref_domain, channel_for(ref_domain, utm.source, utm.medium, utm.campaign)
