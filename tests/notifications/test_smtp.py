"""SMTP delivery on its own: a message through a real server, and a silent server that
costs its own delivery a timeout while the event loop keeps running."""

from __future__ import annotations

import socket
import threading

import pytest
import trio

from sparklytics.notifications.render import Rendered
from sparklytics.notifications.smtp import DeliveryFailed, SmtpSettings, build_message, send_email
from tests.notifications.servers import smtp_server

RENDERED = Rendered("Subject line", "plain words", "<p>html words</p>")


async def test_a_message_has_text_html_and_the_json_attached() -> None:
    with smtp_server() as sink:
        settings = SmtpSettings(host="127.0.0.1", port=sink.port, tls="none", from_address="me@stats.example.com")
        await send_email(settings, build_message(settings, "you@example.com", RENDERED, {"kind": "x"}), trio.CapacityLimiter(1))
    [received] = sink.messages
    message = received.message
    assert (message["Subject"], message["From"], message["To"]) == ("Subject line", "me@stats.example.com", "you@example.com")
    assert message.get_body(("plain",)).get_content().strip() == "plain words"
    assert message.get_body(("html",)).get_content().strip() == "<p>html words</p>"
    [attachment] = message.iter_attachments()
    assert attachment.get_content_type() == "application/json" and b'"kind": "x"' in attachment.get_content()


async def test_a_silent_server_fails_its_delivery_and_never_blocks_the_loop() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    settings = SmtpSettings(host="127.0.0.1", port=listener.getsockname()[1], tls="none", timeout=0.5)
    ticks = 0

    async def keep_ticking() -> None:
        nonlocal ticks
        while True:
            await trio.sleep(0.01)
            ticks += 1

    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(keep_ticking)
            with pytest.raises(DeliveryFailed, match=r"^smtp: .*timed out"):
                await send_email(settings, build_message(settings, "a@b.co", RENDERED, {}), trio.CapacityLimiter(1))
            nursery.cancel_scope.cancel()
    finally:
        for conn in accepted:
            conn.close()
        listener.close()
    assert ticks >= 20  # the loop ran on while the thread waited for the banner


async def test_noop_and_missing_host() -> None:
    message = build_message(SmtpSettings(), "a@b.co", RENDERED, {})
    await send_email(SmtpSettings(noop=True), message, trio.CapacityLimiter(1))
    with pytest.raises(DeliveryFailed, match=r"^smtp host is not configured$"):
        await send_email(SmtpSettings(host=None), message, trio.CapacityLimiter(1))
