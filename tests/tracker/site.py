"""A throwaway "customer website" for the tracker's browser tests.

It runs on its own port (so the analytics server is cross-origin to it), serves HTML
pages that the tests register, and acts as a first-party proxy like the README's nginx
example: ``/_sl/s.js`` → ``<server>/s.js`` and ``/_sl/e`` → ``<server>/e``. Every request
it receives is recorded.
"""

from __future__ import annotations

import html
import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

PROXY_ROUTES = {"/_sl/s.js": "/s.js", "/_sl/e": "/e"}
# Headers a reverse proxy passes on; cookies deliberately are not (README's advice).
FORWARDED_HEADERS = (
    "Content-Type",
    "User-Agent",
    "Accept",
    "Accept-Language",
    "Accept-Encoding",
    "If-None-Match",
    "Origin",
    "Referer",
)
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "date", "server"}


class TestSite:
    __test__ = False  # not a pytest class

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.pages: dict[str, str] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                site._record(self)
                path = self.path.split("?", 1)[0]
                if path in PROXY_ROUTES:
                    return site._proxy(self, PROXY_ROUTES[path])
                page = site.pages.get(path)
                if page is None:
                    page = "<!doctype html><title>elsewhere</title><p>not a tracked page</p>"
                body = page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                site._record(self)
                path = self.path.split("?", 1)[0]
                if path in PROXY_ROUTES:
                    return site._proxy(self, PROXY_ROUTES[path])
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self.send_response(204)
                self.end_headers()

            def do_OPTIONS(self) -> None:
                site._record(self)
                self.send_response(405)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add(self, path: str, document: str) -> str:
        """Serve ``document`` at ``path``; returns the page's URL."""
        self.pages[path] = document
        return self.origin + path

    def tracker_page(
        self,
        path: str,
        website_id: str,
        *,
        src: str,
        attrs: dict[str, str] | None = None,
        body: str = "",
        title: str = "page",
    ) -> str:
        """A page embedding the tracker the way the README says; returns its URL."""
        attributes = {"data-website-id": website_id, **(attrs or {})}
        rendered = "".join(f' {k}="{html.escape(v)}"' for k, v in attributes.items())
        return self.add(
            path,
            f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
            f'<script defer src="{html.escape(src)}"{rendered}></script></head>'
            f"<body>{body}</body></html>",
        )

    def _record(self, handler: BaseHTTPRequestHandler) -> None:
        self.requests.append((handler.command, handler.path, dict(handler.headers.items())))

    def _proxy(self, handler: BaseHTTPRequestHandler, target: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        payload = handler.rfile.read(length) if length else None
        headers = {k: handler.headers[k] for k in FORWARDED_HEADERS if handler.headers.get(k)}
        headers["X-Forwarded-For"] = handler.client_address[0]
        headers["X-Forwarded-Proto"] = "http"
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=10)
        try:
            conn.request(handler.command, target, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read()
            handler.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    handler.send_header(name, value)
            if response.status != 304:
                handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            if handler.command != "HEAD" and response.status != 304:
                handler.wfile.write(data)
        finally:
            conn.close()
