"""The parsed report query: request parameters → :class:`ReportQuery`, with no SQL.

Every analytics report takes a :class:`ReportQuery`. The API layer builds it once with
:func:`parse_report_query`, which validates *all* parameters up front and raises
:class:`~sparklytics.queries.errors.QueryError` with the exact API.md message. The
stores turn it into their own SQL (``stores/duckdb/where.py`` for DuckDB); what they
share lives here:

* :func:`time_bounds` — the local-day range as naive UTC instants (DST-correct, via
  ``zoneinfo``), so a store compares the raw ``created_at`` column and its engine prunes
  by min/max.
* :data:`FILTERS` — the registry of dimension filters: their keys, the longest value
  each takes, their English, and whether they test the event or the visit's source.
* :func:`offset_segments` — the UTC offsets in force over a range, for local buckets.

Routes and what they accept (``route=`` of :func:`parse_report_query`):

==================  =========  ========  =======  =======  ===========================
route               dates      max days  filters  compare  extras
==================  =========  ========  =======  =======  ===========================
stats               default    –         yes (*)  yes
pageviews           default    –         yes      yes      granularity
metrics             default    –         yes      yes      type, limit (clamp), offset
realtime            –          –         –        –
events              default    90        yes      –        (timezone non-blank)
event_properties    default    90        yes      –        event_name (required)
event_timeseries    default    90        yes      –        event_name, granularity
sessions            default    –         yes      –        limit 1..200, cursor
goal_stats          default    –         yes      –        (goal: queries.goals)
goal_conversions    default    –         yes      yes      (every goal of the website)
attribution         default    –         yes      –        (options: queries.goals)
revenue_summary     default    –         yes      –        (options: queries.goals)
campaigns           default    –         yes      –        (links and pixels, their stats)
funnel_results      default    90        strict   –        default 30 days
journey             required   –         strict   –        (options: queries.journey)
retention           required   –         strict   –        (options: queries.retention)
export              required   90        –        –        format; bots always included
bot_summary         default    90        –        –        bots and humans alike
bot_report          default    90        –        –        granularity; bots and humans
bot_recompute       default    30        –        –        (dates from the JSON body)
share_stats         default    90        –        –        bots = policy default
share_pageviews     default    90        –        –        granularity
share_metrics       default    90        –        –        type, limit, offset
share_overview      default    90        –        –        granularity
==================  =========  ========  =======  =======  ===========================

(*) ``stats`` also checks ``filter_country`` is two ASCII capitals (API.md §1.2).

Dates are strict everywhere (Decision 19): a ``start_date``/``end_date`` that is present
but not a real ``YYYY-MM-DD`` day (``garbage``, ``2026-02-30``) is ``invalid start_date
(expected YYYY-MM-DD)`` (or ``end_date``) on every route, the share routes included.
*default* dates: a missing (or blank) date takes the route's default (the last 7 local
days, funnel results 30); *required*: a missing one is ``start_date is required``.
*strict* filters (funnels, journey, retention): values are trimmed, a blank one is
``<f> cannot be empty when provided`` and an over-long one ``<f> is too long (max N
characters)`` (``Filter.max_chars``).
These three routes also refuse a blank ``timezone``. Their other parameters (anchor,
cohort size …) belong to one report each and are parsed in its module.

Source filters (Decision 21): ``filter_referrer``, ``filter_utm_source``,
``filter_utm_medium``, ``filter_utm_campaign`` and ``filter_channel`` test the visit's
source, kept on its ``sessions`` row (``sparklytics.sessions``: the landing event's), and
select every event of the matching sessions, as Plausible's ``visit:source`` does: the
"news.ycombinator.com — 1 visitor, 3 pageviews" row of the referrer breakdown filters
to 3 pageviews, not to the one pageview whose own referrer was Hacker News.
``filter_referrer=(direct)`` selects the sessions without a referrer, the row the
breakdown shows under that name. Every other filter tests each event.

Contract decisions taken here (API.md is silent or Decision 4 changed it):

* Time zone: ``timezone`` param, else the website's stored zone, else UTC. Names must
  be in ``zoneinfo.available_timezones()`` (or ``UTC``), else ``invalid timezone``. A
  stored website zone that is not valid falls back to UTC silently (the user did not
  send it). A blank ``timezone`` param is "absent", except on the three events routes
  (``timezone cannot be empty when provided``).
* Date defaults are today−6 … today where "today" is the local date in the report's
  time zone. Only ``YYYY-MM-DD`` (trimmed) is a date; the contract's lenient fallback
  for anything else is gone (Decision 19).
* Every route refuses a well-formed date outside 1970-01-01 … 2199-12-31
  (``start_date must be between 1970-01-01 and 2199-12-31``), and an explicit
  ``granularity`` that would zero-fill more than ~10 000 buckets (hour: 416 days, day:
  10 000 days): 400s instead of a date overflow or an unbounded series.
* Local midnight that does not exist (a DST jump at 00:00) maps to the first instant
  of the day; an ambiguous one maps to the earliest instant (``fold=0``).
* ``include_bots`` accepts ``true|false|1|0`` (any case) on every route that takes it;
  anything else is ``include_bots must be one of: true, false, 1, 0``. Empty = default.
* An empty filter value means "no filter". An unknown ``filter_*`` name is a 400
  ``unknown filter: <name>``. Routes without filters ignore ``filter_*`` params.
* ``type`` missing on metrics → ``type parameter is required`` (as on share metrics).
  Non-integer ``limit``/``offset`` → ``limit must be an integer`` / ``offset must be an
  integer`` (sessions: ``limit must be between 1 and 200``).
* ``compare_mode=custom`` without both dates → ``compare_start_date and
  compare_end_date are required for custom compare_mode``; a malformed date →
  ``invalid compare_start_date (expected YYYY-MM-DD)``; reversed →
  ``compare_end_date must be on or after compare_start_date``. Lengths are inclusive
  day counts: ``comparison days > 2 × primary days`` is refused.
* Export dates are required: ``start_date is required``, ``invalid start_date
  (expected YYYY-MM-DD)``; the span error uses the ``date range`` label.

"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, available_timezones

from sparklytics.enrich.ids import session_key
from sparklytics.goals import Goal

from .conditions import Condition
from .errors import QueryError

__all__ = [
    "COMPARE_MODES",
    "FILTERS",
    "MAX_BUCKET_DAYS",
    "SUPPORTED_DATES",
    "METRIC_TYPES",
    "ROUTES",
    "Compare",
    "Filter",
    "ReportQuery",
    "SessionCursor",
    "compare_meta",
    "comparison_query",
    "decode_cursor",
    "describe_filters",
    "encode_cursor",
    "is_valid_timezone",
    "local_midnight_utc",
    "minus_one_year",
    "offset_segments",
    "parse_bounded_int",
    "parse_report_query",
    "previous_period_query",
    "time_bounds",
    "utc_offset_seconds",
]

UTC = timezone.utc
DEFAULT_RANGE_DAYS = 7
# ``period=24h``: the 24 hours up to now instead of whole local days (Plausible's "24h").
ROLLING_PERIODS = {"24h": timedelta(hours=24)}
COMPARE_MODES = ("none", "previous_period", "previous_year", "custom")
GRANULARITIES = ("hour", "day", "month")

# The 14 metric types of API.md §1.5 plus our session- and channel-level ones.
METRIC_TYPES = (
    "page",
    "referrer",
    "country",
    "region",
    "city",
    "browser",
    "os",
    "device",
    "screen",
    "event_name",
    "language",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "entry_page",
    "exit_page",
    "channel",
)

# Dates a report accepts. Beyond them the local-day bounds overflow Python's dates
# (9999-12-31 + 1 day) or a zero-filled series grows without bound; no web analytics
# data is that old or that far ahead.
SUPPORTED_DATES = (date(1970, 1, 1), date(2199, 12, 31))
# An explicit granularity may not ask for more than ~10 000 zero-filled buckets; auto
# granularity never does (≤ 2 days hourly, ≤ 60 days daily, then monthly).
MAX_BUCKET_DAYS = {"hour": 416, "day": 10_000}

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
_INT_RE = re.compile(r"^[+-]?\d{1,9}$")


# ---------------------------------------------------------------------------------------
# Filters registry
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filter:
    """One dimension filter: its API name, what it tests and the longest value it takes.

    A ``session`` filter tests the visit's source (Decision 21) and selects all the
    events of the matching sessions; the others test each event. ``max_chars`` is the
    limit of the strict routes (API.md §1.2). How a filter becomes SQL is each store's
    business (``stores/duckdb/where.py``).
    """

    key: str
    human: str
    max_chars: int
    session: bool = False

    def describe(self, value: str) -> str:
        return self.human.format(value=value)


# ``filter_goal=<goal id>`` keeps the sessions that converted on that goal in the range
# (Plausible's ``event:goal``); the caller looks the goal up, it is not a column value.
GOAL_FILTER = "filter_goal"

FILTERS: dict[str, Filter] = {
    f.key: f
    for f in (
        Filter("filter_country", "country is {value!r}", 64),
        # Decision 3: a substring of the normalized path.
        Filter("filter_page", "page contains {value!r}", 512),
        # "(direct)" selects the visits without a referrer, as the breakdown names them.
        Filter("filter_referrer", "visit referrer is {value!r}", 512, session=True),
        Filter("filter_browser", "browser is {value!r}", 128),
        Filter("filter_os", "os is {value!r}", 128),
        Filter("filter_device", "device is {value!r}", 64),
        Filter("filter_language", "language is {value!r}", 64),
        Filter("filter_utm_source", "visit utm_source is {value!r}", 256, session=True),
        Filter("filter_utm_medium", "visit utm_medium is {value!r}", 256, session=True),
        Filter("filter_utm_campaign", "visit utm_campaign is {value!r}", 256, session=True),
        Filter("filter_region", "region is {value!r}", 128),
        Filter("filter_city", "city is {value!r}", 128),
        Filter("filter_hostname", "hostname is {value!r} (any case)", 255),
        Filter("filter_channel", "visit channel is {value!r}", 64, session=True),
    )
}


# ---------------------------------------------------------------------------------------
# Route policies
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Policy:
    dates: str = "default"  # default (missing → default range) | required | none
    default_days: int = DEFAULT_RANGE_DAYS
    max_days: int | None = None
    range_label: str = "date range"
    filters: bool = True
    strict_filters: bool = False
    strict_country: bool = False
    include_bots: str = "param"  # param | policy | all
    compare: bool = False
    granularity: bool = False
    metric: bool = False
    limit: tuple[str, int, int, int] | None = None  # (mode, default, lo, hi)
    offset: bool = False
    cursor: bool = False
    event_name: bool = False
    blank_timezone_is_error: bool = False
    export_format: bool = False


_EVENTS = dict(max_days=90, blank_timezone_is_error=True)
_SHARE = dict(max_days=90, range_label="share date range", filters=False, include_bots="policy")
_EXPLORE = dict(strict_filters=True, blank_timezone_is_error=True)

ROUTES: dict[str, _Policy] = {
    "stats": _Policy(strict_country=True, compare=True),
    "pageviews": _Policy(compare=True, granularity=True),
    "metrics": _Policy(compare=True, metric=True, limit=("clamp", 10, 1, 100), offset=True),
    "realtime": _Policy(dates="none", filters=False),
    "events": _Policy(**_EVENTS),
    "event_properties": _Policy(**_EVENTS, event_name=True),
    "event_timeseries": _Policy(**_EVENTS, event_name=True, granularity=True),
    "sessions": _Policy(limit=("strict", 50, 1, 200), cursor=True),
    "goal_stats": _Policy(),
    "goal_conversions": _Policy(compare=True),
    "attribution": _Policy(),
    "revenue_summary": _Policy(),
    "campaigns": _Policy(),
    "funnel_results": _Policy(default_days=30, max_days=90, **_EXPLORE),
    "journey": _Policy(dates="required", **_EXPLORE),
    "retention": _Policy(dates="required", **_EXPLORE),
    "export": _Policy(
        dates="required", max_days=90, filters=False, include_bots="all", export_format=True
    ),
    "bot_summary": _Policy(max_days=90, filters=False, include_bots="all"),
    "bot_report": _Policy(max_days=90, filters=False, include_bots="all", granularity=True),
    "bot_recompute": _Policy(max_days=30, filters=False, include_bots="all"),
    "share_stats": _Policy(**_SHARE),
    "share_pageviews": _Policy(**_SHARE, granularity=True),
    "share_metrics": _Policy(**_SHARE, metric=True, limit=("clamp", 10, 1, 100), offset=True),
    "share_overview": _Policy(**_SHARE, granularity=True),
}


# ---------------------------------------------------------------------------------------
# The query
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Compare:
    """An active comparison: its mode slug and the comparison's local-day range (and its
    UTC window when the primary range is a rolling period)."""

    mode: str
    start: date
    end: date
    window: tuple[datetime, datetime] | None = None


@dataclass(frozen=True, slots=True)
class SessionCursor:
    """Where a sessions page resumes: after (last_seen, session_id) in DESC order.

    ``last_seen`` is the naive UTC text of the last row (``CAST … AS VARCHAR``).
    """

    last_seen: str
    session_id: str

    @property
    def last_seen_at(self) -> datetime:
        return datetime.fromisoformat(self.last_seen)


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """Everything a report needs, validated. ``start``/``end`` are inclusive local days.

    ``window`` is set for a rolling period (``period=24h``): the report covers exactly
    that naive-UTC ``[start, end)`` span, and ``start``/``end`` are the local days it
    touches. Route-specific fields are ``None`` (or 0) on routes that do not take them.
    """

    website_id: str
    timezone: str
    start: date
    end: date
    filters: tuple[tuple[str, str], ...] = ()
    include_bots: bool = False
    compare: Compare | None = None
    granularity: str | None = None
    metric: str | None = None
    limit: int | None = None
    offset: int = 0
    cursor: SessionCursor | None = None
    event_name: str | None = None
    website_timezone: str = "UTC"
    window: tuple[datetime, datetime] | None = None
    goal: Goal | None = None
    # Filters with operators and nesting (``queries.conditions``), as the Stats API v2 sends them.
    condition: Condition | None = None

    @property
    def has_filters(self) -> bool:
        """Whether anything narrows the events: a dimension filter, ``filter_goal`` or a condition."""
        return bool(self.filters) or self.goal is not None or self.condition is not None

    @property
    def days(self) -> int:
        """Inclusive number of local days in the range."""
        return (self.end - self.start).days + 1

    @property
    def tzinfo(self) -> ZoneInfo:
        return _zone(self.timezone)

    def with_range(self, start: date, end: date, window: tuple[datetime, datetime] | None = None) -> ReportQuery:
        """The same query over another range (used for comparisons)."""
        return dataclasses.replace(self, start=start, end=end, window=window)


def parse_report_query(
    params: Mapping[str, str],
    *,
    route: str,
    website_id: str,
    website_timezone: str | None = None,
    include_bots_default: bool = False,
    now: datetime | None = None,
    goal: Goal | None = None,
) -> ReportQuery:
    """Validate the query string of one analytics route and build its :class:`ReportQuery`.

    Args:
        params: the raw query parameters (first value of each name).
        route: a key of :data:`ROUTES` (e.g. ``"stats"``, ``"share_metrics"``).
        website_id: the website the route is about (already checked to exist).
        website_timezone: the website's stored ``timezone`` (``None`` → UTC).
        include_bots_default: ``True`` only when the website's bot policy mode is ``off``.
        now: the current instant (aware, or naive UTC); defaults to the clock. Tests pass it.
        goal: the goal ``filter_goal`` names, looked up by the caller (``None`` when the
            website has no such goal).

    Raises:
        QueryError: with the exact API.md message for the first invalid parameter.
    """
    try:
        policy = ROUTES[route]
    except KeyError:
        raise ValueError(f"unknown route {route!r}") from None

    tz_name = _resolve_timezone(params.get("timezone"), website_timezone, policy)
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    today = now.astimezone(_zone(tz_name)).date()

    window = _parse_period(params, policy, now)
    if window is None:
        start, end = _parse_range(params, policy, today)
    else:
        start, end = _local_days(window, _zone(tz_name))
    include_bots = _parse_include_bots(params.get("include_bots"), policy, include_bots_default)
    filters = _parse_filters(params, policy)
    goal = _parse_goal_filter(params.get(GOAL_FILTER), policy, goal)
    compare = _parse_compare(params, start, end, window, _zone(tz_name)) if policy.compare else None

    granularity = None
    if policy.granularity:
        granularity = _parse_granularity(params.get("granularity"), (end - start).days + 1)
    metric = _parse_metric(params.get("type")) if policy.metric else None
    limit = _parse_limit(params.get("limit"), policy.limit) if policy.limit else None
    offset = _parse_offset(params.get("offset")) if policy.offset else 0
    cursor = _parse_cursor(params.get("cursor")) if policy.cursor else None
    event_name = _parse_event_name(params.get("event_name")) if policy.event_name else None
    if policy.export_format:
        fmt = (params.get("format") or "csv").strip()
        if fmt != "csv":
            raise QueryError(f"unsupported format: {fmt}; only 'csv' is supported", "format")

    return ReportQuery(
        website_id=website_id,
        timezone=tz_name,
        start=start,
        end=end,
        filters=filters,
        include_bots=include_bots,
        compare=compare,
        granularity=granularity,
        metric=metric,
        limit=limit,
        offset=offset,
        cursor=cursor,
        event_name=event_name,
        website_timezone=website_timezone or "UTC",
        window=window,
        goal=goal,
    )


# -- parameter parsers -------------------------------------------------------------------


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


@functools.lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_valid_timezone(name: str) -> bool:
    """True for an IANA zone name this server can bucket in."""
    return name in _known_zones()


def _resolve_timezone(raw: str | None, website_tz: str | None, policy: _Policy) -> str:
    if raw is not None:
        name = raw.strip()
        if name:
            if not is_valid_timezone(name):
                raise QueryError("invalid timezone", "timezone")
            return name
        if policy.blank_timezone_is_error:
            raise QueryError("timezone cannot be empty when provided", "timezone")
    if website_tz and is_valid_timezone(website_tz):
        return website_tz
    return "UTC"


def _parse_date(raw: str | None) -> date | None:
    if raw is None:
        return None
    text = raw.strip()
    if not _DATE_RE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _parse_range(params: Mapping[str, str], policy: _Policy, today: date) -> tuple[date, date]:
    if policy.dates == "none":
        return today, today
    default_start = today - timedelta(days=policy.default_days - 1)
    if policy.dates == "required":
        start = _required_date(params, "start_date")
        end = _required_date(params, "end_date")
    else:
        start = _strict_date(params, "start_date", default_start)
        end = _strict_date(params, "end_date", today)
    if end < start:
        raise QueryError("end_date must be on or after start_date", "end_date")
    days = (end - start).days + 1
    if policy.max_days is not None and days > policy.max_days:
        raise QueryError(
            f"{policy.range_label} too large: {days} days (max {policy.max_days})", "start_date"
        )
    return start, end


def _parse_period(params: Mapping[str, str], policy: _Policy, now: datetime) -> tuple[datetime, datetime] | None:
    """The naive-UTC window of ``period=24h`` (ending now), or ``None`` without it."""
    raw = params.get("period")
    if raw is None or not raw.strip():
        return None
    length = ROLLING_PERIODS.get(raw.strip())
    if length is None:
        raise QueryError(f"period must be one of: {', '.join(ROLLING_PERIODS)}", "period")
    if policy.dates != "default":
        raise QueryError("period is not supported here; give start_date and end_date", "period")
    for name in ("start_date", "end_date"):
        if (params.get(name) or "").strip():
            raise QueryError(f"period cannot be combined with {name}", "period")
    end = now.astimezone(UTC).replace(tzinfo=None)
    return end - length, end


def _local_days(window: tuple[datetime, datetime], tz: ZoneInfo) -> tuple[date, date]:
    """The first and last local day that ``window`` touches."""
    start, end = window
    last = end - timedelta(microseconds=1)
    return start.replace(tzinfo=UTC).astimezone(tz).date(), last.replace(tzinfo=UTC).astimezone(tz).date()


def _required_date(params: Mapping[str, str], name: str) -> date:
    raw = params.get(name)
    if raw is None or not raw.strip():
        raise QueryError(f"{name} is required", name)
    parsed = _parse_date(raw)
    if parsed is None:
        raise QueryError(f"invalid {name} (expected YYYY-MM-DD)", name)
    return _supported(parsed, name)


def _supported(day: date, name: str) -> date:
    """``day`` unless it is outside :data:`SUPPORTED_DATES` (a 400 naming the bounds)."""
    low, high = SUPPORTED_DATES
    if not low <= day <= high:
        raise QueryError(f"{name} must be between {low} and {high}", name)
    return day


def _strict_date(params: Mapping[str, str], name: str, default: date) -> date:
    raw = params.get(name)
    if raw is None or not raw.strip():
        return default
    return _required_date(params, name)


def _parse_include_bots(raw: str | None, policy: _Policy, default: bool) -> bool:
    if policy.include_bots == "all":
        return True
    if policy.include_bots == "policy" or raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise QueryError("include_bots must be one of: true, false, 1, 0", "include_bots")


def _parse_filters(params: Mapping[str, str], policy: _Policy) -> tuple[tuple[str, str], ...]:
    if not policy.filters:
        return ()
    for name in params:
        if name.startswith("filter_") and name not in FILTERS and name != GOAL_FILTER:
            raise QueryError(f"unknown filter: {name}", name)
    out = []
    for key in FILTERS:  # registry order → deterministic SQL
        value = params.get(key)
        if value is not None and policy.strict_filters:
            value = _strict_filter_value(key, value)
        if value is None or value == "":
            continue
        if key == "filter_country" and policy.strict_country and not _COUNTRY_RE.match(value):
            raise QueryError("filter_country must be ISO 3166-1 alpha-2 (2 chars)", key)
        out.append((key, value))
    return tuple(out)


def _parse_goal_filter(raw: str | None, policy: _Policy, goal: Goal | None) -> Goal | None:
    value = (raw or "").strip()
    if not policy.filters or not value:
        return None
    if goal is None or goal.id != value:
        raise QueryError(f"{GOAL_FILTER} does not name a goal of this website", GOAL_FILTER)
    return goal


def _strict_filter_value(key: str, raw: str) -> str:
    value = raw.strip()
    if not value:
        raise QueryError(f"{key} cannot be empty when provided", key)
    limit = FILTERS[key].max_chars
    if len(value) > limit:
        raise QueryError(f"{key} is too long (max {limit} characters)", key)
    return value


def _parse_compare(
    params: Mapping[str, str], start: date, end: date, window: tuple[datetime, datetime] | None, tz: ZoneInfo
) -> Compare | None:
    mode = (params.get("compare_mode") or "").strip()
    if mode in ("", "none"):
        return None
    if mode not in COMPARE_MODES:
        raise QueryError(
            "compare_mode must be one of: none, previous_period, previous_year, custom",
            "compare_mode",
        )
    if window is not None and mode in ("previous_period", "previous_year"):
        shifted = _previous_window(window, mode)
        return Compare(mode, *_local_days(shifted, tz), window=shifted)
    if mode == "previous_period":
        length = (end - start).days + 1
        return Compare(mode, start - timedelta(days=length), start - timedelta(days=1))
    if mode == "previous_year":
        return Compare(mode, minus_one_year(start), minus_one_year(end))
    raw_start, raw_end = params.get("compare_start_date"), params.get("compare_end_date")
    if not (raw_start or "").strip() or not (raw_end or "").strip():
        raise QueryError(
            "compare_start_date and compare_end_date are required for custom compare_mode",
            "compare_start_date",
        )
    c_start = _required_date(params, "compare_start_date")
    c_end = _required_date(params, "compare_end_date")
    if c_end < c_start:
        raise QueryError("compare_end_date must be on or after compare_start_date", "compare_end_date")
    if (c_end - c_start).days + 1 > 2 * ((end - start).days + 1):
        raise QueryError(
            "comparison range cannot exceed primary range duration x 2", "compare_end_date"
        )
    return Compare(mode, c_start, c_end)


def _previous_window(window: tuple[datetime, datetime], mode: str) -> tuple[datetime, datetime]:
    """The span just before ``window`` (previous_period), or a year earlier."""
    start, end = window
    if mode == "previous_period":
        return start - (end - start), start
    return _minus_one_year_at(start), _minus_one_year_at(end)


def _minus_one_year_at(instant: datetime) -> datetime:
    return datetime.combine(minus_one_year(instant.date()), instant.time())


def minus_one_year(d: date) -> date:
    """The same calendar day 12 months earlier; Feb 29 becomes Feb 28."""
    if d.month == 2 and d.day == 29:
        return date(d.year - 1, 2, 28)
    return d.replace(year=d.year - 1)


def _parse_granularity(raw: str | None, days: int) -> str:
    value = (raw or "").strip()
    if value in GRANULARITIES:
        longest = MAX_BUCKET_DAYS.get(value)
        if longest is not None and days > longest:
            raise QueryError(
                f"granularity {value} covers at most {longest} days (got {days}); use a longer granularity",
                "granularity",
            )
        return value
    if days <= 2:
        return "hour"
    if days <= 60:
        return "day"
    return "month"


def _parse_metric(raw: str | None) -> str:
    if raw is None or not raw.strip():
        raise QueryError("type parameter is required", "type")
    value = raw.strip()
    if value not in METRIC_TYPES:
        raise QueryError(f"invalid metric type: {value}", "type")
    return value


def _parse_limit(raw: str | None, spec: tuple[str, int, int, int]) -> int:
    mode, default, lo, hi = spec
    if raw is None or not raw.strip():
        return default
    text = raw.strip()
    if mode == "strict":
        if not _INT_RE.match(text) or not lo <= int(text) <= hi:
            raise QueryError(f"limit must be between {lo} and {hi}", "limit")
        return int(text)
    if not _INT_RE.match(text):
        raise QueryError("limit must be an integer", "limit")
    return min(max(int(text), lo), hi)


def _parse_offset(raw: str | None) -> int:
    if raw is None or not raw.strip():
        return 0
    if not _INT_RE.match(raw.strip()):
        raise QueryError("offset must be an integer", "offset")
    return max(int(raw.strip()), 0)


def parse_bounded_int(raw: str | None, low: int, high: int, error: QueryError) -> int | None:
    """A report option that counts something: ``None`` when absent or blank, the number
    when it is plain ASCII digits within ``low``–``high``, else ``error`` is raised."""
    text = (raw or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise error
    return int(text)


def _parse_event_name(raw: str | None) -> str:
    if raw is None:
        raise QueryError("event_name query parameter is required", "event_name")
    value = raw.strip()
    if not value:
        raise QueryError("event_name must not be empty", "event_name")
    if len(value) > 255:
        raise QueryError("event_name must be 255 characters or fewer", "event_name")
    return value


# -- sessions cursor ---------------------------------------------------------------------


def encode_cursor(last_seen: str, session_id: str) -> str:
    """Opaque cursor: URL-safe base64 (no padding) of JSON ``{"ls", "sid"}``."""
    raw = json.dumps({"ls": last_seen, "sid": session_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> SessionCursor:
    """Inverse of :func:`encode_cursor`; accepts standard or URL-safe base64, padded or not.

    Raises:
        QueryError: ``invalid cursor`` for anything that is not such a cursor.
    """
    try:
        cleaned = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
        raw = base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
        obj = json.loads(raw)
        ls, sid = obj["ls"], obj["sid"]
        if not isinstance(ls, str) or not isinstance(sid, str) or session_key(sid) is None:
            raise ValueError
        if datetime.fromisoformat(ls).tzinfo is not None:
            raise ValueError
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise QueryError("invalid cursor", "cursor") from None
    return SessionCursor(ls, sid)


def _parse_cursor(raw: str | None) -> SessionCursor | None:
    if raw is None or not raw.strip():
        return None
    return decode_cursor(raw)


# ---------------------------------------------------------------------------------------
# Comparison ranges
# ---------------------------------------------------------------------------------------


def previous_period_query(q: ReportQuery) -> ReportQuery:
    """The equal-length range immediately before ``q``'s range."""
    if q.window is not None:
        window = _previous_window(q.window, "previous_period")
        return q.with_range(*_local_days(window, q.tzinfo), window)
    return q.with_range(q.start - timedelta(days=q.days), q.start - timedelta(days=1))


