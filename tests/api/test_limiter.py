"""The limits (api/limiter.py) over a real redis-server: two limiter objects with their own
connections are two processes' view of one budget; the in-memory fallback counts per process;
an unreachable Redis is a clear 503, never a 500."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from limits.storage import MemoryStorage, RedisStorage

from api.app import create_app
from api.auth import SessionSecretMissing
from api.limiter import LimitStoreUnavailable, WindowLimit, limit_storage
from eval.servers import RedisServer, free_port, redis_binary
from radslag.components import Components
from radslag.settings import ApiSettings, Settings
from tests.api.live import LiveServer, api_settings
from tests.conftest import make_settings

SECRET = "limiter-test-session-secret-0b1c"


def _limit(storage, amount: int = 3, window_s: int = 2, name: str | None = None) -> WindowLimit:  # type: ignore[no-untyped-def]
    return WindowLimit(storage, amount, window_s, name or f"unit-{uuid.uuid4().hex[:8]}")


def test_two_processes_share_one_budget_through_redis(redis_server: RedisServer, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, redis_url=redis_server.url)
    one, two = limit_storage(settings), limit_storage(settings)
    assert isinstance(one, RedisStorage) and one.storage is not two.storage  # separate connections
    name = f"unit-{uuid.uuid4().hex[:8]}"
    a, b = _limit(one, name=name), _limit(two, name=name)
    assert [a.hit("10.0.0.1"), b.hit("10.0.0.1"), a.hit("10.0.0.1")] == [0.0, 0.0, 0.0]
    wait = b.hit("10.0.0.1")
    assert 0 < wait <= 2  # B sees A's hits: the budget is one
    assert 0 < a.blocked_for("10.0.0.1") <= 2
    assert b.blocked_for("10.0.0.2") == 0 and b.hit("10.0.0.2") == 0  # another client, its own budget
    time.sleep(wait + 0.05)  # the moving window frees the oldest hit when Retry-After said
    assert a.hit("10.0.0.1") == 0.0


def test_keys_live_under_the_prefix_and_prefixes_do_not_share(redis_server: RedisServer, tmp_path: Path) -> None:
    name = f"unit-{uuid.uuid4().hex[:8]}"
    ours = _limit(limit_storage(make_settings(tmp_path, redis_url=redis_server.url)), amount=1, name=name)
    theirs_settings = make_settings(tmp_path, redis_url=redis_server.url, redis_key_prefix="otherapp")
    theirs = _limit(limit_storage(theirs_settings), amount=1, name=name)
    assert ours.hit("10.0.0.9") == 0 and ours.hit("10.0.0.9") > 0
    assert theirs.hit("10.0.0.9") == 0  # same limit name, same client: another app's budget
    keys = {k.decode() for k in redis_server.client().scan_iter(f"*{name}*")}
    assert len(keys) == 2 and {k.split(":", 1)[0] for k in keys} == {"radslag", "otherapp"}


def test_in_memory_fallback_counts_per_process(tmp_path: Path) -> None:
    storage = limit_storage(make_settings(tmp_path))
    assert isinstance(storage, MemoryStorage)
    a, b = _limit(storage, name="same"), _limit(storage, name="same")
    assert [a.hit("k"), b.hit("k"), a.hit("k")] == [0.0, 0.0, 0.0]
    assert 0 < b.hit("k") <= 2 and 0 < a.blocked_for("k") <= 2  # one process: one budget
    other_process = _limit(limit_storage(make_settings(tmp_path)), name="same")
    assert other_process.hit("k") == 0.0  # a second process's memory knows nothing of it


def test_unreachable_redis_raises_limit_store_unavailable_quickly(tmp_path: Path) -> None:
    dead = _limit(limit_storage(make_settings(tmp_path, redis_url=f"redis://127.0.0.1:{free_port()}/0")))
    started = time.monotonic()
    with pytest.raises(LimitStoreUnavailable):
        dead.hit("k")
    with pytest.raises(LimitStoreUnavailable):
        dead.blocked_for("k")
    assert time.monotonic() - started < 10


def test_app_factory_refuses_redis_without_session_secret(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, redis_url="redis://127.0.0.1:6379/0", api=ApiSettings(session_secret=None))
    with pytest.raises(SessionSecretMissing, match="RADSLAG_API__SESSION_SECRET"):
        create_app(settings, Components(settings))


@pytest.fixture(scope="module")
def redis_down_app(settings: Settings, components: Components, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, int]]:
    """The app over the session index with a Redis URL where no Redis runs (yet)."""
    port = free_port()
    shared = api_settings(settings, rate_limit_per_minute=100, session_secret=SECRET)
    shared = shared.model_copy(update={"redis_url": f"redis://127.0.0.1:{port}/0"})
    # Up (/healthz), not ready: /readyz waits for the limit store.
    server = LiveServer(create_app(shared, components)).start(path="/healthz")
    yield server, port
    server.stop()


def test_redis_down_gives_503_then_recovers(redis_down_app: tuple[LiveServer, int], tmp_path: Path) -> None:
    if redis_binary() is None:
        pytest.skip("redis-server is not installed: `make system-deps` installs Debian's redis-server")
    server, port = redis_down_app
    with httpx.Client(base_url=server.url, timeout=60) as c:
        search = c.post("/api/search", json={"query": "nämnd", "k": 1})
        assert search.status_code == 503 and search.headers["retry-after"]
        assert "rate-limit store" in search.json()["detail"]
        chat = c.post("/v1/chat/completions", json={"model": "radslag", "messages": [{"role": "user", "content": "Hej?"}]})
        assert chat.status_code == 503 and chat.json()["error"]["code"] == "service_unavailable"  # OpenAI's shape on /v1
        login = c.post("/api/auth/login", json={"username": "nobody", "password": "x"})
        assert login.status_code == 503 and "rate-limit store" in login.json()["detail"]
        assert c.get("/v1/models").status_code == 200  # outside the question budget: no store needed
        ready = c.get("/readyz")
        assert ready.status_code == 503 and ready.json()["limit_store"] is False
        redis = RedisServer(tmp_path / "redis", port)
        redis.start()
        try:
            assert c.post("/api/search", json={"query": "nämnd", "k": 1}).status_code == 200
            ready = c.get("/readyz")
            assert ready.json()["limit_store"] is True
            assert ready.status_code == (200 if ready.json()["model"] and ready.json()["store"] else 503)
            assert c.post("/api/auth/login", json={"username": "nobody", "password": "x"}).status_code == 401
        finally:
            redis.stop()
