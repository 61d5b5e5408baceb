"""E-mail delivery over SMTP with the standard library, in a worker thread.

``smtplib`` blocks, so :func:`send_email` runs it in ``trio.to_thread.run_sync`` under a
small :class:`trio.CapacityLimiter` and abandons the thread if the whole exchange
outlives its budget: a slow or silent mail server delays one delivery, never the event
loop, ingest or queries. Every socket operation also has the 5 s ``timeout``.

Transport security (``SPARKLYTICS_SMTP_TLS``): ``starttls`` (default) upgrades the
connection after EHLO and refuses to go on if the server does not offer STARTTLS, so a
man in the middle cannot strip it; ``tls`` speaks TLS from the first byte (port 465);
``none`` sends in clear (a relay on the same host). Certificates are verified, against
``SPARKLYTICS_SMTP_CA_FILE`` when set. Login happens only when both a username and a
password are set. With ``SPARKLYTICS_SMTP_NOOP`` nothing is sent and the delivery is
reported sent (for tests of everything around delivery).
"""

from __future__ import annotations

import json
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import trio

from sparklytics.notifications.render import Rendered

TIMEOUT_SECONDS = 5.0
# The whole exchange (connect, TLS, login, data): a server that trickles is cut off.
DELIVERY_BUDGET_SECONDS = 15.0


class DeliveryFailed(Exception):
    """A notification could not be delivered; ``reason`` is shown in the history."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str | None = None
    port: int = 587
    from_address: str = "sparklytics@localhost"
    username: str | None = None
    password: str | None = None
    tls: str = "starttls"  # starttls | tls | none
    ca_file: Path | None = None
    noop: bool = False
    timeout: float = TIMEOUT_SECONDS


def build_message(settings: SmtpSettings, to: str, rendered: Rendered, payload: Any) -> EmailMessage:
    """The message: plain text and HTML alternatives, the JSON payload attached."""
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = settings.from_address
    message["To"] = to
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=settings.from_address.rpartition("@")[2] or "localhost")
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    message.add_attachment(
        json.dumps(payload, indent=2).encode(), maintype="application", subtype="json", filename="sparklytics.json"
    )
    return message


async def send_email(settings: SmtpSettings, message: EmailMessage, limiter: trio.CapacityLimiter) -> None:
    """Deliver ``message``; raises :class:`DeliveryFailed` with the reason."""
    if settings.noop:
        return
    if not settings.host:
        raise DeliveryFailed("smtp host is not configured")
    with trio.move_on_after(DELIVERY_BUDGET_SECONDS) as budget:
        await trio.to_thread.run_sync(_send_blocking, settings, message, limiter=limiter, abandon_on_cancel=True)
    if budget.cancelled_caught:
        raise DeliveryFailed(f"smtp delivery took longer than {DELIVERY_BUDGET_SECONDS:g} s")


def _send_blocking(settings: SmtpSettings, message: EmailMessage) -> None:
    context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    try:
        if settings.tls == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            client.ehlo()
            if settings.tls == "starttls":
                if not client.has_extn("starttls"):
                    raise DeliveryFailed("smtp server does not offer STARTTLS (set SPARKLYTICS_SMTP_TLS=none to send in clear)")
                client.starttls(context=context)
                client.ehlo()
            if settings.username and settings.password:
                client.login(settings.username, settings.password)
            client.send_message(message)
    except DeliveryFailed:
        raise
    except (smtplib.SMTPException, OSError, ssl.SSLError) as error:
        raise DeliveryFailed(f"smtp: {type(error).__name__}: {error}") from None
