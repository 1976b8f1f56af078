"""Live-server fixtures for the API tests: the real app over the session's real index."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from api.app import create_app
from eval.servers import RedisServer, redis_binary, running_redis
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


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real throw-away ``redis-server`` for the session (loopback, free port, nothing saved)."""
    if redis_binary() is None:
        pytest.skip("redis-server is not installed: `make system-deps` installs Debian's redis-server")
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server
