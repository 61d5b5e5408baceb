"""A query's condition tree (``sparklytics.queries.conditions``) as ClickHouse SQL over
the rows of ``m`` (alias ``e``; ``scope.report_scope``).

The same meaning as the DuckDB compiler (``stores/duckdb/where.condition_sql``): event
dimensions test the row, source dimensions the visit's landing values (here the ``s_``
session facts ``m`` carries), a property its text, ``has_done`` the sessions holding a
matching event in the range. Values are numbered query parameters, never SQL text.
"""

from __future__ import annotations

from sparklytics.queries.conditions import AllOf, AnyOf, Condition, GoalMatch, HasDone, Match, Not, PROPS_PREFIX, leaves
from sparklytics.queries.errors import QueryError

# dimension → (SQL with {a} for the alias and a dot, the session fact it reads or None)
COLUMNS: dict[str, tuple[str, str | None]] = {
    "page": ("{a}path", None),
    # Plausible names pageviews "pageview" in its event names.
    "name": ("if({a}event_type = 'pageview', 'pageview', {a}event_name)", None),
    **{name: (f"{{a}}{name}", None) for name in (
        "hostname", "country", "region", "city", "browser", "browser_version", "os", "os_version",
        "screen", "language", "utm_term", "utm_content",
    )},
    "device": ("{a}device_type", None),
    "referrer": ("ifNull({a}s_referrer_domain, '(direct)')", "referrer_domain"),
    "channel": ("{a}s_channel", "channel"),
    "utm_source": ("{a}s_utm_source", "utm_source"),
    "utm_medium": ("{a}s_utm_medium", "utm_medium"),
    "utm_campaign": ("{a}s_utm_campaign", "utm_campaign"),
    "entry_page": ("{a}s_entry_path", "entry_path"),
    "exit_page": ("{a}s_exit_path", "exit_path"),
}

_TESTS = {
    "is": "{col} = {param}",
    "contains": "position({col}, {param}) > 0",
    "matches": "match({col}, {param})",
}


def props_text(alias: str, param: str) -> str:
    """The text of the custom property whose key is bound as ``param``, as DuckDB's
    ``json_extract_string`` gives it: NULL when missing or null, a string unquoted,
    anything else its JSON text."""
    data = f"ifNull({alias}event_data, '')"
    raw = f"JSONExtractRaw({data}, {{{param}:String}})"
    return f"multiIf({raw} IN ('', 'null'), NULL, startsWith({raw}, '\"'), JSONExtractString({data}, {{{param}:String}}), {raw})"


def facts_of(condition: Condition | None) -> set[str]:
    """The session facts the condition's source leaves read (``m`` must carry them)."""
    return {COLUMNS[leaf.dimension][1] for leaf in leaves(condition)
            if isinstance(leaf, Match) and leaf.session and COLUMNS[leaf.dimension][1]}


def patterns(condition: Condition | None) -> list[str]:
    """Every ``matches`` pattern of the tree (checked before a scan: see the store)."""
    return [value for leaf in leaves(condition) if isinstance(leaf, Match) and leaf.operator.startswith("matches")
            for value in leaf.values]


def refused_pattern(error: str) -> QueryError:
    return QueryError(f"Invalid filters. A `matches` pattern is not valid RE2 syntax: {error}", "filters")


def condition_sql(condition: Condition, has_done_rows: str, match_sql) -> tuple[str, dict]:
    """SQL keeping the rows of ``e`` that ``condition`` keeps, and its parameters.

    ``has_done_rows`` is a FROM-able SELECT of the range's rows with the same columns
    (``has_done`` looks there); ``match_sql`` is ``scope.match_sql`` (goal leaves)."""
    params: dict = {}
    counter = iter(range(1_000_000))

    def leaf(node: Match, a: str) -> str:
        n = next(counter)
        if node.dimension.startswith(PROPS_PREFIX):
            key = f"c{n}_key"
            params[key] = node.dimension[len(PROPS_PREFIX):]
            column = props_text(a, key)
        else:
            column = COLUMNS[node.dimension][0].format(a=a)
        kind = node.operator.removesuffix("_not")
        fold = not node.case_sensitive and kind != "matches"
        if fold:
            column = f"lower({column})"
        tests = []
        for i, value in enumerate(node.values):
            name = f"c{n}_{i}"
            params[name] = value if node.case_sensitive or fold else f"(?i){value}"
            param = f"lower({{{name}:String}})" if fold else f"{{{name}:String}}"
            tests.append(_TESTS[kind].format(col=column, param=param))
        test = tests[0] if len(tests) == 1 else f"({' OR '.join(tests)})"
        if node.negated:
            return f"({column} IS NULL OR NOT ifNull({test}, 0))"
        return f"ifNull({test}, 0)"

    def walk(node: Condition, a: str) -> str:
        match node:
            case Match():
                return leaf(node, a)
            case GoalMatch(goals=goals):
                tests = []
                for goal in goals:
                    sql, bound = match_sql(goal.goal_type, goal.match_operator, goal.match_value,
                                           f"c{next(counter)}_goal", a)
                    tests.append(f"({sql})")
                    params.update(bound)
                return f"({' OR '.join(tests)})" if tests else "0"
            case AllOf(items=items):
                return f"({' AND '.join(walk(item, a) for item in items)})" if items else "1"
            case AnyOf(items=items):
                return f"({' OR '.join(walk(item, a) for item in items)})" if items else "0"
            case Not(item=item):
                return f"NOT {walk(item, a)}"
            case HasDone(item=item, negated=negated):
                inner = walk(item, "hd.")
                negate = "NOT " if negated else ""
                return f"{a}session_id {negate}IN (SELECT hd.session_id FROM ({has_done_rows}) AS hd WHERE {inner})"
        raise TypeError(f"not a condition: {node!r}")

    return walk(condition, "e."), params
