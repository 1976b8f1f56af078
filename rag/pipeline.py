"""Question → understanding → evidence → answer with citations (or a clear refusal).

``RagPipeline`` is the one entry point for api/, ui/ and eval/. It understands the question
(:func:`rag.query.plan`: the learned kind, language, scope), retrieves, lets the answer
strategies (:mod:`rag.strategies`) gather the evidence — the first that takes the question —
and composes the answer with the backend. Each step that decides something asks a learned model
(:mod:`rag.decisions`); what is computed — coverages, similarities, positions — is the models'
input (:mod:`rag.features`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rag.answer import (
    REFUSAL,
    AnswerBackend,
    BackendUnavailable,
    Evidence,
    ExtractiveComposer,
    Frame,
    valid_markers,
)
from rag.decisions import Decisions, load_decisions
from rag.evidence import FRAME_WORDS, coverage, query_terms
from rag.features import given_names
from rag.hybrid import HybridRetriever, lexical_text
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
from rag.strategies import (
    Asked,
    CommitteesStrategy,
    CompareStrategy,
    DirectPolicy,
    DirectStrategy,
    MeasuresStrategy,
    MissingRepliesStrategy,
    RepliesStrategy,
    ReplyCountStrategy,
    ReplyExistsStrategy,
    Strategy,
)
from rag.text import split_claims
from rag.types import (
    Answer,
    ChatTurn,
    Filters,
    Passage,
    passage_to_citation,
    passage_to_retrieved,
)
from rag.verify import verify_claims
from rag.windows import SentenceScorer, committee_candidates, named_committees, sentence_scorer

log = logging.getLogger(__name__)


@dataclass
class AnswerPolicy:
    """How much the search reads, and how much the direct strategy reads and quotes (not
    decisions: those are learned)."""

    top_k: int = 10
    # Fused candidates the reranker orders. RRF puts a passage only one retriever ranks
    # high below every passage of the other's top 30: at 20, a Swedish question's best
    # BM25 passage at dense rank 50 was never reranked (train recall@5 0.841 → 0.846 at 40).
    pool: int = 40
    # Weight of the passage's word alignment to the question (ingest/token_states.py) in the
    # rerank, beside the coverage weights. English questions had only the pooled passage
    # similarity here (their words seldom occur in the Swedish text); the alignment finds
    # their words' translations. Chosen on the train split out of fold: 0.25 and 0.5 agree,
    # 1.0 is worse; retrained at 0.25, R@1 +0.039, recall@5 +0.016, must-mention +0.018
    # (docs/journal.md, 33rd and 34th sessions).
    alignment_weight: float = 0.25
    direct: DirectPolicy = field(default_factory=DirectPolicy)


def lexical_text_of(p: Passage) -> str:
    return lexical_text(p.text, p.meta)


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
        self.direct = DirectStrategy(retriever, self.decisions, self.policy.direct)
        #: The dispatcher's order: structural questions first (answered from the index's
        #: metadata when it holds what they ask), then committee questions, then the direct
        #: strategy, which takes every question the others did not.
        self.strategies: tuple[Strategy, ...] = (
            ReplyCountStrategy(retriever),
            RepliesStrategy(retriever),
            ReplyExistsStrategy(retriever),
            MissingRepliesStrategy(retriever),
            MeasuresStrategy(retriever),
            CompareStrategy(retriever, self._scorer),
            CommitteesStrategy(retriever, self.decisions, self._scorer),
            self.direct,
        )

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
        named = self.committees_named(qplan, filters)
        scoped = self._scope(qplan, named, filters)
        retrieved = self._retrieve(qplan, qvec, scoped, timings)
        if scoped is not filters and not retrieved:
            retrieved = self._retrieve(qplan, qvec, filters, timings)
        asked = Asked(qplan, qvec, filters, named, named if scoped is not filters else [], retrieved)
        gathered = next(g for strategy in self.strategies if (g := strategy.gather(asked)) is not None)
        kind, evidence = gathered.kind, gathered.evidence
        timings["rerank"] = time.perf_counter() - t0

        if gathered.cited_first and evidence:
            # What the answer was built from is what was retrieved: each committee's passage,
            # then the committees' other passages that say the same.
            first = [ev.passage for ev in evidence]
            first += [alt for ev in evidence for alt in ev.alternates]
            # Then the committees ranked next for membership, before passages of no ranking.
            first += gathered.runners_up
            first = list({p.id: p for p in first}.values())  # in order of first occurrence
            ids = {p.id for p in first}
            retrieved = first + [p for p in retrieved if p.id not in ids]
        return Prepared(question, qplan, kind, evidence, gathered.frame, retrieved, timings, started)

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
            checked = verify_claims(sentence, evidence, snap.lexical, self.retriever.embed_query, snap.vector_of)
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
        named = self.committees_named(qplan, None)
        scoped = self._scope(qplan, named, None)
        retrieved = self._retrieve(qplan, qvec, scoped, {}) or self._retrieve(qplan, qvec, None, {})
        direct = self.direct.trace(qplan, retrieved, named if scoped is not None else [], qvec)
        # Every sentence the ranker scored in each committee's reply, kept with its features:
        # list questions teach the ranker which sentence states a committee's position.
        scored: list[tuple[Passage, list[str], list[dict[str, float]]]] = []
        candidates, _ = committee_candidates(self.retriever, qplan, qvec, None, self._scorer(qplan, qvec, scored))
        verdict = None
        if self.decisions.sentence is not None:
            evidence = self.direct.evidence(qplan, direct, decide=False)
            if evidence:
                verdict = self.direct.verdict_features(qplan, evidence, direct, named)
        return {
            "plan": qplan, "qvec": qvec, "direct": direct, "committees": candidates, "verdict": verdict, "named": named,
            "committee_sentences": scored,
        }

    def _scorer(
        self, qplan: QueryPlan, qvec: np.ndarray, record: list[tuple[Passage, list[str], list[dict[str, float]]]] | None = None
    ) -> SentenceScorer:
        """The sentence ranker, for the windows of each committee's reply (``record`` keeps
        what it scored, for training)."""
        return sentence_scorer(self.retriever, self.decisions, qplan, qvec, record)

    # -- routing ----------------------------------------------------------------------------
    def committees_named(self, qplan: QueryPlan, filters: Filters | None) -> list[str]:
        """The committees a question is about by name (or by words the plan resolved to one)."""
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

    def _checked(self, text: str, evidence: list[Evidence], qplan: QueryPlan, kind: str, frame: Frame) -> str:
        """A generated answer keeps only claims its citations support (see rag/verify.py);
        if none survives, the extractive answer stands in."""
        extractive = ExtractiveComposer().compose(qplan.original, qplan.language, evidence, kind, frame)
        if text == extractive:
            return text  # the backend fell back: verbatim quotes need no check
        snap = self.retriever.snapshot()
        checked = verify_claims(text, evidence, snap.lexical, self.retriever.embed_query, snap.vector_of)
        if checked.dropped or checked.repaired:
            log.info("answer check: kept %d, repaired %d, dropped %d claims", checked.kept, checked.repaired, len(checked.dropped))
        return checked.text if checked.kept or checked.repaired else extractive

    # -- retrieval ----------------------------------------------------------------------------
    def _retrieve(self, qplan: QueryPlan, qvec: np.ndarray, filters: Filters | None, timings: dict[str, float]) -> list[Passage]:
        fused = self.retriever.retrieve(qplan.text, qvec, self.policy.pool, filters, timings)
        return self.rerank(qplan, qvec, fused)[: self.policy.top_k]

    def rerank(self, qplan: QueryPlan, qvec: np.ndarray, passages: list[Passage]) -> list[Passage]:
        """Order by dense similarity plus IDF-weighted coverage of the question's terms plus
        the passage's word alignment to the question's content (framing words left out, each
        word weighted by its IDF: a rare word found says more than a common one)."""
        snap = self.retriever.snapshot()
        terms = query_terms(snap.lexical, qplan.text, qplan.language)
        qwords = self.retriever.query_words(qplan.text, skip=FRAME_WORDS)
        weights = snap.lexical.word_idf(qwords.words)
        for p in passages:
            dense = snap.similarity(p.id, qvec)
            p.dense = dense if dense is not None else (p.dense or 0.0)
            p.lexical = coverage(snap.lexical, terms, lexical_text_of(p))
            # English words seldom occur in the Swedish text, so for English questions the
            # lexical coverage is mostly noise from names and cognates: the dense similarity
            # and the word alignment rank them.
            p.score = p.dense + (0.05 if qplan.language == "en" else 0.25) * p.lexical
            p.score += self.policy.alignment_weight * snap.alignment(p.id, qwords.vectors, weights)
        return sorted(passages, key=lambda p: -p.score)
