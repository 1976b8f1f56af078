"""Each committee's best sentence window for a question: what the committee strategies read.

The compilation of replies holds some thirty committees' texts; a question about committees
("which committees …", "compare Norrmalm and Södermalm", the remiss overview) reads each
committee's own chunks, not a global top-k:

- :func:`committee_candidates`: every committee's best window, centred on the sentence the
  learned ranker scores highest among its own chunks, with the membership model's features;
- :func:`best_window`: one committee's window (a paragraph, for one side of a comparison);
- :func:`sentence_scorer`: the learned sentence ranker over one passage's sentences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from rag.decisions import Decisions
from rag.evidence import (
    QueryTerms,
    SentenceScores,
    anchors,
    announced,
    context_of,
    paragraph_around,
    passage_sentences,
    query_terms,
    sentence_scores,
    stems_of,
    summary_start,
    with_name_phrases,
    without_frame,
    without_names,
)
from rag.features import measures, member_rows, sentence_row
from rag.hybrid import HybridRetriever, Snapshot
from rag.lexical import raw_tokens
from rag.query import QueryPlan, names_in
from rag.types import Filters, Passage


@dataclass
class WindowPolicy:
    """How much of each committee's text its window is sought in (not a decision: those are
    learned)."""

    candidates_per_committee: int = 4
    dense_weight: float = 0.5


def sharpen(terms: QueryTerms) -> QueryTerms:
    """Square the IDF weights: deciding *which* committees, the specific words
    ("mentorsverksamhet", "6.4.4", "KTH") must dominate the common ones ("stad", "central")."""
    return terms.reweighted({t: w * w for t, w in terms.weights.items()}, terms.missing**2)


def named_committees(question: str, snap: Snapshot, filters: Filters | None = None) -> list[str]:
    """Committees of the (visible part of the) index that the question names, in order."""
    return names_in(question, snap.committee_names(snap.mask(filters)))


@dataclass
class Window:
    """A committee's best-covering sentences, and its other chunks that cover nearly as well."""

    coverage: float
    passage: Passage
    quote: list[str]
    alternates: list[Passage]
    own: float = 0.0  # coverage by the best sentence alone
    score: float = 0.0  # the sentence ranker's score of the best sentence
    sim: float = 0.0  # e5 similarity of the best sentence to the question
    max_sim: float = 0.0  # the committee's most similar sentence
    best: int = -1  # the best sentence's index among the passage's sentences
    # The same two similarities to the question's condition alone (no "which committees"):
    # the frame pulls every committee's text alike, the condition tells them apart.
    condition_sim: float = 0.0
    condition_max_sim: float = 0.0


#: Scores the sentences of one passage: (passage, sentences, coverage scores, e5 similarities,
#: the passage's rank within its committee) → one score per sentence.
SentenceScorer = Callable[[Passage, list[str], SentenceScores, np.ndarray, int], np.ndarray]


def sentence_scorer(
    retriever: HybridRetriever,
    decisions: Decisions,
    qplan: QueryPlan,
    qvec: np.ndarray,
    record: list[tuple[Passage, list[str], list[dict[str, float]]]] | None = None,
) -> SentenceScorer:
    """The learned sentence ranker over the sentences of one committee's passage (``record``
    keeps what it scored, for training; without a ranker, the window coverage ranks)."""
    snap = retriever.snapshot()
    asked = measures(qplan.text)

    def score(p: Passage, sents: list[str], sc: SentenceScores, sims: np.ndarray, rank: int) -> np.ndarray:
        dense = snap.similarity(p.id, qvec) or 0.0
        start = summary_start(p.text, str(p.meta.get("section_path", "")), sents)
        rows = [
            sentence_row(
                kind=qplan.kind, window=sc.window[i], own=sc.own[i], max_window=max(sc.window), max_own=max(sc.own),
                dense=dense, max_dense=dense, rank=rank, position=i, n_sentences=len(sents), sentence=sent,
                question_measures=asked, in_summary=start is not None and i >= start,
                lang_en=qplan.language == "en", sim=float(sims[i]), max_sim=float(sims.max()),
                wanted=qplan.answer_type,
            )
            for i, sent in enumerate(sents)
        ]
        if record is not None:
            record.append((p, sents, rows))
        if decisions.sentence is None:
            return np.asarray(sc.window)
        return decisions.sentence_scores(rows)

    return score


