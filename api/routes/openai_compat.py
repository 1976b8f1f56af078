"""OpenAI-compatible chat completions: any OpenAI client can ask Rådslag.

The last user message is the question; earlier user/assistant messages are the history;
system messages are ignored. Citations travel in an extra ``citations`` field on the
response (and on the final stream chunk).

Fidelity to OpenAI's protocol: ``usage`` counts tokens with the embedding model's tokenizer
(the only one bundled); errors are OpenAI error objects (``api/errors.py``); a stream ends with
``finish_reason: "stop"``, or, when it fails, with an ``{"error": …}`` event that OpenAI
clients raise as ``APIError``; then ``[DONE]``.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

import httpx
from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette.sse import EventSourceResponse, ServerSentEvent

from api.auth import VisibilityDep
from api.deps import ComponentsDep, SettingsDep
from api.errors import UNAVAILABLE_DETAIL, OpenAIError, OpenAIException, openai_error
from api.privacy import log_answer
from api.responses import V1_BAD_REQUEST, V1_NO_MODEL, V1_RATE_LIMITED, V1_TOO_LARGE, V1_UNAVAILABLE, json_messages
from api.schemas import FilterIn, check_length, clean_question, scoped_filters
from ingest.embed import text_tokens
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
    # Not an enum in the schema: another name is a documented 404, as at OpenAI, not a 400.
    model: str = Field(
        default=MODEL_ID,
        description=f"`{MODEL_ID}`, the one model this server offers; another name gets 404 `model_not_found`.",
    )
    messages: list[ChatMessage] = Field(
        min_length=1, max_length=100, description="The last user/assistant message must be the user's question."
    )
    stream: bool = False
    filters: FilterIn | None = Field(default=None, description="Rådslag extension (pass via extra_body).")


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


# Only values OpenAI clients know. Rådslag's answers always end on their own ("stop").
FinishReason = Literal["stop", "length", "content_filter", "tool_calls"]


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: FinishReason = "stop"


class Usage(BaseModel):
    """Tokens as the bundled e5 model's tokenizer (XLM-R SentencePiece) counts them: no
    generative tokenizer ships with Rådslag, and a configured LLM may use any vocabulary."""

    prompt_tokens: int = Field(default=0, description="Tokens in the request's messages.")
    completion_tokens: int = Field(default=0, description="Tokens in the answer.")
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
    finish_reason: FinishReason | None = None


class ChatCompletionChunk(BaseModel):
    """One streamed chunk; the last one (finish_reason "stop") carries citations, refused and usage.

    A stream that fails sends an :class:`~api.errors.OpenAIError` object instead of that chunk."""

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
STREAM_MODELS = (ChatCompletionChunk, OpenAIError)


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


def _usage(messages: Sequence[ChatMessage], answer: Answer, count: Callable[[str], int]) -> Usage:
    p = sum(count(m.text()) for m in messages)
    c = count(answer.answer)
    return Usage(prompt_tokens=p, completion_tokens=c, total_tokens=p + c)


def _check_model(body: ChatCompletionRequest) -> None:
    if body.model != MODEL_ID:
        message = f"The model `{body.model[:100]}` does not exist; this server offers `{MODEL_ID}`."
        raise OpenAIException(404, message, param="model", code="model_not_found")


# Not rate limited (api/app.py): listing the model must not spend the caller's question budget.
@router.get("/models", response_model=ModelList, summary="The one model this server offers")
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
                usage = _usage(body.messages, item, _counter(components))
                yield _chunk(cid, created, ChunkDelta(), "stop", citations=item.citations, refused=item.refused, usage=usage)
            elif item:
                yield _chunk(cid, created, ChunkDelta(content=item), None)
    except Exception as exc:
        # The 200 is already sent: the failure travels as OpenAI's error object, which OpenAI
        # clients raise as APIError (a finish_reason they do not know would pass silently).
        log.exception("streaming chat completion failed")
        yield ServerSentEvent(data=json.dumps(_stream_error(exc)))
    yield ServerSentEvent(data=STREAM_DONE)


def _stream_error(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, httpx.TransportError | ConnectionError | TimeoutError):
        return openai_error(503, UNAVAILABLE_DETAIL, code="service_unavailable")
    return openai_error(500, "The server had an error while processing your request.")


def _counter(components: ComponentsDep) -> Callable[[str], int]:
    embedder = components.embedder
    return lambda text: text_tokens(embedder, text)


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    summary="OpenAI-compatible chat completion (set stream=true for SSE chunks ending with [DONE])",
    responses={
        200: {
            "description": "A `ChatCompletion`; with `stream: true`, `chat.completion.chunk` events ending with `[DONE]`.",
            "content": {"text/event-stream": {"schema": json_messages(("ChatCompletionChunk", "OpenAIError"), STREAM_DONE)}},
        },
    }
    | V1_BAD_REQUEST
    | V1_NO_MODEL
    | V1_TOO_LARGE
    | V1_RATE_LIMITED
    | V1_UNAVAILABLE,
)
def chat_completions(
    body: ChatCompletionRequest, settings: SettingsDep, components: ComponentsDep, visibility: VisibilityDep
) -> Any:
    _check_model(body)
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
        usage=_usage(body.messages, answer, _counter(components)),
        citations=answer.citations,
        refused=answer.refused,
    )
