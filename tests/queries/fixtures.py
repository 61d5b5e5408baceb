"""Readable, deterministic seeding for the query tests.

``Seed`` collects events written like sentences::

    seed.event(path="/pricing", at="2026-03-02T10:02Z", visitor="u0", session="u0-d0")

and on :meth:`Seed.flush` writes them **and** the matching ``sessions`` rows, derived
exactly as the Writer maintains them: ``first_seen``/``last_seen`` = min/max event time,
``pageview_count`` = pageview events, ``event_count`` = all events,
``entry_path``/``exit_path`` = path of the first/last pageview, ``is_bot`` = the first
event's flag, and the landing columns (source and ``entry_page`` of the landing event,
first known client and place values: ``schema.SESSION_DIMENSIONS_FROM_EVENTS``).

:func:`seed_main_dataset` builds the shared dataset described in its docstring; every
expected number in the tests is worked out from that description by hand.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb

from sparklytics.enrich.ids import session_key
from sparklytics.sessions import CLIENT_COLUMNS, SOURCE_COLUMNS
from sparklytics.stores.duckdb.schema import SESSION_DIMENSIONS_FROM_EVENTS, SESSION_PATHS_FROM_EVENTS, apply_migrations

_SESSION_NAMES: dict[str, str] = {}


def session_hex(name: str) -> str:
    """The public session id the seed gives session ``name``: ``name`` itself when it is
    already 16 hex characters (to choose the order), else a hash of it."""
    public = name if session_key(name) is not None else hashlib.sha256(name.encode()).hexdigest()[:16]
    _SESSION_NAMES[public] = name
    return public


def session_key_of(name: str) -> int:
    """The UBIGINT stored for session ``name``."""
    return session_key(session_hex(name))


def session_name(public_id: str) -> str:
    """The seed's name of a session from the id the API shows."""
    return _SESSION_NAMES[public_id]


def ts(text: str) -> datetime:
    """``"2026-03-29T01:30Z"`` or ``"2026-03-29T01:30:15Z"`` → naive UTC datetime."""
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text[:-1])


