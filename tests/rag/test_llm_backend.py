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
from rag.answer import CHARS_PER_TOKEN, REFUSAL, Evidence, OpenAICompatibleBackend, fit_passages, valid_markers
from rag.text import split_sentences
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


def _many_passages(components) -> list[Evidence]:  # type: ignore[no-untyped-def]
    """Ten passages a list question cites, each quoting its last sentence (the hardest place
    for a window that starts at the passage's beginning)."""
    q = "Vilka nämnder vill att facilitatorer samordnas centralt?"
    passages = components.retriever.retrieve(q, components.retriever.embed_query(q), 10, None, {})
    assert len(passages) == 10
    return [Evidence(p, [split_sentences(p.text)[-1]]) for p in passages]


def test_long_evidence_is_trimmed_around_its_quotes_to_fit_the_budget(components) -> None:  # type: ignore[no-untyped-def]
    evidence = _many_passages(components)
    whole = [ev.passage.text for ev in evidence]
    assert fit_passages(evidence, sum(map(len, whole))) == whole  # it fits: nothing is cut
    budget = sum(map(len, whole)) // 3
    texts = fit_passages(evidence, budget)
    assert sum(map(len, texts)) <= budget
    assert any(t != w for t, w in zip(texts, whole, strict=True))
    for ev, text in zip(evidence, texts, strict=True):
        # Only text of the passage (a cut one on one line, as its sentences are split), marked
        # where some was left out …
        assert text == ev.passage.text or text.strip("…") in " ".join(ev.passage.text.split())
        assert (text == ev.passage.text) != ("…" in text)
        # … and the quote kept whole whenever the passage's share can hold it.
        if len(ev.sentences[0]) <= budget // len(evidence) - 2:
            assert " ".join(ev.sentences[0].split()) in " ".join(text.split()), (ev.sentences[0], text)
    # A passage shorter than an equal share is sent whole; the others get what it leaves.
    shortest = min(range(len(whole)), key=lambda i: len(whole[i]))
    if len(whole[shortest]) <= budget // len(evidence):
        assert texts[shortest] == whole[shortest]


def test_the_prompt_fits_the_models_context_window(components) -> None:  # type: ignore[no-untyped-def]
    evidence = _many_passages(components)
    backend = OpenAICompatibleBackend("http://127.0.0.1:9/v1", "m", "k", max_tokens=200, context_tokens=2048)
    question = "Vilka nämnder vill att facilitatorer samordnas centralt?"
    messages = backend.messages(question, "sv", evidence)
    sent = sum(len(m["content"]) for m in messages)
    assert sent / CHARS_PER_TOKEN <= 2048 - 200
    assert sum(len(ev.passage.text) for ev in evidence) / CHARS_PER_TOKEN > 2048  # whole, they would not fit
    assert all(f"[{n}] (" in messages[1]["content"] for n in range(1, 11))  # every passage is still there
    assert question in messages[1]["content"]
    roomy = OpenAICompatibleBackend("http://127.0.0.1:9/v1", "m", "k", max_tokens=200, context_tokens=32768)
    assert all(ev.passage.text in roomy.messages(question, "sv", evidence)[1]["content"] for ev in evidence)


def test_a_share_smaller_than_the_quote_keeps_the_quotes_beginning() -> None:
    text = "Alfa beta gamma. Delta epsilon zeta eta theta. Iota kappa lambda my ny xi omikron pi."
    p = Passage("p", text, {"committee": "Norrmalm", "section_path": "Norrmalm", "doc_id": "d", "source": "d.txt"})
    evidence = [Evidence(p, ["Delta epsilon zeta eta theta."])]
    (cut,) = fit_passages(evidence, 30)
    assert cut.startswith("…Delta epsilon") and cut.endswith("…") and len(cut) <= 30
    (wider,) = fit_passages(evidence, 50)
    assert "Delta epsilon zeta eta theta." in wider and wider.strip("…") in text
