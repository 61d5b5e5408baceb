"""Helpers of the import tests: a real server over a data dir, and the real CLI."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.harness import LiveServer, run_cli, test_env

UA_CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
UA_FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


class Api:
    """The JSON API of a running server."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.client = httpx.Client(base_url=server.url, timeout=30)

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: Any) -> Any:
        response = self.client.post(path, json=body)
        assert response.status_code in (200, 201, 202), response.text
        return response.json()


@contextmanager
def serving(data_dir: Path) -> Iterator[Api]:
    """The real app over ``data_dir`` until the block ends (then the file is free again)."""
    server = LiveServer(data_dir).start()
    api = Api(server)
    try:
        yield api
    finally:
        api.client.close()
        server.stop()


def create_website(data_dir: Path, domain: str = "example.com", timezone: str = "UTC") -> str:
    with serving(data_dir) as api:
        return api.post("/api/websites", {"name": domain, "domain": domain, "timezone": timezone})["data"]["id"]


def sparklytics_import(data_dir: Path, *args: str):
    """``sparklytics import …`` as a subprocess against ``data_dir``."""
    return run_cli(["import", *args], test_env(data_dir), timeout=120)


def csv_text(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def write_zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path
