"""Load test: concurrent clients mixing POST /api/ask and POST /v1/chat/completions.

``run_load(base_url, clients=20, seconds=60)`` returns status counts, latency percentiles and
(given the server's pid) its resident memory at start and end. ``radslag bench --load`` starts
the app on loopback and prints the table.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

DEFAULT_QUESTIONS = (
    "Vilka nämnder vill att facilitatorer samordnas centralt?",
    "Hur använder stadsdelsförvaltningen i Hässelby-Vällingby musik i integrationsarbetet bland unga?",
    "Vad säger förvaltningen om handlingsplanen mot rasism?",
    "Which committees comment on the action plan against racism?",
)
GOLD_DEV = Path(__file__).resolve().parent / "data" / "gold-dev.jsonl"


def dev_questions(n: int = 6, path: Path = GOLD_DEV) -> list[str]:
    """The first ``n`` dev-set questions (falls back to a built-in few)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        out = [json.loads(line)["question"] for line in lines if line.strip()][:n]
        return out or list(DEFAULT_QUESTIONS)
    except (OSError, ValueError, KeyError):
        return list(DEFAULT_QUESTIONS)


def rss_mb(pid: int) -> float | None:
    """Resident set size of a process in MB (Linux /proc), or None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class LoadResult:
    clients: int
    seconds: float
    statuses: Counter[str] = field(default_factory=Counter)
    latencies_s: list[float] = field(default_factory=list)
    retry_after_seen: int = 0
    rss_start_mb: float | None = None
    rss_end_mb: float | None = None

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s.startswith("5"))

    @property
    def rate_limited(self) -> int:
        return self.statuses.get("429", 0)

    def as_dict(self) -> dict[str, Any]:
        ok = self.latencies_s
        return {
            "clients": self.clients,
            "seconds": round(self.seconds, 1),
            "requests": self.requests,
            "throughput_rps": round(self.requests / self.seconds, 2) if self.seconds else 0.0,
            "statuses": dict(sorted(self.statuses.items())),
            "server_errors": self.server_errors,
            "rate_limited": self.rate_limited,
            "retry_after_seen": self.retry_after_seen,
            "p50_s": round(_percentile(ok, 0.5), 3),
            "p95_s": round(_percentile(ok, 0.95), 3),
            "max_s": round(max(ok, default=0.0), 3),
            "rss_start_mb": None if self.rss_start_mb is None else round(self.rss_start_mb, 1),
            "rss_end_mb": None if self.rss_end_mb is None else round(self.rss_end_mb, 1),
        }


def run_load(
    base_url: str,
    clients: int = 20,
    seconds: float = 60,
    *,
    questions: list[str] | None = None,
    pid: int | None = None,
    timeout_s: float = 120,
    chat_share: int = 3,
) -> LoadResult:
    """``clients`` threads post questions until ``seconds`` pass; every ``chat_share``-th request
    goes to /v1/chat/completions, the rest to /api/ask. Transport errors count as "error:<type>"."""
    qs = questions or dev_questions()
    result = LoadResult(clients=clients, seconds=seconds, rss_start_mb=rss_mb(pid) if pid else None)
    lock = threading.Lock()
    counter = itertools.count()
    started = time.monotonic()
    deadline = started + seconds

    def worker() -> None:
        with httpx.Client(base_url=base_url, timeout=timeout_s) as client:
            while time.monotonic() < deadline:
                i = next(counter)
                q = qs[i % len(qs)]
                t0 = time.monotonic()
                try:
                    if i % chat_share == chat_share - 1:
                        r = client.post("/v1/chat/completions", json={"model": "radslag", "messages": [{"role": "user", "content": q}]})
                    else:
                        r = client.post("/api/ask", json={"question": q})
                    status = str(r.status_code)
                    retry = r.status_code == 429 and bool(r.headers.get("retry-after"))
                except httpx.HTTPError as exc:
                    status, retry = f"error:{type(exc).__name__}", False
                elapsed = time.monotonic() - t0
                with lock:
                    result.statuses[status] += 1
                    result.retry_after_seen += retry
                    if status == "200":
                        result.latencies_s.append(elapsed)
                if status == "429":
                    time.sleep(0.2)  # a limited client backs off a little instead of spinning

    threads = [threading.Thread(target=worker, name=f"load-{n}", daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + timeout_s + 30)
    result.seconds = time.monotonic() - started
    result.rss_end_mb = rss_mb(pid) if pid else None
    return result


def run_load_cli(settings: Any, clients: int, seconds: float) -> LoadResult:
    """Serve the app with the default components on a loopback port (uvicorn in a thread),
    run the load against it and print a table. Used by ``radslag bench --load``."""
    import os
    import socket

    import uvicorn
    from rich.console import Console
    from rich.table import Table

    from api.app import create_app
    from radslag.components import Components

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    # One loopback client would only measure the rate limiter: it is off for the bench.
    settings = settings.model_copy(update={"api": settings.api.model_copy(update={"rate_limit_per_minute": 0})})
    comps = Components(settings)
    if comps.store.count() == 0:
        comps.ingestor.ingest([settings.corpus_dir])
    server = uvicorn.Server(uvicorn.Config(create_app(settings, comps), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="bench-uvicorn", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    try:
        result = run_load(url, clients, seconds, pid=os.getpid())
    finally:
        server.should_exit = True
        thread.join(timeout=15)
    table = Table(title=f"Load: {clients} clients x {seconds:.0f} s on {url}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in result.as_dict().items():
        table.add_row(key, json.dumps(value) if isinstance(value, dict) else str(value))
    Console().print(table)
    return result
