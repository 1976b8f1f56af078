"""Request and response models of the HTTP API (answers reuse ``rag.types.Answer``)."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any, Literal

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from rag.types import ChatTurn, Citation, Filters, Retrieved

HARD_MAX_CHARS = 20_000  # absolute ceiling; the configured limit (max_question_chars) is lower
ALLOWED_CONTROL = {"\n", "\r", "\t"}


def clean_question(value: str) -> str:
    """Strip; reject empty text and control characters (other than newline and tab)."""
    text = value.strip()
    if not text:
        raise ValueError("question must not be empty")
    bad = sorted({f"U+{ord(c):04X}" for c in text if unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROL})
    if bad:
        raise ValueError(f"question contains control characters ({', '.join(bad)})")
    return text


def check_length(question: str, max_chars: int, loc: tuple[str | int, ...] = ("body", "question")) -> None:
    """The configured length limit, reported like any other validation error (422)."""
    if len(question) > max_chars:
        raise RequestValidationError(
            [
                {
                    "type": "string_too_long",
                    "loc": loc,
                    "msg": f"question is too long: {len(question)} characters, at most {max_chars} allowed",
                    "input": question[:100],
                    "ctx": {"max_length": max_chars},
                }
            ]
        )


class HistoryTurn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=HARD_MAX_CHARS)

    def to_turn(self) -> ChatTurn:
        return ChatTurn(role=self.role, content=self.content)


class FilterIn(BaseModel):
    """Restrict retrieval to some committees and/or documents (exact names / ids)."""

    model_config = ConfigDict(extra="forbid")

    committee: list[str] | None = Field(default=None, max_length=100, description="Committee names (see /api/committees).")
    doc_id: list[str] | None = Field(default=None, max_length=100, description="Document ids (see /api/documents).")

    def to_filters(self) -> Filters:
        return Filters(committee=self.committee or None, doc_id=self.doc_id or None)


def scoped_filters(filters: FilterIn | None, visibility: list[str] | None) -> Filters | None:
    """The request's filters restricted to what the caller may see (``visibility`` None: everything)."""
    base = filters.to_filters() if filters else None
    if visibility is None:
        return base
    return (base or Filters()).model_copy(update={"visibility": list(visibility)})


class AskRequest(BaseModel):
    question: str = Field(
        max_length=HARD_MAX_CHARS,
        description="The question (Swedish or English). Non-empty; at most the configured max_question_chars.",
        examples=["Vilka nämnder vill att facilitatorer samordnas centralt?"],
    )
    history: list[HistoryTurn] = Field(default_factory=list, max_length=50, description="Earlier turns, oldest first.")
    filters: FilterIn | None = None
    id: str | None = Field(default=None, max_length=200, description="Echoed back as Answer.id.")

    @field_validator("question")
    @classmethod
    def _clean(cls, value: str) -> str:
        return clean_question(value)

    def turns(self) -> list[ChatTurn]:
        return [h.to_turn() for h in self.history]


class SearchRequest(BaseModel):
    query: str = Field(
        max_length=HARD_MAX_CHARS,
        description="What to search for (Swedish or English). Non-empty; at most the configured max_question_chars.",
        examples=["facilitatorer samordnas centralt"],
    )
    filters: FilterIn | None = None
    k: int = Field(default=10, ge=1, le=50, description="How many passages to return.")

    @field_validator("query")
    @classmethod
    def _clean(cls, value: str) -> str:
        return clean_question(value)


class SearchResponse(BaseModel):
    query: str
    passages: list[Retrieved] = Field(description="Best first; score is the fused (RRF) retrieval score.")


class DocumentInfo(BaseModel):
    doc_id: str
    source: str
    title: str = ""
    committee: str = ""
    pages: int | None = None
    n_chunks: int | None = None
    visibility: str = "public"
    committees: list[str] = Field(default_factory=list, description="Committees with passages in this document.")


class DocumentDetail(DocumentInfo):
    text: str = Field(description="The cleaned text; citations' char_start/char_end index into it.")


class CommitteeInfo(BaseModel):
    name: str
    doc_ids: list[str]
    chunks: int


class UploadResult(BaseModel):
    doc_id: str
    source: str
    status: str = Field(description="indexed | unchanged")
    chunks: int
    committees: list[str] = Field(default_factory=list)


class DeleteResult(BaseModel):
    doc_id: str
    chunks_deleted: int


Visibility = Literal["public", "internal"]


class VisibilityUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    visibility: Visibility


class VisibilityResult(BaseModel):
    doc_id: str
    visibility: Visibility
    chunks: int = Field(description="Passages updated.")


class FeedbackItem(BaseModel):
    """An official's verdict on one answer, with the answer as it was shown."""

    id: int
    created_at: datetime
    user: str = Field(description="The official who gave it.")
    verdict: Literal["helpful", "wrong"]
    comment: str = ""
    question: str
    answer: str
    lang: str
    citations: list[Citation] = Field(description="The answer's citations when the verdict was given.")
    conversation_id: str | None = None
    turn: int | None = Field(default=None, description="The turn of the saved conversation (0 = first).")


class FeedbackList(BaseModel):
    total: int = Field(description="Records matching the filter (before limit/offset).")
    items: list[FeedbackItem]


class ReindexResult(BaseModel):
    report: dict[str, Any]
    chunks: int


class StreamPart(BaseModel):
    """Data of a ``part`` event of /api/ask/stream."""

    text: str = Field(description="The next piece of the answer text; concatenate the parts in order.")


class StreamError(BaseModel):
    """Data of an ``error`` event: answering failed midway through a stream."""

    detail: str
