"""Webhook delivery on its own: the address check at delivery time, the signature, and a
receiver that never answers costing its delivery at most the 5 s budget."""

from __future__ import annotations

import hashlib
import hmac
import socket
import ssl
import threading

import pytest
import trio

from sparklytics.notifications.smtp import DeliveryFailed
from sparklytics.notifications.webhook import TOTAL_TIMEOUT, post_webhook, signature
from tests.notifications.servers import self_signed_certificate, webhook_receiver


def resolver(*addresses: str):
    async def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


def test_signature_is_an_hmac_of_the_raw_body() -> None:
    body = b'{"kind":"alert"}'
    assert signature("whsec_x", body) == "sha256=" + hmac.new(b"whsec_x", body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    "addresses,refused",
    [
        (("93.184.216.34", "10.0.0.5"), "10.0.0.5"),  # any private address refuses the delivery
        (("::ffff:127.0.0.1",), "::ffff:127.0.0.1"),
        (("fd00::1",), "fd00::1"),
        (("169.254.169.254",), "169.254.169.254"),
    ],
)
async def test_a_host_resolving_to_any_non_public_address_is_refused(addresses, refused) -> None:
    with pytest.raises(DeliveryFailed, match=rf"^webhook host hooks\.example\.com resolves to a non-public address \({refused}\)$"):
        await post_webhook("https://hooks.example.com/x", b"{}", "s", resolver=resolver(*addresses))


async def test_the_request_goes_to_the_checked_address_with_the_name_as_host() -> None:
    with webhook_receiver() as receiver:
        await post_webhook(f"http://hooks.example.com:{receiver.port}/in", b'{"a":1}', "s", allow_private=True, resolver=resolver("127.0.0.1"))
    [hook] = receiver.hooks
    assert (hook.path, hook.headers["host"], hook.body) == ("/in", f"hooks.example.com:{receiver.port}", b'{"a":1}')
    assert hook.headers["x-sparklytics-signature"] == signature("s", b'{"a":1}')


async def test_a_receiver_that_never_answers_costs_at_most_the_budget(autojump_clock) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    try:
        with pytest.raises(DeliveryFailed, match=r"^webhook"):
            await post_webhook(f"http://127.0.0.1:{listener.getsockname()[1]}/", b"{}", "s", allow_private=True)
    finally:
        for conn in accepted:
            conn.close()
        listener.close()
    assert trio.current_time() <= TOTAL_TIMEOUT + 0.01


async def test_https_to_the_checked_address_still_checks_the_certificate_against_the_name(tmp_path) -> None:
    good = self_signed_certificate(tmp_path / "good", "DNS:hooks.example.com")
    other = self_signed_certificate(tmp_path / "other", "DNS:elsewhere.example.org")
    with webhook_receiver(tls=good.server_context()) as receiver:
        url = f"https://hooks.example.com:{receiver.port}/in"
        trusted = ssl.create_default_context(cafile=str(good.cert))
        await post_webhook(url, b"{}", "s", allow_private=True, resolver=resolver("127.0.0.1"), verify=trusted)
        assert receiver.hooks[0].headers["host"] == f"hooks.example.com:{receiver.port}"
    with webhook_receiver(tls=other.server_context()) as receiver:
        url = f"https://hooks.example.com:{receiver.port}/in"
        trusted = ssl.create_default_context(cafile=str(other.cert))
        with pytest.raises(DeliveryFailed, match=r"^webhook: ConnectError: SSLCertVerificationError: .*Hostname mismatch"):
            await post_webhook(url, b"{}", "s", allow_private=True, resolver=resolver("127.0.0.1"), verify=trusted)
        assert receiver.hooks == []
