"""Fixtures for the auth HTTP tests: a server in the mode each test asks for."""

from __future__ import annotations

import pytest

from tests.auth.support import config_for


@pytest.fixture
def config(data_dir, request):
    """Settings in the auth mode the test asks for (local, custom bootstrap, by default)."""
    return config_for(data_dir, request)


@pytest.fixture
async def client(app):
    """An in-process client without a cookie jar."""
    return app.test_client(use_cookies=False)
