"""The built dashboard (dashboard/dist): the JavaScript budget and a sane build.

Needs the build (`bash dashboard/build.sh`, run by `bash scripts/install.sh`).
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from sparklytics.api.dashboard import DIST_DIR

JS_BUDGET_GZIP_BYTES = 150 * 1024  # the limit: all JavaScript the dashboard loads, gzipped
# The API reference's viewer (RapiDoc, /docs) is a chunk of its own that only /docs
# imports, on demand; it has its own budget and stays out of the dashboard's.
API_VIEWER_CHUNK = re.compile(r"^rapidoc-min-[A-Za-z0-9_-]+\.js$")
API_VIEWER_BUDGET_GZIP_BYTES = 240 * 1024


@pytest.fixture(scope="module")
def dist() -> Path:
    if not (DIST_DIR / "index.html").is_file():
        pytest.fail(f"dashboard not built: {DIST_DIR} is missing; run `bash dashboard/build.sh`", pytrace=False)
    return DIST_DIR


def gzipped_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def test_all_javascript_fits_the_budget(dist):
    scripts = [p for p in sorted(dist.rglob("*.js")) + sorted(dist.rglob("*.mjs")) if not API_VIEWER_CHUNK.match(p.name)]
    assert scripts, "the build has no JavaScript"
    total = sum(gzipped_size(p) for p in scripts)
    print(f"\ndashboard JavaScript: {len(scripts)} files, {total / 1024:.1f} KB gzipped")
    assert total <= JS_BUDGET_GZIP_BYTES, f"{total} bytes gzipped > budget {JS_BUDGET_GZIP_BYTES}"


def test_the_api_viewer_is_one_lazy_chunk_within_its_budget(dist):
    viewers = [p for p in dist.rglob("*.js") if API_VIEWER_CHUNK.match(p.name)]
    assert len(viewers) == 1, viewers
    assert gzipped_size(viewers[0]) <= API_VIEWER_BUDGET_GZIP_BYTES
    assert viewers[0].name not in (dist / "index.html").read_text(), "the viewer must not load with the dashboard"
    lazy_import = re.compile(r"import\(\s*[\"'`][^\"'`]*" + re.escape(viewers[0].name))
    importers = [p for p in dist.rglob("*.js") if p != viewers[0] and viewers[0].name in p.read_text()]
    assert importers, "nothing imports the viewer"
    for importer in importers:
        assert lazy_import.search(importer.read_text()), f"{importer.name} loads the viewer eagerly"


def test_index_references_only_hashed_assets_that_exist(dist):
    html = (dist / "index.html").read_text()
    refs = re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)
    assert any(r.endswith(".js") for r in refs)
    for ref in refs:
        assert (dist / ref.lstrip("/")).is_file(), ref
        assert re.search(r"-[A-Za-z0-9_-]{6,}\.(js|css)$", ref), f"{ref} has no content hash"


def test_no_source_maps_or_inline_scripts_are_shipped(dist):
    assert not list(dist.rglob("*.map"))
    # The only inline script is the auth mode the server injects (allowed by CSP hash).
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", (dist / "index.html").read_text())
