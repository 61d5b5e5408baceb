import importlib

import sparklytics.enrich as enrich
from sparklytics.enrich import bots, channels, geo, referrer, ua, urls

PUBLIC = {
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
}


def test_all_lists_the_public_names():
    assert set(enrich.__all__) == PUBLIC
    assert len(enrich.__all__) == len(PUBLIC)
    assert all(hasattr(enrich, name) for name in enrich.__all__)


def test_every_cached_module_reports_statistics():
    # The package re-exports the function client_ip under its module's name.
    client_ip = importlib.import_module("sparklytics.enrich.client_ip")
    for module in (ua, urls, referrer, channels, bots, client_ip):
        assert isinstance(module.statistics(), enrich.CacheStatistics)
    assert isinstance(geo.GeoLookup(None).statistics(), enrich.CacheStatistics)
