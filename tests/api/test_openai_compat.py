"""The OpenAI-compatible endpoint, driven by the official ``openai`` client."""

from __future__ import annotations

import httpx
import openai
import pytest
from openai import OpenAI

from tests.api.sse import iter_events

QUESTION = "Vilka nämnder vill att facilitatorer samordnas centralt?"


@pytest.fixture
def oai(base_url: str) -> OpenAI:
    return OpenAI(base_url=f"{base_url}/v1", api_key="not-needed", max_retries=0, timeout=120)


def test_models(oai: OpenAI) -> None:
    assert [m.id for m in oai.models.list()] == ["radslag"]


def test_chat_completion_plain(oai: OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="radslag",
        messages=[{"role": "system", "content": "ignored"}, {"role": "user", "content": QUESTION}],
    )
    content = completion.choices[0].message.content
    assert content and content.strip()
    assert completion.choices[0].finish_reason == "stop"
    citations = completion.model_extra["citations"]
    assert citations and all(f"[{c['n']}]" in content for c in citations)


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


def test_chat_completion_stream(oai: OpenAI) -> None:
    stream = oai.chat.completions.create(model="radslag", messages=[{"role": "user", "content": QUESTION}], stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip()
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    citations = last.model_extra["citations"]
    assert citations and all(f"[{c['n']}]" in text for c in citations)


def test_stream_ends_with_done(client: httpx.Client) -> None:
    body = {"model": "radslag", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
    with client.stream("POST", "/v1/chat/completions", json=body) as r:
        data = [d for _, d in iter_events(r)]
    assert data[-1] == "[DONE]"


def test_bad_messages_are_422(oai: OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError):
        oai.chat.completions.create(model="radslag", messages=[{"role": "user", "content": "  "}])
    with pytest.raises(openai.UnprocessableEntityError):
        oai.chat.completions.create(model="radslag", messages=[{"role": "assistant", "content": "hej"}])
