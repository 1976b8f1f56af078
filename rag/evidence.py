"""Sentence-level evidence scoring: which sentences of a passage answer the question.

No cross-encoder ships in a PyPI package, so the reranking signal is principled and cheap:
IDF-weighted coverage of the question's (stemmed, decompounded) terms by a sentence, combined
with the passage's dense similarity. Rare question terms (names, "KTH", "facilitatorer")
dominate the weight, which is what a reader checks first too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.lexical import BM25Index, raw_tokens

_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9”\"•(])|\s(?=• )")


def split_sentences(text: str) -> list[str]:
    # PDF line breaks (and the blank lines some extractors add) are not sentence ends.
    flat = re.sub(r"\s+", " ", text).strip()
    return [s.strip() for s in _SENT.split(flat) if len(s.strip()) > 2]


@dataclass
class QueryTerms:
    weights: dict[str, float]  # stemmed term -> idf
    missing: float = 0.0  # weight of question words the corpus never uses

    @property
    def total(self) -> float:
        return (sum(self.weights.values()) + self.missing) or 1.0


def _cognates(index: BM25Index, token: str) -> list[str]:
    """Corpus terms sharing a long prefix with an English word ("facilitators" → "facilitator")."""
    if len(token) < 7:
        return []
    prefix = token[: max(6, min(len(token) - 2, 8))]
    return [t for t in index.sorted_terms_with_prefix(prefix)][:5]


def query_terms(index: BM25Index, question: str, language: str = "sv") -> QueryTerms:
    """The question's terms with IDF weights; English words are mapped to Swedish cognates.

    A Swedish question word that never occurs in the corpus is counted as *missing* weight
    (the documents cannot be about it), which lowers every passage's coverage.
    """
    weights: dict[str, float] = {}
    missing = 0.0
    oov_weight = float(np.percentile(index.idf, 25)) if len(index.idf) else 1.0
    for tok in raw_tokens(question):
        terms = [t for t in index._analyse([tok]) if t in index.term_index]  # noqa: SLF001
        if not terms and language == "en":
            terms = _cognates(index, tok)
        if not terms:
            if language == "sv" and not tok.isdigit():
                missing += oov_weight
            continue
        for term in terms:
            weights[term] = max(weights.get(term, 0.0), float(index.idf[index.term_index[term]]))
    return QueryTerms(weights, missing)


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


def anchors(terms: QueryTerms) -> set[str]:
    """The question's most specific words: the rarest terms of five letters or more.

    Short words are mostly verbs and particles whose rarity says little ("tar", "ha").
    """
    long = {t: w for t, w in terms.weights.items() if len(t) >= 5 and not t.isdigit()}
    if not long:
        return set()
    top = max(long.values())
    return {t for t, w in long.items() if w >= 0.9 * top}


def covers_anchor(index: BM25Index, terms: QueryTerms, texts: list[str]) -> bool:
    """True if any text contains a word starting like one of the question's anchors.

    Prefixes (six letters) rather than stems: the stemmer does not always agree on
    "delansvar" / "delansvariga".
    """
    want = {a[:6] for a in anchors(terms)}
    if not want:
        return True
    have = {t[:6] for text in texts for t in index._analyse(raw_tokens(text))}  # noqa: SLF001
    return bool(want & have)


def window_scores(
    index: BM25Index, terms: QueryTerms, sentences: list[str], context: str = ""
) -> list[float]:
    """Coverage of each sentence together with its neighbours (half weight for context).

    A committee often names the measure in one sentence and takes its stance in the next
    ("Åtgärden 6.4.4 … Förvaltningen anser att den med fördel kan organiseras centralt").
    """
    if not terms.weights:
        return [0.0] * len(sentences)
    sets = [set(index._analyse(raw_tokens(s))) for s in sentences]  # noqa: SLF001
    ctx = set(index._analyse(raw_tokens(context))) if context else set()  # noqa: SLF001
    out = []
    for i, own in enumerate(sets):
        near = (sets[i - 1] if i else set()) | (sets[i + 1] if i + 1 < len(sets) else set()) | ctx
        score = 0.0
        for t, w in terms.weights.items():
            if t in own:
                score += w
            elif t in near:
                score += 0.5 * w
        out.append(score / terms.total)
    return out