def best_window(
    snap: Snapshot,
    terms: QueryTerms,
    rows: list[int],
    combined: np.ndarray,
    k: int,
    qvec: np.ndarray | None = None,
    scorer: SentenceScorer | None = None,
    condition: np.ndarray | None = None,
    paragraph: bool = False,
) -> Window | None:
    """The committee's best window among its top-k chunks: centred on the sentence the
    ranker (``scorer``) scores highest, or the best-covering one without a ranker.
    ``condition`` is the embedding of the question's condition alone, read as a feature
    (without it, the question's own similarities stand in). With ``paragraph``, the window
    is the paragraph around that sentence (one side of a comparison), else the sentence and
    the neighbours that cover nearly as well (one member of a list)."""
    arr = np.array(rows)
    hits: list[tuple[float, Window]] = []
    for rank, i in enumerate(arr[np.argsort(-combined[arr])[:k]]):
        p = snap.passage(int(i), float(combined[i]))
        sents = passage_sentences(p.text, str(p.meta.get("section_path", "")))
        if not sents:
            continue
        sc = sentence_scores(snap.lexical, terms, sents, context_of(p))
        ws = sc.window
        sims = snap.sentence_similarities(p, len(sents), qvec) if qvec is not None else np.zeros(len(sents))
        scores = scorer(p, sents, sc, sims, rank) if scorer is not None else np.asarray(ws)
        j = int(np.argmax(scores))
        csims = snap.sentence_similarities(p, len(sents), condition) if condition is not None else sims
        if paragraph:
            shown = paragraph_around(sents, j)
        else:
            shown = [x for x in (j - 1, j, j + 1) if 0 <= x < len(sents) and (x == j or ws[x] >= 0.6 * ws[j] > 0)]
        quote = [sents[x] for x in announced(sents, shown)]
        window = Window(
            coverage=ws[j], passage=p, quote=quote, alternates=[], own=sc.own[j], score=float(scores[j]),
            sim=float(sims[j]), max_sim=float(sims.max()), best=j, condition_sim=float(csims[j]),
            condition_max_sim=float(csims.max()),
        )
        hits.append((float(scores[j]) + 0.01 * float(combined[i]), window))
    if not hits:
        return None
    hits.sort(key=lambda h: -h[0])
    best = hits[0][1]
    # The committee's window is its best chunk's; its "most similar sentence" is over all
    # its chunks read, and chunks that cover nearly as well are its alternates.
    best.max_sim = max(w.max_sim for _, w in hits)
    best.condition_max_sim = max(w.condition_max_sim for _, w in hits)
    best.alternates = [w.passage for _, w in hits[1:] if w.coverage >= 0.8 * best.coverage > 0]
    return best


def committee_scores(retriever: HybridRetriever, qplan: QueryPlan, qvec: np.ndarray, filters: Filters | None, pol: WindowPolicy):
    """The snapshot, the combined score per chunk, and its dense and BM25 parts."""
    snap, dense, lexical = retriever.score_all(qplan.text, qvec, filters)
    lex_norm = lexical / (lexical.max() or 1.0) if len(lexical) else lexical
    return snap, dense * pol.dense_weight + lex_norm, np.where(np.isfinite(dense), dense, -1.0), lexical


@dataclass
class Candidate:
    """A committee's best evidence for an aggregation question, with its features."""

    committee: str
    window: Window
    features: dict[str, float]


