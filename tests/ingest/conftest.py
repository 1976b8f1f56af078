"""Fixtures for ingest tests: separate throw-away indexes that share the session's model."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from radslag.components import Components
from tests.api.live import free_port
from tests.conftest import make_settings


def components_for(data_dir: Path, embedder, **overrides: object) -> Components:  # type: ignore[no-untyped-def]
    """A new index in ``data_dir`` (or on a Chroma server via ``chroma_url``) with the loaded model."""
    comps = Components(make_settings(data_dir, **overrides))
    comps.__dict__["embedder"] = embedder
    return comps


@pytest.fixture
def fresh_components(tmp_path: Path, embedder) -> Callable[..., Components]:  # type: ignore[no-untyped-def]
    """Factory for empty embedded indexes under this test's tmp dir."""
    made = 0

    def make(**overrides: object) -> Components:
        nonlocal made
        made += 1
        return components_for(tmp_path / f"index{made}", embedder, **overrides)

    return make


def copy_docs(corpus_dir: Path, dest: Path, *prefixes: str) -> list[Path]:
    """Writable copies of the corpus files whose names start with ``prefixes``."""
    dest.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    for prefix in prefixes:
        src = next(corpus_dir.glob(f"{prefix}*"))
        target = dest / src.name
        target.write_bytes(src.read_bytes())
        out.append(target)
    return out


class ChromaServer:
    """A real `chroma run` subprocess on a fixed path and port, stoppable and restartable."""

    def __init__(self, path: Path, port: int, log: Path) -> None:
        self.path, self.port, self.log = path, port, log
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def alive(self) -> bool:
        import httpx

        try:
            return httpx.get(f"{self.url}/api/v2/heartbeat", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def start(self, timeout: float = 60) -> None:
        chroma = Path(sys.executable).parent / "chroma"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(chroma), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            if self.alive():
                return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"chroma run did not answer its heartbeat within {timeout} s")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


def running_chroma(root: Path) -> Iterator[ChromaServer]:
    """A started `chroma run` under ``root`` on a free port; stopped when the generator ends."""
    server = ChromaServer(root / "db", free_port(), root / "chroma.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """A Chroma server for the session; always stopped at teardown."""
    yield from running_chroma(tmp_path_factory.mktemp("chroma_server"))
