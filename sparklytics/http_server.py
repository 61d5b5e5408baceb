"""Our one in-process HTTP server (``sparklytics serve``, tests, benchmarks): Hypercorn's
settings, and the choice of ingest path."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from sparklytics.config import Config
from sparklytics.lean_server import LeanServer


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


async def serve(app: Any, config: Config, hconfig: HypercornConfig, shutdown_trigger: Callable[[], Awaitable[None]]) -> None:
    """Serve ``app`` until ``shutdown_trigger`` returns, on the ingest path the config
    names: ``lean`` (:mod:`sparklytics.lean_server`) or ``classic`` (Hypercorn alone)."""
    if config.ingest_path == "classic":
        await hypercorn_serve(app, hconfig, shutdown_trigger=shutdown_trigger)
        return
    endpoints = app.config["RAW_ENDPOINTS"]
    server = LeanServer(app.asgi_app, lambda path: any(endpoint.handles(path) for endpoint in endpoints), app, hconfig)
    await server.serve(shutdown_trigger)
