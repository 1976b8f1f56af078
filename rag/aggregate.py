"""Committee-aware strategies: consult every committee's reply, not a global top-k.

- ``aggregate_evidence`` ("which committees …"): each committee's best sentence window for
  the question is found among its own chunks (the learned sentence ranker); the learned
  membership model decides which committees that window shows meet the condition. Each
  listed committee cites its own passage.
- ``named_committee_evidence`` ("what do Norrmalm and Södermalm say …"): the best window of
  each committee the question names, whatever its share of the question's words (an English
  question shares few with the Swedish text).
- ``missing_reply_evidence`` ("which committees did not reply?"): replies flagged at ingest.
- ``reply_count_evidence`` ("how many committees replied?"): the compilation's committees,
  with and without a reply.
- ``committee_measure_evidence`` ("which measures does Norrmalm comment on?"): the measure
  numbers in one committee's own reply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from rag.answer import Evidence
from rag.decisions import Decisions
from rag.evidence import (
    QueryTerms,
    SentenceScores,
    anchors,
    announced,
    paragraph_around,
    passage_sentences,
    query_terms,
    sentence_scores,
    stems_of,
    with_name_phrases,
    without_frame,
    without_names,
)
from rag.features import measure_numbers, measure_order, measures, member_rows
from rag.hybrid import HybridRetriever, Snapshot
from rag.lexical import raw_tokens
from rag.query import QueryPlan, names_in
from rag.types import Filters, Passage


@dataclass
class AggregatePolicy:
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


def _best_window(
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
        context = f"{p.committee} {p.meta.get('section_path', '')}"
        sc = sentence_scores(snap.lexical, terms, sents, context)
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


def _scores(retriever: HybridRetriever, qplan: QueryPlan, qvec: np.ndarray, filters: Filters | None, pol: AggregatePolicy):
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
    policy: AggregatePolicy | None = None,
) -> tuple[list[Candidate], bool]:
    """Every committee's best window for the question, with membership features; and whether
    the question states a condition at all ("vilka nämnder har svarat?" has none). Words the
    corpus never uses state one too: an English condition ("grant guidelines") matches no
    Swedish term, but the membership model still reads its e5 similarities."""
    pol = policy or AggregatePolicy()
    snap, combined, dense_all, lexical_all = _scores(retriever, qplan, qvec, filters, pol)
    if not len(snap.ids):
        return [], False
    # A committee left out ("utöver stadsbyggnadskontoret") is not part of the condition.
    question = without_frame(without_names(qplan.text, qplan.excluded))
    terms = sharpen(with_name_phrases(snap.lexical, query_terms(snap.lexical, question, qplan.language), question))
    # e5 reads the condition alone better than the whole question: on the train lists, the
    # committees' best sentence similarity ranks members at AUC 0.90 against 0.88.
    cvec = retriever.embed_query(question) if question.strip() else None
    asked = measures(qplan.text)
    want = {a[:6] for a in anchors(terms)}
    raw: list[tuple[str, Window, dict[str, float]]] = []
    for committee, rows in snap.committee_rows(qplan.group_hint, snap.mask(filters)).items():
        hit = _best_window(snap, terms, rows, combined, pol.candidates_per_committee, qvec, scorer, cvec)
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
    policy: AggregatePolicy | None = None,
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


def named_committee_evidence(
    retriever: HybridRetriever,
    qplan: QueryPlan,
    qvec: np.ndarray,
    filters: Filters | None,
    names: list[str],
    scorer: SentenceScorer | None = None,
    policy: AggregatePolicy | None = None,
) -> list[Evidence]:
    pol = policy or AggregatePolicy()
    snap, combined, _, _ = _scores(retriever, qplan, qvec, filters, pol)
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
        hit = _best_window(snap, terms, rows[name], combined, pol.candidates_per_committee, svec, scorer, paragraph=True)
        if hit:
            out.append(Evidence(hit.passage, hit.quote, label=name, alternates=hit.alternates))
    return out


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


def missing_reply_evidence(retriever: HybridRetriever, filters: Filters | None, qplan: QueryPlan) -> list[Evidence]:
    snap = retriever.snapshot()
    return _missing_notes(snap, snap.committee_rows(qplan.group_hint, snap.mask(filters), replies=False))


def _missing_notes(snap: Snapshot, missing: dict[str, np.ndarray]) -> list[Evidence]:
    """Each committee's missing-reply note, quoted without its heading."""
    out = []
    for committee, rows in missing.items():
        p = snap.passage(int(rows[0]), 1.0)
        out.append(Evidence(p, [p.text.split("\n", 1)[-1].strip() or p.text], label=committee))
    return out


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
    within = _compilation(snap, filters, retrieved)
    if within is None:
        return None
    replied = snap.committee_rows(qplan.group_hint, within)
    missing = snap.committee_rows(qplan.group_hint, within, replies=False)
    if not replied and not missing:
        return None
    evidence = _missing_notes(snap, missing) or _openings(snap, replied)  # no reply missing: every reply shown
    return ReplyCount(len(replied), len(replied) + len(missing), evidence)


def replies_evidence(
    retriever: HybridRetriever, filters: Filters | None, qplan: QueryPlan, retrieved: list[Passage]
) -> list[Evidence]:
    """"Which committees replied?" from the index's structure: the committees of the
    question's compilation (and group) whose entry is a reply, not a missing-reply note, each
    cited with its reply's opening sentence."""
    snap = retriever.snapshot()
    within = _compilation(snap, filters, retrieved)
    return [] if within is None else _openings(snap, snap.committee_rows(qplan.group_hint, within))


def _compilation(snap: Snapshot, filters: Filters | None, retrieved: list[Passage]) -> np.ndarray | None:
    """The rows of the compilation of replies a structural question is about: the one its best
    passages come from, else the largest."""
    docs = snap.compilations(snap.mask(filters))
    if not docs:
        return None
    doc = next((p.doc_id for p in retrieved if p.doc_id in docs), None)
    doc = doc or max(docs, key=lambda d: len(docs[d]))
    within = np.zeros(len(snap.ids), dtype=bool)
    within[docs[doc]] = True
    return within


def _openings(snap: Snapshot, replied: Mapping[str, np.ndarray]) -> list[Evidence]:
    """Each committee's reply, shown by its opening sentence."""
    out = []
    for committee, rows in replied.items():
        p = snap.passage(int(rows[0]), 1.0)
        out.append(Evidence(p, passage_sentences(p.text, str(p.meta.get("section_path", "")))[:1] or [p.text], label=committee))
    return out


def committee_measure_evidence(retriever: HybridRetriever, filters: Filters | None, committee: str) -> list[Evidence]:
    """The measures one committee's reply takes up — structure, not similarity: every
    measure number in its sections' headings and text (as the remiss overview reads them),
    each cited with the first sentence that names it, in the measures' order. Empty when the
    reply names no measure number (the question is then answered from its text)."""
    snap = retriever.snapshot()
    rows = snap.committee_rows(None, snap.mask(filters)).get(committee)
    found: dict[str, Evidence] = {}
    for i in rows if rows is not None else []:
        p = snap.passage(int(i), 1.0)
        section = str(p.meta.get("section_path", ""))
        sents = passage_sentences(p.text, section)
        for n in sorted(measure_numbers(f"{section} {p.text}"), key=measure_order):
            if n not in found:
                naming = [s for s in sents if n in measure_numbers(s)]
                found[n] = Evidence(p, naming[:1] or sents[:1] or [p.text], label=n)
    return [found[n] for n in sorted(found, key=measure_order)]
