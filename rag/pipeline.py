"""Question → plan → retrieve → rerank → answer with citations (or a clear refusal)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rag.aggregate import aggregate_evidence, missing_reply_evidence
from rag.answer import REFUSAL, AnswerBackend, Evidence, ExtractiveComposer, valid_markers
from rag.evidence import best_sentences, coverage, query_terms
from rag.hybrid import HybridRetriever
from rag.query import QueryPlan, plan
from rag.types import (
    Answer,
    ChatTurn,
    Filters,
    Passage,
    passage_to_citation,
    passage_to_retrieved,
)


@dataclass
class AnswerPolicy:
    """Thresholds of the direct strategy (tuned on the development set, see eval/)."""

    top_k: int = 10
    min_coverage: float = 0.45  # share of question IDF weight the best passage must contain
    min_dense: float = 0.86  # ...unless the passage is this similar to the question
    max_evidence: int = 2
    second_ratio: float = 0.8  # a second passage is cited if it scores this close to the first


class RagPipeline:
    def __init__(
        self,
        retriever: HybridRetriever,
        backend: AnswerBackend | None = None,
        policy: AnswerPolicy | None = None,
    ) -> None:
        self.retriever = retriever
        self.backend = backend or ExtractiveComposer()
        self.policy = policy or AnswerPolicy()

    def ask(
        self,
        question: str,
        history: list[ChatTurn] | None = None,
        filters: Filters | None = None,
        id: str | None = None,  # noqa: A002 - the field name of the answer contract
    ) -> Answer:
        started = time.perf_counter()
        timings: dict[str, float] = {}
        qplan = plan(question, history)
        t0 = time.perf_counter()
        qvec = self.retriever.embed_query(qplan.text)
        timings["embed"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        retrieved = self._retrieve(qplan, qvec, filters, timings)
        if qplan.aggregate and qplan.missing_replies:
            kind, evidence = "missing", missing_reply_evidence(self.retriever, filters, qplan)
        elif qplan.aggregate:
            kind, evidence = "aggregate", aggregate_evidence(self.retriever, qplan, qvec, filters)
        else:
            kind = "yes_no" if qplan.yes_no else "direct"
            evidence = self._direct_evidence(qplan, retrieved)
        timings["rerank"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        refused = not evidence
        text = REFUSAL[qplan.language] if refused else self.backend.compose(qplan.original, qplan.language, evidence, kind)
        text, used = valid_markers(text, len(evidence))
        citations = [passage_to_citation(n, ev.passage) for n, ev in enumerate(evidence, start=1) if n in used]
        if not refused and not citations:
            refused, text = True, REFUSAL[qplan.language]
        timings["answer"] = time.perf_counter() - t0
        return Answer(
            id=id,
            question=question,
            answer=text,
            refused=refused,
            language=qplan.language,
            strategy="refuse" if refused else kind,
            citations=citations,
            retrieved=[passage_to_retrieved(p) for p in retrieved[:10]],
            latency_s=round(time.perf_counter() - started, 4),
            timings={k: round(v, 4) for k, v in timings.items()},
        )

    def stream(self, question: str, history: list[ChatTurn] | None = None, filters: Filters | None = None) -> Iterator[str | Answer]:
        """Answer parts (paragraphs of the text) and finally the whole :class:`Answer`."""
        answer = self.ask(question, history, filters)
        parts = answer.answer.split("\n")
        for i, part in enumerate(parts):
            yield part + ("\n" if i < len(parts) - 1 else "")
        yield answer

    # -- strategies ----------------------------------------------------------------------
    def _retrieve(self, qplan: QueryPlan, qvec: np.ndarray, filters: Filters | None, timings: dict[str, float]) -> list[Passage]:
        r = self.retriever
        t0 = time.perf_counter()
        dense = r.dense(qvec, r.dense_k, filters)
        t1 = time.perf_counter()
        lexical = r.lexical(qplan.text, r.lexical_k, filters)
        timings.update(dense=t1 - t0, lexical=time.perf_counter() - t1)
        fused = r.fuse(dense, lexical)[: max(self.policy.top_k * 2, 20)]
        return self._rerank(qplan, qvec, fused)[: self.policy.top_k]

    def _rerank(self, qplan: QueryPlan, qvec: np.ndarray, passages: list[Passage]) -> list[Passage]:
        """Order by dense similarity plus IDF-weighted coverage of the question's terms."""
        snap = self.retriever.snapshot()
        terms = query_terms(snap.lexical, qplan.text)
        for p in passages:
            row = snap.row.get(p.id)
            p.dense = float(snap.vectors[row] @ qvec) if row is not None else (p.dense or 0.0)
            p.lexical = coverage(snap.lexical, terms, p.text + " " + str(p.meta.get("committee", "")))
            p.score = p.dense + 0.25 * p.lexical
        return sorted(passages, key=lambda p: -p.score)

    def _direct_evidence(self, qplan: QueryPlan, ranked: list[Passage]) -> list[Evidence]:
        pol = self.policy
        if not ranked:
            return []
        snap = self.retriever.snapshot()
        terms = query_terms(snap.lexical, qplan.text)
        top = ranked[0]
        if (top.lexical or 0.0) < pol.min_coverage and (top.dense or 0.0) < pol.min_dense:
            return []
        evidence: list[Evidence] = []
        for p in ranked[: pol.max_evidence]:
            if evidence and p.score < pol.second_ratio * top.score + (1 - pol.second_ratio) * 0:
                break
            if evidence and (p.score < top.score - 0.03):
                break
            sents = [s for _, s, _ in best_sentences(snap.lexical, terms, p.text, n=3)]
            if sents:
                evidence.append(Evidence(p, sents))
        return evidence