def comparison_query(q: ReportQuery) -> ReportQuery | None:
    """``q`` over its comparison range, or ``None`` when compare is not active."""
    if q.compare is None:
        return None
    return q.with_range(q.compare.start, q.compare.end, q.compare.window)


def compare_meta(q: ReportQuery) -> dict | None:
    """The top-level ``"compare"`` object of API.md §1.5, or ``None``."""
    if q.compare is None:
        return None
    return {
        "mode": q.compare.mode,
        "primary_range": [q.start.isoformat(), q.end.isoformat()],
        "comparison_range": [q.compare.start.isoformat(), q.compare.end.isoformat()],
    }


# ---------------------------------------------------------------------------------------
# Time: local days → UTC bounds, local offsets
# ---------------------------------------------------------------------------------------


def local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    """Naive UTC instant where local ``day`` begins (gap → first instant, fold → earliest)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


def time_bounds(q: ReportQuery) -> tuple[datetime, datetime]:
    """``(utc_start, utc_end)``: naive UTC, start inclusive, end exclusive."""
    if q.window is not None:
        return q.window
    tz = q.tzinfo
    return local_midnight_utc(q.start, tz), local_midnight_utc(q.end + timedelta(days=1), tz)


def utc_offset_seconds(tz: ZoneInfo, utc_naive: datetime) -> int:
    """The offset of ``tz`` (seconds east of UTC) at a naive UTC instant."""
    off = utc_naive.replace(tzinfo=UTC).astimezone(tz).utcoffset()
    assert off is not None
    return int(off.total_seconds())


@functools.lru_cache(maxsize=1024)
def offset_segments(tz_name: str, utc_start: datetime, utc_end: datetime) -> tuple[tuple[datetime, int], ...]:
    """The UTC offsets in force over ``[utc_start, utc_end)`` as ``((from_utc, seconds), …)``.

    The first segment starts at ``utc_start``; each later one at a transition. Found by
    stepping a day at a time and bisecting to the second (tzdb transitions are weeks apart).
    """
    tz = _zone(tz_name)
    segments = [(utc_start, utc_offset_seconds(tz, utc_start))]
    cursor = utc_start
    while cursor < utc_end:
        nxt = min(cursor + timedelta(days=1), utc_end)
        current = segments[-1][1]
        if utc_offset_seconds(tz, nxt) != current:
            lo, hi = cursor, nxt  # offset(lo) == current != offset(hi)
            while hi - lo > timedelta(seconds=1):
                mid = lo + timedelta(seconds=(hi - lo).total_seconds() // 2)
                if utc_offset_seconds(tz, mid) == current:
                    lo = mid
                else:
                    hi = mid
            if hi < utc_end:
                segments.append((hi, utc_offset_seconds(tz, hi)))
        cursor = nxt
    return tuple(segments)


def describe_filters(q: ReportQuery) -> list[str]:
    """English for each active filter, e.g. ``["page contains '/blog'"]``."""
    described = [FILTERS[key].describe(value) for key, value in q.filters]
    if q.goal is not None:
        described.append(f"visit converted on goal {q.goal.name!r}")
    return described
