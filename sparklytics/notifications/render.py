"""What a notification says to a person: the headline numbers, their change against the
previous period, and the top rows, as HTML and as plain text.

A subscription e-mail is read in a mail client, so it leads with the figures that
matter ("Pageviews 1 204, +12.5 % vs previous period") and a short table, never a JSON
dump; the JSON travels as an attachment for scripts. Pure functions of the payload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

TOP_ROWS = 10
_STATS_HEADLINES = (
    ("pageviews", "Pageviews"),
    ("visitors", "Visitors"),
    ("sessions", "Sessions"),
    ("bounce_rate", "Bounce rate (%)"),
    ("avg_duration_seconds", "Avg. visit (s)"),
)


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class Headline:
    label: str
    value: float
    previous: float | None

    def change(self) -> str:
        if self.previous is None:
            return ""
        if self.previous == 0:
            return "new" if self.value else "no change"
        pct = (self.value - self.previous) / self.previous * 100
        return f"{pct:+.1f} % vs previous period"


def render_report(report_name: str, report_type: str, range_text: str, data: Any, *, test: bool) -> Rendered:
    """A subscription's message for a report result ``data`` (§1.13 shapes)."""
    headlines, columns, rows = _report_parts(report_type, data)
    prefix = "[Test] " if test else ""
    title = f"{report_name} — {range_text}"
    return _render(f"{prefix}Sparklytics report: {report_name}", title, headlines, columns, rows)


def render_alert(payload: Mapping[str, Any], *, test: bool) -> Rendered:
    """An alert's message: which rule fired and the numbers that made it fire."""
    name, metric = payload["name"], payload["metric"]
    headlines = [Headline(f"Today's {metric.replace('_', ' ')}", payload.get("current_value") or 0.0, payload.get("baseline_mean"))]
    rows = [
        ["Condition", payload["condition_type"].replace("_", " ")],
        ["Threshold", _number(payload["threshold_value"])],
    ]
    if payload.get("z_score") is not None:
        rows.append(["z-score", _number(payload["z_score"])])
    if payload.get("baseline_stddev") is not None:
        rows.append(["Baseline stddev", _number(payload["baseline_stddev"])])
    prefix = "[Test] " if test else ""
    return _render(f"{prefix}Sparklytics alert: {name}", f"Alert “{name}” fired", headlines, ["", ""], rows)


def _report_parts(report_type: str, data: Any) -> tuple[list[Headline], list[str], list[list[Any]]]:
    match report_type:
        case "stats":
            has_prev = "prev_pageviews" in data
            scale = {"bounce_rate": 100}  # a 0-1 fraction on the wire, a percentage to read
            headlines = [
                Headline(label, data[key] * scale.get(key, 1), data[f"prev_{key}"] * scale.get(key, 1) if has_prev else None)
                for key, label in _STATS_HEADLINES
            ]
            return headlines, [], []
        case "pageviews":
            body = data["data"] if "compare" in data and "data" in data else data
            series, previous = body["series"], body.get("compare_series")
            headlines = [
                Headline("Pageviews", sum(p["pageviews"] for p in series), sum(p["pageviews"] for p in previous) if previous else None),
                Headline("Visitors", sum(p["visitors"] for p in series), sum(p["visitors"] for p in previous) if previous else None),
            ]
            busiest = sorted(series, key=lambda p: -p["pageviews"])[:TOP_ROWS]
            return headlines, ["Period", "Pageviews", "Visitors"], [[p["date"], p["pageviews"], p["visitors"]] for p in busiest]
        case "metrics":
            rows = data["rows"][:TOP_ROWS]
            headlines = [Headline(f"Distinct {data['type'].replace('_', ' ')} values", data["total"], None)]
            return headlines, [data["type"], "Visitors", "Pageviews"], [[r["value"], r["visitors"], r["pageviews"]] for r in rows]
        case "events":
            rows = data["rows"][:TOP_ROWS]
            headlines = [Headline("Custom events", sum(r["count"] for r in data["rows"]), None)]
            return headlines, ["Event", "Count", "Visitors"], [[r["event_name"], r["count"], r["visitors"]] for r in rows]
    raise ValueError(f"not a saved report type: {report_type!r}")


def _render(subject: str, title: str, headlines: Sequence[Headline], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Rendered:
    text = [title, "=" * len(title), ""]
    for h in headlines:
        change = h.change()
        text.append(f"{h.label}: {_number(h.value)}" + (f" ({change})" if change else ""))
    if rows:
        text.append("")
        if any(columns):
            text.append(" | ".join(columns))
        text += [" | ".join(str(_cell(c)) for c in row) for row in rows]
    text += ["", "The full result is attached as JSON.", ""]

    cards = "".join(
        f'<td style="padding:8px 16px 8px 0"><div style="color:#666;font-size:12px">{escape(h.label)}</div>'
        f'<div style="font-size:22px;font-weight:600">{escape(_number(h.value))}</div>'
        f'<div style="color:#666;font-size:12px">{escape(h.change())}</div></td>'
        for h in headlines
    )
    table = ""
    if rows:
        head = "".join(f'<th align="left" style="padding:4px 12px 4px 0">{escape(c)}</th>' for c in columns) if any(columns) else ""
        body = "".join(
            "<tr>" + "".join(f'<td style="padding:4px 12px 4px 0">{escape(str(_cell(c)))}</td>' for c in row) + "</tr>" for row in rows
        )
        table = f'<table style="border-collapse:collapse;margin-top:16px">{f"<tr>{head}</tr>" if head else ""}{body}</table>'
    html = (
        '<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#111">'
        f'<h2 style="margin:0 0 12px">{escape(title)}</h2><table><tr>{cards}</tr></table>{table}'
        '<p style="color:#666;font-size:12px;margin-top:24px">The full result is attached as JSON. Sent by Sparklytics.</p>'
        "</body></html>"
    )
    return Rendered(subject, "\n".join(text), html)


def _number(value: Any) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, (int, float)):
        return f"{int(value):,}"
    return str(value)


def _cell(value: Any) -> Any:
    return _number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
