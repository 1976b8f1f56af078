"""Missing replies ("which committees did not reply?"): the committees whose entry in the
compilation is a missing-reply note (flagged at ingest), each note cited."""

from __future__ import annotations

from rag.answer import Evidence, Frame
from rag.hybrid import HybridRetriever
from rag.query import QueryPlan
from rag.strategies.base import Asked, Gathered
from rag.strategies.structure import missing_notes
from rag.types import Filters


def missing_reply_evidence(retriever: HybridRetriever, filters: Filters | None, qplan: QueryPlan) -> list[Evidence]:
    snap = retriever.snapshot()
    return missing_notes(snap, snap.committee_rows(qplan.group_hint, snap.mask(filters), replies=False))


class MissingRepliesStrategy:
    """Takes every question the kind model reads as asking for missing replies (an empty list
    is an answer: none is missing)."""

    def __init__(self, retriever: HybridRetriever) -> None:
        self.retriever = retriever

    def gather(self, asked: Asked) -> Gathered | None:
        if not asked.qplan.missing_replies:
            return None
        evidence = missing_reply_evidence(self.retriever, asked.filters, asked.qplan)
        return Gathered("missing", evidence, Frame(kind=asked.qplan.kind, count=len(evidence)))
