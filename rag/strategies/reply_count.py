"""How many committees replied, of how many: counted from the index's structure, the missing
replies cited (or, when none is missing, each reply)."""

from __future__ import annotations

from dataclasses import dataclass

from rag.answer import Evidence, Frame
from rag.hybrid import HybridRetriever
from rag.query import QueryPlan
from rag.strategies.base import Asked, Gathered
from rag.strategies.structure import compilation_rows, missing_notes, openings
from rag.types import Filters, Passage


@dataclass
class ReplyCount:
    """How many committees of a compilation replied, of how many; the missing replies cited
    (or, when none is missing, each reply)."""

    replied: int
    total: int
    evidence: list[Evidence]


def reply_count_evidence(
    retriever: HybridRetriever, filters: Filters | None, qplan: QueryPlan, retrieved: list[Passage]
) -> ReplyCount | None:
    """"How many committees replied?" from the index's structure: the compilation the
    question's best passages come from (or the largest), its committees with a reply and those
    whose entry is a missing-reply note, within the question's group of committees."""
    snap = retriever.snapshot()
    within = compilation_rows(snap, filters, retrieved)
    if within is None:
        return None
    replied = snap.committee_rows(qplan.group_hint, within)
    missing = snap.committee_rows(qplan.group_hint, within, replies=False)
    if not replied and not missing:
        return None
    evidence = missing_notes(snap, missing) or openings(snap, replied)  # no reply missing: every reply shown
    return ReplyCount(len(replied), len(replied) + len(missing), evidence)


class ReplyCountStrategy:
    """Takes a question the kind model reads as counting replies, when the index holds a
    compilation of them."""

    def __init__(self, retriever: HybridRetriever) -> None:
        self.retriever = retriever

    def gather(self, asked: Asked) -> Gathered | None:
        if not asked.qplan.replies_counted:
            return None
        counted = reply_count_evidence(self.retriever, asked.filters, asked.qplan, asked.retrieved)
        if not counted:
            return None
        return Gathered("replied", counted.evidence, Frame(kind=asked.qplan.kind, count=counted.replied, total=counted.total))
