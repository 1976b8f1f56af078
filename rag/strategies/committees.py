"""Lists of committees ("which committees want …?"): every committee's best window for the
question is found among its own chunks (the learned sentence ranker); the learned membership
model decides which committees that window shows meet the condition. Each listed committee
cites its own passage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rag.answer import Evidence, Frame
from rag.decisions import Decisions
from rag.hybrid import HybridRetriever
from rag.query import QueryPlan
from rag.strategies.base import Asked, Gathered
from rag.types import Filters, Passage
from rag.windows import SentenceScorer, WindowPolicy, committee_candidates


@dataclass
class CommitteeList:
    """A "which committees …" answer's evidence: the members, each citing its own passage,
    and the best passages of the committees the membership model ranked next, most probable
    first (what an official checks when a committee seems to be missing from the list)."""

    evidence: list[Evidence]
    runners_up: list[Passage]


def aggregate_evidence(
    retriever: HybridRetriever,
    qplan: QueryPlan,
    qvec: np.ndarray,
    filters: Filters | None,
    decisions: Decisions,
    scorer: SentenceScorer | None = None,
    policy: WindowPolicy | None = None,
) -> CommitteeList:
    """The committees whose best evidence meets the question's condition (learned), each
    citing its own passage; with no content terms, every committee that replied."""
    candidates, has_terms = committee_candidates(retriever, qplan, qvec, filters, scorer, policy)
    if not candidates:
        return CommitteeList([], [])
    # "Vilka av dem …?" chooses among the committees the previous answer named; "which other
    # …?" and "utöver X" leave committees out. The features stay relative to every
    # committee's, as the membership model learnt them.
    among = np.array([(not qplan.within or c.committee in qplan.within) and c.committee not in qplan.excluded for c in candidates])
    if not among.any():
        among[:] = True
    if has_terms:
        p = decisions.p_member([c.features for c in candidates])
        keep = np.zeros(len(candidates), dtype=bool)
        keep[among] = decisions.chosen(p[among])
    else:
        p, keep = np.ones(len(candidates)), among
    order = sorted(range(len(candidates)), key=lambda i: (-p[i], candidates[i].committee))
    members = [candidates[i] for i in order if keep[i]]
    return CommitteeList(
        [Evidence(c.window.passage, c.window.quote, label=c.committee, alternates=c.window.alternates) for c in members],
        [candidates[i].window.passage for i in order if among[i] and not keep[i]],
    )


class CommitteesStrategy:
    """Takes a question the kind model reads as asking which committees (or how many) meet a
    condition."""

    def __init__(
        self, retriever: HybridRetriever, decisions: Decisions, scorer: Callable[[QueryPlan, np.ndarray], SentenceScorer]
    ) -> None:
        self.retriever = retriever
        self.decisions = decisions
        self.scorer = scorer

    def gather(self, asked: Asked) -> Gathered | None:
        if not asked.qplan.aggregate:
            return None
        qplan, qvec = asked.qplan, asked.qvec
        listed = aggregate_evidence(self.retriever, qplan, qvec, asked.filters, self.decisions, self.scorer(qplan, qvec))
        return Gathered("aggregate", listed.evidence, Frame(kind=qplan.kind, count=len(listed.evidence)), runners_up=listed.runners_up)
