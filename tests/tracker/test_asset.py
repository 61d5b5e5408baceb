"""The served tracker: build output, size budget, and the caching/encoding rules of asset.py."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess

import pytest

from sparklytics.tracker.asset import (
    DIST_PATH,
    TRACKER_DIR,
    TrackerAsset,
    TrackerNotBuiltError,
    accepts_gzip,
    etag_matches,
    load_tracker,
)

SIZE_BUDGET_GZIP = 1500  # bytes, issue #3


@pytest.fixture(scope="module")
def built() -> TrackerAsset:
    return load_tracker()


@pytest.fixture
def asset() -> TrackerAsset:
    return TrackerAsset.from_bytes(b"console.log('hello tracker');\n" * 20)


# -- the build ------------------------------------------------------------------------------


def test_served_script_is_within_gzip_budget(built):
    assert len(built.gzip_body) <= SIZE_BUDGET_GZIP, len(built.gzip_body)
    # However a client or proxy compresses it, not just our precomputed bytes.
    assert len(gzip.compress(built.body, 6)) <= SIZE_BUDGET_GZIP


def test_served_script_is_minified_build_of_source(built):
    source = (TRACKER_DIR / "src" / "s.js").read_text()
    text = built.body.decode()
    assert len(text) < len(source) / 2
    assert "\n" not in text.rstrip("\n")  # one line: minified, comments stripped
    assert "/*" not in text and "sendBeacon" in text and "sparklytics_visitor_id" in text


@pytest.mark.parametrize("name", ["s.js", "plausible.js", "umami.js"])
def test_dist_is_fresh_build_of_source(tmp_path, name):
    """Each dist/ script is what build.mjs makes from src/ now, not a stale or hand-edited file."""
    node = shutil.which("node")
    if not node or not (TRACKER_DIR / "node_modules" / "esbuild").is_dir():
        pytest.skip("node/esbuild not installed: run `bash sparklytics/tracker/build.sh`")
    subprocess.run([node, "build.mjs", str(tmp_path)], cwd=TRACKER_DIR, check=True, capture_output=True)
    assert (tmp_path / name).read_bytes() == DIST_PATH.with_name(name).read_bytes(), (
        f"dist/{name} is stale: run `bash sparklytics/tracker/build.sh`"
    )


def test_payload_uses_only_collect_fields():
    """Collect rejects unknown fields (API.md §1.4): the source must only build allowed keys."""
    allowed = {
        "website_id", "type", "url", "referrer", "screen", "screen_width", "screen_height",
        "language", "event_name", "event_data", "visitor_id",
        "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
    }  # fmt: skip
    source = (TRACKER_DIR / "src" / "s.js").read_text()
    body = re.search(r"const body = JSON\.stringify\(\{(.*?)\}\)", source, re.S).group(1)
    keys = set(re.findall(r"^\s*(\w+)\s*[:,]", body, re.M))
    assert keys and keys <= allowed, keys - allowed


def test_missing_build_names_the_build_command(tmp_path):
    with pytest.raises(TrackerNotBuiltError) as info:
        load_tracker(tmp_path / "dist" / "s.js")
    message = str(info.value)
    assert "bash scripts/install.sh" in message and "bash sparklytics/tracker/build.sh" in message


def test_empty_build_is_refused(tmp_path):
    path = tmp_path / "s.js"
    path.write_bytes(b"\n")
    with pytest.raises(TrackerNotBuiltError):
        load_tracker(path)


# -- response rules -------------------------------------------------------------------------


def test_identity_response(asset):
    r = asset.respond(None, None)
    assert r.status == 200 and r.body == asset.body
    assert r.headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert "Content-Encoding" not in r.headers
    assert r.headers["Content-Length"] == str(len(asset.body))
    assert r.headers["ETag"] == asset.etag and re.fullmatch(r'"[0-9a-f]{20}"', asset.etag)
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert r.headers["Vary"] == "Accept-Encoding"
    assert re.fullmatch(r"public, max-age=\d+", r.headers["Cache-Control"])
    assert 0 < int(r.headers["Cache-Control"].rsplit("=", 1)[1]) <= 86400


def test_gzip_response(asset):
    r = asset.respond("br, gzip, deflate", None)
    assert r.status == 200 and r.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(r.body) == asset.body
    assert r.headers["Content-Length"] == str(len(r.body))
    assert r.headers["ETag"] == asset.gzip_etag != asset.etag  # distinct representations
    assert r.headers["Vary"] == "Accept-Encoding"


def test_gzip_bytes_are_deterministic(asset):
    assert TrackerAsset.from_bytes(asset.body) == asset


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, False),
        ("", False),
        ("identity", False),
        ("br", False),
        ("gzip", True),
        ("GZIP", True),
        ("deflate, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("gzip; q=0.0, deflate", False),
        ("x-gzip", True),
        ("*", True),
        ("*;q=0", False),
        ("*, gzip;q=0", False),
        ("gzip;q=bogus", False),
    ],
)
def test_accepts_gzip(header, expected):
    assert accepts_gzip(header) is expected


def test_not_modified_for_either_representation_tag(asset):
    for tag in (asset.etag, asset.gzip_etag, f"W/{asset.etag}", f'"other", {asset.gzip_etag}', "*"):
        for encoding in (None, "gzip"):
            r = asset.respond(encoding, tag)
            assert r.status == 304 and r.body == b"", (tag, encoding)
            assert r.headers["ETag"] == (asset.gzip_etag if encoding else asset.etag)
            assert r.headers["Cache-Control"] and r.headers["Vary"] == "Accept-Encoding"
            assert r.headers["Access-Control-Allow-Origin"] == "*"
            assert "Content-Type" not in r.headers and "Content-Length" not in r.headers


def test_stale_tag_gets_full_response(asset):
    r = asset.respond("gzip", '"0123456789abcdef0123", W/"nope"')
    assert r.status == 200 and gzip.decompress(r.body) == asset.body


def test_etag_matches():
    assert etag_matches(' "a" , W/"b"', ('"b"',))
    assert not etag_matches('"a"', ('"b"',))
    assert not etag_matches("", ('"b"',))
