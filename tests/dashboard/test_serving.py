"""The dashboard blueprint (sparklytics/api/dashboard.py) over HTTP, in process.

Each test serves a small fake build from a temp directory (``app.config`` key
``SPARKLYTICS_DASHBOARD_DIST``), so these tests need neither Node nor the real build.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from pathlib import Path

import pytest

from sparklytics.api.dashboard import (
    CACHE_IMMUTABLE,
    DIST_CONFIG_KEY,
    auth_mode_script,
    content_security_policy,
    inject_auth_mode,
)
from tests.harness import test_config

INDEX = b"""<!doctype html><html><head><meta charset="utf-8"><title>Sparklytics</title>
<script type="module" crossorigin src="/assets/index-abc123.js"></script></head>
<body><div id="app"></div><noscript>Sparklytics needs JavaScript to show the dashboard.</noscript>
<noscript>Sparklytics needs JavaScript to show the dashboard.</noscript></body></html>"""
SCRIPT = b"console.log('dashboard');\n" * 200


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """A fake ``dashboard/dist``: index.html, one hashed script, a favicon."""
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_bytes(INDEX)
    (root / "assets" / "index-abc123.js").write_bytes(SCRIPT)
    (root / "favicon.svg").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    return root


@pytest.fixture
def config(data_dir, request):
    """Auth ``none`` unless the test is parametrized with another mode."""
    mode = getattr(request, "param", "none")
    extra = {"SPARKLYTICS_PASSWORD": "a shared secret for tests"} if mode == "password" else {}
    return test_config(data_dir, SPARKLYTICS_AUTH=mode, **extra)


@pytest.fixture
async def client(app, dist):
    app.config[DIST_CONFIG_KEY] = str(dist)
    return app.test_client()


def injected_mode(html: str) -> str | None:
    match = re.search(r"<script>window\.__SPARKLYTICS_AUTH_MODE__='(\w+)';</script></head>", html)
    return match.group(1) if match else None


@pytest.mark.parametrize("path", ["/", "/login", "/setup", "/dashboard", "/dashboard/site_abc/sessions",
                                  "/dashboard/site_abc/settings/keys", "/share/3f1c2b9e-0000-4000-8000-000000000000"])
async def test_client_routes_get_index_html(client, path):
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    html = await response.get_data(as_text=True)
    assert '<div id="app">' in html
    assert injected_mode(html) == "none"


@pytest.mark.parametrize("config", ["local", "password"], indirect=True)
async def test_auth_mode_is_injected_and_allowed_by_the_csp_hash(client, config):
    response = await client.get("/dashboard/site_abc")
    html = await response.get_data(as_text=True)
    assert injected_mode(html) == config.auth
    script = re.search(r"<script>(window\.__SPARKLYTICS_AUTH_MODE__=[^<]*)</script>", html).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = response.headers["Content-Security-Policy"]
    assert f"script-src 'self' 'sha256-{digest}'" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"


async def test_share_pages_may_be_framed(client):
    response = await client.get("/share/3f1c2b9e-0000-4000-8000-000000000000")
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]


async def test_hashed_assets_are_immutable_and_gzipped_when_accepted(client):
    plain = await client.get("/assets/index-abc123.js")
    assert plain.status_code == 200
    assert plain.headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert plain.headers["Cache-Control"] == CACHE_IMMUTABLE
    assert "Content-Encoding" not in plain.headers
    assert await plain.get_data() == SCRIPT

    zipped = await client.get("/assets/index-abc123.js", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Vary"] == "Accept-Encoding"
    body = await zipped.get_data()
    assert len(body) < len(SCRIPT) and gzip.decompress(body) == SCRIPT


async def test_index_html_is_gzipped_too_and_revalidates_with_its_etag(client):
    first = await client.get("/", headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip"
    assert injected_mode(gzip.decompress(await first.get_data()).decode()) == "none"
    again = await client.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert await again.get_data() == b""


async def test_other_files_are_served_exactly_with_a_short_cache(client):
    response = await client.get("/favicon.svg")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml"
    assert response.headers["Cache-Control"] == "public, max-age=3600"


@pytest.mark.parametrize("path", ["/assets/missing-123.js", "/robots.txt", "/dashboard/site_abc/app.js"])
async def test_missing_files_are_404_not_the_spa(client, path):
    response = await client.get(path)
    assert response.status_code == 404
    assert "<div id=\"app\">" not in await response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/api/nope", "/api/websites/site_x/nope", "/api"])
async def test_api_paths_never_fall_through_to_the_spa(client, path):
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")


async def test_unknown_api_path_with_another_method_is_still_404(client):
    response = await client.post("/api/nope", json={})
    assert response.status_code == 404


async def test_server_paths_keep_their_own_answers(client):
    health = await client.get("/health")
    assert health.status_code == 200 and (await health.get_json())["status"] == "ok"
    collect_by_get = await client.get("/e")
    assert collect_by_get.status_code in (404, 405)
    assert "text/html" not in collect_by_get.headers.get("Content-Type", "")


async def test_missing_build_is_a_503_page_and_is_picked_up_once_built(app, tmp_path):
    missing = tmp_path / "not-built"
    app.config[DIST_CONFIG_KEY] = str(missing)
    client = app.test_client()
    response = await client.get("/dashboard")
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "bash scripts/install.sh" in await response.get_data(as_text=True)
    assert (await client.get("/health")).status_code == 200  # the server keeps serving

    (missing / "assets").mkdir(parents=True)
    (missing / "index.html").write_bytes(INDEX)
    response = await client.get("/dashboard")
    assert response.status_code == 200
    assert injected_mode(await response.get_data(as_text=True)) == "none"


async def test_a_start_without_the_build_says_in_the_log_how_to_build_it(services, monkeypatch, tmp_path, caplog):
    """Issue 12: the operator learns it from the log, not only from the 503 page."""
    from sparklytics.api import dashboard
    from sparklytics.app import create_app

    monkeypatch.setattr(dashboard, "DIST_DIR", tmp_path / "not-built")
    create_app(services)
    assert "Dashboard not built" in caplog.text and "bash dashboard/build.sh" in caplog.text


async def test_a_start_with_the_build_logs_nothing_about_it(services, monkeypatch, dist, caplog):
    from sparklytics.api import dashboard
    from sparklytics.app import create_app

    monkeypatch.setattr(dashboard, "DIST_DIR", dist)
    create_app(services)
    assert "Dashboard not built" not in caplog.text


def test_injection_falls_back_to_body_then_to_the_start():
    assert inject_auth_mode(b"<html><body>x</body></html>", "local") == (
        b"<html><body>x<script>window.__SPARKLYTICS_AUTH_MODE__='local';</script></body></html>"
    )
    assert inject_auth_mode(b"<p>x</p>", "none").startswith(b"<script>window.__SPARKLYTICS_AUTH_MODE__='none';")
    already = b"<head><script>window.__SPARKLYTICS_AUTH_MODE__='none';</script></head>"
    assert inject_auth_mode(already, "local") == already


def test_only_known_modes_are_injected():
    with pytest.raises(ValueError, match=r"^unknown auth mode 'x'$"):
        auth_mode_script("x")
    assert "sha256-" in content_security_policy("local")
