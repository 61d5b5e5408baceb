"""Real receivers on 127.0.0.1 for the delivery tests: an SMTP server (aiosmtpd, with or
without STARTTLS) and an HTTP server that records webhook POSTs.

Both run in their own threads (aiosmtpd on its asyncio loop, the HTTP server on
``http.server``), so the code under test talks to them over real sockets exactly as it
would to a mail relay or a receiver on the internet.
"""

from __future__ import annotations

import email
import email.policy
import http.server
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.harness import free_port


@dataclass
class Received:
    """A message the SMTP server accepted, parsed, and whether it came over TLS."""

    message: EmailMessage
    rcpt_tos: list[str]
    tls: bool
    login: str | None


@dataclass
class SmtpSink:
    port: int
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        login = session.auth_data if session.authenticated else None
        self.messages.append(Received(message, list(envelope.rcpt_tos), session.ssl is not None, login))
        return "250 OK"


@contextmanager
def smtp_server(*, tls_context: ssl.SSLContext | None = None, login: tuple[str, str] | None = None) -> Iterator[SmtpSink]:
    """An SMTP server on 127.0.0.1; with ``tls_context`` it offers and requires STARTTLS,
    with ``login`` it offers AUTH (after STARTTLS) and accepts those credentials only."""
    sink = SmtpSink(free_port())
    kwargs: dict = {"tls_context": tls_context, "require_starttls": True} if tls_context else {}
    if login is not None:

        def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
            given = (auth_data.login.decode(), auth_data.password.decode())
            return AuthResult(success=given == login, auth_data=given[0])

        kwargs["authenticator"] = authenticate
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port, **kwargs)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def self_signed_certificate(folder: Path, names: str = "IP:127.0.0.1,DNS:localhost") -> Certificate:
    """A certificate for ``names`` (subjectAltName syntax) that is its own CA."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", str(key), "-out", str(cert),
         "-subj", "/CN=sparklytics-test", "-addext", f"subjectAltName={names}"],
        check=True, capture_output=True,
    )
    return Certificate(cert, key)


@dataclass(frozen=True)
class Hook:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    port: int
    status: int = 204
    hooks: list[Hook] = field(default_factory=list)


@contextmanager
def webhook_receiver(status: int = 204, *, tls: ssl.SSLContext | None = None) -> Iterator[WebhookReceiver]:
    """An HTTP server on 127.0.0.1 that records every POST and answers ``status``
    (HTTPS with the server context ``tls``)."""
    receiver = WebhookReceiver(0, status)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.hooks.append(Hook(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(receiver.status)
            if receiver.status in (301, 302):
                self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
