"""Questions in, grounded answers out: JSON and Server-Sent Events."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from fastapi import APIRouter
from sse_starlette.sse import EventSourceResponse, ServerSentEvent

from api.auth import VisibilityDep
from api.deps import ComponentsDep, SettingsDep
from api.privacy import log_answer
from api.responses import JSON_BODY, RATE_LIMITED, UNAVAILABLE, event_stream, named_events
from api.schemas import AskRequest, StreamError, StreamPart, check_length, scoped_filters
from radslag.settings import Settings
from rag.types import Answer

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["ask"])

STREAM_DOC = """Server-Sent Events:

* `part` — `{"text": "..."}`, a piece of the answer text (in order; concatenate them);
* `final` — the whole `Answer` JSON, with citations;
* `error` — `{"detail": "..."}` if answering failed.
"""
STREAM_EVENTS = named_events({"part": "StreamPart", "final": "Answer", "error": "StreamError"})
STREAM_MODELS = (StreamPart, StreamError)


@router.post(
    "/ask",
    response_model=Answer,
    summary="Answer a question with numbered citations",
    responses=JSON_BODY | RATE_LIMITED | UNAVAILABLE,
)
def ask(body: AskRequest, settings: SettingsDep, components: ComponentsDep, visibility: VisibilityDep) -> Answer:
    check_length(body.question, settings.api.max_question_chars)
    filters = scoped_filters(body.filters, visibility)
    answer = components.pipeline.ask(body.question, body.turns(), filters, id=body.id)
    log_answer(settings, answer, "/api/ask")
    return answer


def _events(
    body: AskRequest, settings: Settings, components: ComponentsDep, visibility: list[str] | None
) -> Iterator[ServerSentEvent]:
    filters = scoped_filters(body.filters, visibility)
    try:
        for item in components.pipeline.stream(body.question, body.turns(), filters):
            if isinstance(item, Answer):
                item.id = body.id
                log_answer(settings, item, "/api/ask/stream")  # before sending: a client that leaves still counts
                yield ServerSentEvent(data=item.model_dump_json(), event="final")
            else:
                yield ServerSentEvent(data=StreamPart(text=item).model_dump_json(), event="part")
    except Exception:
        log.exception("streaming answer failed")
        yield ServerSentEvent(data=StreamError(detail="answering failed").model_dump_json(), event="error")


@router.post(
    "/ask/stream",
    summary="Answer a question, streamed as Server-Sent Events",
    description=STREAM_DOC,
    response_class=EventSourceResponse,
    responses=event_stream(STREAM_EVENTS, STREAM_DOC) | JSON_BODY | RATE_LIMITED,
)
def ask_stream(body: AskRequest, settings: SettingsDep, components: ComponentsDep, visibility: VisibilityDep) -> EventSourceResponse:
    check_length(body.question, settings.api.max_question_chars)
    # A sync iterator: sse-starlette runs it in a worker thread, off the event loop.
    return EventSourceResponse(_events(body, settings, components, visibility), ping=15)
