import pytest

from sparklytics.enrich.bots import (
    BURST_WEIGHT,
    HEADER_ANOMALY_WEIGHT,
    PATH_SWEEP_WEIGHT,
    UA_SIGNATURE_WEIGHT,
    UA_SIGNATURES,
    BotPolicy,
    BotRule,
    BotScorer,
    BotScorerStatistics,
    BotVerdict,
    classify_user_agent,
)

BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
BALANCED = BotPolicy()
HUMAN = BotVerdict(is_bot=False, score=0, reason=None)


def score(scorer=None, **overrides):
    """One event through a scorer, with human-looking defaults."""
    event = {
        "website_id": "site_a",
        "visitor_id": "v1",
        "user_agent": BROWSER,
        "ip": "203.0.113.7",
        "has_accept": True,
        "has_accept_language": True,
        "path": "/",
        "now": 1000.0,
        "policy": BALANCED,
    } | overrides
    return (scorer or BotScorer()).score(**event)


# --- user-agent signatures -------------------------------------------------------------


@pytest.mark.parametrize("signature", UA_SIGNATURES)
def test_every_signature_is_recognised_case_insensitively(signature):
    assert classify_user_agent(f"Mozilla/5.0 (compatible; {signature.upper()}/1.0)")


@pytest.mark.parametrize(
    "ua",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "curl/8.4.0",
        "Wget/1.21",
        "python-requests/2.31.0",
        "Go-http-client/1.1",
        "Python-urllib/3.11",
        "Apache-HttpClient/4.5.14 (Java/17)",
        "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0.0.0 Safari/537.36",
    ],
)
def test_tool_user_agents_are_signatures(ua):
    assert classify_user_agent(ua)


@pytest.mark.parametrize("ua", [BROWSER, "", None, "Mozilla/5.0 (iPhone) Safari/604.1"])
def test_browser_user_agents_are_not_signatures(ua):
    assert not classify_user_agent(ua)


# --- single signals --------------------------------------------------------------------


def test_plain_browser_event_is_human():
    assert score() == HUMAN


def test_ua_signature_alone_is_a_bot():
    assert score(user_agent="curl/8.4.0") == BotVerdict(True, 90, "ua_signature")


@pytest.mark.parametrize(("accept", "language"), [(False, True), (True, False), (False, False)])
def test_header_anomaly_alone_is_scored_but_human(accept, language):
    assert score(has_accept=accept, has_accept_language=language) == BotVerdict(False, 25, None)


def test_ua_signature_and_header_anomaly_clamp_at_100():
    assert score(user_agent="curl/8.4.0", has_accept=False) == BotVerdict(True, 100, "ua_signature")


def test_burst_rate_fires_at_40_events_in_30_seconds():
    scorer = BotScorer()
    verdicts = [score(scorer, now=1000.0 + i * 0.5) for i in range(40)]
    assert all(v == HUMAN for v in verdicts[:39])
    assert verdicts[39] == BotVerdict(False, 40, None)  # 40 < threshold 70


def test_burst_rate_with_header_anomaly_makes_a_bot_in_strict_mode():
    scorer = BotScorer()
    strict = BotPolicy(mode="strict", threshold_score=60)
    for i in range(39):
        score(scorer, now=1000.0 + i * 0.5, policy=strict, has_accept=False)
    assert score(scorer, now=1020.0, policy=strict, has_accept=False) == BotVerdict(
        True, 65, "burst_rate"
    )


def test_burst_window_slides():
    scorer = BotScorer()
    for i in range(39):
        score(scorer, now=1000.0 + i * 0.5)  # 1000.0 .. 1019.0
    # 30 s after the first event it has left the window: still 39 in the window.
    assert score(scorer, now=1030.0) == HUMAN
    assert score(scorer, now=1030.1).score == 40


def test_old_events_do_not_count_after_a_pause():
    scorer = BotScorer()
    for i in range(60):
        score(scorer, now=1000.0 + i * 0.1)
    assert score(scorer, now=2000.0) == HUMAN


def test_path_sweep_fires_at_25_distinct_paths():
    scorer = BotScorer()
    verdicts = [score(scorer, path=f"/page-{i}", now=1000.0 + i) for i in range(25)]
    assert all(v == HUMAN for v in verdicts[:24])
    assert verdicts[24] == BotVerdict(False, 35, None)


def test_path_sweep_normalises_paths():
    scorer = BotScorer()
    variants = ["/Same", "/same?x=1", "/same#frag", "https://example.com/SAME", "/same?y"]
    for i in range(30):
        verdict = score(scorer, path=variants[i % len(variants)], now=1000.0 + i * 0.1)
    assert verdict == HUMAN


