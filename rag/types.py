"""The answer shape shared by the CLI, the API, the UI and the evaluation runner.

Mirrors the JSON contract in DESIGN.md (``radslag ask --json`` and ``answers.jsonl``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field


@dataclass
class Passage:
    """A retrieved chunk with its fused score (internal to rag/)."""

    id: str
    text: str
    meta: dict[str, Any]
    score: float = 0.0
    dense: float | None = None
    lexical: float | None = None

    @property
    def committee(self) -> str:
        return str(self.meta.get("committee") or "")

    @property
    def doc_id(self) -> str:
        return str(self.meta.get("doc_id") or "")

    @property
    def page(self) -> int | None:
        p = self.meta.get("page")
        return int(p) if isinstance(p, int) and p >= 0 else None


class Citation(BaseModel):
    n: int = Field(description="The marker number used in the answer text, [n].")
    chunk_id: str
    doc_id: str
    source: str
    title: str = ""
    committee: str
    section_path: str
    page: int | None
    char_start: int | None = None
    char_end: int | None = None
    text: str = Field(description="The passage the claim rests on, verbatim.")


class Retrieved(BaseModel):
    chunk_id: str
    doc_id: str
    source: str
    committee: str
    section_path: str = ""
    page: int | None
    text: str
    score: float


class Answer(BaseModel):
    id: str | None = None
    question: str
    answer: str
    refused: bool
    language: str = Field(description="'sv' or 'en': the language of the question and answer.")
    strategy: str = Field(default="direct", description="direct | yes_no | aggregate | compare | missing | replied (a count) | replies (the list) | measures | refuse")
    citations: list[Citation] = Field(default_factory=list)
    retrieved: list[Retrieved] = Field(default_factory=list, description="Top retrieved passages.")
    latency_s: float = 0.0
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per stage.")


class Filters(BaseModel):
    committee: list[str] | None = None
    doc_id: list[str] | None = None
    page_from: int | None = None
    page_to: int | None = None
    visibility: list[str] | None = Field(default=None, description="Allowed visibilities.")

    def is_empty(self) -> bool:
        return not any((self.committee, self.doc_id, self.page_from, self.page_to, self.visibility))


@dataclass
class ChatTurn:
    role: str  # user | assistant
    content: str


@dataclass
class Question:
    text: str
    history: list[ChatTurn] = field(default_factory=list)
    filters: Filters = field(default_factory=Filters)


def passage_to_retrieved(p: Passage) -> Retrieved:
    return Retrieved(
        chunk_id=p.id,
        doc_id=p.doc_id,
        source=str(p.meta.get("source", "")),
        committee=p.committee,
        section_path=str(p.meta.get("section_path", "")),
        page=p.page,
        text=p.text,
        score=round(float(p.score), 6),
    )


def passage_to_citation(n: int, p: Passage) -> Citation:
    return Citation(
        n=n,
        chunk_id=p.id,
        doc_id=p.doc_id,
        source=str(p.meta.get("source", "")),
        title=str(p.meta.get("title", "")),
        committee=p.committee,
        section_path=str(p.meta.get("section_path", "")),
        page=p.page,
        char_start=p.meta.get("char_start"),
        char_end=p.meta.get("char_end"),
        text=p.text,
    )