def open_db(path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    apply_migrations(con)
    return con


@dataclass
class Seed:
    con: duckdb.DuckDBPyConnection
    _events: list[dict] = field(default_factory=list)
    _next_id: int = 1

    def website(self, id: str, timezone: str = "UTC", *, name: str | None = None) -> None:
        self.con.execute(
            "INSERT INTO websites (id, name, domain, timezone) VALUES (?, ?, ?, ?)",
            [id, name or id, f"{id}.example", timezone],
        )

    def event(
        self,
        *,
        at: str | datetime,
        path: str = "/",
        website: str = "site_utc",
        visitor: str = "v1",
        session: str | None = None,
        type: str = "pageview",
        name: str | None = None,
        data: object = None,
        raw_data: str | None = None,
        url: str | None = None,
        hostname: str = "example.com",
        referrer: str | None = None,
        channel: str | None = None,
        country: str | None = None,
        region: str | None = None,
        city: str | None = None,
        browser: str | None = None,
        os: str | None = None,
        device: str | None = None,
        screen: str | None = None,
        language: str | None = None,
        utm_source: str | None = None,
        utm_medium: str | None = None,
        utm_campaign: str | None = None,
        link_id: str | None = None,
        pixel_id: str | None = None,
        bot: bool = False,
    ) -> None:
        when = ts(at) if isinstance(at, str) else at
        event_data = raw_data if raw_data is not None else (json.dumps(data) if data is not None else None)
        self._events.append(
            {
                "id": self._next_id,
                "website_id": website,
                "session_id": session_key_of(session or f"{visitor}-s"),
                "visitor_id": visitor,
                "event_type": type,
                "url": url or f"https://{hostname}{path}",
                "path": path,
                "hostname": hostname,
                "referrer_url": f"https://{referrer}/" if referrer else None,
                "referrer_domain": referrer,
                "channel": channel,
                "event_name": name,
                "event_data": event_data,
                "country": country,
                "region": region,
                "city": city,
                "browser": browser,
                "os": os,
                "device_type": device,
                "screen": screen,
                "language": language,
                "utm_source": utm_source,
                "utm_medium": utm_medium,
                "utm_campaign": utm_campaign,
                "link_id": link_id,
                "pixel_id": pixel_id,
                "is_bot": bot,
                "bot_score": 95 if bot else 0,
                "created_at": when,
            }
        )
        self._next_id += 1

    def visit(self, *, at: str, pages: list[str], gap_minutes: int = 1, **kw) -> None:
        """Pageviews of ``pages`` starting at ``at``, ``gap_minutes`` apart."""
        start = ts(at)
        for i, page in enumerate(pages):
            self.event(at=start + timedelta(minutes=gap_minutes * i), path=page, **kw)

    def flush(self) -> None:
        """Write pending events (time order, like the Writer) and their sessions rows."""
        events = sorted(self._events, key=lambda e: (e["created_at"], e["id"]))
        self._events = []
        if not events:
            return
        columns = [r[1] for r in self.con.execute("PRAGMA table_info('events')").fetchall()]
        appender = self.con.appender("events")
        appender.append_rows([tuple(e.get(c) if c not in ("is_bot", "bot_score") else e[c] for c in columns) for e in events])
        appender.flush()
        del appender
        by_session: dict[str, list[dict]] = {}
        for e in events:
            by_session.setdefault(e["session_id"], []).append(e)
        for sid, evs in by_session.items():
            pageviews = [e for e in evs if e["event_type"] == "pageview"]
            first = evs[0]
            self.con.execute(
                "INSERT INTO sessions (session_id, website_id, visitor_id, first_seen, last_seen,"
                " pageview_count, event_count, entry_page, entry_path, exit_path, is_bot, bot_score)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    sid,
                    first["website_id"],
                    first["visitor_id"],
                    evs[0]["created_at"],
                    evs[-1]["created_at"],
                    len(pageviews),
                    len(evs),
                    first["url"],
                    pageviews[0]["path"] if pageviews else None,
                    pageviews[-1]["path"] if pageviews else None,
                    first["is_bot"],
                    first["bot_score"],
                ],
            )
        self._fill_session_dimensions()

    def _fill_session_dimensions(self) -> None:
        """The landing columns and viewed paths, by the rule the Writer follows (``schema``)."""
        columns = [*SOURCE_COLUMNS, "entry_page", *CLIENT_COLUMNS]
        assignments = ", ".join(f"{c} = d.{c}" for c in columns)
        self.con.execute(
            f"UPDATE sessions SET {assignments} FROM ({SESSION_DIMENSIONS_FROM_EVENTS}) d"
            " WHERE sessions.session_id = d.session_id"
        )
        self.con.execute(
            f"UPDATE sessions SET pageview_paths = p.pageview_paths FROM ({SESSION_PATHS_FROM_EVENTS}) p"
            " WHERE sessions.session_id = p.session_id"
        )


# ---------------------------------------------------------------------------------------
# The shared dataset
# ---------------------------------------------------------------------------------------

MAIN_START = date(2026, 3, 2)  # Monday
MAIN_END = date(2026, 3, 8)  # Sunday

# Regular visitors u0..u5 on site_utc, one session each per weekday Mon 2 – Fri 6 March.
_PAGES = {
    0: ["/", "/pricing", "/docs"],
    2: ["/", "/pricing", "/pricing"],
    4: ["/docs", "/docs", "/docs"],
}
_COUNTRY = {0: "US", 1: "US", 2: "US", 3: "DE", 4: "DE", 5: "FR"}
_PLACE = {"US": ("California", "San Francisco"), "DE": ("Berlin", "Berlin"), "FR": ("Ile-de-France", "Paris")}
_REFERRER = {0: "google.com", 1: "news.ycombinator.com"}
_CHANNEL = {0: "Paid Search", 1: "Referral", 2: "Email", 3: "Direct", 4: "Direct", 5: "Direct"}
_UTM = {0: ("google", "cpc", "brand"), 2: ("newsletter", "email", "spring")}
_SIGNUP_DATA = {
    0: {"plan": "pro", "source": "header"},
    2: {"plan": "free", "source": "footer"},
    4: {"plan": "free", "source": "header", "coupon": None},
}


