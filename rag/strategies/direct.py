"""Direct answers (a fact, a number or date, an identifier, a person, a yes/no verdict, a
summary, a list of items): the learned ranker scores every sentence of the top passages, the
learned answerability model answers or refuses, and the answer quotes the best sentence with the
context it needs — or, for a summary or a list of items, the central sentences of up to three
passages. A yes/no answer leads with the learned verdict, a typed answer with the value as
written in the quote."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rag.answer import ELLIPSIS, Evidence, Frame, people_named, typed_value
from rag.decisions import Decisions
from rag.evidence import (
    PARAGRAPH_CHARS,
    QueryTerms,
    SentenceScores,
    announced,
    context_of,
    covers_anchor,
    paragraph_around,
    passage_sentences,
    query_terms,
    sentence_scores,
    stems_of,
    summary_start,
    without_frame,
    without_names,
    without_summary_lead,
)
from rag.features import answerable_row, extra_passage_row, measures, sentence_row, typed_fit, verdict_row
from rag.hybrid import HybridRetriever
from rag.query import QueryPlan
from rag.strategies.base import Asked, Gathered
from rag.text import section_title
from rag.types import Passage


@dataclass
class DirectPolicy:
    """How much the direct strategy reads and quotes (not decisions: those are learned)."""

    candidates: int = 6  # passages whose sentences the ranker scores
    max_evidence_summary: int = 3
    #: A sentence the ranker scores at least this share of its passage's best one is central
    #: to the passage: quoted by a summary or a list of items, and quoted beside the best
    #: sentence of a direct answer (``runner_up``).
    central_share: float = 0.5


def same_text(a: Passage, b: Passage) -> bool:
    """Both passages belong to the same reply (or the same single-committee document)."""
    return a.meta.get("source") == b.meta.get("source") and a.committee == b.committee


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


class DirectStrategy:
    """Takes every question no other strategy took: the dispatcher's last resort."""

    def __init__(self, retriever: HybridRetriever, decisions: Decisions, policy: DirectPolicy | None = None) -> None:
        self.retriever = retriever
        self.decisions = decisions
        self.policy = policy or DirectPolicy()

    def gather(self, asked: Asked) -> Gathered | None:
        qplan = asked.qplan
        frame = Frame(kind=qplan.kind)
        trace = self.trace(qplan, asked.retrieved, asked.scope, asked.qvec)
        evidence = self.evidence(qplan, trace)
        if evidence and qplan.yes_no:
            frame.no = self.decisions.p_no(self.verdict_features(qplan, evidence, trace, asked.named)) >= 0.5
        if evidence and qplan.numeric:
            frame.value = typed_value(
                evidence[0].sentences, trace.terms, self.retriever.snapshot().lexical, qplan.answer_type, qplan.original
            )
            if frame.value is None and qplan.likeliest_type == "identifier":
                # "Under which measure number …": the number heads the cited passage
                # ("4.2.1 Åtgärd: …", its section title), not the comment that answers.
                title = section_title(str(evidence[0].passage.meta.get("section_path", "")))
                frame.value = typed_value([title], None, None, {"identifier": 1.0}, qplan.original)
        elif evidence and qplan.kind in ("fact", "items") and qplan.likeliest_type == "person":
            # "Who signed …?": the people lead, as the quote writes them.
            frame.value = people_named(
                evidence[0].sentences, qplan.original, qplan.language, trace.terms, self.retriever.snapshot().lexical
            )
        return Gathered("yes_no" if qplan.yes_no else "direct", evidence, frame, cited_first=False)

    def trace(self, qplan: QueryPlan, ranked: list[Passage], scope: list[str], qvec: np.ndarray) -> DirectTrace:
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
            start = summary_start(p.text, str(p.meta.get("section_path", "")), sents)
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

    def evidence(self, qplan: QueryPlan, trace: DirectTrace, decide: bool = True) -> list[Evidence]:
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
        if qplan.summarise:
            # The document's own summary answers "summarise …"; more passages dilute it. It is
            # looked for among all the passages of the best passage's text, not only on top:
            # the ranker, fitted on other questions, put it fifth behind the document's heading
            # (train out of fold: citation precision +0.003, 2 up / 0 down; docs/journal.md,
            # thirty-sixth session).
            own = next((g[0] for g in ranked if g[0].summary_start is not None and same_text(g[0].passage, top.passage)), None)
            if own is not None:
                return [Evidence(own.passage, self.summary_quote(own))]
        if not stretch:
            # A yes/no answer's verdict is read from its quote: a second stretch of the passage
            # would be read too (it flipped 2 of 51 train verdicts, out of fold).
            also = None if qplan.yes_no else self.runner_up(ranked[0])
            return [Evidence(top.passage, self.quote(top, also))]
        if qplan.summarise:
            # A summary is of one text: the reply or the document the best passage belongs to.
            ranked = [g for g in ranked if same_text(g[0].passage, top.passage)]
        evidence = []
        for rank, group in enumerate(ranked[: self.policy.max_evidence_summary]):
            best = group[0]
            # A summary of a reply or a section gathers its central sentences from every
            # passage it spans, however the ranker scores them against the top one: a
            # cut-off suited "which items" and left summaries one passage long (must-mention
            # 0.29 → 0.45 on the train split's summaries, citation precision 0.59 → 0.55).
            if evidence and not qplan.summarise and not self.cites_too(qplan, top, best, rank):
                continue
            evidence.append(Evidence(best.passage, self.central(group, self.policy.central_share, fill=qplan.summarise)))
        if qplan.summarise:
            # A summary reads in the document's order, not the ranker's.
            evidence.sort(key=lambda ev: (str(ev.passage.meta.get("source", "")), int(ev.passage.meta.get("char_start") or 0)))
        return evidence

    def cites_too(self, qplan: QueryPlan, top: SentenceCandidate, best: SentenceCandidate, rank: int) -> bool:
        """Whether a list of items or a comparison also cites the passage whose best sentence
        is ``best``, after the best passage's (``top``): learned from which such passages
        hold the answer on train (out of fold, 7 of 34 did when the rule was "at least half
        the top score"). An artefact trained before the decision keeps that rule."""
        if self.decisions.extra is None:
            return best.score >= 0.5 * top.score
        return self.decisions.cites_extra(extra_passage_row(
            score=best.score, top_score=top.score, rank=rank, same_text=same_text(best.passage, top.passage),
            dense=float(best.passage.dense or 0.0), top_dense=float(top.passage.dense or 0.0), kind=qplan.kind,
        ))

    @staticmethod
    def summary_quote(c: SentenceCandidate) -> list[str]:
        """The document's summary from its start (its heading not quoted), a paragraph long."""
        assert c.summary_start is not None
        sents = [without_summary_lead(c.sentences[c.summary_start]), *c.sentences[c.summary_start + 1 :]]
        out: list[str] = []
        for sent in sents:
            if out and sum(map(len, out)) + len(sent) > PARAGRAPH_CHARS:
                break
            out.append(sent)
        return out

    def runner_up(self, group: list[SentenceCandidate]) -> int | None:
        """The passage's next-best sentence beyond the quote's reach (more than one sentence
        away from the best), when the ranker scores it central too. Out of fold on train the
        ranker's best sentence is an answer sentence for 61 % of direct questions, its best two
        for 79 %; for one in twenty the second is elsewhere in the same passage, and quoting
        it costs no citation."""
        best = group[0]
        for c in group[1:]:
            if abs(c.index - best.index) > 1:
                return c.index if c.score >= self.policy.central_share * best.score else None
        return None

    @staticmethod
    def central(group: list[SentenceCandidate], share: float, fill: bool = False) -> list[str]:
        """A passage's central sentences: those the ranker scores at least ``share`` of the
        passage's best, with the best one's successor, in document order and within a
        paragraph's length. A summary (``fill``) takes the paragraph's length from the best
        sentence outwards instead: what a reply says around its central sentence is its
        content, whatever the ranker (trained to find one answering sentence) scores it."""
        best = group[0]
        chosen = None  # every sentence of the passage
        if not fill:
            successor = min(best.index + 1, len(best.sentences) - 1)
            chosen = {c.index for c in group if c.score >= share * best.score} | {best.index, successor}
        return [best.sentences[i] for i in announced(best.sentences, paragraph_around(best.sentences, best.index, chosen))]

    @staticmethod
    def quote(c: SentenceCandidate, also: int | None = None) -> list[str]:
        """The chosen sentence with the context a claim needs, verbatim and in document order,
        and the sentence ``also`` of the same passage, set apart by "…" where text between
        them is left out."""
        sents, best, ws = c.sentences, c.index, c.scores.window
        # The neighbours carry the context a claim needs ("Endast 13 procent …" after
        # "87 procent …"); a following sentence is kept unless it is unrelated and long.
        idx = [i for i in (best - 1, best, best + 1) if 0 <= i < len(sents)]
        keep = [i for i in idx if i == best or ws[i] > 0 or (i == best + 1 and len(sents[i]) < 200)]
        shown = announced(sents, keep)
        if also is not None and also not in shown:
            shown = sorted([*shown, also])
        out: list[str] = []
        for k, i in enumerate(shown):
            if k and i > shown[k - 1] + 1:
                out.append(ELLIPSIS)
            out.append(sents[i])
        return out

    def verdict_features(self, qplan: QueryPlan, evidence: list[Evidence], trace: DirectTrace, named: list[str]) -> dict[str, float]:
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
            best=best.text,
        )
