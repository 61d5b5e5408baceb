"""A client generated from ``/api/openapi.json`` works against the real server.

``openapi-python-client`` (the most used Python generator) writes a typed httpx client
from the live server's document into a temporary folder, offline; the test imports it
and, with ``raise_on_unexpected_status`` on (an undocumented status raises), creates a
website, lists and reads it, sends a pageview and reads the stats and a breakdown back,
each parsed into the generated models, and asks the same through the Plausible Stats API
v2 route.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

PACKAGE = "sparklytics_client"


@pytest.fixture(scope="module")
def generated_client(live_server, tmp_path_factory):
    """The generated package, importable; removed from ``sys.modules`` afterwards."""
    folder = tmp_path_factory.mktemp("openapi-client")
    with urllib.request.urlopen(f"{live_server.url}/api/openapi.json", timeout=30) as response:
        (folder / "openapi.json").write_bytes(response.read())
    (folder / "config.json").write_text(json.dumps({"package_name_override": PACKAGE, "project_name_override": "sparklytics-client"}))
    bin_dir = Path(sys.executable).parent  # the generator formats its output with ruff from here
    result = subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", "openapi.json", "--output-path", PACKAGE,
         "--meta", "none", "--config", "config.json"],
        cwd=folder, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_the_none_mode_document_is_valid_and_open(live_server) -> None:
    """In ``none`` mode the auth routes do not exist and nothing asks for credentials."""
    from openapi_spec_validator import validate

    with urllib.request.urlopen(f"{live_server.url}/api/openapi.json", timeout=30) as response:
        document = json.load(response)
    validate(document)
    assert not [path for path in document["paths"] if path.startswith("/api/auth/")]
    assert "securitySchemes" not in document["components"]
    assert all(op["security"] == [] for item in document["paths"].values() for op in item.values())


def test_a_generated_client_creates_lists_and_reads_websites(generated_client, live_server) -> None:
    from sparklytics_client import Client
    from sparklytics_client.api.websites import create_website, get_website, list_websites
    from sparklytics_client.models import CreateWebsite

    client = Client(base_url=live_server.url, raise_on_unexpected_status=True)
    created = create_website.sync(client=client, body=CreateWebsite(name="Generated", domain="https://gen.example.com/"))
    site = created.data
    assert site.id.startswith("site_") and site.domain == "gen.example.com" and site.timezone == "UTC"
    assert f'data-website-id="{site.id}"' in site.tracking_snippet

    listed = list_websites.sync(client=client, limit=100)
    assert site.id in [summary.id for summary in listed.data]
    assert listed.pagination.limit == 100

    fetched = get_website.sync(site.id, client=client).data
    assert (fetched.id, fetched.name, fetched.share_id) == (site.id, "Generated", None)

    missing = get_website.sync_detailed("site_nosuchsite", client=client)
    assert missing.status_code == 404
    assert missing.parsed.error.code == "not_found" and missing.parsed.error.message == "Website not found"


def test_a_generated_client_sends_events_and_reads_the_stats(generated_client, live_server) -> None:
    from sparklytics_client import Client
    from sparklytics_client.api.collect import collect
    from sparklytics_client.api.reports import metrics, stats
    from sparklytics_client.api.websites import create_website
    from sparklytics_client.models import CollectEvent, CreateWebsite, MetricsType

    client = Client(base_url=live_server.url, raise_on_unexpected_status=True, headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0"})
    site = create_website.sync(client=client, body=CreateWebsite(name="Counted", domain="count.example.com")).data.id
    events = [
        CollectEvent(website_id=site, type_="pageview", url="https://count.example.com/pricing"),
        CollectEvent(website_id=site, type_="pageview", url="https://count.example.com/docs"),
    ]
    sent = collect.sync_detailed(client=client, body=events)
    assert sent.status_code == 202 and sent.parsed.ok is True
    assert sent.headers["x-sparklytics-ingest-ack"] == "durable"
    live_server.flush()

    numbers = stats.sync(site, client=client).data
    assert (numbers.pageviews, numbers.visitors, numbers.sessions) == (2, 1, 1)
    assert numbers.bounce_rate == 0

    pages = metrics.sync(site, client=client, type_=MetricsType.PAGE)
    rows = {row["value"]: row["pageviews"] for row in pages.to_dict()["data"]["rows"]}
    assert rows == {"/pricing": 1, "/docs": 1}

    refused = stats.sync_detailed(site, client=client, timezone="Mars/Olympus")
    assert refused.status_code == 400 and refused.parsed.error.field == "timezone"


def test_a_generated_client_asks_the_plausible_stats_api_v2(generated_client, live_server) -> None:
    from sparklytics_client import Client
    from sparklytics_client.api.collect import collect
    from sparklytics_client.api.stats_api_v_2 import query
    from sparklytics_client.api.websites import create_website
    from sparklytics_client.models import CollectEvent, CreateWebsite, StatsV2Query, StatsV2QueryMetricsItem

    client = Client(base_url=live_server.url, raise_on_unexpected_status=True, headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0"})
    site = create_website.sync(client=client, body=CreateWebsite(name="Plausible", domain="v2.example.com")).data.id
    page = CollectEvent(website_id=site, type_="pageview", url="https://v2.example.com/")
    assert collect.sync_detailed(client=client, body=[page, page]).status_code == 202
    live_server.flush()

    asked = StatsV2Query(
        site_id="v2.example.com",
        metrics=[StatsV2QueryMetricsItem.VISITORS, StatsV2QueryMetricsItem.PAGEVIEWS],
        date_range="day",  # today; Plausible's "7d" ends yesterday
        dimensions=["event:page"],
    )
    answer = query.sync(client=client, body=asked)
    assert [(row.dimensions, row.metrics) for row in answer.results] == [(["/"], [1, 2])]
    assert answer.query.to_dict()["site_id"] == "v2.example.com"

    unknown = query.sync_detailed(client=client, body=StatsV2Query(site_id="nowhere.example", metrics=[StatsV2QueryMetricsItem.VISITORS], date_range="7d"))
    assert unknown.status_code == 404 and unknown.parsed.error.field == "site_id"
