"""Sentence-level evidence scoring: which sentences of a passage answer the question.

No cross-encoder ships in a PyPI package, so the reranking signal is principled and cheap:
IDF-weighted coverage of the question's (stemmed, decompounded) terms by a sentence, combined
with the passage's dense similarity. Rare question terms (names, "KTH", "facilitatorer")
dominate the weight, which is what a reader checks first too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.lexical import BM25Index, raw_tokens

_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9”\"•(])|\n\s*\n|\n(?=•)")


def split_sentences(text: str) -> list[str]:
    out = []
    for s in _SENT.split(text):
        s = re.sub(r"\s*\n\s*", " ", s).strip()
        if len(s) > 2:
            out.append(s)
    return out


@dataclass
class QueryTerms:
    weights: dict[str, float]  # stemmed term -> idf

    @property
    def total(self) -> float:
        return sum(self.weights.values()) or 1.0


def query_terms(index: BM25Index, question: str) -> QueryTerms:
    weights: dict[str, float] = {}
    for tok in raw_tokens(question):
        for term in index._analyse([tok]):  # noqa: SLF001 - same analyser as the index
            i = index.term_index.get(term)
            if i is not None:
                weights[term] = max(weights.get(term, 0.0), float(index.idf[i]))
    return QueryTerms(weights)


def coverage(index: BM25Index, terms: QueryTerms, text: str) -> float:
    """Share of the question's IDF weight that ``text`` contains (0..1)."""
    if not terms.weights:
        return 0.0
    present = set(index._analyse(raw_tokens(text)))  # noqa: SLF001
    return sum(w for t, w in terms.weights.items() if t in present) / terms.total


def best_sentences(
    index: BM25Index, terms: QueryTerms, text: str, n: int = 2, min_cov: float = 0.0
) -> list[tuple[int, str, float]]:
    """Top-n (position, sentence, coverage), returned in document order."""
    sents = split_sentences(text)
    scored = [(i, s, coverage(index, terms, s)) for i, s in enumerate(sents)]
    scored = [x for x in scored if x[2] >= min_cov and len(x[1]) > 20]
    top = sorted(scored, key=lambda x: (-x[2], x[0]))[:n]
    return sorted(top, key=lambda x: x[0])