def test_burst_and_sweep_and_headers_together():
    scorer = BotScorer()
    for i in range(39):
        score(scorer, path=f"/p{i}", now=1000.0 + i * 0.1, has_accept_language=False)
    verdict = score(scorer, path="/p39", now=1004.0, has_accept_language=False)
    assert verdict == BotVerdict(True, 100, "burst_rate")  # 40 + 35 + 25 clamped


def test_sweep_and_headers_reason_is_the_heaviest_signal():
    scorer = BotScorer()
    policy = BotPolicy(threshold_score=50)
    for i in range(24):
        score(scorer, path=f"/p{i}", now=1000.0 + i, policy=policy, has_accept=False)
    verdict = score(scorer, path="/p24", now=1024.0, policy=policy, has_accept=False)
    assert verdict == BotVerdict(True, 60, "path_sweep")


def test_signals_are_checked_heaviest_first():
    # BotScorer.score gives the first signal that fires as the reason.
    assert UA_SIGNATURE_WEIGHT > BURST_WEIGHT > PATH_SWEEP_WEIGHT > HEADER_ANOMALY_WEIGHT


def test_crawler_with_burst_sweep_and_headers_is_a_ua_signature():
    scorer = BotScorer()
    for i in range(39):
        score(scorer, user_agent="curl/8.0", path=f"/p{i}", now=1000.0 + i * 0.1, has_accept=False)
    verdict = score(scorer, user_agent="curl/8.0", path="/p39", now=1004.0, has_accept=False)
    assert verdict == BotVerdict(True, 100, "ua_signature")


def test_windows_are_per_website_and_visitor():
    scorer = BotScorer()
    for i in range(39):
        score(scorer, now=1000.0 + i * 0.1)
    assert score(scorer, visitor_id="v2", now=1004.0) == HUMAN
    assert score(scorer, website_id="site_b", now=1004.0) == HUMAN
    assert score(scorer, now=1004.0).score == 40


def test_first_event_of_a_fresh_window_never_triggers():
    assert score(BotScorer(max_samples_per_key=1)) == HUMAN


# --- thresholds per mode ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "threshold"),
    [
        (BotPolicy(), 70),
        (BotPolicy("balanced", 70), 70),
        (BotPolicy("strict", 40), 40),
        (BotPolicy("off", 90), 90),
        (BotPolicy("strict", 0), 60),
        (BotPolicy("strict", -5), 60),
        (BotPolicy("balanced", 0), 70),
        (BotPolicy("off", 0), 70),
        (BotPolicy("balanced", 250), 100),
        (BotPolicy("balanced", 1), 1),
    ],
)
def test_threshold(policy, threshold):
    assert policy.threshold == threshold


def test_off_mode_still_classifies():
    assert score(user_agent="curl/8.4.0", policy=BotPolicy("off", 70)).is_bot


def test_a_low_threshold_flags_header_anomalies():
    assert score(has_accept=False, policy=BotPolicy("strict", 25)) == BotVerdict(True, 25, "header_anomaly")


def test_threshold_100_needs_a_full_score():
    policy = BotPolicy("balanced", 100)
    assert score(user_agent="curl/8.4.0", policy=policy) == BotVerdict(False, 90, None)
    assert score(user_agent="curl/8.4.0", has_accept=False, policy=policy).is_bot


def test_invalid_mode_and_match_type_are_refused():
    with pytest.raises(ValueError, match=r"^mode must be one of: strict, balanced, off$"):
        BotPolicy("paranoid")
    with pytest.raises(ValueError, match=r"^match_type must be one of: ua_contains, ip_exact, ip_cidr$"):
        BotRule("ua_regex", "x")


# --- allow and block lists -------------------------------------------------------------


BLOCKED = BotVerdict(True, 100, "blocklist")
ALLOWED = BotVerdict(False, 0, "allowlist")


