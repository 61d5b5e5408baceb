from importlib import resources

import pytest

from sparklytics.enrich import channels
from sparklytics.enrich.channels import CHANNELS, channel_for, source_category

# (referrer_domain, utm_source, utm_medium, utm_campaign) → channel
CASES = [
    # Direct
    (None, None, None, None, "Direct"),
    ("", "", "", "", "Direct"),
    (None, None, None, "spring", "Direct"),
    (None, "(direct)", "(none)", None, "Direct"),
    # Untagged referrers
    ("www.google.com", None, None, None, "Organic Search"),
    ("www.google.co.uk", None, None, None, "Organic Search"),
    ("google.de", None, None, None, "Organic Search"),
    ("duckduckgo.com", None, None, None, "Organic Search"),
    ("uk.search.yahoo.com", None, None, None, "Organic Search"),
    ("com.google.android.googlequicksearchbox", None, None, None, "Organic Search"),
    ("m.facebook.com", None, None, None, "Organic Social"),
    ("l.instagram.com", None, None, None, "Organic Social"),
    ("t.co", None, None, None, "Organic Social"),
    ("old.reddit.com", None, None, None, "Organic Social"),
    ("news.ycombinator.com", None, None, None, "Organic Social"),
    ("de.pinterest.com", None, None, None, "Organic Social"),
    ("www.youtube.com", None, None, None, "Organic Video"),
    ("www.amazon.co.uk", None, None, None, "Organic Shopping"),
    ("mail.google.com", None, None, None, "Email"),
    ("outlook.live.com", None, None, None, "Email"),
    ("chatgpt.com", None, None, None, "AI Assistants"),
    ("chat.openai.com", None, None, None, "AI Assistants"),
    ("www.perplexity.ai", None, None, None, "AI Assistants"),
    ("claude.ai", None, None, None, "AI Assistants"),
    ("gemini.google.com", None, None, None, "AI Assistants"),
    ("copilot.microsoft.com", None, None, None, "AI Assistants"),
    ("you.com", None, None, None, "AI Assistants"),
    ("www.phind.com", None, None, None, "AI Assistants"),
    ("blog.example.org", None, None, None, "Referral"),
    ("docs.google.com", None, None, None, "Referral"),
    ("aws.amazon.com", None, None, None, "Referral"),
    ("localhost", None, None, None, "Referral"),
    # Tagged traffic (utm_source wins over the referrer)
    (None, "google", "cpc", None, "Paid Search"),
    (None, "bing", "ppc", None, "Paid Search"),
    ("www.google.com", None, "paidsearch", None, "Paid Search"),
    (None, "facebook", "cpc", None, "Paid Social"),
    (None, "fb", "paid_social", None, "Paid Social"),
    (None, "ig", "cpc", None, "Paid Social"),
    (None, "linkedin.com", "retargeting", None, "Paid Social"),
    (None, "youtube", "cpv", None, "Paid Video"),
    (None, "amazon", "cpc", None, "Paid Shopping"),
    (None, "newsletter-partner", "cpc", "summer-shop", "Paid Shopping"),
    (None, "adnetwork", "display", None, "Display"),
    (None, "adnetwork", "cpm", None, "Display"),
    (None, "google", "cpm", None, "Paid Search"),
    (None, "adnetwork", "cpc", None, "Paid Other"),
    (None, "chatgpt.com", None, None, "AI Assistants"),
    (None, "chatgpt.com", "cpc", None, "Paid Other"),
    (None, "whatever", None, "black-friday-shopping", "Organic Shopping"),
    (None, "facebook", None, None, "Organic Social"),
    (None, "partner", "social", None, "Organic Social"),
    (None, "partner", "sm", None, "Organic Social"),
    (None, "partner", "video-embed", None, "Organic Video"),
    (None, "google", "organic", None, "Organic Search"),
    (None, "acme", "organic", None, "Organic Search"),
    (None, "newsletter", None, None, "Email"),
    (None, "acme", "email", None, "Email"),
    (None, "gmail", None, None, "Email"),
    (None, "acme", "affiliate", None, "Affiliates"),
    (None, "podcast", "audio", None, "Audio"),
    (None, "sms", None, None, "SMS"),
    (None, "acme", "sms", None, "SMS"),
    (None, "app", "push", None, "Mobile Push Notifications"),
    (None, "app", "web-notification", None, "Mobile Push Notifications"),
    (None, "firebase", None, None, "Mobile Push Notifications"),
    (None, "partner", "referral", None, "Referral"),
    (None, "partner", "link", None, "Referral"),
    (None, "partner", "app", None, "Referral"),
    (None, None, "cpc", "cross-network-q3", "Cross-network"),
    (None, "unknown-source", None, None, "Unassigned"),
    (None, "acme", "weird-medium", None, "Unassigned"),
    ("www.google.com", "acme", None, None, "Unassigned"),
    # Case and whitespace do not matter
    (None, " Facebook ", "CPC", None, "Paid Social"),
    ("WWW.GOOGLE.COM", None, None, None, "Organic Search"),
]


@pytest.mark.parametrize(("referrer", "source", "medium", "campaign", "channel"), CASES)
def test_channel_for(referrer, source, medium, campaign, channel):
    assert channel_for(referrer, source, medium, campaign) == channel


def test_every_case_returns_a_known_channel():
    assert {case[-1] for case in CASES} <= set(CHANNELS)


@pytest.mark.parametrize(
    ("source", "category"),
    [
        ("www.google.co.uk", "search"),
        ("google", "search"),
        ("news.google.com", None),
        ("mail.google.com", "email"),
        ("gemini.google.com", "ai"),
        ("mail.yahoo.com", "email"),
        ("news.yahoo.com", None),
        ("go.mail.ru", "search"),
        ("e.mail.ru", "email"),
        ("shopping.google.com", "shopping"),
        ("edgeservices.bing.com", "ai"),
        ("google.notarealsuffix", None),
        ("example.com", None),
        ("hacker news", "social"),
        ("", None),
    ],
)
def test_source_category(source, category):
    assert source_category(source) == category


def test_data_files_parse_and_every_category_is_used():
    domains, labels, words = channels._load()
    assert set(domains.values()) == set(channels._DATA_FILES)
    assert labels["google"] == "search"
    assert words["fb"] == "social"


def test_an_entry_listed_twice_is_refused(monkeypatch, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for filename in channels._DATA_FILES.values():
        (data / filename).write_text("# nothing\n")
    (data / "search_engines.txt").write_text("example.com\n")
    (data / "social_networks.txt").write_text("EXAMPLE.com  # again, other case\n")
    monkeypatch.setattr(channels.resources, "files", lambda package: tmp_path)
    with pytest.raises(ValueError, match=r"^social_networks.txt: 'example.com' is already listed as search$"):
        channels._load()


def test_data_files_ship_with_the_package():
    data = resources.files("sparklytics.enrich") / "data"
    assert sorted(entry.name for entry in data.iterdir() if entry.name.endswith(".txt")) == sorted(
        channels._DATA_FILES.values()
    )


def test_host_categories_are_cached():
    before = channels.statistics()
    channel_for("cache-probe.example", None, None, None)
    channel_for("cache-probe.example", None, None, None)
    after = channels.statistics()
    assert (after.hits - before.hits, after.misses - before.misses) == (1, 1)
