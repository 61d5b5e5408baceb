import pytest

from sparklytics.enrich import ua
from sparklytics.enrich.ua import UserAgentInfo, parse_user_agent

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)

# (user agent, browser, browser_version, os, os_version, device_type)
CASES = [
    (IPHONE, "Mobile Safari", "17.1", "iOS", "17.1", "mobile"),
    (CHROME_WINDOWS, "Chrome", "120.0.0.0", "Windows", "10", "desktop"),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
        "Edge", "120.0.2210.91", "Windows", "10", "desktop",
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.1 Safari/605.1.15",
        "Safari", "17.1", "Mac OS X", "10.15.7", "desktop",
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        "Firefox", "121.0", "Linux", None, "desktop",
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.6099.144 Mobile Safari/537.36",
        "Chrome Mobile", "120.0.6099.144", "Android", "14", "mobile",
    ),
    (
        "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
        "Firefox Mobile", "121.0", "Android", "14", "mobile",
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
        "Mobile Safari", "16.6", "iOS", "16.6", "tablet",
    ),
    (
        "Mozilla/5.0 (Linux; Android 12; SAMSUNG SM-T970) AppleWebKit/537.36 "
        "(KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Safari/537.36",
        "Samsung Internet", "23.0", "Android", "12", "tablet",
    ),
    (
        "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Silk/120.3.1 like Chrome/120.0.6099.144 Safari/537.36",
        "Amazon Silk", "120.3.1", "Android", "9", "tablet",
    ),
    (
        "Mozilla/5.0 (Android 4.4; Tablet; rv:41.0) Gecko/41.0 Firefox/41.0",
        "Firefox Mobile", "41.0", "Android", "4.4", "tablet",
    ),
    (
        "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Trident/6.0; Tablet PC 2.0)",
        "IE", "10.0", "Windows", "8", "desktop",
    ),
    (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Googlebot", "2.1", None, None, "desktop",
    ),
    (
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/120.0.6099.129 Mobile Safari/537.36 "
        "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Googlebot", "2.1", "Android", "6.0.1", "desktop",
    ),
    ("curl/8.4.0", "curl", "8.4.0", None, None, "desktop"),
    (
        "Mozilla/5.0 (KAIOS/2.0; Mobile; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5",
        "Firefox Mobile", "48.0", "KaiOS", "2.0", "mobile",
    ),
    ("definitely not a browser", None, None, None, None, "desktop"),
]  # fmt: skip


@pytest.mark.parametrize(("header", "browser", "browser_version", "os", "os_version", "device"), CASES)
def test_parse_user_agent(header, browser, browser_version, os, os_version, device):
    assert parse_user_agent(header) == UserAgentInfo(browser, browser_version, os, os_version, device)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_empty_user_agent_is_all_none(header):
    assert parse_user_agent(header) == UserAgentInfo(None, None, None, None, None)


def test_surrounding_whitespace_is_ignored():
    assert parse_user_agent(f"  {IPHONE}\t") == parse_user_agent(IPHONE)


def test_repeated_user_agents_hit_the_cache():
    unique = f"{CHROME_WINDOWS} cache-probe"
    before = ua.statistics()
    first = parse_user_agent(unique)
    second = parse_user_agent(unique)
    after = ua.statistics()
    assert first is second
    assert after.misses == before.misses + 1
    assert after.hits == before.hits + 1
    assert 1 <= after.size <= ua.CACHE_SIZE


def test_oversized_user_agents_are_parsed_but_not_cached():
    huge = CHROME_WINDOWS + " x" * ua.MAX_CACHED_UA_CHARS
    before = ua.statistics()
    assert parse_user_agent(huge).browser == "Chrome"
    assert parse_user_agent(huge).browser == "Chrome"
    after = ua.statistics()
    assert after.misses == before.misses + 2
    assert after.size == before.size
