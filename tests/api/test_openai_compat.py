"""The OpenAI-compatible endpoint, driven by the official ``openai`` client."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import openai
import pytest
from openai import OpenAI

from api.app import create_app
from ingest.embed import text_tokens
from radslag.components import Components
from radslag.settings import Settings
from tests.api.live import LiveServer, api_settings
from tests.api.sse import iter_events

QUESTION = "Vilka nämnder vill att facilitatorer samordnas centralt?"
FINISH_REASONS = {"stop", "length", "content_filter", "tool_calls"}
ERROR_KEYS = {"message", "type", "param", "code"}


def _client(url: str) -> OpenAI:
    return OpenAI(base_url=f"{url}/v1", api_key="not-needed", max_retries=0, timeout=120)


@pytest.fixture
def oai(base_url: str) -> OpenAI:
    return _client(base_url)


@pytest.fixture(scope="module")
def limited(settings: Settings, components: Components) -> Iterator[LiveServer]:
    """A second app instance allowing 2 questions per minute."""
    server = LiveServer(create_app(api_settings(settings, rate_limit_per_minute=2), components)).start()
    yield server
    server.stop()


def test_models(oai: OpenAI) -> None:
    assert [m.id for m in oai.models.list()] == ["radslag"]


def test_chat_completion_plain(oai: OpenAI, embedder) -> None:  # type: ignore[no-untyped-def]
    messages = [{"role": "system", "content": "ignored"}, {"role": "user", "content": QUESTION}]
    completion = oai.chat.completions.create(model="radslag", messages=messages)  # type: ignore[arg-type]
    content = completion.choices[0].message.content
    assert content and content.strip()
    assert completion.choices[0].finish_reason == "stop"
    citations = completion.model_extra["citations"]
    assert citations and all(f"[{c['n']}]" in content for c in citations)
    # Tokens as the bundled e5 tokenizer counts them, not words.
    usage = completion.usage
    assert usage is not None
    assert usage.prompt_tokens == text_tokens(embedder, "ignored") + text_tokens(embedder, QUESTION)
    assert usage.completion_tokens == text_tokens(embedder, content)
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.prompt_tokens > len("ignored".split()) + len(QUESTION.split())  # subword pieces


def test_chat_completion_follow_up_uses_history(oai: OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="radslag",
        messages=[
            {"role": "user", "content": QUESTION},
            {"role": "assistant", "content": "Södermalm [1]"},
            {"role": "user", "content": "Och vad säger Södermalm om lokalt inflytande?"},
        ],
    )
    assert completion.choices[0].message.content.strip()


def test_chat_completion_stream(oai: OpenAI, embedder) -> None:  # type: ignore[no-untyped-def]
    stream = oai.chat.completions.create(model="radslag", messages=[{"role": "user", "content": QUESTION}], stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip()
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert {c.choices[0].finish_reason for c in chunks[:-1]} == {None}
    citations = last.model_extra["citations"]
    assert citations and all(f"[{c['n']}]" in text for c in citations)
    assert last.usage is not None
    assert last.usage.prompt_tokens == text_tokens(embedder, QUESTION)
    assert last.usage.completion_tokens == text_tokens(embedder, text)


def test_stream_ends_with_done(client: httpx.Client) -> None:
    body = {"model": "radslag", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
    with client.stream("POST", "/v1/chat/completions", json=body) as r:
        data = [d for _, d in iter_events(r)]
    assert data[-1] == "[DONE]"
    finishes = {json.loads(d)["choices"][0]["finish_reason"] for d in data[:-1]}
    assert finishes <= FINISH_REASONS | {None} and "stop" in finishes


@pytest.mark.parametrize(
    ("messages", "param"),
    [
        ([{"role": "user", "content": "  "}], "messages[0].content"),
        ([{"role": "assistant", "content": "hej"}], "messages"),
        ([], "messages"),
        ([{"role": "wizard", "content": "hej"}], "messages[0].role"),
    ],
)
def test_bad_body_is_bad_request_with_the_error_object(oai: OpenAI, messages: list[dict[str, str]], param: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        oai.chat.completions.create(model="radslag", messages=messages)  # type: ignore[arg-type]
    err = caught.value
    assert err.status_code == 400
    assert isinstance(err.body, dict) and set(err.body) == ERROR_KEYS
    assert err.type == "invalid_request_error" and err.param == param
    assert err.body["message"]


def test_unknown_model_is_model_not_found(oai: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    err = caught.value
    assert err.code == "model_not_found" and err.param == "model" and err.type == "invalid_request_error"
    assert "gpt-4o" in err.message


def test_v1_errors_are_openai_objects_and_api_errors_keep_detail(client: httpx.Client) -> None:
    unknown = client.get("/v1/nothing-here")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["type"] == "invalid_request_error"
    unparsable = client.post("/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"})
    assert unparsable.status_code == 400 and unparsable.json()["error"]["code"] == "invalid_json"
    big = client.post("/v1/chat/completions", content=b"x" * (2 << 20), headers={"content-type": "application/json"})
    assert big.status_code == 413 and set(big.json()["error"]) == ERROR_KEYS
    # /api keeps FastAPI's shape: 422 with a list of problems.
    api = client.post("/api/ask", json={"question": "  "})
    assert api.status_code == 422 and isinstance(api.json()["detail"], list)


def test_rate_limit_is_rate_limit_error_and_models_are_free(limited: LiveServer) -> None:
    oai = _client(limited.url)
    for _ in range(5):  # listing the model does not spend the question budget
        assert [m.id for m in oai.models.list()] == ["radslag"]
    for _ in range(2):  # two questions (rejected ones count too: the limit is on requests)
        with pytest.raises(openai.NotFoundError):
            oai.chat.completions.create(model="nope", messages=[{"role": "user", "content": QUESTION}])
    with pytest.raises(openai.RateLimitError) as caught:
        oai.chat.completions.create(model="radslag", messages=[{"role": "user", "content": QUESTION}])
    err = caught.value
    assert err.status_code == 429 and err.code == "rate_limit_exceeded" and err.type == "requests"
    assert set(err.body) == ERROR_KEYS  # type: ignore[arg-type]
    assert 1 <= int(err.response.headers["retry-after"]) <= 60
    assert [m.id for m in oai.models.list()] == ["radslag"]  # still listed while limited
