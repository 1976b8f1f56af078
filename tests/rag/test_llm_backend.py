"""The OpenAI-compatible answer backend against real HTTP servers on loopback.

The endpoint here is Rådslag's own `/v1/chat/completions` served by uvicorn: a real
OpenAI-compatible server process speaking the same protocol a vLLM/Ollama/llama.cpp server
does. A generative model behind llama-cpp-python's server is tested in ``test_llm_server.py``.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from api.app import create_app
from rag.answer import REFUSAL, Evidence, OpenAICompatibleBackend, valid_markers
from rag.types import Passage
from tests.api.live import LiveServer, api_settings, free_port


@pytest.fixture(scope="module")
def endpoint(settings, components) -> Iterator[str]:  # type: ignore[no-untyped-def]
    server = LiveServer(create_app(api_settings(settings), components)).start()
    yield f"{server.url}/v1"
    server.stop()


def _evidence() -> list[Evidence]:
    p = Passage(
        "c1",
        "Förslaget om att utse facilitatorer skulle med fördel kunna inrättas centralt.",
        {"committee": "Norrmalm", "section_path": "Stadsdelsförvaltningar > Norrmalm", "doc_id": "d", "source": "d.txt"},
    )
    return [Evidence(p, [p.text])]


def test_markers_that_do_not_resolve_are_removed() -> None:
    text, used = valid_markers("A [1]. B [7]. C [2].", 2)
    assert used == {1, 2}
    assert "[7]" not in text


def test_backend_talks_to_a_real_openai_compatible_server(endpoint: str) -> None:
    backend = OpenAICompatibleBackend(endpoint, "radslag", "not-needed", timeout_s=120)
    out = backend.compose("Vilka nämnder vill att facilitatorer samordnas centralt?", "sv", _evidence(), "direct")
    # Whatever the server wrote, only markers that resolve to our evidence survive.
    assert out.strip()
    assert set(re.findall(r"\[(\d+)\]", out)) <= {"1"}


def test_unreachable_endpoint_falls_back_to_the_extractive_answer() -> None:
    port = free_port()  # bound, then released: nothing listens there
    backend = OpenAICompatibleBackend(f"http://127.0.0.1:{port}/v1", "m", "k", timeout_s=5)
    out = backend.compose("Vad?", "sv", _evidence(), "direct")
    assert "[1]" in out and "facilitatorer" in out


def test_hanging_endpoint_times_out_and_falls_back() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    backend = OpenAICompatibleBackend(f"http://127.0.0.1:{port}/v1", "m", "k", timeout_s=2)
    started = time.monotonic()
    out = backend.compose("Vad?", "sv", _evidence(), "direct")
    assert time.monotonic() - started < 30
    assert "[1]" in out
    listener.close()
    for conn in accepted:
        conn.close()


def test_no_evidence_means_refusal_without_calling_the_model() -> None:
    backend = OpenAICompatibleBackend("http://127.0.0.1:9/v1", "m", "k", timeout_s=1)
    assert backend.compose("Vad?", "sv", [], "direct") == REFUSAL["sv"]
