"""``radslag bench --load N --replicas R``: R ``radslag serve`` replicas of one deployment on one
``chroma run`` server and one ``redis-server`` (both started in a temporary folder, with a fresh
data dir shared by the replicas, the way a shared volume is), measured in three phases:

1. **load** — the rate limit off, N clients dealt over the replicas (``run_load``): statuses,
   p50/p95, requests per replica;
2. **upload** — a made-up document uploaded through replica 1; seconds until the last replica
   returns it from ``/api/search`` (polled every 0.1 s, at most 10 s);
3. **shared limit** — the replicas restarted with a limit of L questions a minute (it is read at
   start), the same clients from one address for a few seconds: when the budget is shared, at
   most L requests succeed over all replicas together (per-process counters would let R x L
   through), and the rest get 429.

Exit code 1 (in the CLI) on any 5xx or transport error, an upload not visible within 10 s, or
more than L successes in the limited phase.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from eval.load import LoadResult, print_figures, run_load
from eval.servers import ChromaServer, RedisServer, ServeProcess, running_chroma, running_redis
from radslag.settings import Settings

VISIBLE_WITHIN_S = 10.0
SHARED_LIMIT = 10  # questions per client per minute in the limited phase
LIMITED_SECONDS = 15.0


@dataclass
class ReplicaBench:
    replicas: int
    load: LoadResult
    limited: LoadResult
    limit: int
    upload_visible_s: float | None = None
    urls: list[str] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        return self.load.server_errors + self.limited.server_errors

    @property
    def transport_errors(self) -> int:
        return self.load.transport_errors + self.limited.transport_errors

    @property
    def shared_limit_ok(self) -> bool:
        """At most L successes over all replicas within the phase (< 1 minute), and the limit was reached."""
        return self.limited.statuses.get("200", 0) <= self.limit and self.limited.rate_limited > 0

    @property
    def failed(self) -> bool:
        return bool(self.server_errors or self.transport_errors or self.upload_visible_s is None or not self.shared_limit_ok)

    def as_dict(self) -> dict[str, Any]:
        load = self.load.as_dict()
        by_url = load.get("requests_by_url", {})
        return {
            "replicas": self.replicas,
            "clients": load["clients"],
            "seconds": load["seconds"],
            "requests": load["requests"],
            "throughput_rps": load["throughput_rps"],
            "statuses": load["statuses"],
            "requests_by_replica": [by_url.get(u, 0) for u in self.urls],
            "server_errors": self.server_errors,
            "transport_errors": self.transport_errors,
            "p50_s": load["p50_s"],
            "p95_s": load["p95_s"],
            "max_s": load["max_s"],
            "upload_visible_s": None if self.upload_visible_s is None else round(self.upload_visible_s, 2),
            "rate_limit_per_minute": self.limit,
            "limited_seconds": round(self.limited.seconds, 1),
            "limited_statuses": dict(sorted(self.limited.statuses.items())),
            "limited_ok": self.limited.statuses.get("200", 0),
            "rate_limited": self.limited.rate_limited,
            "retry_after_seen": self.limited.retry_after_seen,
            "shared_limit_ok": self.shared_limit_ok,
        }


@dataclass
class Deployment:
    """What the replicas share: the Chroma server, the Redis, the data dir, the secrets."""

    root: Path
    chroma: ChromaServer
    redis: RedisServer
    corpus_dir: Path
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    session_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def env(self, rate_limit: int) -> dict[str, str]:
        # The caller's RADSLAG_* (e.g. an LLM endpoint) stay; what makes this deployment is set here.
        return {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
            "RADSLAG_DATA_DIR": str(self.root / "data"),
            "RADSLAG_CORPUS_DIR": str(self.corpus_dir),
            "RADSLAG_CHROMA_URL": self.chroma.url,
            "RADSLAG_CHROMA__COLLECTION": "radslag",
            "RADSLAG_REDIS_URL": self.redis.url,
            "RADSLAG_API__SESSION_SECRET": self.session_secret,
            "RADSLAG_API__ADMIN_TOKEN": self.admin_token,
            "RADSLAG_API__RATE_LIMIT_PER_MINUTE": str(rate_limit),
        }


@contextmanager
def running_replicas(dep: Deployment, count: int, rate_limit: int, tag: str) -> Iterator[list[ServeProcess]]:
    """``count`` replicas started together; only the first ingests (when the index is empty).
    The others are ready once their model is loaded; the first's readiness means the ingest is done."""
    # R replicas on one machine share its cores as R workers of one `serve` would.
    env: Mapping[str, str] = {**dep.env(rate_limit), **Settings().embedding.worker_environment(count)}
    servers = [ServeProcess(env, dep.root / f"{tag}-{n + 1}.log", ingest_if_empty=n == 0) for n in range(count)]
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.wait(900)
        # Ready means model loaded and store answering; a replica that came up before the first one
        # finished ingesting still holds a lexical snapshot of the empty index. One untimed search
        # each brings every replica to the full index before anything is measured. Not under a
        # limit: it would spend the budget being measured (and the index is complete by then).
        for server in servers if not rate_limit else []:
            httpx.post(f"{server.url}/api/search", json={"query": "uppvärmning", "k": 1}, timeout=300)
        yield servers
    finally:
        for server in servers:
            server.stop()


