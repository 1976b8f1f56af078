"""Real servers as child processes on free loopback ports: ``chroma run``, ``redis-server`` and
``radslag serve``. Used by ``radslag bench --load N --replicas 2`` and by the tests, which run
the same processes the deployment does.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, timeout_s: float, alive: Callable[[], bool] | None = None, path: str = "/readyz") -> None:
    """Until ``url`` + ``path`` answers 200 (``/healthz``: the process is up, even while a store
    it needs is down); ``alive()`` False (the server died) or the timeout raises."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise RuntimeError(f"the server for {url} exited before it was ready")
        try:
            if httpx.get(f"{url}{path}", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} was not ready within {timeout_s:.0f} s")


def _stop(proc: subprocess.Popen[bytes], timeout_s: float = 20) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


class ChildServer:
    """A server child process whose output goes to a log file (a full pipe would stall it)."""

    def __init__(self, cmd: list[str], log: Path, env: Mapping[str, str] | None = None) -> None:
        self.cmd, self.log = cmd, log
        self.env = dict(env if env is not None else os.environ)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def alive(self) -> bool:
        raise NotImplementedError

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def launch(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=subprocess.STDOUT, env=self.env)

    def start(self, timeout_s: float = 60) -> None:
        """Launch and wait until :meth:`alive`; raise with the log's tail if it exits or times out."""
        self.launch()
        self.wait(timeout_s)

    def wait(self, timeout_s: float) -> None:
        """Until :meth:`alive` (the process launched); raise with the log's tail if it exits or times out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.running():
                raise RuntimeError(f"{self.cmd[0]} exited with {self.proc and self.proc.returncode}: {self.tail()}")
            if self.alive():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.cmd[0]} did not answer within {timeout_s:.0f} s: {self.tail()}")

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)
            self.proc = None


class ChromaServer(ChildServer):
    """A real `chroma run` on a fixed path and port, stoppable and restartable."""

    def __init__(self, path: Path, port: int, log: Path) -> None:
        self.path, self.port = path, port
        self.url = f"http://127.0.0.1:{port}"
        chroma = Path(sys.executable).parent / "chroma"
        cmd = [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
        super().__init__(cmd, log, {**os.environ, "ANONYMIZED_TELEMETRY": "False"})

    def alive(self) -> bool:
        try:
            return httpx.get(f"{self.url}/api/v2/heartbeat", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


@contextmanager
def running_chroma(root: Path) -> Iterator[ChromaServer]:
    """A started `chroma run` under ``root`` on a free port; stopped when the block ends."""
    server = ChromaServer(root / "db", free_port(), root / "chroma.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def redis_binary() -> str | None:
    """The ``redis-server`` on PATH (``make system-deps`` installs Debian's), or None."""
    return shutil.which("redis-server")


class RedisServer(ChildServer):
    """A throw-away ``redis-server``: loopback only, nothing persisted, its files under ``root``."""

    def __init__(self, root: Path, port: int) -> None:
        binary = redis_binary()
        if binary is None:
            raise FileNotFoundError("redis-server is not installed (make system-deps installs Debian's redis-server)")
        self.root, self.port = root, port
        self.url = f"redis://127.0.0.1:{port}/0"
        root.mkdir(parents=True, exist_ok=True)
        cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--dir", str(root), "--protected-mode", "yes"]
        super().__init__(cmd, root / "redis.log")

    def client(self):  # type: ignore[no-untyped-def]
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)

    def alive(self) -> bool:
        import redis

        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False


@contextmanager
def running_redis(root: Path) -> Iterator[RedisServer]:
    server = RedisServer(root, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


class ServeProcess(ChildServer):
    """``python -m radslag.cli serve`` on a free loopback port with the given environment."""

    def __init__(
        self, env: Mapping[str, str], log: Path, *, ingest_if_empty: bool = True, port: int | None = None, workers: int = 1
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "radslag.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if not ingest_if_empty:
            cmd.append("--no-ingest-if-empty")
        if workers > 1:
            cmd += ["--workers", str(workers)]
        super().__init__(cmd, log, env)

    def alive(self) -> bool:
        try:
            return httpx.get(f"{self.url}/readyz", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def start(self, timeout_s: float = 900) -> None:
        # Ready = model loaded and the store answering (/readyz): the first start may ingest.
        super().start(timeout_s)
