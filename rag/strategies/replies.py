"""Which committees replied: the committees of the question's compilation (and group) whose
entry is a reply, not a missing-reply note, each cited with its reply's opening sentence."""

from __future__ import annotations

from rag.answer import Evidence, Frame
from rag.hybrid import HybridRetriever
from rag.query import QueryPlan
from rag.strategies.base import Asked, Gathered
from rag.strategies.structure import compilation_rows, openings
from rag.types import Filters, Passage


def replies_evidence(
    retriever: HybridRetriever, filters: Filters | None, qplan: QueryPlan, retrieved: list[Passage]
) -> list[Evidence]:
    """"Which committees replied?" from the index's structure."""
    snap = retriever.snapshot()
    within = compilation_rows(snap, filters, retrieved)
    return [] if within is None else openings(snap, snap.committee_rows(qplan.group_hint, within))


class RepliesStrategy:
    """Takes a question the kind model reads as listing the replies, when the index holds a
    compilation of them."""

    def __init__(self, retriever: HybridRetriever) -> None:
        self.retriever = retriever

    def gather(self, asked: Asked) -> Gathered | None:
        if not asked.qplan.lists_replies:
            return None
        evidence = replies_evidence(self.retriever, asked.filters, asked.qplan, asked.retrieved)
        return Gathered("replies", evidence, Frame(kind=asked.qplan.kind, count=len(evidence))) if evidence else None
