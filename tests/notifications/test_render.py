"""The words and numbers of a notification e-mail (pure)."""

from __future__ import annotations

from sparklytics.notifications.render import render_alert, render_report

STATS = {"pageviews": 1350, "visitors": 400, "sessions": 500, "bounce_rate": 0.42, "avg_duration_seconds": 61.5,
         "prev_pageviews": 1200, "prev_visitors": 400, "prev_sessions": 0, "prev_bounce_rate": 0.5, "prev_avg_duration_seconds": 60.0,
         "timezone": "UTC"}


def test_stats_headlines_and_change_against_the_previous_period() -> None:
    rendered = render_report("Weekly <b>", "stats", "last 7 days", STATS, test=False)
    assert rendered.subject == "Sparklytics report: Weekly <b>"
    assert "Pageviews: 1,350 (+12.5 % vs previous period)" in rendered.text
    assert "Visitors: 400 (+0.0 % vs previous period)" in rendered.text
    assert "Sessions: 500 (new)" in rendered.text
    assert "Bounce rate (%): 42 (-16.0 % vs previous period)" in rendered.text
    assert "Weekly &lt;b&gt;" in rendered.html and "<b>" not in rendered.html.replace("<body", "")  # escaped
    assert "1,350" in rendered.html and "+12.5 % vs previous period" in rendered.html


def test_metrics_top_rows_and_compared_series() -> None:
    metrics = {"type": "page", "total": 12, "compare": None,
               "rows": [{"value": f"/p{n}", "visitors": 20 - n, "pageviews": 30 - n} for n in range(12)]}
    rendered = render_report("Pages", "metrics", "today", metrics, test=True)
    assert rendered.subject == "[Test] Sparklytics report: Pages"
    assert "/p0 | 20 | 30" in rendered.text and "/p9" in rendered.text and "/p10" not in rendered.text  # top 10
    series = {"data": {"granularity": "day", "series": [{"date": "2026-03-01", "pageviews": 5, "visitors": 2}, {"date": "2026-03-02", "pageviews": 15, "visitors": 4}],
                       "compare_series": [{"date": "2026-03-01", "pageviews": 10, "visitors": 3}, {"date": "2026-03-02", "pageviews": 10, "visitors": 3}]},
              "compare": {"mode": "previous_period"}}
    rendered = render_report("Series", "pageviews", "last 2 days", series, test=False)
    assert "Pageviews: 20 (+0.0 % vs previous period)" in rendered.text
    assert rendered.text.index("2026-03-02") < rendered.text.index("2026-03-01")  # busiest first


def test_alert_message() -> None:
    rendered = render_alert({"name": "Spike", "metric": "pageviews", "condition_type": "spike", "threshold_value": 3.0,
                             "current_value": 50.0, "baseline_mean": 10.0, "baseline_stddev": 2.0, "z_score": 20.0}, test=False)
    assert rendered.subject == "Sparklytics alert: Spike"
    assert "Today's pageviews: 50 (+400.0 % vs previous period)" in rendered.text and "z-score | 20" in rendered.text
