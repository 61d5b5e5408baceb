"""The ingest tests over real HTTP, on both ingest paths (``SPARKLYTICS_INGEST_PATH``).

The lean path is a different HTTP server for ingest routes
(:mod:`sparklytics.lean_server`); the promise is that it answers exactly as the classic
one. So the ingest test modules replace their in-process Quart client with
:class:`HttpClient`, which speaks HTTP/1.1 (keep-alive, h11) to the real server running
in the test's nursery on a free port, and run every test once per path:

    config = ingest_path_config   # in the test module: parametrises over both paths
    client = client_over_http

:class:`HttpClient` keeps the call shapes of Quart's test client the tests use
(``post(path, json=…, data=…, headers=…, scope_base=…)`` and the other methods; an
answer with ``status_code``, ``headers``, ``mimetype``, ``get_json``, ``get_data``).
``scope_base={"client": (ip, port)}`` becomes ``X-Forwarded-For: ip`` — the servers
trust 127.0.0.1 as a proxy — so per-IP limits and sessions see the same IPs.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import h11
import pytest
import trio
from werkzeug.datastructures import Headers

from tests.harness import free_port, test_config

INGEST_PATHS = ("classic", "lean")
# The characters Quart's test client leaves as they are in a path and a query.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


class HttpAnswer:
    """One response, shaped like Quart's test response."""

    def __init__(self, status_code: int, headers: Headers, body: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self._body = body

    @property
    def mimetype(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    async def get_json(self) -> Any:
        return json.loads(self._body)

    async def get_data(self, as_text: bool = False) -> bytes | str:
        return self._body.decode() if as_text else self._body


class HttpClient:
    """HTTP/1.1 over one keep-alive connection (a new one when the server closed it);
    fixtures that run at once take turns."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._stream: trio.SocketStream | None = None
        self._connection: h11.Connection | None = None
        self._turn = trio.Lock()

    async def open(self, path: str, *, method: str = "GET", json: Any = None, data: bytes | str | None = None,
                   headers: dict[str, str] | None = None, scope_base: dict[str, Any] | None = None) -> HttpAnswer:
        request_headers = Headers(headers or {})
        request_headers.setdefault("User-Agent", "Quart")
        request_headers.setdefault("Host", "localhost")
        if scope_base is not None:
            request_headers["X-Forwarded-For"] = scope_base["client"][0]
        body = b""
        if json is not None:
            body = _json_bytes(json)
            request_headers.setdefault("Content-Type", "application/json")
        elif data is not None:
            body = data.encode() if isinstance(data, str) else data
        if body or method in ("POST", "PUT", "PATCH"):
            request_headers["Content-Length"] = str(len(body))
        target, _, query = path.partition("?")
        target = quote(target, safe=_PATH_SAFE) + ("?" + quote(query, safe=_QUERY_SAFE) if query else "")
        async with self._turn:
            return await self._exchange(method, target, [(k.encode("latin-1"), v.encode("latin-1")) for k, v in request_headers.items()], body)

    async def get(self, path: str, **kwargs: Any) -> HttpAnswer:
        return await self.open(path, method="GET", **kwargs)

    async def post(self, path: str, **kwargs: Any) -> HttpAnswer:
        return await self.open(path, method="POST", **kwargs)

    async def put(self, path: str, **kwargs: Any) -> HttpAnswer:
        return await self.open(path, method="PUT", **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> HttpAnswer:
        return await self.open(path, method="DELETE", **kwargs)

    async def options(self, path: str, **kwargs: Any) -> HttpAnswer:
        return await self.open(path, method="OPTIONS", **kwargs)

    async def aclose(self) -> None:
        if self._stream is not None:
            await self._stream.aclose()
            self._stream = None

    async def _exchange(self, method: str, target: str, headers: list[tuple[bytes, bytes]], body: bytes) -> HttpAnswer:
        if self._stream is None or self._connection is None:
            self._stream = await trio.open_tcp_stream("127.0.0.1", self._port)
            self._connection = h11.Connection(h11.CLIENT)
        connection, stream = self._connection, self._stream
        data = connection.send(h11.Request(method=method, target=target, headers=headers))
        data += connection.send(h11.Data(data=body)) if body else b""
        data += connection.send(h11.EndOfMessage())
        await stream.send_all(data)
        status, answer_headers, chunks = 0, Headers(), []
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                connection.receive_data(await stream.receive_some(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
                answer_headers = Headers([(name.decode(), value.decode("latin-1")) for name, value in event.headers])
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                break
        if connection.our_state is h11.DONE and connection.their_state is h11.DONE:
            connection.start_next_cycle()
        else:
            await self.aclose()
        return HttpAnswer(status, answer_headers, b"".join(chunks))


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode()


def ingest_test_config(data_dir: Any, ingest_path: str, **env: str) -> Any:
    """Test settings on ``ingest_path``, trusting the test client as a proxy."""
    return test_config(data_dir, SPARKLYTICS_INGEST_PATH=ingest_path, SPARKLYTICS_TRUSTED_PROXIES="127.0.0.1/32", **env)


@pytest.fixture(params=INGEST_PATHS)
def ingest_path_config(data_dir: Any, request: Any) -> Any:
    """:func:`ingest_test_config` once per ingest path."""
    return ingest_test_config(data_dir, request.param)


@pytest.fixture
async def client_over_http(app: Any, config: Any) -> AsyncIterator[HttpClient]:
    """:class:`HttpClient` to the real server (``sparklytics.http_server.serve``) running
    ``app`` on the config's ingest path in this test's nursery."""
    from sparklytics.http_server import hypercorn_config, serve

    port = free_port()
    stop = trio.Event()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(serve, app, config, hypercorn_config(config, f"127.0.0.1:{port}", graceful_timeout=1), stop.wait)
        await _wait_for_port(port)
        client = HttpClient(port)
        yield client
        await client.aclose()
        stop.set()


async def _wait_for_port(port: int) -> None:
    with trio.fail_after(30):
        while True:
            try:
                stream = await trio.open_tcp_stream("127.0.0.1", port)
            except OSError:
                await trio.sleep(0.01)
            else:
                await stream.aclose()
                return
