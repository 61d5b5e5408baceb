"""Per-event enrichment: pure, synchronous, cached functions (no I/O after start-up).

One source per module: ``ua`` (User-Agent), ``geo`` (GeoIP), ``urls`` (path and
hostname), ``referrer`` (referrer domain), ``utm`` (campaign tags), ``channels``
(acquisition channel), ``bots`` (bot scoring), ``ids`` (visitor/session/random ids) and
``client_ip`` (trusted-proxy rules). Nothing here touches trio or DuckDB, so the
Enricher actor calls these directly and tests call them without a server. Each module
with a cache has ``statistics()`` giving hits, misses and size.
"""

from sparklytics.enrich._cache import CacheStatistics
from sparklytics.enrich.bots import (
    BotPolicy,
    BotRule,
    BotScorer,
    BotScorerStatistics,
    BotVerdict,
    classify_user_agent,
)
from sparklytics.enrich.channels import CHANNELS, channel_for
from sparklytics.enrich.client_ip import TrustedProxies, client_ip
from sparklytics.enrich.geo import GeoInfo, GeoLookup
from sparklytics.enrich.ids import new_salt, random_id, session_id, visitor_id, website_id
from sparklytics.enrich.referrer import referrer_domain
from sparklytics.enrich.ua import UserAgentInfo, parse_user_agent
from sparklytics.enrich.urls import UrlParts, split_url
from sparklytics.enrich.utm import Utm, utm_from

__all__ = [
    "CHANNELS",
    "BotPolicy",
    "BotRule",
    "BotScorer",
    "BotScorerStatistics",
    "BotVerdict",
    "CacheStatistics",
    "GeoInfo",
    "GeoLookup",
    "TrustedProxies",
    "UrlParts",
    "UserAgentInfo",
    "Utm",
    "channel_for",
    "classify_user_agent",
    "client_ip",
    "new_salt",
    "parse_user_agent",
    "random_id",
    "referrer_domain",
    "session_id",
    "split_url",
    "utm_from",
    "visitor_id",
    "website_id",
]
