"""Two replicas of one deployment: two real ``radslag serve`` processes on one real ``chroma run``
server and one real ``redis-server``, with one data dir (a shared volume), one session secret and
a small rate limit. What one replica counts, issues or indexes, the other one honours.

Each test talks from its own loopback address (127.0.0.x): the limits key on the client IP, so
every test is its own client with its own budget.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from eval.servers import RedisServer, ServeProcess, free_port
from radslag.users import UserStore, users_path
from tests.api.live import ADMIN_TOKEN
from tests.conftest import CORPUS, make_settings
from tests.ingest.conftest import ChromaServer, chroma_server, copy_docs  # noqa: F401 - chroma_server is a fixture

pytestmark = pytest.mark.slow

RATE = 12  # questions per client per minute, over both replicas together
SECRET = "replica-test-session-secret-5e2d9a"
OFFICIAL = ("eva", "Eva-lösen-2468")
SEARCH = {"query": "Vad säger nämnderna om handlingsplanen?", "k": 1}


def clean_env(**radslag: str) -> dict[str, str]:
    """This environment without any RADSLAG_* of the caller's, plus ``radslag``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RADSLAG_")}
    return env | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"} | radslag


@dataclass
class Pair:
    a: ServeProcess
    b: ServeProcess
    redis: RedisServer
    prefix: str
    env: dict[str, str]
    root: Path


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory, chroma_server: ChromaServer, redis_server: RedisServer) -> Iterator[Pair]:  # noqa: F811
    root = tmp_path_factory.mktemp("replicas")
    corpus = root / "corpus"
    copy_docs(CORPUS, corpus, "000_", "003_")  # two documents: a quick first ingest
    data = root / "data"  # the one data dir both replicas mount
    UserStore(users_path(make_settings(data))).add(*OFFICIAL, "official", rounds=4)
    prefix = f"radslag-{uuid.uuid4().hex[:8]}"
    env = clean_env(
        RADSLAG_DATA_DIR=str(data),
        RADSLAG_CORPUS_DIR=str(corpus),
        RADSLAG_CHROMA_URL=chroma_server.url,
        RADSLAG_CHROMA__COLLECTION=f"replicas_{uuid.uuid4().hex[:8]}",
        RADSLAG_REDIS_URL=redis_server.url,
        RADSLAG_REDIS_KEY_PREFIX=prefix,
        RADSLAG_API__SESSION_SECRET=SECRET,
        RADSLAG_API__RATE_LIMIT_PER_MINUTE=str(RATE),
        RADSLAG_API__ADMIN_TOKEN=ADMIN_TOKEN,
    )
    a = ServeProcess(env, root / "a.log")  # ingests the corpus (the index is empty)
    b = ServeProcess(env, root / "b.log", ingest_if_empty=False)
    try:
        a.start(600)
        b.start(600)
        yield Pair(a, b, redis_server, prefix, env, root)
    finally:
        b.stop()
        a.stop()


def client(url: str, source: str) -> httpx.Client:
    """A client from loopback address ``source``: to the replicas, a client of its own."""
    return httpx.Client(base_url=url, timeout=60, transport=httpx.HTTPTransport(local_address=source))


def test_the_question_budget_is_shared(replicas: Pair) -> None:
    with client(replicas.a.url, "127.0.0.2") as on_a, client(replicas.b.url, "127.0.0.2") as on_b:
        assert [on_a.post("/api/search", json=SEARCH).status_code for _ in range(RATE)] == [200] * RATE
        limited = on_b.post("/api/search", json=SEARCH)
        assert limited.status_code == 429, limited.text
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.json()["detail"].startswith("Too many requests")
        chat = on_b.post("/v1/chat/completions", json={"model": "radslag", "messages": [{"role": "user", "content": "Hej?"}]})
        assert chat.status_code == 429 and chat.json()["error"]["code"] == "rate_limit_exceeded"  # OpenAI's shape
        assert on_b.get("/v1/models").status_code == 200  # outside the budget
        assert on_b.options("/api/search").status_code != 429  # preflights are not counted
    with client(replicas.b.url, "127.0.0.3") as other:
        assert other.post("/api/search", json=SEARCH).status_code == 200  # another client: its own budget
    keys = [k.decode() for k in replicas.redis.client().scan_iter(f"{replicas.prefix}:*")]
    assert any("127.0.0.2" in k for k in keys), keys  # the counters are in Redis, under the deployment's prefix


def test_failed_sign_ins_are_shared(replicas: Pair) -> None:
    wrong = {"username": OFFICIAL[0], "password": "not-the-password"}
    with client(replicas.a.url, "127.0.0.4") as on_a, client(replicas.b.url, "127.0.0.4") as on_b:
        assert [on_a.post("/api/auth/login", json=wrong).status_code for _ in range(5)] == [401] * 5
        blocked = on_b.post("/api/auth/login", json={"username": OFFICIAL[0], "password": OFFICIAL[1]})
        assert blocked.status_code == 429, blocked.text
        assert 1 <= int(blocked.headers["retry-after"]) <= 60
    with client(replicas.b.url, "127.0.0.5") as other:
        assert other.post("/api/auth/login", json={"username": OFFICIAL[0], "password": OFFICIAL[1]}).status_code == 200


