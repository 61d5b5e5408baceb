"""Hypercorn's settings for our one in-process server (``sparklytics serve`` and tests)."""

from __future__ import annotations

from hypercorn.config import Config as HypercornConfig

from sparklytics.config import Config


def hypercorn_config(config: Config, bind: str, *, graceful_timeout: float) -> HypercornConfig:
    """Bind, timeouts and logging; no access log (it would hold client IPs, Decision 7).

    ``keep_alive_timeout`` closes an idle keep-alive connection; the body-read budget is
    enforced where bodies are read (Quart's ``BODY_TIMEOUT`` and collect's own reader),
    since Hypercorn's ``read_timeout`` is per read and a client sending a byte a second
    never trips it.
    """
    hconfig = HypercornConfig()
    hconfig.bind = [bind]
    hconfig.accesslog = None
    hconfig.graceful_timeout = graceful_timeout
    hconfig.keep_alive_timeout = config.keep_alive_timeout_seconds
    return hconfig
