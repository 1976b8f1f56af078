"""Load test: concurrent clients mixing POST /api/ask and POST /v1/chat/completions.

``run_load(base_url, clients=20, seconds=60)`` returns status counts, latency percentiles and
(given the server's pid) its resident memory at start, at end and the maximum sampled in
between. ``radslag bench --load N`` starts the app on loopback in this process and prints the
table; ``--soak`` runs the server as its own process (``radslag serve``), so the memory
figures are the server's alone — the way to see whether a long run leaks.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from eval.servers import ServeProcess, free_port, wait_ready

__all__ = ["LoadResult", "print_figures", "print_result", "run_load", "server_process"]

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


def rss_mb(pid: int, field: str = "VmRSS") -> float | None:
    """Resident set size of a process in MB (Linux /proc), or None; ``field="VmHWM"`` gives its peak."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class RssSampler:
    """Samples a process's RSS every ``interval_s`` in a thread; keeps every sample and the maximum."""

    def __init__(self, pid: int, interval_s: float = 1.0) -> None:
        self.pid, self.interval_s = pid, interval_s
        self.max_mb: float | None = None
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rss-{pid}", daemon=True)

    def sample(self) -> float | None:
        mb = rss_mb(self.pid)
        if mb is not None:
            self.samples.append(mb)
            self.max_mb = mb if self.max_mb is None else max(self.max_mb, mb)
        return mb

    def timeline(self, points: int = 11) -> list[float]:
        """``points`` samples evenly spread from the first to the last: a leak climbs steadily,
        warm-up growth levels off."""
        n = len(self.samples)
        if n <= points:
            return [round(x, 1) for x in self.samples]
        return [round(self.samples[round(i * (n - 1) / (points - 1))], 1) for i in range(points)]

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


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
    rss_max_mb: float | None = None
    rss_pid: int | None = None  # whose memory the rss_* figures are
    rss_timeline_mb: list[float] = field(default_factory=list)
    by_url: Counter[str] = field(default_factory=Counter)  # requests per server, when there are several

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s.startswith("5"))

    @property
    def rate_limited(self) -> int:
        return self.statuses.get("429", 0)

    @property
    def transport_errors(self) -> int:
        """Requests that got no HTTP response at all (refused, reset, timed out)."""
        return sum(n for s, n in self.statuses.items() if s.startswith("error"))

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
            "transport_errors": self.transport_errors,
            "retry_after_seen": self.retry_after_seen,
            "p50_s": round(_percentile(ok, 0.5), 3),
            "p95_s": round(_percentile(ok, 0.95), 3),
            "max_s": round(max(ok, default=0.0), 3),
            "rss_start_mb": None if self.rss_start_mb is None else round(self.rss_start_mb, 1),
            "rss_end_mb": None if self.rss_end_mb is None else round(self.rss_end_mb, 1),
            "rss_max_mb": None if self.rss_max_mb is None else round(self.rss_max_mb, 1),
            "rss_pid": self.rss_pid,
            "rss_timeline_mb": self.rss_timeline_mb,
        } | ({"requests_by_url": dict(sorted(self.by_url.items()))} if len(self.by_url) > 1 else {})


def run_load(
    base_url: str | Sequence[str],
    clients: int = 20,
    seconds: float = 60,
    *,
    questions: list[str] | None = None,
    pid: int | None = None,
    timeout_s: float = 120,
    chat_share: int = 3,
) -> LoadResult:
    """``clients`` threads post questions until ``seconds`` pass; every ``chat_share``-th request
    goes to /v1/chat/completions, the rest to /api/ask. Transport errors count as "error:<type>".
    Several ``base_url``s (replicas): the clients are dealt over them in turn."""
    urls = [base_url] if isinstance(base_url, str) else list(base_url)
    qs = questions or dev_questions()
    sampler = RssSampler(pid) if pid else None
    result = LoadResult(clients=clients, seconds=seconds, rss_start_mb=sampler.sample() if sampler else None, rss_pid=pid)
    lock = threading.Lock()
    counter = itertools.count()
    started = time.monotonic()
    deadline = started + seconds

    def worker(url: str) -> None:
        with httpx.Client(base_url=url, timeout=timeout_s) as client:
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
                    result.by_url[url] += 1
                    result.retry_after_seen += retry
                    if status == "200":
                        result.latencies_s.append(elapsed)
                if status == "429":
                    time.sleep(0.2)  # a limited client backs off a little instead of spinning

    threads = [
        threading.Thread(target=worker, args=(urls[n % len(urls)],), name=f"load-{n}", daemon=True) for n in range(clients)
    ]
    with sampler or contextlib.nullcontext():
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=seconds + timeout_s + 30)
    result.seconds = time.monotonic() - started
    if sampler:
        result.rss_end_mb = sampler.sample()
        result.rss_max_mb = sampler.max_mb
        result.rss_timeline_mb = sampler.timeline()
    return result


def print_result(result: LoadResult, title: str, as_json: bool = False) -> None:
    print_figures(result.as_dict(), title, as_json)


def print_figures(figures: dict[str, Any], title: str, as_json: bool = False) -> None:
    """One JSON object, or a two-column rich table of the figures."""
    if as_json:
        print(json.dumps(figures))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in figures.items():
        table.add_row(key, json.dumps(value) if isinstance(value, dict | list) else str(value))
    Console().print(table)


def run_load_cli(settings: Any, clients: int, seconds: float, as_json: bool = False) -> LoadResult:
    """Serve the app with the default components on a loopback port (uvicorn in a thread),
    run the load against it and print a table. Used by ``radslag bench --load``.
    The memory figures are this whole process's: server and clients together."""
    import uvicorn

    from api.app import create_app
    from radslag.components import Components

    port = free_port()
    # One loopback client would only measure the rate limiter: it is off for the bench.
    settings = settings.model_copy(update={"api": settings.api.model_copy(update={"rate_limit_per_minute": 0})})
    comps = Components(settings)
    if comps.store.count() == 0:
        comps.ingestor.ingest([settings.corpus_dir])
    server = uvicorn.Server(uvicorn.Config(create_app(settings, comps), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="bench-uvicorn", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, 300)
        result = run_load(url, clients, seconds, pid=os.getpid())
    finally:
        server.should_exit = True
        thread.join(timeout=15)
    print_result(result, f"Load: {clients} clients x {seconds:.0f} s on {url}", as_json)
    return result


@contextlib.contextmanager
def server_process(ready_timeout_s: float = 900) -> Iterator[tuple[str, int]]:
    """``radslag serve`` as a child process on a free loopback port, settings from the
    environment (``RADSLAG_*``) with the rate limit off; yields (url, pid); SIGTERM at the end."""
    env = {**os.environ, "RADSLAG_API__RATE_LIMIT_PER_MINUTE": "0"}  # loopback clients share one IP
    with tempfile.TemporaryDirectory(prefix="radslag-soak-") as tmp:
        server = ServeProcess(env, Path(tmp) / "serve.log")
        try:
            server.start(ready_timeout_s)
            assert server.pid is not None
            yield server.url, server.pid
        finally:
            server.stop()


def run_soak_cli(clients: int, seconds: float, as_json: bool = False) -> LoadResult:
    """``radslag bench --load N --duration S --soak``: the server in its own process, its RSS
    sampled every second (start once ready and warm, end, maximum), p95 and error counts."""
    with server_process() as (url, pid):
        result = run_load(url, clients, seconds, pid=pid)
    print_result(result, f"Soak: {clients} clients x {seconds:.0f} s, server pid {pid} on {url}", as_json)
    return result