def test_a_session_from_one_replica_works_on_the_other(replicas: Pair) -> None:
    with client(replicas.a.url, "127.0.0.6") as on_a:
        signed_in = on_a.post("/api/auth/login", json={"username": OFFICIAL[0], "password": OFFICIAL[1]})
        assert signed_in.status_code == 200, signed_in.text
        token = signed_in.json()["token"]
    with client(replicas.b.url, "127.0.0.6") as on_b:
        me = on_b.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me == {"username": OFFICIAL[0], "role": "official"}
        assert on_b.get("/api/auth/me", cookies={"radslag_session": token}).json()["role"] == "official"
        forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        assert on_b.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"}).json()["role"] == "public"


def test_an_upload_through_one_replica_is_answerable_through_the_other(replicas: Pair, tmp_path: Path) -> None:
    word = f"Zorbulon{uuid.uuid4().hex[:6]}"
    text = (
        f"Projekt {word}\n\nTjänsteutlåtande till Kulturnämnden\n\nSammanfattning\n"
        f"Projekt {word} ska mäta hur många glänta-ekorrar som dansar vid Brunnsviken varje midsommarnatt. "
        f"Kulturnämnden föreslår att {word} får 4242 tusen kronor för ekorrdansens inventering.\n"
    )
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with client(replicas.a.url, "127.0.0.7") as on_a:
        up = on_a.post("/api/documents", headers=headers, files={"file": (f"{word}.txt", text.encode(), "text/plain")},
                       data={"visibility": "public"})
        assert up.status_code == 201, up.text
        doc_id = up.json()["doc_id"]
    uploaded = time.monotonic()
    seen_after: float | None = None
    with client(replicas.b.url, "127.0.0.8") as on_b:
        # Once a second: at most 10 of the client's 12 questions a minute.
        while time.monotonic() - uploaded < 10:
            r = on_b.post("/api/search", json={"query": f"Hur många ekorrar dansar i projekt {word}?", "k": 3})
            assert r.status_code == 200, r.text
            if any(p["doc_id"] == doc_id and word in p["text"] for p in r.json()["passages"]):
                seen_after = time.monotonic() - uploaded
                break
            time.sleep(1)
    assert seen_after is not None, f"replica B did not answer from {doc_id} within 10 s"


@pytest.mark.parametrize(
    ("args", "env", "reason"),
    [
        (["--workers", "2"], {"RADSLAG_CHROMA_URL": "http://127.0.0.1:9"}, "2 workers share the sessions"),
        ([], {"RADSLAG_REDIS_URL": "redis://127.0.0.1:9/0"}, "RADSLAG_REDIS_URL is set"),
    ],
    ids=["workers", "redis"],
)
def test_a_replicated_serve_without_session_secret_exits_2(args: list[str], env: dict[str, str], reason: str, tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "radslag.cli", "serve", "--port", str(free_port()), *args]
    done = subprocess.run(cmd, env=clean_env(RADSLAG_DATA_DIR=str(tmp_path), **env), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Refusing to start: RADSLAG_API__SESSION_SECRET is not set" in done.stderr and reason in done.stderr
    assert "index:" not in done.stderr  # refused before anything was loaded or ingested


def test_serve_with_a_session_secret_passes_that_check(tmp_path: Path) -> None:
    """The same --workers 2 with the secret set gets past the check (to the next one: no Chroma server)."""
    cmd = [sys.executable, "-m", "radslag.cli", "serve", "--port", str(free_port()), "--workers", "2"]
    env = clean_env(RADSLAG_DATA_DIR=str(tmp_path), RADSLAG_API__SESSION_SECRET=SECRET)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "SESSION_SECRET" not in done.stderr and "Chroma server" in done.stderr


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(v.decode(errors="replace").partition("=")[::2] for v in raw if b"=" in v)


def _children(pid: int) -> list[int]:
    return [int(c) for t in Path(f"/proc/{pid}/task").iterdir() for c in (t / "children").read_text().split()]


def test_workers_share_the_cores_between_their_e5_engines(replicas: Pair) -> None:
    """``serve --workers 2`` gives each worker half the cores: every worker's OpenMP runtimes
    would otherwise start a thread per core, and teams that outnumber the cores spin."""
    served = ServeProcess(replicas.env, replicas.root / "workers.log", ingest_if_empty=False, workers=2)
    try:
        served.start(600)
        assert served.pid is not None
        expected = str(max(1, (os.cpu_count() or 1) // 2))
        workers = [pid for pid in _children(served.pid) if "OMP_NUM_THREADS" in _environ(pid)]
        assert len(workers) >= 2, served.tail()
        for pid in workers:
            env = _environ(pid)
            assert env["OMP_NUM_THREADS"] == expected and env["RADSLAG_EMBEDDING__THREADS"] == expected
        with client(served.url, "127.0.0.9") as c:
            assert c.post("/api/search", json=SEARCH).status_code == 200
    finally:
        served.stop()
