"""Load: concurrent /api/ask + /v1/chat/completions; no 5xx, and 429s under a tiny limit; the
soak command's figures from a separate server process."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.app import create_app
from eval.load import run_load
from radslag.cli import app
from radslag.components import Components
from radslag.settings import Settings
from tests.api.live import LiveServer, api_settings
from tests.conftest import CORPUS
from tests.ingest.conftest import copy_docs

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
    assert result.rss_max_mb is not None and result.rss_max_mb >= result.rss_start_mb


def test_tiny_rate_limit_gives_429_with_retry_after(tiny_limit: LiveServer) -> None:
    result = run_load(tiny_limit.url, clients=4, seconds=5)
    print("limited", result.as_dict())
    assert result.server_errors == 0
    assert result.statuses["200"] <= 5
    assert result.rate_limited > 0 and result.retry_after_seen == result.rate_limited


def test_soak_command_reports_server_memory(tmp_path: Path) -> None:
    """`radslag bench --load 3 --duration 5 --soak --json`: a real `radslag serve` child process on
    a small index, three clients for five seconds; the figures are printed, the server is gone after."""
    corpus = tmp_path / "corpus"
    copy_docs(CORPUS, corpus, "000_", "002_")
    env = {"RADSLAG_DATA_DIR": str(tmp_path / "data"), "RADSLAG_CORPUS_DIR": str(corpus)}
    run = CliRunner().invoke(app, ["bench", "--load", "3", "--duration", "5", "--soak", "--json"], env=env)
    assert run.exit_code == 0, run.output[-3000:]
    figures = json.loads(run.output.strip().splitlines()[-1])
    print("soak", figures)
    assert figures["clients"] == 3 and figures["seconds"] >= 5
    assert figures["requests"] >= 3 and figures["statuses"] == {"200": figures["requests"]}
    assert figures["server_errors"] == 0 and figures["transport_errors"] == 0 and figures["rate_limited"] == 0
    assert 0 < figures["p50_s"] <= figures["p95_s"] <= figures["max_s"]
    # The server's own memory, with the model loaded: not this test process's.
    pid = figures["rss_pid"]
    assert pid and pid != os.getpid()
    assert figures["rss_start_mb"] > 100 and figures["rss_end_mb"] > 100
    assert figures["rss_max_mb"] >= max(figures["rss_start_mb"], figures["rss_end_mb"])
    timeline = figures["rss_timeline_mb"]  # sampled every second: about 5 + start and end
    assert 3 <= len(timeline) <= 11 and timeline[0] == figures["rss_start_mb"] and timeline[-1] == figures["rss_end_mb"]
    assert not Path(f"/proc/{pid}").exists()  # stopped at the end
    assert (tmp_path / "data" / "chroma").is_dir()  # it served the index named by the environment
