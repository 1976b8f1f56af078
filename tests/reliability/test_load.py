"""Load: concurrent /api/ask + /v1/chat/completions; no 5xx, and 429s under a tiny limit."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from api.app import create_app
from eval.load import run_load
from radslag.components import Components
from radslag.settings import Settings
from tests.api.live import LiveServer, api_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_limit(settings: Settings, components: Components) -> Iterator[LiveServer]:
    server = LiveServer(create_app(api_settings(settings, rate_limit_per_minute=5), components)).start()
    yield server
    server.stop()


def test_load_no_server_errors(live: LiveServer) -> None:
    result = run_load(live.url, clients=6, seconds=15, pid=os.getpid())
    print("load", result.as_dict())
    assert result.requests >= 6
    assert result.server_errors == 0, result.as_dict()
    assert not [s for s in result.statuses if s.startswith("error")], result.as_dict()
    assert result.statuses["200"] == result.requests
    assert result.as_dict()["p95_s"] > 0 and result.rss_end_mb is not None


def test_tiny_rate_limit_gives_429_with_retry_after(tiny_limit: LiveServer) -> None:
    result = run_load(tiny_limit.url, clients=4, seconds=5)
    print("limited", result.as_dict())
    assert result.server_errors == 0
    assert result.statuses["200"] <= 5
    assert result.rate_limited > 0 and result.retry_after_seen == result.rate_limited
