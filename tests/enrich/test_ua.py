import re
from datetime import datetime

import duckdb
import pytest

from sparklytics.enrich import ua
from sparklytics.enrich.ua import BROWSER_NAMES, UserAgentInfo, parse_user_agent
from sparklytics.events import EVENT_COLUMNS
from sparklytics.stores.duckdb import schema
from sparklytics.stores.duckdb.schema import MIGRATIONS, apply_migrations

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
    (IPHONE, "Safari", "17.1", "iOS", "17.1", "mobile"),
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
        "Chrome", "120.0.6099.144", "Android", "14", "mobile",
    ),
    (
        "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
        "Firefox", "121.0", "Android", "14", "mobile",
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
        "Safari", "16.6", "iOS", "16.6", "tablet",
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
        "Firefox", "41.0", "Android", "4.4", "tablet",
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
        "Firefox", "48.0", "KaiOS", "2.0", "mobile",
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
        "Chrome", "120.0.6099.119", "iOS", "17.1", "mobile",
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) FxiOS/121.0 Mobile/15E148 Safari/605.1.15",
        "Firefox", "121.0", "iOS", "17.1", "mobile",
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Mobile Safari/537.36 EdgA/120.0.2210.115",
        "Edge", "120.0.2210.115", "Android", "10", "mobile",
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; VOG-L29) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Mobile Safari/537.36 OPR/79.0.4195.76192",
        "Opera", "79.0.4195", "Android", "10", "mobile",
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36",
        "Chrome Webview", "120.0.6099.144", "Android", "13", "mobile",
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
        "Samsung Internet", "26.0", "Android", "14", "mobile",
    ),
    (
        "Opera/9.80 (J2ME/MIDP; Opera Mini/5.1.21214/28.2725; U; ru) Presto/2.8.119 Version/11.10",
        "Opera Mini", "5.1.21214", None, None, "mobile",
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


# -- migration 0004 renames stored rows with the same mapping --------------------------------


def test_migration_0004_holds_exactly_the_python_mapping():
    [migration] = [m for m in MIGRATIONS if m.name == "0004_browser_names"]
    pairs = re.findall(r"\('([^']*)', '([^']*)'\)", migration.sql)
    assert len(pairs) == len(dict(pairs))
    assert dict(pairs) == BROWSER_NAMES


def test_migration_0004_renames_browsers_in_events_and_sessions(tmp_path, monkeypatch):
    con = duckdb.connect(str(tmp_path / "0004.db"))
    monkeypatch.setattr(schema, "MIGRATIONS", tuple(m for m in MIGRATIONS if m.name != "0004_browser_names"))
    apply_migrations(con)
    monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS)
    stored = [*BROWSER_NAMES, "Chrome", "Samsung Internet", "Opera Mini", None]
    rows = []
    for number, browser in enumerate(stored, start=1):
        values = dict.fromkeys(EVENT_COLUMNS)
        values.update(
            id=number, website_id="site_m", session_id=number, visitor_id=f"v{number}", event_type="pageview",
            url="https://example.com/", path="/", is_bot=False, bot_score=0,
            created_at=datetime(2026, 3, 1, 10, number), browser=browser,
        )
        rows.append([values[c] for c in EVENT_COLUMNS])
        con.execute(
            "INSERT INTO sessions (session_id, website_id, visitor_id, first_seen, last_seen, pageview_count,"
            " event_count, entry_page, browser) VALUES (?, 'site_m', ?, ?, ?, 1, 1, '/', ?)",
            [number, f"v{number}", datetime(2026, 3, 1, 10, number), datetime(2026, 3, 1, 10, number), browser],
        )
    appender = con.appender("events", columns=list(EVENT_COLUMNS))
    appender.append_rows(rows)
    appender.flush()

    assert apply_migrations(con) == ["0004_browser_names"]

    expected = [BROWSER_NAMES.get(b, b) if b else None for b in stored]
    assert [r[0] for r in con.execute("SELECT browser FROM events ORDER BY id").fetchall()] == expected
    assert [r[0] for r in con.execute("SELECT browser FROM sessions ORDER BY session_id").fetchall()] == expected
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'browser_names%'").fetchone() == (0,)
    con.close()
