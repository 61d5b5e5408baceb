"""Webhook delivery: a signed JSON POST to a URL the user gave, without letting that URL
reach into the server's own network (SSRF).

The host is resolved once; if *any* of its addresses is not public
(:func:`~sparklytics.notifications.targets.is_public_address`) the delivery is refused,
and otherwise the request goes to the address that was checked — the URL's host is
replaced by it, ``Host`` (and, for https, the TLS server name and certificate check)
keep the original name — so a DNS answer that changes between the check and the
connect (rebinding) cannot redirect it. Redirects are not followed (a 3xx is a
failure); the connect may take 3 s and the whole exchange 5 s.

The body is signed with the website's secret: ``X-Sparklytics-Signature:
sha256=<hex HMAC-SHA256(secret, body)>``; a receiver recomputes it over the raw body
and compares in constant time.

``allow_private`` (``SPARKLYTICS_WEBHOOK_ALLOW_PRIVATE``) lifts the address check for
test rigs whose receiver is on 127.0.0.1. It is **unsafe** in production: only the
operator's environment can set it, no request can.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

import trio

from sparklytics.notifications.smtp import DeliveryFailed
from sparklytics.notifications.targets import is_public_address

CONNECT_TIMEOUT = 3.0
TOTAL_TIMEOUT = 5.0
SIGNATURE_HEADER = "X-Sparklytics-Signature"
# (host, port) -> the addresses it resolves to.
Resolver = Callable[[str, int], Awaitable[list[str]]]


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (trio runs the lookup in a thread)."""
    try:
        infos = await trio.socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise DeliveryFailed(f"webhook host {host} does not resolve: {error}") from None
    return list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))


async def post_webhook(
    url: str,
    body: bytes,
    secret: str,
    *,
    allow_private: bool = False,
    resolver: Resolver = resolve,
    verify: ssl.SSLContext | bool = True,
) -> None:
    """POST ``body`` to ``url``; raises :class:`DeliveryFailed` with the reason.

    ``verify`` is how an https receiver's certificate is checked (the system's CAs by
    default; tests pass a context that trusts their own CA).
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    with trio.move_on_after(TOTAL_TIMEOUT) as budget:
        address = await _checked_address(host, port, allow_private, resolver)
        literal = f"[{address}]" if ":" in address else address
        direct = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
        headers = {
            "Host": parts.netloc.rpartition("@")[2],
            "Content-Type": "application/json",
            "User-Agent": "Sparklytics-Webhook/1",
            SIGNATURE_HEADER: signature(secret, body),
        }
        extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
        import httpx  # on first delivery: ~4 MB of idle memory a server without webhooks never needs

        timeout = httpx.Timeout(TOTAL_TIMEOUT, connect=CONNECT_TIMEOUT)
        try:
            async with httpx.AsyncClient(follow_redirects=False, timeout=timeout, trust_env=False, verify=verify) as client:
                response = await client.post(direct, content=body, headers=headers, extensions=extensions)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"webhook: {type(error).__name__}: {_root_cause(error)}") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(f"webhook answered HTTP {response.status_code}")
    if budget.cancelled_caught:
        raise DeliveryFailed(f"webhook took longer than {TOTAL_TIMEOUT:g} s")


def _root_cause(error: BaseException) -> str:
    """The innermost message behind an httpx error (a TLS refusal arrives wrapped in two
    empty ones), so the history says *why* the connect failed."""
    seen: list[BaseException] = []
    while error is not None and error not in seen:
        seen.append(error)
        error = error.__cause__ or error.__context__
    for inner in reversed(seen):
        if str(inner):
            return f"{type(inner).__name__}: {inner}" if inner is not seen[0] else str(inner)
    return "no answer"


async def _checked_address(host: str, port: int, allow_private: bool, resolver: Resolver) -> str:
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        addresses = await resolver(host, port)
    if not addresses:
        raise DeliveryFailed(f"webhook host {host} does not resolve")
    if not allow_private:
        refused = [a for a in addresses if not is_public_address(ipaddress.ip_address(a))]
        if refused:
            raise DeliveryFailed(f"webhook host {host} resolves to a non-public address ({refused[0]})")
    return addresses[0]
