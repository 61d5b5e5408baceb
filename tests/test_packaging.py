"""``pip install`` works alone (issue 12): ``python -m build`` on a built checkout makes an
sdist and, from it, a wheel that carries the tracker and the dashboard; ``pip install`` of
that wheel into a fresh virtualenv (dependencies resolved by pip from the wheel's own
metadata, nothing from this checkout or the test venv) gives a ``sparklytics`` command
that serves both; without them the server still starts and says how to build them.

The fresh install resolves the dependencies through pip's configured index, as a user's
``pip install`` does (about 40 s here, once per module).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.harness import REPO_ROOT, free_port, test_env, wait_for_health

BUILT_FILES = (
    "sparklytics/tracker/dist/s.js",
    "sparklytics/tracker/dist/plausible.js",
    "sparklytics/tracker/dist/umami.js",
    "sparklytics/dashboard_dist/index.html",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The output folder of ``python -m build``: one sdist, one wheel built from it."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO_ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def wheel(built) -> Path:
    [found] = built.glob("sparklytics-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtualenv with only the wheel and the dependencies it declares."""
    root = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=120)
    result = subprocess.run(
        [str(root / "bin/python"), "-m", "pip", "install", "--quiet", str(wheel)],
        capture_output=True, text=True, timeout=600, cwd=root,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root


def venv_site_packages(venv: Path) -> Path:
    return Path(run_in(venv, ["-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], venv).strip())


def run_in(venv: Path, args: Sequence[str], cwd: Path, **env: str) -> str:
    return subprocess.run(
        [str(venv / "bin/python"), *args], cwd=cwd, env={**os.environ, **env},
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout


def serve(command: Sequence[str], workdir: Path, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        command, cwd=workdir, env={**os.environ, **test_env(workdir / "data", SPARKLYTICS_PORT=str(port)), **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url)
    except TimeoutError:
        raise AssertionError(stop(process)) from None
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


def test_the_sdist_and_the_wheel_carry_the_built_tracker_and_dashboard(built, wheel) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(BUILT_FILES) <= names
    # The PostgreSQL store reads its migrations from the installed package.
    assert "sparklytics/stores/postgres/migrations/0001_initial.sql" in names
    assert any(name.startswith("sparklytics/dashboard_dist/assets/") and name.endswith(".js") for name in names)
    [sdist] = built.glob("sparklytics-*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert set(BUILT_FILES) <= members


def test_a_fresh_venv_with_the_wheel_serves_the_tracker_and_the_dashboard(venv, tmp_path) -> None:
    assert "No broken requirements" in run_in(venv, ["-m", "pip", "check"], tmp_path)
    where = run_in(venv, ["-c", "import sparklytics; print(sparklytics.__file__)"], tmp_path)
    assert where.startswith(str(venv_site_packages(venv))), where
    process, url = serve([str(venv / "bin/sparklytics"), "serve"], tmp_path)
    try:
        status, script = get(f"{url}/s.js")
        assert status == 200 and script == (REPO_ROOT / "sparklytics/tracker/dist/s.js").read_bytes()
        status, page = get(f"{url}/")
        assert status == 200 and b'<div id="app"' in page
        asset = page.split(b'src="/assets/', 1)[1].split(b'"', 1)[0].decode()
        assert get(f"{url}/assets/{asset}")[0] == 200
        assert json.loads(get(f"{url}/health")[1])["status"] == "ok"
    finally:
        log = stop(process)
    assert "not built" not in log, log


def test_without_the_built_files_the_server_starts_and_says_how_to_build_them(venv, tmp_path) -> None:
    """A copy of the installed package without its built files, first on the path (as an
    editable install of a checkout that was never built)."""
    shadow = tmp_path / "shadow"
    shutil.copytree(venv_site_packages(venv) / "sparklytics", shadow / "sparklytics")
    (shadow / "sparklytics/tracker/dist/s.js").unlink()
    shutil.rmtree(shadow / "sparklytics/dashboard_dist")
    where = run_in(venv, ["-c", "import sparklytics; print(sparklytics.__file__)"], tmp_path, PYTHONPATH=str(shadow))
    assert where.startswith(str(shadow)), where
    process, url = serve([str(venv / "bin/python"), "-m", "sparklytics", "serve"], tmp_path, PYTHONPATH=str(shadow))
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
    assert "Dashboard not built" in log and "bash dashboard/build.sh" in log
