"""Question → understanding → evidence → answer with citations (or a clear refusal).

Each step that decides something asks a learned model (:mod:`rag.decisions`): the kind of
answer wanted routes the question; for a direct answer a ranker chooses the sentence and an
answerability model decides answer-or-refuse; for "which committees …" a membership model
decides each committee; a yes/no verdict is read from the quoted evidence. What is computed
here — coverages, similarities, positions — is the models' input (:mod:`rag.features`).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rag.aggregate import (
    SentenceScorer,
    aggregate_evidence,
    committee_candidates,
    committee_measure_evidence,
    missing_reply_evidence,
    named_committee_evidence,
    named_committees,
    replies_evidence,
    reply_count_evidence,
)
from rag.answer import (
    REFUSAL,
    AnswerBackend,
    BackendUnavailable,
    Evidence,
    ExtractiveComposer,
    Frame,
    typed_value,
    valid_markers,
)
from rag.decisions import Decisions, load_decisions
from rag.evidence import (
    PARAGRAPH_CHARS,
    QueryTerms,
    SentenceScores,
    announced,
    coverage,
    covers_anchor,
    paragraph_around,
    passage_sentences,
    query_terms,
    sentence_scores,
    stems_of,
    without_frame,
    without_names,
)
from rag.features import answerable_row, given_names, measures, sentence_row, typed_fit, verdict_row
from rag.hybrid import HybridRetriever, Snapshot, lexical_text
from rag.overview import (
    CommitteeEvidence,
    MeasureInfo,
    Overview,
    View,
    build_overview,
    committee_evidence,
    compilations,
    list_measures,
    overview_plans,
)
from rag.query import QueryPlan, plan
from rag.text import section_title, split_claims
from rag.types import (
    Answer,
    ChatTurn,
    Filters,
    Passage,
    passage_to_citation,
    passage_to_retrieved,
)
from rag.verify import verify_claims

log = logging.getLogger(__name__)


@dataclass
class AnswerPolicy:
    """How much the direct strategy reads and quotes (not decisions: those are learned)."""

    top_k: int = 10
    # Fused candidates the reranker orders. RRF puts a passage only one retriever ranks
    # high below every passage of the other's top 30: at 20, a Swedish question's best
    # BM25 passage at dense rank 50 was never reranked (train recall@5 0.841 → 0.846 at 40).
    pool: int = 40
    candidates: int = 6  # passages whose sentences the ranker scores
    max_evidence_summary: int = 3


_SUMMARY_SECTION = re.compile(r"sammanfattning|summary", re.IGNORECASE)
_SUMMARY_LEAD = re.compile(r"^(sammanfattning|summary)\b\s*", re.IGNORECASE)
_SUMMARY_HEADING = re.compile(r"^\s*(sammanfattning|summary)\s*$", re.IGNORECASE | re.MULTILINE)


def _summary_start(p: Passage, sents: list[str]) -> int | None:
    """Where the document's own summary starts in this passage: at 0 if the passage is
    labelled a summary section, at the sentence after a "Sammanfattning" heading line inside
    it (short sections are packed together), or None."""
    if _SUMMARY_SECTION.search(str(p.meta.get("section_path", ""))):
        return 0
    if _SUMMARY_HEADING.search(p.text):
        return next((i for i, sent in enumerate(sents) if _SUMMARY_LEAD.match(sent)), None)
    return None


def _same_text(a: Passage, b: Passage) -> bool:
    """Both passages belong to the same reply (or the same single-committee document)."""
    return a.meta.get("source") == b.meta.get("source") and a.committee == b.committee


def context_of(p: Passage) -> str:
    """Who speaks and under which heading: counts as nearby context for every sentence."""
    return f"{p.committee} {p.meta.get('section_path', '')}"


def lexical_text_of(p: Passage) -> str:
    return lexical_text(p.text, p.meta)


@dataclass
class SentenceCandidate:
    """One sentence of a retrieved passage, scored by the ranker."""

    passage: Passage
    sentences: list[str]
    scores: SentenceScores
    index: int
    features: dict[str, float]
    summary_start: int | None
    score: float = 0.0

    @property
    def text(self) -> str:
        return self.sentences[self.index]


@dataclass
class DirectTrace:
    """What the direct strategy saw: every candidate sentence and the answerability input."""

    candidates: list[SentenceCandidate] = field(default_factory=list)
    answerable: dict[str, float] = field(default_factory=dict)
    p_answerable: float = 0.0
    terms: QueryTerms | None = None


@dataclass
class Prepared:
    """A question understood and its evidence gathered: what composing the answer needs."""

    question: str
    qplan: QueryPlan
    kind: str
    evidence: list[Evidence]
    frame: Frame
    retrieved: list[Passage]
    timings: dict[str, float]
    started: float


class RagPipeline:
    def __init__(
        self,
        retriever: HybridRetriever,
        backend: AnswerBackend | None = None,
        policy: AnswerPolicy | None = None,
        decisions: Decisions | None = None,
    ) -> None:
        self.retriever = retriever
        self.backend = backend or ExtractiveComposer()
        self.policy = policy or AnswerPolicy()
        self.decisions = decisions or load_decisions()

    def warm_up(self) -> None:
        """Load what answering reads lazily, off the request path: the given-name lists the
        typed answers read (0.3 s), so the first question does not pay for them."""
        given_names()

    # -- understanding -------------------------------------------------------------------
    def understand(
        self, question: str, history: list[ChatTurn] | None = None, filters: Filters | None = None
    ) -> tuple[QueryPlan, np.ndarray]:
        """The question's plan (kind, language, search text) and the search text's embedding."""
        snap = self.retriever.snapshot()
        names = snap.committee_names(snap.mask(filters))
        qplan, qvec = plan(question, history, self.decisions, names, self.retriever.embed_query)
        assert qvec is not None
        return qplan, qvec

    def ask(
        self,
        question: str,
        history: list[ChatTurn] | None = None,
        filters: Filters | None = None,
        id: str | None = None,  # noqa: A002 - the field name of the answer contract
    ) -> Answer:
        prep = self._prepare(question, history, filters)
        t0 = time.perf_counter()
        text = self._compose(prep) if prep.evidence else REFUSAL[prep.qplan.language]
        prep.timings["answer"] = time.perf_counter() - t0
        return self._finish(prep, text, id)

    def _compose(self, prep: Prepared) -> str:
        """The whole answer text from the backend; a generated one keeps only checked claims."""
        text = self.backend.compose(prep.qplan.original, prep.qplan.language, prep.evidence, prep.kind, prep.frame)
        if not isinstance(self.backend, ExtractiveComposer):
            text = self._checked(text, prep.evidence, prep.qplan, prep.kind, prep.frame)
        return text

    def _prepare(self, question: str, history: list[ChatTurn] | None, filters: Filters | None) -> Prepared:
        """Understanding, retrieval and evidence: everything before the answer text."""
        started = time.perf_counter()
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        qplan, qvec = self.understand(question, history, filters)
        timings["embed"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        runners_up: list[Passage] = []
        named = self._named(qplan, filters)
        scoped = self._scope(qplan, named, filters)
        retrieved = self._retrieve(qplan, qvec, scoped, timings)
        if scoped is not filters and not retrieved:
            retrieved = self._retrieve(qplan, qvec, filters, timings)
        frame = Frame(kind=qplan.kind)
        if qplan.replies_counted and (counted := reply_count_evidence(self.retriever, filters, qplan, retrieved)):
            kind, evidence = "replied", counted.evidence
            frame.count, frame.total = counted.replied, counted.total
        elif qplan.lists_replies and (replies := replies_evidence(self.retriever, filters, qplan, retrieved)):
            kind, evidence = "replies", replies
        elif qplan.missing_replies:
            kind, evidence = "missing", missing_reply_evidence(self.retriever, filters, qplan)
        elif len(named) == 1 and qplan.lists_identifiers and (measured := committee_measure_evidence(self.retriever, filters, named[0])):
            kind, evidence = "measures", measured
        elif len(named) >= 2 and not qplan.aggregate:
            kind = "compare"
            evidence = named_committee_evidence(self.retriever, qplan, qvec, filters, named, self._scorer(qplan, qvec))
        elif qplan.aggregate:
            scorer = self._scorer(qplan, qvec)
            listed = aggregate_evidence(self.retriever, qplan, qvec, filters, self.decisions, scorer)
            kind, evidence, runners_up = "aggregate", listed.evidence, listed.runners_up
        else:
            kind = "yes_no" if qplan.yes_no else "direct"
            trace = self.direct_trace(qplan, retrieved, named if scoped is not filters else [], qvec)
            evidence = self._direct_evidence(qplan, trace)
            if evidence and qplan.yes_no:
                frame.no = self.decisions.p_no(self._verdict_features(qplan, evidence, trace, named)) >= 0.5
            if evidence and qplan.numeric:
                frame.value = typed_value(
                    evidence[0].sentences, trace.terms, self.retriever.snapshot().lexical, qplan.answer_type, qplan.original
                )
                if frame.value is None and qplan.likeliest_type == "identifier":
                    # "Under which measure number …": the number heads the cited passage
                    # ("4.2.1 Åtgärd: …", its section title), not the comment that answers.
                    title = section_title(str(evidence[0].passage.meta.get("section_path", "")))
                    frame.value = typed_value([title], None, None, {"identifier": 1.0}, qplan.original)
        if kind in ("aggregate", "missing", "measures", "replies"):
            frame.count = len(evidence)
        timings["rerank"] = time.perf_counter() - t0

        if kind in ("aggregate", "compare", "missing", "measures", "replied", "replies") and evidence:
            # What the answer was built from is what was retrieved: each committee's passage,
            # then the committees' other passages that say the same.
            first = [ev.passage for ev in evidence]
            first += [alt for ev in evidence for alt in ev.alternates]
            # Then the committees ranked next for membership, before passages of no ranking.
            first += runners_up
            first = list({p.id: p for p in first}.values())  # in order of first occurrence
            ids = {p.id for p in first}
            retrieved = first + [p for p in retrieved if p.id not in ids]
        return Prepared(question, qplan, kind, evidence, frame, retrieved, timings, started)

    def _finish(self, prep: Prepared, text: str, id: str | None = None) -> Answer:  # noqa: A002
        """The answer contract around the text: markers that resolve, citations, refusal."""
        refused = not prep.evidence
        text, used = valid_markers(text, len(prep.evidence))
        citations = [passage_to_citation(n, ev.passage) for n, ev in enumerate(prep.evidence, start=1) if n in used]
        if not refused and not citations:
            refused, text = True, REFUSAL[prep.qplan.language]
        return Answer(
            id=id,
            question=prep.question,
            answer=text,
            refused=refused,
            language=prep.qplan.language,
            strategy="refuse" if refused else prep.kind,
            citations=citations,
            retrieved=[passage_to_retrieved(p) for p in prep.retrieved[:10]],
            latency_s=round(time.perf_counter() - prep.started, 4),
            timings={k: round(v, 4) for k, v in prep.timings.items()},
        )

    def stream(self, question: str, history: list[ChatTurn] | None = None, filters: Filters | None = None) -> Iterator[str | Answer]:
        """Answer text as it is produced, then the whole :class:`Answer`.

        The extractive answer streams its parts (lines) as composed. A generative backend's
        text streams sentence by sentence: each complete sentence passes the claim check
        (re-pointed or dropped, as for a whole answer) before it is sent; if no sentence
        survives, or the endpoint fails before writing, the extractive answer is sent instead.
        The final :class:`Answer` holds exactly the text that was streamed.
        """
        prep = self._prepare(question, history, filters)
        t0 = time.perf_counter()
        qplan, evidence = prep.qplan, prep.evidence
        sent: list[str] = []
        if not evidence:
            sent.append(REFUSAL[qplan.language])
            yield sent[-1]
        elif isinstance(self.backend, ExtractiveComposer) or not hasattr(self.backend, "compose_stream"):
            parts = self._compose(prep).split("\n")
            for i, part in enumerate(parts):
                sent.append(part + ("\n" if i < len(parts) - 1 else ""))
                yield sent[-1]
        else:
            for piece in self._checked_stream(prep):
                sent.append(piece)
                yield piece
        prep.timings["answer"] = time.perf_counter() - t0
        yield self._finish(prep, "".join(sent))

    def _checked_stream(self, prep: Prepared) -> Iterator[str]:
        """The generative backend's sentences that pass the claim check, as they complete."""
        qplan, evidence = prep.qplan, prep.evidence
        snap = self.retriever.snapshot()

        def check(sentence: str) -> str:
            checked = verify_claims(sentence, evidence, snap.lexical, self.retriever.embed_query, self._vector_of(snap))
            text, used = valid_markers(checked.text, len(evidence))
            return text if used else ""  # a sentence without a resolving marker is not sent

        backend: Any = self.backend
        buffer, kept = "", 0
        try:
            for delta in backend.compose_stream(qplan.original, qplan.language, evidence, prep.kind, prep.frame):
                buffer += delta
                # A finished line is finished; within the last line the last claim may still
                # grow (its marker can follow its full stop).
                *lines, buffer = buffer.split("\n")
                complete = [c for line in lines for c in split_claims(line)]
                claims = split_claims(buffer)
                complete += claims[:-1]
                buffer = claims[-1] if claims else ""
                for claim in complete:
                    out = check(claim)
                    if out:
                        kept += 1
                        yield out + " "
        except BackendUnavailable:
            buffer = ""
        if buffer.strip():
            out = check(buffer)
            if out:
                kept += 1
                yield out
        if not kept:
            yield ExtractiveComposer().compose(qplan.original, qplan.language, evidence, prep.kind, prep.frame)

    # -- remiss overview ---------------------------------------------------------------------
    def overview(self, query: str, filters: Filters | None = None, doc_id: str | None = None) -> Overview:
        """Every committee's stance on a measure ("4.3.2") or a topic, with deciding sentences."""
        return build_overview(self.retriever, self.decisions, self._views(query, filters), filters, doc_id)

    def _views(self, query: str, filters: Filters | None) -> list[View]:
        """Each way the overview searches for ``query``, embedded, with its sentence ranker."""
        views = []
        for qplan in overview_plans(query, self.retriever.snapshot(), filters):
            qvec = self.retriever.embed_query(qplan.text)
            views.append((qplan, qvec, self._scorer(qplan, qvec)))
        return views

    def overview_evidence(self, query: str, doc_id: str | None = None) -> list[list[CommitteeEvidence]]:
        """What the overview's models read for each replying committee, per view of the query
        (``radslag train``)."""
        snap = self.retriever.snapshot()
        comps = compilations(snap)
        doc = doc_id or (comps[0].doc_id if comps else "")
        return [committee_evidence(self.retriever, qplan, qvec, None, scorer, doc) for qplan, qvec, scorer in self._views(query, None)]

    def measures(self, filters: Filters | None = None) -> list[MeasureInfo]:
        """The measures the compilation's replies discuss, with the committees naming each."""
        return list_measures(self.retriever.snapshot(), filters)

    # -- training support ------------------------------------------------------------------
    def trace(self, question: str, history: list[ChatTurn] | None = None) -> dict[str, Any]:
        """Every decision's input for one question, whatever the route (``radslag train``)."""
        qplan, qvec = self.understand(question, history)
        named = self._named(qplan, None)
        scoped = self._scope(qplan, named, None)
        retrieved = self._retrieve(qplan, qvec, scoped, {}) or self._retrieve(qplan, qvec, None, {})
        direct = self.direct_trace(qplan, retrieved, named if scoped is not None else [], qvec)
        # Every sentence the ranker scored in each committee's reply, kept with its features:
        # list questions teach the ranker which sentence states a committee's position.
        scored: list[tuple[Passage, list[str], list[dict[str, float]]]] = []
        candidates, _ = committee_candidates(self.retriever, qplan, qvec, None, self._scorer(qplan, qvec, scored))
        verdict = None
        if self.decisions.sentence is not None:
            evidence = self._direct_evidence(qplan, direct, decide=False)
            if evidence:
                verdict = self._verdict_features(qplan, evidence, direct, named)
        return {
            "plan": qplan, "qvec": qvec, "direct": direct, "committees": candidates, "verdict": verdict, "named": named,
            "committee_sentences": scored,
        }

    def _scorer(
        self, qplan: QueryPlan, qvec: np.ndarray, record: list[tuple[Passage, list[str], list[dict[str, float]]]] | None = None
    ) -> SentenceScorer | None:
        """The sentence ranker, for the windows of each committee's reply (``record`` keeps
        what it scored, for training)."""
        snap = self.retriever.snapshot()
        asked = measures(qplan.text)

        def score(p: Passage, sents: list[str], sc: SentenceScores, sims: np.ndarray, rank: int) -> np.ndarray:
            row = snap.row.get(p.id)
            dense = float(snap.vectors[row] @ qvec) if row is not None else 0.0
            start = _summary_start(p, sents)
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
            if self.decisions.sentence is None:
                return np.asarray(sc.window)
            return self.decisions.sentence_scores(rows)

        return score

    # -- routing ----------------------------------------------------------------------------
    def _named(self, qplan: QueryPlan, filters: Filters | None) -> list[str]:
        # A follow-up that names its own committees ("Och vad säger Farsta?") is about those:
        # by name, and in other words when it compares ("… Norrmalm and the sports
        # administration …"), not the previous message's.
        if qplan.follow_up and (qplan.own_committees or qplan.resolved):
            return [*qplan.own_committees, *qplan.resolved]  # the plan resolves only names not given
        snap = self.retriever.snapshot()
        named = named_committees(qplan.text, snap, filters)
        if qplan.resolved:
            visible = snap.committee_names(snap.mask(filters))
            return [*named, *(n for n in qplan.resolved if n in visible and n not in named)]
        return named

    @staticmethod
    def _scope(qplan: QueryPlan, named: list[str], filters: Filters | None) -> Filters | None:
        if len(named) == 1 and not qplan.aggregate:
            # A question about one committee is answered from that committee's texts.
            return (filters or Filters()).model_copy(update={"committee": named})
        return filters

    @staticmethod
    def _vector_of(snap: Snapshot) -> Callable[[str], np.ndarray | None]:
        """A chunk's stored passage vector by id (None when the snapshot lacks it)."""

        def vector(chunk_id: str) -> np.ndarray | None:
            row = snap.row.get(chunk_id)
            return None if row is None else snap.vectors[row]

        return vector

    def _checked(self, text: str, evidence: list[Evidence], qplan: QueryPlan, kind: str, frame: Frame) -> str:
        """A generated answer keeps only claims its citations support (see rag/verify.py);
        if none survives, the extractive answer stands in."""
        extractive = ExtractiveComposer().compose(qplan.original, qplan.language, evidence, kind, frame)
        if text == extractive:
            return text  # the backend fell back: verbatim quotes need no check
        snap = self.retriever.snapshot()
        checked = verify_claims(text, evidence, snap.lexical, self.retriever.embed_query, self._vector_of(snap))
        if checked.dropped or checked.repaired:
            log.info("answer check: kept %d, repaired %d, dropped %d claims", checked.kept, checked.repaired, len(checked.dropped))
        return checked.text if checked.kept or checked.repaired else extractive

    # -- retrieval ----------------------------------------------------------------------------
    def _retrieve(self, qplan: QueryPlan, qvec: np.ndarray, filters: Filters | None, timings: dict[str, float]) -> list[Passage]:
        fused = self.retriever.retrieve(qplan.text, qvec, self.policy.pool, filters, timings)
        return self._rerank(qplan, qvec, fused)[: self.policy.top_k]

    def _rerank(self, qplan: QueryPlan, qvec: np.ndarray, passages: list[Passage]) -> list[Passage]:
        """Order by dense similarity plus IDF-weighted coverage of the question's terms."""
        snap = self.retriever.snapshot()
        terms = query_terms(snap.lexical, qplan.text, qplan.language)
        for p in passages:
            row = snap.row.get(p.id)
            p.dense = float(snap.vectors[row] @ qvec) if row is not None else (p.dense or 0.0)
            p.lexical = coverage(snap.lexical, terms, lexical_text_of(p))
            # English words seldom occur in the Swedish text, so for English questions the
            # lexical coverage is mostly noise from names and cognates: rank by dense alone.
            p.score = p.dense + (0.05 if qplan.language == "en" else 0.25) * p.lexical
        return sorted(passages, key=lambda p: -p.score)

    # -- the direct strategy --------------------------------------------------------------------
    def direct_trace(self, qplan: QueryPlan, ranked: list[Passage], scope: list[str], qvec: np.ndarray) -> DirectTrace:
        """Score every sentence of the top passages and compute the answerability features."""
        trace = DirectTrace()
        if not ranked:
            trace.answerable = answerable_row(
                kind=qplan.kind, lang_en=qplan.language == "en", dense=[], best_window=0.0, best_own=0.0,
                best_sentence=0.0, best_sim=0.0, top_sim=0.0, missing_share=1.0, anchor=False, n_terms=0, named=len(scope),
                named_missing=False, measure_asked=bool(measures(qplan.text)), measure_found=False,
            )
            return trace
        snap = self.retriever.snapshot()
        # Within one committee's texts its name, and words that frame the question ("anser",
        # "säger"), tell no sentence from another.
        terms = query_terms(snap.lexical, without_frame(without_names(qplan.text, scope), entities=False), qplan.language)
        trace.terms = terms
        asked = measures(qplan.text)
        top = ranked[: self.policy.candidates]
        max_dense = max(float(p.dense or 0.0) for p in top)
        per_passage = []
        for p in top:
            sents = passage_sentences(p.text, str(p.meta.get("section_path", "")))
            if sents:
                sims = snap.sentence_similarities(p, len(sents), qvec)
                per_passage.append((p, sents, sentence_scores(snap.lexical, terms, sents, context_of(p)), sims))
        max_window = max((max(sc.window) for _, _, sc, _ in per_passage), default=0.0)
        max_own = max((max(sc.own) for _, _, sc, _ in per_passage), default=0.0)
        max_sim = max((float(sims.max()) for *_, sims in per_passage), default=0.0)
        for rank, (p, sents, sc, sims) in enumerate(per_passage):
            start = _summary_start(p, sents)
            for i, sent in enumerate(sents):
                row = sentence_row(
                    kind=qplan.kind, window=sc.window[i], own=sc.own[i], max_window=max_window, max_own=max_own,
                    dense=float(p.dense or 0.0), max_dense=max_dense, rank=rank, position=i, n_sentences=len(sents),
                    sentence=sent, question_measures=asked, in_summary=start is not None and i >= start,
                    lang_en=qplan.language == "en", sim=float(sims[i]), max_sim=max_sim,
                    wanted=qplan.answer_type,
                )
                trace.candidates.append(SentenceCandidate(p, sents, sc, i, row, start))
        if self.decisions.sentence is not None and trace.candidates:
            scores = self.decisions.sentence_scores([c.features for c in trace.candidates])
            for c, s in zip(trace.candidates, scores, strict=True):
                c.score = float(s)
        best = max(trace.candidates, key=lambda c: c.score, default=None)
        # What the answer would quote: the best sentence and its neighbours.
        quoted = " ".join(best.sentences[max(0, best.index - 1) : best.index + 2]) if best else ""
        all_text = " ".join(p.text for p in top)
        scope_missing = bool(scope) and all(p.meta.get("reply_missing") for p in top)
        trace.answerable = answerable_row(
            kind=qplan.kind,
            lang_en=qplan.language == "en",
            dense=[float(p.dense or 0.0) for p in top],
            best_window=max_window,
            best_own=max_own,
            best_sentence=best.score if best else 0.0,
            best_sim=best.features["sim"] if best else 0.0,
            top_sim=max_sim,
            missing_share=terms.missing / terms.total,
            anchor=covers_anchor(snap.lexical, terms, [p.text + " " + context_of(p) for p in top[:5]]),
            n_terms=len(terms.weights),
            named=len(scope),
            named_missing=scope_missing,
            measure_asked=bool(asked),
            measure_found=bool(asked & measures(all_text)),
            type_fit=typed_fit(qplan.answer_type, quoted) if best else None,
        )
        if self.decisions.answerable is not None:
            trace.p_answerable = self.decisions.p_answerable(trace.answerable)
        return trace

    def _direct_evidence(self, qplan: QueryPlan, trace: DirectTrace, decide: bool = True) -> list[Evidence]:
        """Quote the ranker's best sentence (with the context it needs) — or refuse when the
        answerability model says the passages do not answer the question. A summary, a
        comparison or a list of items quotes the central sentences of up to three passages."""
        if not trace.candidates or (decide and not self.decisions.answerable_at(trace.p_answerable)):
            return []
        by_passage: dict[str, list[SentenceCandidate]] = {}
        for c in sorted(trace.candidates, key=lambda c: -c.score):
            by_passage.setdefault(c.passage.id, []).append(c)
        ranked = list(by_passage.values())
        top = ranked[0][0]
        stretch = qplan.summary or qplan.kind == "items"
        if qplan.summarise and top.summary_start is not None:
            # The document's own summary answers "summarise …"; more passages dilute it.
            return [Evidence(top.passage, self._summary_quote(top))]
        if not stretch:
            return [Evidence(top.passage, self._quote(top))]
        if qplan.summarise:
            # A summary is of one text: the reply or the document the best passage belongs to.
            ranked = [g for g in ranked if _same_text(g[0].passage, top.passage)]
        evidence = []
        for group in ranked[: self.policy.max_evidence_summary]:
            best = group[0]
            # A summary of a reply or a section gathers its central sentences from every
            # passage it spans, however the ranker scores them against the top one: the
            # cut-off suited "which items" and left summaries one passage long (must-mention
            # 0.29 → 0.45 on the train split's summaries, citation precision 0.59 → 0.55).
            if evidence and best.score < 0.5 * top.score and not qplan.summarise:
                break
            evidence.append(Evidence(best.passage, self._central(group, fill=qplan.summarise)))
        if qplan.summarise:
            # A summary reads in the document's order, not the ranker's.
            evidence.sort(key=lambda ev: (str(ev.passage.meta.get("source", "")), int(ev.passage.meta.get("char_start") or 0)))
        return evidence

    @staticmethod
    def _summary_quote(c: SentenceCandidate) -> list[str]:
        """The document's summary from its start (its heading not quoted), a paragraph long."""
        assert c.summary_start is not None
        sents = [_SUMMARY_LEAD.sub("", c.sentences[c.summary_start]), *c.sentences[c.summary_start + 1 :]]
        out: list[str] = []
        for sent in sents:
            if out and sum(map(len, out)) + len(sent) > PARAGRAPH_CHARS:
                break
            out.append(sent)
        return out

    @staticmethod
    def _central(group: list[SentenceCandidate], fill: bool = False) -> list[str]:
        """A passage's central sentences: those the ranker scores at least half as high as the
        passage's best, with the best one's successor, in document order and within a
        paragraph's length. A summary (``fill``) takes the paragraph's length from the best
        sentence outwards instead: what a reply says around its central sentence is its
        content, whatever the ranker (trained to find one answering sentence) scores it."""
        best = group[0]
        chosen = None  # every sentence of the passage
        if not fill:
            successor = min(best.index + 1, len(best.sentences) - 1)
            chosen = {c.index for c in group if c.score >= 0.5 * best.score} | {best.index, successor}
        return [best.sentences[i] for i in announced(best.sentences, paragraph_around(best.sentences, best.index, chosen))]

    @staticmethod
    def _quote(c: SentenceCandidate) -> list[str]:
        """The chosen sentence with the context a claim needs, verbatim and in document order."""
        sents, best, ws = c.sentences, c.index, c.scores.window
        # The neighbours carry the context a claim needs ("Endast 13 procent …" after
        # "87 procent …"); a following sentence is kept unless it is unrelated and long.
        idx = [i for i in (best - 1, best, best + 1) if 0 <= i < len(sents)]
        keep = [i for i in idx if i == best or ws[i] > 0 or (i == best + 1 and len(sents[i]) < 200)]
        return [sents[i] for i in announced(sents, keep)]

    def _verdict_features(self, qplan: QueryPlan, evidence: list[Evidence], trace: DirectTrace, named: list[str]) -> dict[str, float]:
        p = evidence[0].passage
        best = max(trace.candidates, key=lambda c: c.score)
        quote = " ".join(evidence[0].sentences)
        held = stems_of(self.retriever.snapshot().lexical, quote + " " + p.committee)
        uncovered_max, uncovered_share = trace.terms.uncovered(held) if trace.terms is not None else (0.0, 0.0)
        return verdict_row(
            quote=quote,
            question=qplan.original,
            coverage=best.scores.window[best.index],
            reply_missing=bool(p.meta.get("reply_missing")),
            named_missing=trace.answerable.get("named_missing", 0.0) > 0,
            uncovered_max=uncovered_max,
            uncovered_share=uncovered_share,
            sim=best.features.get("sim", 0.0),
        )
