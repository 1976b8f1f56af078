"""Fixtures for the reliability tests: throw-away indexes and live servers over the real app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.app import create_app
from radslag.components import Components
from radslag.settings import Settings
from tests.api.live import LiveServer, api_settings


@pytest.fixture(scope="module")
def live(settings: Settings, components: Components) -> Iterator[LiveServer]:
    """The real app over the session's index, with a high rate limit."""
    server = LiveServer(create_app(api_settings(settings), components)).start()
    yield server
    server.stop()
