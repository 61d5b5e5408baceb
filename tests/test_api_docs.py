"""docs/api.md lists every route the server has, and only those; the README points to it.

The routes are read from the app itself (a ``local``-mode app, so the auth routes are
registered) plus the collect, Plausible/Umami ingest, campaign link and pixel paths, which are served before
Quart (raw ASGI) and so are not in its url_map. Adding or removing a route without documenting it fails here.
"""

from __future__ import annotations

import re

import pytest

from sparklytics.api.acquisition import ROUTES as ACQUISITION_ROUTES
from sparklytics.api.collect import PATHS as COLLECT_PATHS
from sparklytics.api.compat_ingest import PATHS as COMPAT_PATHS
from tests.harness import REPO_ROOT, test_config

DOC = REPO_ROOT / "docs" / "api.md"
HEADING = re.compile(r"^### `(GET|POST|PUT|DELETE|PATCH) (/\S*)`$", re.MULTILINE)
# Quart adds a /static/<path:filename> route for a package "static" folder; we have none,
# so it serves nothing and is not part of our API.
FRAMEWORK_ENDPOINTS = {"static"}


@pytest.fixture
def config(data_dir):
    return test_config(data_dir, SPARKLYTICS_AUTH="local")


def app_routes(app) -> set[tuple[str, str]]:
    found = {("POST", path) for path in COLLECT_PATHS | COMPAT_PATHS} | ACQUISITION_ROUTES
    for rule in app.url_map.iter_rules():
        if rule.endpoint in FRAMEWORK_ENDPOINTS:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        found |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return found


async def test_the_route_reference_lists_exactly_the_apps_routes(app) -> None:
    documented = HEADING.findall(DOC.read_text())
    assert len(documented) == len(set(documented)), "a route is documented twice"
    routes = app_routes(app)
    assert ("GET", "/api/auth/keys") in routes and ("POST", "/e") in routes  # the sweep sees them
    assert set(documented) == routes, {
        "undocumented": sorted(routes - set(documented)),
        "no such route": sorted(set(documented) - routes),
    }


def test_the_readme_links_to_the_route_reference_and_its_links_resolve() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    assert "](docs/api.md)" in readme
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme):
        if not re.match(r"[a-z]+:", target):
            assert (REPO_ROOT / target).exists(), f"README links to a missing file: {target}"
