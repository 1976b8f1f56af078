"""OpenAI-compatible chat completions: any OpenAI client can ask Rådslag.

The last user message is the question; earlier user/assistant messages are the history;
system messages are ignored. Citations travel in an extra ``citations`` field on the
response (and on the final stream chunk).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette.sse import EventSourceResponse, ServerSentEvent

from api.auth import VisibilityDep
from api.deps import ComponentsDep, SettingsDep
from api.privacy import log_answer
from api.schemas import FilterIn, check_length, clean_question, scoped_filters
from rag.types import Answer, ChatTurn, Citation

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["openai-compatible"])
MODEL_ID = "radslag"


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens, ... are accepted and ignored
    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: bool = False
    filters: FilterIn | None = Field(default=None, description="Rådslag extension (pass via extra_body).")


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: str = "stop"


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage = Field(default_factory=Usage)
    citations: list[Citation] = Field(default_factory=list, description="Rådslag extension: the passages behind [n].")
    refused: bool = False


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "radslag"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


def _split(body: ChatCompletionRequest, max_chars: int) -> tuple[str, list[ChatTurn]]:
    """(question, history) from the messages; 422 when there is no usable user question."""
    turns = [(i, m) for i, m in enumerate(body.messages) if m.role in ("user", "assistant")]
    if not turns or turns[-1][1].role != "user":
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", "messages"), "msg": "the last message must be a user message", "input": None}]
        )
    last_i, last = turns[-1]
    try:
        question = clean_question(last.text())
    except ValueError as exc:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", "messages", last_i, "content"), "msg": str(exc), "input": None}]
        ) from exc
    check_length(question, max_chars, ("body", "messages", last_i, "content"))
    return question, [ChatTurn(role=m.role, content=m.text()) for _, m in turns[:-1]]


def _usage(question: str, answer: Answer) -> Usage:
    # Word counts stand in for tokens: there is no generative tokenizer in the default setup.
    p, c = len(question.split()), len(answer.answer.split())
    return Usage(prompt_tokens=p, completion_tokens=c, total_tokens=p + c)


@router.get("/models", response_model=ModelList, summary="The one model this server offers")
async def models() -> ModelList:
    return ModelList(data=[ModelCard(id=MODEL_ID)])


def _chunk(cid: str, created: int, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> ServerSentEvent:
    payload = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return ServerSentEvent(data=json.dumps(payload, ensure_ascii=False))


def _stream(
    question: str, history: list[ChatTurn], body: ChatCompletionRequest, components: ComponentsDep, visibility: list[str] | None
) -> Iterator[ServerSentEvent]:
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    filters = scoped_filters(body.filters, visibility)
    yield _chunk(cid, created, {"role": "assistant", "content": ""})
    try:
        for item in components.pipeline.stream(question, history, filters):
            if isinstance(item, Answer):
                citations = [c.model_dump() for c in item.citations]
                yield _chunk(cid, created, {}, "stop", citations=citations, refused=item.refused,
                             usage=_usage(question, item).model_dump())
            elif item:
                yield _chunk(cid, created, {"content": item})
    except Exception:
        log.exception("streaming chat completion failed")
        yield _chunk(cid, created, {}, "error")
    yield ServerSentEvent(data="[DONE]")


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    summary="OpenAI-compatible chat completion (set stream=true for SSE chunks ending with [DONE])",
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
def chat_completions(
    body: ChatCompletionRequest, settings: SettingsDep, components: ComponentsDep, visibility: VisibilityDep
) -> Any:
    question, history = _split(body, settings.api.max_question_chars)
    if body.stream:
        return EventSourceResponse(_stream(question, history, body, components, visibility), ping=15)
    answer = components.pipeline.ask(question, history, scoped_filters(body.filters, visibility))
    log_answer(settings, answer, "/v1/chat/completions")
    return ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex}",
        created=int(time.time()),
        model=MODEL_ID,
        choices=[Choice(message=AssistantMessage(content=answer.answer))],
        usage=_usage(question, answer),
        citations=answer.citations,
        refused=answer.refused,
    )
