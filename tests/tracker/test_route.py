"""``GET /s.js`` through the app (test client) and over real HTTP (Hypercorn)."""

from __future__ import annotations

import gzip

import httpx
import pytest

from sparklytics.tracker import asset as asset_module
from sparklytics.tracker.asset import load_tracker


@pytest.fixture(scope="module")
def built():
    return load_tracker()


async def test_get_script(client, built):
    response = await client.get("/s.js")
    assert response.status_code == 200
    assert await response.get_data() == built.body
    assert response.headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert response.headers["ETag"] == built.etag
    assert "Set-Cookie" not in response.headers


async def test_gzip_and_not_modified(client, built):
    response = await client.get("/s.js", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(await response.get_data()) == built.body
    etag = response.headers["ETag"]
    again = await client.get("/s.js", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304 and await again.get_data() == b""
    assert again.headers["ETag"] == etag


async def test_without_a_build_the_app_starts_and_says_how_to_build(services, monkeypatch, tmp_path, caplog):
    """Issue 12: an editable install without built assets used to exit at start."""
    from sparklytics.app import create_app

    monkeypatch.setattr(asset_module, "DIST_PATH", tmp_path / "missing" / "s.js")
    client = create_app(services).test_client()
    assert "bash sparklytics/tracker/build.sh" in caplog.text
    script = await client.get("/s.js")
    assert script.status_code == 503 and "bash scripts/install.sh" in await script.get_data(as_text=True)
    assert (await client.get("/health")).status_code == 200
    assert (await client.post("/api/websites", json={"name": "No build", "domain": "example.com"})).status_code == 201


def test_over_real_http(live_server, built):
    """Hypercorn end to end: HEAD, gzip, 304 and the headers a CDN or browser sees."""
    url = f"{live_server.url}/s.js"
    with httpx.Client() as http:
        head = http.head(url, headers={"Accept-Encoding": "gzip"})
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == str(len(built.gzip_body))

        plain = http.get(url, headers={"Accept-Encoding": "identity"})
        assert plain.content == built.body and "content-encoding" not in plain.headers
        assert plain.headers["vary"] == "Accept-Encoding"

        zipped = http.get(url, headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert zipped.headers["content-length"] == str(len(built.gzip_body))
        assert zipped.content == built.body  # httpx decodes

        cached = http.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["etag"]})
        assert cached.status_code == 304 and cached.content == b""
        assert "content-length" not in cached.headers or cached.headers["content-length"] == "0"
        assert cached.headers["etag"] == zipped.headers["etag"]
        assert cached.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    "path",
    ["/js/script.js", "/js/script.hash.outbound-links.js", "/js/script.revenue.tagged-events.file-downloads.pageview-props.js",
     "/js/plausible.manual.exclusions.local.compat.js"],
)
async def test_plausible_variants_are_the_plausible_build(client, path):
    response = await client.get(path)
    assert response.status_code == 200
    assert await response.get_data() == load_tracker(asset_module.DIST_PATH.with_name("plausible.js")).body
    assert response.headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", ["/js/script.nonsense.js", "/js/other.js", "/js/script.js.map", "/js/script..js"])
async def test_unknown_plausible_script_names_are_404(client, path):
    response = await client.get(path)
    assert response.status_code == 404
    assert (await response.get_json())["error"]["code"] == "not_found"


async def test_umami_script(client):
    response = await client.get("/script.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    body = gzip.decompress(await response.get_data())
    assert body == load_tracker(asset_module.DIST_PATH.with_name("umami.js")).body and b"/api/send" in body
