"""Faults: the Chroma server goes away and comes back; the LLM endpoint is down."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import openai
import pytest
from openai import OpenAI

from api.app import create_app
from radslag.components import Components
from radslag.settings import LLMSettings, Settings
from tests.api.live import LiveServer, api_settings, free_port
from tests.api.sse import iter_events
from tests.conftest import CORPUS
from tests.ingest.conftest import ChromaServer, components_for, copy_docs, running_chroma

pytestmark = pytest.mark.slow
QUESTION = {"question": "Vilka nämnder vill att facilitatorer samordnas centralt?"}
# Answered by 000_* (gold q004), one of the two documents in the Chroma-server index.
MUSIC = {"question": "Hur använder stadsdelsförvaltningen i Hässelby-Vällingby musik i integrationsarbetet bland unga?"}


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """This module's own `chroma run` (the tests stop and restart it)."""
    yield from running_chroma(tmp_path_factory.mktemp("fault_chroma"))


@pytest.fixture(scope="module")
def server_app(chroma: ChromaServer, tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("fault_index")
    comps = components_for(root / "data", embedder, chroma_url=chroma.url)
    docs = copy_docs(CORPUS, root / "docs", "000_", "003_")
    report = comps.ingestor.ingest(docs)
    assert report.as_dict()["indexed"] == 2, report.as_dict()
    server = LiveServer(create_app(api_settings(comps.settings), comps)).start()
    yield server
    server.stop()


def _wait_for(url: str, status: int, timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        r = httpx.get(url, timeout=10)
        if r.status_code == status or time.monotonic() > deadline:
            return r
        time.sleep(0.5)


def test_chroma_down_gives_503_then_recovers(chroma: ChromaServer, server_app: LiveServer) -> None:
    with httpx.Client(base_url=server_app.url, timeout=30) as c:
        assert c.get("/readyz").status_code == 200
        first = c.post("/api/ask", json=MUSIC)
        # The store answers: passages are retrieved (whether they answer is the model's call).
        assert first.status_code == 200 and first.json()["retrieved"], first.text[:500]

        chroma.stop()
        try:
            ready = c.get("/readyz")
            assert ready.status_code == 503, ready.text
            assert ready.json()["store"] is False
            for path, body in (
                ("/api/ask", MUSIC),
                ("/v1/chat/completions", {"messages": [{"role": "user", "content": MUSIC["question"]}]}),
            ):
                t0 = time.monotonic()
                r = c.post(path, json=body)
                assert r.status_code == 503, (path, r.status_code, r.text)
                assert time.monotonic() - t0 < 25
                body = r.json()
                if path.startswith("/v1/"):  # OpenAI's error object there
                    assert body["error"]["type"] == "server_error", body
                    body = {"detail": body["error"]["message"]}
                assert "unavailable" in body["detail"].lower()
                assert r.headers.get("retry-after")
            _failed_stream_is_an_openai_error(server_app.url)
            docs = c.get("/api/documents")
            assert docs.status_code == 503, docs.text
            assert c.get("/healthz").status_code == 200  # the process itself is fine
        finally:
            chroma.start()

        ready = _wait_for(f"{server_app.url}/readyz", 200)
        assert ready.status_code == 200, ready.text
        r = c.post("/api/ask", json=MUSIC)
        assert r.status_code == 200, r.text
        assert r.json()["retrieved"] == first.json()["retrieved"], r.text[:1500]  # the same passages as before the outage
        assert c.get("/api/documents").status_code == 200


def _failed_stream_is_an_openai_error(url: str) -> None:
    """The stream has started (200) when retrieval fails: it must end with OpenAI's error object,
    which the openai client raises, never with a finish_reason OpenAI clients do not know."""
    chat = {"model": "radslag", "stream": True, "messages": [{"role": "user", "content": MUSIC["question"]}]}
    with httpx.stream("POST", f"{url}/v1/chat/completions", json=chat, timeout=60) as r:
        assert r.status_code == 200
        data = [d for _, d in iter_events(r)]
    assert data[-1] == "[DONE]"
    events = [json.loads(d) for d in data[:-1]]
    assert events[-1]["error"]["type"] == "server_error", events[-1]
    assert all(e["choices"][0]["finish_reason"] is None for e in events[:-1])
    oai = OpenAI(base_url=f"{url}/v1", api_key="not-needed", max_retries=0, timeout=60)
    with pytest.raises(openai.APIError) as caught:
        list(oai.chat.completions.create(model="radslag", messages=chat["messages"], stream=True))
    assert caught.value.code == "service_unavailable" and "unavailable" in caught.value.message.lower()


def _closed_port() -> int:
    port = free_port()  # bound, then released: nothing listens there
    return port


def test_llm_endpoint_down_falls_back_to_extractive(settings: Settings, components: Components, embedder) -> None:  # type: ignore[no-untyped-def]
    llm = LLMSettings(backend="openai", base_url=f"http://127.0.0.1:{_closed_port()}/v1", timeout_s=3)
    comps = Components(api_settings(settings).model_copy(update={"llm": llm}))
    comps.__dict__.update(embedder=embedder, client=components.client, store=components.store,
                          documents=components.documents, retriever=components.retriever)
    server = LiveServer(create_app(comps.settings, comps)).start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            r = c.post("/api/ask", json=QUESTION)
            assert r.status_code == 200, r.text
            body = r.json()
            assert not body["refused"] and body["citations"] and "[1]" in body["answer"]
            chat = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": QUESTION["question"]}]})
            assert chat.status_code == 200 and chat.json()["citations"]
    finally:
        server.stop()
