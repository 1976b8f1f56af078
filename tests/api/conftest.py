"""Live-server fixtures for the API tests: the real app over the session's real index."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from api.app import create_app
from radslag.components import Components
from radslag.settings import Settings
from tests.api.live import ADMIN_TOKEN, LiveServer, api_settings


@pytest.fixture(scope="session")
def live_server(settings: Settings, components: Components) -> Iterator[LiveServer]:
    """One app over the shared ``components`` (no re-ingest), served by uvicorn on loopback."""
    server = LiveServer(create_app(api_settings(settings), components)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    return live_server.url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=120) as c:
        yield c


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