@pytest.mark.parametrize(
    ("rule", "ua", "ip", "matches"),
    [
        (BotRule("ua_contains", "Chrome/120"), BROWSER, "203.0.113.7", True),
        (BotRule("ua_contains", "chrome/120"), BROWSER, "203.0.113.7", True),
        (BotRule("ua_contains", " CHROME "), BROWSER, "203.0.113.7", True),
        (BotRule("ua_contains", "Firefox"), BROWSER, "203.0.113.7", False),
        (BotRule("ua_contains", "  "), BROWSER, "203.0.113.7", False),
        (BotRule("ua_contains", "Chrome"), None, "203.0.113.7", False),
        (BotRule("ip_exact", "203.0.113.7"), BROWSER, "203.0.113.7", True),
        (BotRule("ip_exact", "203.0.113.7"), BROWSER, "::ffff:203.0.113.7", True),
        (BotRule("ip_exact", "2001:DB8::7"), BROWSER, "2001:db8:0::7", True),
        (BotRule("ip_exact", "203.0.113.8"), BROWSER, "203.0.113.7", False),
        (BotRule("ip_exact", "203.0.113.7"), BROWSER, "unknown", False),
        (BotRule("ip_exact", "203.0.113.7"), BROWSER, None, False),
        (BotRule("ip_cidr", "203.0.113.0/24"), BROWSER, "203.0.113.7", True),
        (BotRule("ip_cidr", "203.0.113.5/24"), BROWSER, "203.0.113.7", True),  # host bits set
        (BotRule("ip_cidr", "203.0.113.0/30"), BROWSER, "203.0.113.7", False),
        (BotRule("ip_cidr", "2001:db8::/32"), BROWSER, "2001:db8:1::1", True),
        (BotRule("ip_cidr", "2001:db8::/32"), BROWSER, "203.0.113.7", False),
        (BotRule("ip_cidr", "203.0.113.0/24"), BROWSER, "::ffff:203.0.113.9", True),
        (BotRule("ip_cidr", "not a network"), BROWSER, "203.0.113.7", False),
    ],
)
def test_rules(rule, ua, ip, matches):
    assert (score(user_agent=ua, ip=ip, block=[rule]) == BLOCKED) is matches
    expected_allow = ALLOWED if matches else score(user_agent=ua, ip=ip)
    assert score(user_agent=ua, ip=ip, allow=[rule]) == expected_allow


def test_blocklist_wins_over_allowlist_and_signals():
    rule = BotRule("ip_cidr", "203.0.113.0/24")
    assert score(allow=[rule], block=[rule]) == BLOCKED
    assert score(block=[BotRule("ua_contains", "Mozilla")], policy=BotPolicy("off", 100)) == BLOCKED


def test_allowlist_overrides_a_bot_user_agent():
    assert score(user_agent="curl/8.4.0", allow=[BotRule("ua_contains", "curl/")]) == ALLOWED


def test_any_rule_in_a_list_matches():
    rules = [BotRule("ip_exact", "198.51.100.1"), BotRule("ua_contains", "Chrome")]
    assert score(block=rules) == BLOCKED


def test_overridden_events_are_not_recorded():
    scorer = BotScorer()
    allow = [BotRule("ip_exact", "203.0.113.7")]
    for i in range(50):
        score(scorer, now=1000.0 + i * 0.1, allow=allow)
    assert scorer.statistics() == BotScorerStatistics(keys=0, evicted=0)


# --- bounded memory --------------------------------------------------------------------


def test_samples_per_key_are_bounded():
    scorer = BotScorer(max_samples_per_key=30)
    for i in range(100):
        verdict = score(scorer, path=f"/p{i}", now=1000.0 + i * 0.01)
    # Only the last 30 samples are held: no burst (< 40), sweep yes (30 distinct ≥ 25).
    assert verdict == BotVerdict(False, 35, None)


def test_keys_are_bounded_with_lru_eviction():
    scorer = BotScorer(max_keys=3)
    for visitor in ["a", "b", "c"]:
        for i in range(39):
            score(scorer, visitor_id=visitor, now=1000.0 + i * 0.01)
    score(scorer, visitor_id="a", now=1001.0)  # "a" is now the most recently seen
    score(scorer, visitor_id="d", now=1001.0)  # evicts "b", the least recently seen
    assert scorer.statistics() == BotScorerStatistics(keys=3, evicted=1)
    assert score(scorer, visitor_id="c", now=1001.0).score == 40  # kept: 40th event
    assert score(scorer, visitor_id="b", now=1001.0) == HUMAN  # forgotten: starts afresh
    assert scorer.statistics() == BotScorerStatistics(keys=3, evicted=2)


def test_many_visitors_stay_within_the_key_bound():
    scorer = BotScorer(max_keys=100)
    for i in range(1000):
        score(scorer, visitor_id=f"v{i}", now=1000.0 + i)
    assert scorer.statistics() == BotScorerStatistics(keys=100, evicted=900)


def test_scorer_arguments_are_validated():
    with pytest.raises(ValueError):
        BotScorer(max_keys=0)
    with pytest.raises(ValueError):
        BotScorer(window_seconds=0)


def test_rules_compare_and_hash_by_type_and_value():
    assert BotRule("ip_cidr", "10.0.0.0/8") == BotRule("ip_cidr", "10.0.0.0/8")
    assert len({BotRule("ua_contains", "x"), BotRule("ua_contains", "x")}) == 1
    assert repr(BotRule("ip_exact", "1.2.3.4")) == "BotRule(match_type='ip_exact', match_value='1.2.3.4')"