def committee_candidates(
    retriever: HybridRetriever,
    qplan: QueryPlan,
    qvec: np.ndarray,
    filters: Filters | None,
    scorer: SentenceScorer | None = None,
    policy: WindowPolicy | None = None,
) -> tuple[list[Candidate], bool]:
    """Every committee's best window for the question, with membership features; and whether
    the question states a condition at all ("vilka nämnder har svarat?" has none). Words the
    corpus never uses state one too: an English condition ("grant guidelines") matches no
    Swedish term, but the membership model still reads its e5 similarities."""
    pol = policy or WindowPolicy()
    snap, combined, dense_all, lexical_all = committee_scores(retriever, qplan, qvec, filters, pol)
    if not len(snap.ids):
        return [], False
    # A committee left out ("utöver stadsbyggnadskontoret") is not part of the condition.
    question = without_frame(without_names(qplan.text, qplan.excluded))
    # The condition is matched in Swedish spelling too ("coordinated" → "koordin…"): across
    # committees it finds the passage that says so (out of fold, paraphrases' list F1 +0.016).
    # Direct answers keep the cognates as written: there the respelt words cost citations
    # (docs/journal.md, thirty-second session).
    terms = sharpen(with_name_phrases(snap.lexical, query_terms(snap.lexical, question, qplan.language, spelling=True), question))
    # e5 reads the condition alone better than the whole question: on the train lists, the
    # committees' best sentence similarity ranks members at AUC 0.90 against 0.88.
    cvec = retriever.embed_query(question) if question.strip() else None
    asked = measures(qplan.text)
    want = {a[:6] for a in anchors(terms)}
    raw: list[tuple[str, Window, dict[str, float]]] = []
    for committee, rows in snap.committee_rows(qplan.group_hint, snap.mask(filters)).items():
        hit = best_window(snap, terms, rows, combined, pol.candidates_per_committee, qvec, scorer, cvec)
        if not hit:
            continue
        window_text = " ".join(hit.quote)
        stems = {t[:6] for t in snap.lexical.analyse(raw_tokens(window_text))}
        # A member meets every part of the condition: how much of the question, and how rare
        # a part of it, its window leaves out ("facilitatorer" but not "centralt").
        uncovered_max, uncovered_share = terms.uncovered(stems_of(snap.lexical, window_text + " " + hit.passage.committee))
        raw.append((committee, hit, {
            "cov": hit.coverage,
            "own": hit.own,
            "dense": float(np.max(dense_all[rows])),
            "lexical": float(np.max(lexical_all[rows])),
            "anchor": float(bool(want & stems)) if want else 1.0,
            "measure_asked": float(bool(asked)),
            "measure_hit": float(any(np.isin(snap.cols.measure_rows.get(m, ()), rows).any() for m in asked)),
            "lang_en": float(qplan.language == "en"),
            "score": hit.score,
            "uncovered_max": uncovered_max,
            "uncovered_share": uncovered_share,
            "sim": hit.sim,
            "max_sim": hit.max_sim,
            "condition_sim": hit.condition_sim,
            "condition_max_sim": hit.condition_max_sim,
            # "Vilka av dem …?": a committee the previous answer named, asked about again.
            "within": float(committee in qplan.within),
        }))
    rows_f = member_rows([f for _, _, f in raw])
    return [Candidate(c, w, f) for (c, w, _), f in zip(raw, rows_f, strict=True)], bool(terms.weights) or bool(raw_tokens(question))


def shared_document_rows(
    snap: Snapshot, rows: Mapping[str, np.ndarray], names: list[str], combined: np.ndarray
) -> dict[str, np.ndarray]:
    """Each named committee's rows, within one document where two or more of them have text.

    A comparison sets like against like: two committees' replies to the same commission, not
    one's reply with another's older report on a related matter. The document is the one the
    question matches best over the committees it holds (the sum of each one's best chunk
    score); a committee without text there, or no shared document, keeps all its rows."""
    doc_codes = snap.cols.codes["doc_id"]
    named = {n: np.asarray(rows[n]) for n in names if n in rows}
    best: tuple[float, int] | None = None
    for d in {int(c) for r in named.values() for c in doc_codes[r]}:
        held = [r[doc_codes[r] == d] for r in named.values()]
        held = [r for r in held if len(r)]
        if len(held) < 2:
            continue
        score = float(sum(combined[r].max() for r in held))
        if best is None or score > best[0]:
            best = (score, d)
    if best is None:
        return named
    return {n: (r[doc_codes[r] == best[1]] if (doc_codes[r] == best[1]).any() else r) for n, r in named.items()}