def regular_dims(i: int) -> dict:
    country = _COUNTRY[i]
    region, city = _PLACE[country]
    return {
        "website": "site_utc",
        "visitor": f"u{i}",
        "country": country,
        "region": region,
        "city": city,
        "browser": "Chrome" if i < 3 else "Firefox",
        "os": "Mac OS X" if i % 2 == 0 else "Windows",
        "device": "desktop" if i < 4 else "mobile",
        "screen": "1920x1080" if i < 4 else "390x844",
        "language": "fr-FR" if i == 5 else "en-US",
        "referrer": _REFERRER.get(i),
        "channel": _CHANNEL[i],
        "hostname": "blog.example.com" if i == 3 else "example.com",
    }


def seed_main_dataset(seed: Seed) -> None:
    """The shared dataset. Two websites: ``site_utc`` (UTC) and ``site_la`` (Los Angeles).

    **site_utc, primary week Mon 2 – Sun 8 March 2026** (the weekend is empty):

    For each weekday d = 0..4 (2 – 6 March) and each regular visitor i = 0..5 there is
    one session ``u{i}-d{d}`` starting at ``10:00 + i h`` UTC:

    ===  ===============================  ============================================
    i    pageviews (at +0, +2, +4 min)    other
    ===  ===============================  ============================================
    0    /  /pricing  /docs               signup_click at +3 min on /pricing {"plan":"pro","source":"header"}
    1    /blog/hello                      bounce (1 pageview, 0 s)
    2    /  /pricing  /pricing            signup_click at +3 min on /pricing {"plan":"free","source":"footer"}
    3    /blog/hello (blog.example.com)   bounce
    4    /docs  /docs  /docs              signup_click at +3 min on /docs {"plan":"free","source":"header","coupon":null}
    5    /blog/hello                      bounce
    ===  ===============================  ============================================

    So sessions with i even last 240 s (last event at +4 min), odd ones 0 s.
    Dimensions by i (on every event of the session): country US US US DE DE FR
    (region/city California/San Francisco, Berlin/Berlin, Ile-de-France/Paris);
    browser Chrome ×3 then Firefox ×3; os "Mac OS X" for even i, Windows for odd; device
    desktop for i < 4 else mobile (screen 1920x1080 / 390x844); language fr-FR for i = 5
    else en-US; referrer google.com (i=0), news.ycombinator.com (i=1), else none; channel
    Paid Search, Referral, Email, Direct, Direct, Direct. UTM only on the **first**
    pageview of a session: i=0 google/cpc/brand, i=2 newsletter/email/spring.

    Extra rows in the primary week:

    * ``u9`` / session ``u9-link``: one server-made ``event`` ``link_click`` on path
      /go/promo at Thu 5 March 12:30, channel Direct, no geo/UA/referrer.
    * ``bot1`` / ``bot1-s`` (is_bot): pageviews / /a /b /c at Wed 4 March 03:00..03:03,
      browser HeadlessChrome, os Linux, desktop, US, channel Direct.

    **site_utc, the next week Mon 9 – Fri 13 March**: the same pattern for i = 0..3 only
    (sessions ``u{i}-d5`` … ``u{i}-d9``): per day 8 pageviews + 2 signup_click.

    Totals, humans, primary week: pageviews 5 × 12 = 60; custom events 5 × 3 + 1 = 16;
    events 76; visitors u0..u5 + u9 = 7; sessions 31; bounces 15.

    **site_utc, previous period Mon 23 Feb – Sun 1 Mar**: Wed 25 Feb ``u0``/``u0-prev``
    pageviews / /pricing at 10:00, 10:01 (US, Chrome) and ``p1``/``p1-prev`` / at 11:00
    (GB, Safari, a bounce).

    **site_utc, a year earlier (2 – 8 March 2025)**: Tue 3 March 2025 ``y1``/``y1-s``
    pageviews / /docs at 09:00, 09:05 (US).

    **site_la** (America/Los_Angeles; UTC−8, UTC−7 from Sun 8 March 10:00 UTC), one
    pageview of / per row:

    ====================  ======================  ========  =========
    UTC                   local                   visitor   session
    ====================  ======================  ========  =========
    2026-03-07 07:30      Fri 6 Mar 23:30 PST     w1        w1-a
    2026-03-07 08:30      Sat 7 Mar 00:30 PST     w2        w2-a
    2026-03-08 09:30      Sun 8 Mar 01:30 PST     w3        w3-a
    2026-03-08 10:30      Sun 8 Mar 03:30 PDT     w3        w3-a
    2026-03-09 06:59      Sun 8 Mar 23:59 PDT     w4        w4-a
    2026-03-09 07:00      Mon 9 Mar 00:00 PDT     w5        w5-a
    ====================  ======================  ========  =========
    """
    seed.website("site_utc", "UTC")
    seed.website("site_la", "America/Los_Angeles")

    weekdays = [MAIN_START + timedelta(days=d) for d in (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)]
    for d, day in enumerate(weekdays):
        for i in range(6 if d < 5 else 4):
            dims = regular_dims(i)
            session = f"u{i}-d{d}"
            start = datetime.combine(day, datetime.min.time()) + timedelta(hours=10 + i)
            pages = _PAGES.get(i, ["/blog/hello"])
            for k, page in enumerate(pages):
                utm = _UTM.get(i) if k == 0 else None
                seed.event(
                    at=start + timedelta(minutes=2 * k),
                    path=page,
                    session=session,
                    utm_source=utm[0] if utm else None,
                    utm_medium=utm[1] if utm else None,
                    utm_campaign=utm[2] if utm else None,
                    **dims,
                )
            if i in _SIGNUP_DATA:
                seed.event(
                    at=start + timedelta(minutes=3),
                    type="event",
                    name="signup_click",
                    data=_SIGNUP_DATA[i],
                    path=pages[1],
                    session=session,
                    **dims,
                )

    seed.event(
        at="2026-03-05T12:30Z", type="event", name="link_click", path="/go/promo",
        visitor="u9", session="u9-link", channel="Direct",
    )
    seed.visit(
        at="2026-03-04T03:00Z", pages=["/", "/a", "/b", "/c"], visitor="bot1", session="bot1-s",
        browser="HeadlessChrome", os="Linux", device="desktop", country="US", channel="Direct",
        bot=True,
    )

    # Previous period and previous year.
    seed.visit(at="2026-02-25T10:00Z", pages=["/", "/pricing"], visitor="u0", session="u0-prev",
               country="US", browser="Chrome")
    seed.visit(at="2026-02-25T11:00Z", pages=["/"], visitor="p1", session="p1-prev",
               country="GB", browser="Safari")
    seed.visit(at="2025-03-03T09:00Z", pages=["/", "/docs"], gap_minutes=5, visitor="y1",
               session="y1-s", country="US")

    # site_la around the spring-forward transition.
    for at, visitor in (
        ("2026-03-07T07:30Z", "w1"),
        ("2026-03-07T08:30Z", "w2"),
        ("2026-03-08T09:30Z", "w3"),
        ("2026-03-08T10:30Z", "w3"),
        ("2026-03-09T06:59Z", "w4"),
        ("2026-03-09T07:00Z", "w5"),
    ):
        seed.event(at=at, website="site_la", visitor=visitor, session=f"{visitor}-a",
                   hostname="shop.example.com")
    seed.flush()
