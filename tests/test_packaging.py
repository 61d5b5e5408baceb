"""``pip install`` works alone (issue 12): the wheel that ``python -m build`` makes from a
built checkout carries the tracker and the dashboard, and a server installed from it —
away from the checkout — serves both; without them it still starts and says how to
build them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import REPO_ROOT, free_port, test_env, wait_for_health


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO_ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [built] = out.glob("sparklytics-*.whl")
    return built


def install(wheel: Path, target: Path) -> Path:
    """The wheel's packages in ``target`` (dependencies come from this venv)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True, timeout=300,
    )
    return target


def serve(site_packages: Path, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``python -m sparklytics serve`` importing only from ``site_packages``, not the checkout."""
    port = free_port()
    env = {**os.environ, **test_env(workdir / "data", SPARKLYTICS_PORT=str(port)), "PYTHONPATH": str(site_packages)}
    process = subprocess.Popen(
        [sys.executable, "-m", "sparklytics", "serve"], cwd=workdir, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for_health(url)
    return process, url


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def stop(process: subprocess.Popen[bytes]) -> str:
    process.terminate()
    output, _ = process.communicate(timeout=60)
    return output.decode(errors="replace")


def test_the_wheel_carries_the_built_tracker_and_dashboard(wheel) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "sparklytics/tracker/dist/s.js" in names
    assert "sparklytics/dashboard_dist/index.html" in names
    assert any(name.startswith("sparklytics/dashboard_dist/assets/") and name.endswith(".js") for name in names)


@pytest.fixture
def installed(wheel, tmp_path) -> Iterator[tuple[Path, Path]]:
    site_packages = install(wheel, tmp_path / "site-packages")
    workdir = tmp_path / "run"
    workdir.mkdir()
    yield site_packages, workdir


def test_a_server_installed_from_the_wheel_serves_the_tracker_and_the_dashboard(installed) -> None:
    site_packages, workdir = installed
    where = subprocess.run(
        [sys.executable, "-c", "import sparklytics; print(sparklytics.__file__)"],
        cwd=workdir, env={**os.environ, "PYTHONPATH": str(site_packages)}, capture_output=True, text=True, check=True,
    ).stdout
    assert where.startswith(str(site_packages)), where
    process, url = serve(site_packages, workdir)
    try:
        status, script = get(f"{url}/s.js")
        assert status == 200 and script == (REPO_ROOT / "sparklytics/tracker/dist/s.js").read_bytes()
        status, page = get(f"{url}/")
        assert status == 200 and b'<div id="app"' in page
        assert json.loads(get(f"{url}/health")[1])["status"] == "ok"
    finally:
        stop(process)


def test_without_the_built_files_the_server_starts_and_says_how_to_build_them(installed) -> None:
    site_packages, workdir = installed
    (site_packages / "sparklytics/tracker/dist/s.js").unlink()
    shutil.rmtree(site_packages / "sparklytics/dashboard_dist")
    process, url = serve(site_packages, workdir)
    try:
        status, page = get(f"{url}/")
        assert status == 503 and b"bash scripts/install.sh" in page
        status, script = get(f"{url}/s.js")
        assert status == 503 and b"bash sparklytics/tracker/build.sh" in script
        request = urllib.request.Request(
            f"{url}/api/websites", data=json.dumps({"name": "API only", "domain": "example.com"}).encode(),
            headers={"Content-Type": "application/json"}, method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
    finally:
        log = stop(process)
    assert "Tracker script not built" in log and "bash sparklytics/tracker/build.sh" in log
