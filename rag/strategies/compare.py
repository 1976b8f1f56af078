"""Comparisons ("what do Norrmalm and Södermalm say about …?"): the best paragraph of each
committee the question names, whatever its share of the question's words (an English question
shares few with the Swedish text), within one document where they both have text."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rag.answer import Evidence, Frame
from rag.evidence import query_terms, without_names
from rag.hybrid import HybridRetriever
from rag.query import QueryPlan
from rag.strategies.base import Asked, Gathered
from rag.types import Filters
from rag.windows import SentenceScorer, WindowPolicy, best_window, committee_scores, shared_document_rows


def named_committee_evidence(
    retriever: HybridRetriever,
    qplan: QueryPlan,
    qvec: np.ndarray,
    filters: Filters | None,
    names: list[str],
    scorer: SentenceScorer | None = None,
    policy: WindowPolicy | None = None,
) -> list[Evidence]:
    pol = policy or WindowPolicy()
    snap, combined, _, _ = committee_scores(retriever, qplan, qvec, filters, pol)
    question = without_names(qplan.text, names)
    terms = query_terms(snap.lexical, question, qplan.language)
    rows = shared_document_rows(snap, snap.committee_rows(None, snap.mask(filters)), names, combined)
    # Each side's sentences are read against the question without the committees' names: with
    # them, a reply's first line ("Södermalm Utifrån rapporten …"), which holds the name, is
    # the sentence nearest the question in e5.
    svec = retriever.embed_query(question) if question.strip() else qvec
    out = []
    for name in names:
        if name not in rows:
            continue
        hit = best_window(snap, terms, rows[name], combined, pol.candidates_per_committee, svec, scorer, paragraph=True)
        if hit:
            out.append(Evidence(hit.passage, hit.quote, label=name, alternates=hit.alternates))
    return out


class CompareStrategy:
    """Takes a question that names two committees or more and is not a list of committees."""

    def __init__(self, retriever: HybridRetriever, scorer: Callable[[QueryPlan, np.ndarray], SentenceScorer]) -> None:
        self.retriever = retriever
        self.scorer = scorer

    def gather(self, asked: Asked) -> Gathered | None:
        if len(asked.named) < 2 or asked.qplan.aggregate:
            return None
        qplan, qvec = asked.qplan, asked.qvec
        evidence = named_committee_evidence(self.retriever, qplan, qvec, asked.filters, asked.named, self.scorer(qplan, qvec))
        return Gathered("compare", evidence, Frame(kind=qplan.kind))
