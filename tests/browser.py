"""Launching Debian's Chromium for browser tests (tracker, dashboard).

Python ``playwright`` drives the system ``chromium`` package; ``playwright install``
cannot download browsers here. Use :func:`launch_chromium` inside a ``sync_playwright()``
block, or the :func:`chromium` context manager for a module/session-scoped browser::

    @pytest.fixture(scope="session")
    def browser():
        with chromium() as b:
            yield b
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM_PATH = os.environ.get("SPARKLYTICS_CHROMIUM", "/usr/bin/chromium")

# --no-sandbox: containers run as root; the rest keeps Chromium from phoning home
# (component updates, sync, field trials) and starting slow.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch_chromium(playwright, **kwargs):
    """``playwright.chromium.launch`` with our executable and flags; fails clearly if missing."""
    if not Path(CHROMIUM_PATH).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM_PATH}: run `apt-get install -y chromium` "
            "(or set SPARKLYTICS_CHROMIUM)",
            pytrace=False,
        )
    args = CHROMIUM_ARGS + list(kwargs.pop("args", []))
    return playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True, args=args, **kwargs)


@contextmanager
def chromium(**kwargs) -> Iterator:
    """A running Chromium ``Browser`` for the duration of the block."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, **kwargs)
        try:
            yield browser
        finally:
            browser.close()