UPLOAD_TEXT = """Projekt {word}

Tjänsteutlåtande till Kulturnämnden

Sammanfattning
Projekt {word} ska räkna hur många glänta-ekorrar som dansar vid Brunnsviken varje midsommarnatt.
Kulturnämnden föreslår att projekt {word} får 4242 tusen kronor för ekorrdansens inventering.
"""


def upload_visible_s(upload_url: str, check_url: str, admin_token: str, within_s: float = VISIBLE_WITHIN_S) -> float | None:
    """Upload a made-up document through ``upload_url``; seconds until ``check_url`` retrieves it (None: not within ``within_s``)."""
    word = f"Zorbulon{uuid.uuid4().hex[:6]}"
    body = UPLOAD_TEXT.format(word=word).encode()
    headers = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(timeout=120) as client:
        up = client.post(f"{upload_url}/api/documents", headers=headers, data={"visibility": "public"},
                         files={"file": (f"{word}.txt", body, "text/plain")})
        up.raise_for_status()
        doc_id = up.json()["doc_id"]
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < within_s:
            r = client.post(f"{check_url}/api/search", json={"query": f"Hur många ekorrar dansar i projekt {word}?", "k": 3})
            if r.status_code == 200 and any(p["doc_id"] == doc_id for p in r.json()["passages"]):
                return elapsed
            time.sleep(0.1)
    return None


def run_replicas(
    corpus_dir: Path, replicas: int, clients: int, seconds: float, *, limit: int = SHARED_LIMIT,
    limited_seconds: float = LIMITED_SECONDS, work_dir: Path | None = None,
) -> ReplicaBench:
    with ExitStack() as stack:
        root = work_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="radslag-replicas-")))
        chroma = stack.enter_context(running_chroma(root / "chroma"))
        redis = stack.enter_context(running_redis(root / "redis"))
        dep = Deployment(root, chroma, redis, corpus_dir)
        with running_replicas(dep, replicas, 0, "load") as servers:  # limit off: the loopback clients share one IP
            urls = [s.url for s in servers]
            load = run_load(urls, clients, seconds)
            visible = upload_visible_s(urls[0], urls[-1], dep.admin_token)
        with running_replicas(dep, replicas, limit, "limited") as servers:
            # Under a minute, so every success falls in one window of the moving limit.
            limited = run_load([s.url for s in servers], clients, min(limited_seconds, 50))
    return ReplicaBench(replicas, load, limited, limit, visible, urls)


def run_replicas_cli(corpus_dir: Path, replicas: int, clients: int, seconds: float, as_json: bool = False) -> ReplicaBench:
    result = run_replicas(corpus_dir, replicas, clients, seconds)
    print_figures(result.as_dict(), f"Replicas: {replicas} x radslag serve, one Chroma, one Redis; {clients} clients x {seconds:.0f} s", as_json)
    return result
