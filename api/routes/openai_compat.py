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
from api.responses import JSON_BODY, RATE_LIMITED, UNAVAILABLE, json_messages
from api.schemas import FilterIn, check_length, clean_question, scoped_filters
from radslag.settings import Settings
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


CHAT_EXAMPLE = {
    "model": MODEL_ID,
    "messages": [{"role": "user", "content": "Vilka nämnder vill att facilitatorer samordnas centralt?"}],
}


class ChatCompletionRequest(BaseModel):
    # temperature, max_tokens, ... are accepted and ignored. The example is a request that gets an
    # answer: the schema cannot say that the last user/assistant message must be a non-empty user one.
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [CHAT_EXAMPLE]})
    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(
        min_length=1, max_length=100, description="The last user/assistant message must be the user's question."
    )
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


class ChunkDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: ChunkDelta
    finish_reason: Literal["stop", "error"] | None = None


class ChatCompletionChunk(BaseModel):
    """One streamed chunk; the last one (finish_reason "stop") carries citations, refused and usage."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str = MODEL_ID
    choices: list[ChunkChoice]
    citations: list[Citation] | None = Field(default=None, description="Rådslag extension, on the last chunk.")
    refused: bool | None = None
    usage: Usage | None = None


CHUNK_EXTENSIONS = ("citations", "refused", "usage")
STREAM_DONE = "[DONE]"
STREAM_MODELS = (ChatCompletionChunk,)


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


@router.get(
    "/models", response_model=ModelList, summary="The one model this server offers", responses=RATE_LIMITED
)
async def models() -> ModelList:
    return ModelList(data=[ModelCard(id=MODEL_ID)])


def _chunk(cid: str, created: int, delta: ChunkDelta, finish: str | None = None, **extra: Any) -> ServerSentEvent:
    chunk = ChatCompletionChunk(id=cid, created=created, choices=[ChunkChoice(delta=delta, finish_reason=finish)], **extra)
    # "finish_reason": null stays (OpenAI clients expect the key); the delta carries only its new
    # part, and the Rådslag extensions (citations, refused, usage) appear on the last chunk only.
    payload = chunk.model_dump(mode="json", exclude={k for k in CHUNK_EXTENSIONS if k not in extra})
    payload["choices"][0]["delta"] = delta.model_dump(exclude_none=True)
    return ServerSentEvent(data=json.dumps(payload, ensure_ascii=False))


def _stream(
    question: str,
    history: list[ChatTurn],
    body: ChatCompletionRequest,
    settings: Settings,
    components: ComponentsDep,
    visibility: list[str] | None,
) -> Iterator[ServerSentEvent]:
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    filters = scoped_filters(body.filters, visibility)
    yield _chunk(cid, created, ChunkDelta(role="assistant", content=""), None)
    try:
        for item in components.pipeline.stream(question, history, filters):
            if isinstance(item, Answer):
                log_answer(settings, item, "/v1/chat/completions")
                yield _chunk(cid, created, ChunkDelta(), "stop", citations=item.citations, refused=item.refused,
                             usage=_usage(question, item))
            elif item:
                yield _chunk(cid, created, ChunkDelta(content=item), None)
    except Exception:
        log.exception("streaming chat completion failed")
        yield _chunk(cid, created, ChunkDelta(), "error")
    yield ServerSentEvent(data=STREAM_DONE)


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    summary="OpenAI-compatible chat completion (set stream=true for SSE chunks ending with [DONE])",
    responses={
        200: {
            "description": "A `ChatCompletion`; with `stream: true`, `chat.completion.chunk` events ending with `[DONE]`.",
            "content": {"text/event-stream": {"schema": json_messages("ChatCompletionChunk", STREAM_DONE)}},
        },
    }
    | JSON_BODY
    | RATE_LIMITED
    | UNAVAILABLE,
)
def chat_completions(
    body: ChatCompletionRequest, settings: SettingsDep, components: ComponentsDep, visibility: VisibilityDep
) -> Any:
    question, history = _split(body, settings.api.max_question_chars)
    if body.stream:
        return EventSourceResponse(_stream(question, history, body, settings, components, visibility), ping=15)
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
