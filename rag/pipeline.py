"""Question → plan → retrieve → rerank → answer with citations (or a clear refusal)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rag.aggregate import (
    aggregate_evidence,
    missing_reply_evidence,
    named_committee_evidence,
    named_committees,
)
from rag.answer import REFUSAL, AnswerBackend, Evidence, ExtractiveComposer, valid_markers
from rag.evidence import (
    SentenceScores,
    anchors,
    coverage,
    covers_anchor,
    passage_sentences,
    query_terms,
    sentence_scores,
    without_frame,
    without_names,
)
from rag.hybrid import HybridRetriever, Snapshot, lexical_text
from rag.lexical import raw_tokens
from rag.query import QueryPlan, plan
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
    """Thresholds of the direct strategy (tuned on the development set, see eval/)."""

    top_k: int = 10
    min_coverage: float = 0.25  # share of question IDF weight the best sentence window must hold
    number_bonus: float = 0.1
    summary_bonus: float = 0.1  # "summarise …" prefers the document's own summary section
    min_dense: float = 0.83  # English questions with no lexical anchor: dense similarity instead
    coverage_weight: float = 0.5
    max_evidence: int = 1  # a fact rests on one passage; extra citations mostly dilute
    max_evidence_summary: int = 3
    second_ratio: float = 0.75  # a further passage must cover this share of the best one's terms
    second_margin: float = 0.08  # ...and score at most this far below it


_NUMBER = re.compile(
    r"\d|\b(två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|tretton|fjorton|femton|sexton|"
    r"tjugo|trettio|hundra|tusen|miljon\w*|hälften|procent)\b",
    re.IGNORECASE,
)
_SUMMARY_SECTION = re.compile(r"sammanfattning|summary", re.IGNORECASE)
SUMMARY_CHARS = 900


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


def _counts(snap: Snapshot, want: set[str], sentence: str) -> bool:
    """Does the sentence hold a number and a word starting like one of ``want``?"""
    if not _NUMBER.search(sentence):
        return False
    return any(t.startswith(w) for t in snap.lexical._analyse(raw_tokens(sentence)) for w in want)  # noqa: SLF001


def context_of(p: Passage) -> str:
    """Who speaks and under which heading: counts as nearby context for every sentence."""
    return f"{p.committee} {p.meta.get('section_path', '')}"


def lexical_text_of(p: Passage) -> str:
    return lexical_text(p.text, p.meta)


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
        named = named_committees(qplan.text, self.retriever.snapshot(), filters)
        scoped = filters
        if len(named) == 1 and not qplan.aggregate:  # noqa: SIM102
            # A question about one committee is answered from that committee's texts.
            scoped = (filters or Filters()).model_copy(update={"committee": named})
        retrieved = self._retrieve(qplan, qvec, scoped, timings)
        if scoped is not filters and not retrieved:
            retrieved = self._retrieve(qplan, qvec, filters, timings)
        if qplan.aggregate and qplan.missing_replies:
            kind, evidence = "missing", missing_reply_evidence(self.retriever, filters, qplan)
        elif len(named) >= 2 and not (qplan.aggregate and not qplan.summary and len(named) > 3):
            kind = "compare"
            evidence = named_committee_evidence(self.retriever, qplan, qvec, filters, named)
        elif qplan.aggregate:
            kind, evidence = "aggregate", aggregate_evidence(self.retriever, qplan, qvec, filters)
        else:
            kind = "yes_no" if qplan.yes_no else "direct"
            evidence = self._direct_evidence(qplan, retrieved, named if scoped is not filters else [])
        timings["rerank"] = time.perf_counter() - t0

        if kind in ("aggregate", "compare", "missing") and evidence:
            # What the answer was built from is what was retrieved: each committee's passage,
            # then the committees' other passages that say the same.
            first = [ev.passage for ev in evidence]
            first += [alt for ev in evidence for alt in ev.alternates]
            ids = {p.id for p in first}
            retrieved = first + [p for p in retrieved if p.id not in ids]
        t0 = time.perf_counter()
        refused = not evidence
        text = REFUSAL[qplan.language] if refused else self.backend.compose(qplan.original, qplan.language, evidence, kind)
        if not refused and not isinstance(self.backend, ExtractiveComposer):
            text = self._checked(text, evidence, qplan, kind)
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

    def _checked(self, text: str, evidence: list[Evidence], qplan: QueryPlan, kind: str) -> str:
        """A generated answer keeps only claims its citations support (see rag/verify.py);
        if none survives, the extractive answer stands in."""
        extractive = ExtractiveComposer().compose(qplan.original, qplan.language, evidence, kind)
        if text == extractive:
            return text  # the backend fell back: verbatim quotes need no check
        snap = self.retriever.snapshot()

        def vector(chunk_id: str) -> np.ndarray | None:
            row = snap.row.get(chunk_id)
            return None if row is None else snap.vectors[row]

        checked = verify_claims(text, evidence, snap.lexical, self.retriever.embed_query, vector)
        if checked.dropped or checked.repaired:
            log.info("answer check: kept %d, repaired %d, dropped %d claims", checked.kept, checked.repaired, len(checked.dropped))
        return checked.text if checked.kept or checked.repaired else extractive

    # -- strategies ----------------------------------------------------------------------
    def _retrieve(self, qplan: QueryPlan, qvec: np.ndarray, filters: Filters | None, timings: dict[str, float]) -> list[Passage]:
        fused = self.retriever.retrieve(qplan.text, qvec, max(self.policy.top_k * 2, 20), filters, timings)
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

    @staticmethod
    def _quote(qplan: QueryPlan, sents: list[str], sc: SentenceScores, best: int) -> list[str]:
        """The best window's sentences, verbatim and in document order.

        Summaries and English questions (whose terms rarely match the Swedish text) quote a
        longer stretch, since the sentence choice is less certain.
        """
        ws = sc.window
        if qplan.summary:
            # A summary quotes a stretch, not a sentence: from the best sentence's predecessor
            # on, as much as reads in a paragraph.
            out: list[str] = []
            for sent in sents[max(0, best - 1) :]:
                if out and sum(map(len, out)) + len(sent) > SUMMARY_CHARS:
                    break
                out.append(sent)
            return out
        if qplan.language == "en" and ws[best] < 0.3:
            lo = max(0, best - 1)
            return sents[lo : lo + 4]
        # The neighbours carry the context a claim needs ("Endast 13 procent …" after
        # "87 procent …"); a following sentence is kept unless it is unrelated and long.
        idx = [i for i in (best - 1, best, best + 1) if 0 <= i < len(sents)]
        keep = [i for i in idx if i == best or ws[i] > 0 or (i == best + 1 and len(sents[i]) < 200)]
        # A reasoning often runs on ("… tveksam … Det finns … Nämnden menar dock … landsting"):
        # one more sentence that itself names the question's terms is kept, within reason.
        nxt = best + 2
        if keep[-1] == best + 1 and nxt < len(sents) and sc.own[nxt] > 0 and sum(len(sents[i]) for i in keep) + len(sents[nxt]) < 700:
            keep.append(nxt)
        return [sents[i] for i in keep]

    def _direct_evidence(self, qplan: QueryPlan, ranked: list[Passage], scope: list[str]) -> list[Evidence]:
        """Quote the best-supported sentences of the best one to three passages."""
        pol = self.policy
        if not ranked:
            return []
        snap = self.retriever.snapshot()
        # Within one committee's texts its name, and words that frame the question ("anser",
        # "säger"), tell no sentence from another.
        terms = query_terms(snap.lexical, without_frame(without_names(qplan.text, scope), entities=False), qplan.language)
        counting = {a[:6] for a in anchors(terms)} if qplan.numeric and qplan.language == "sv" else set()
        scored = []
        for p in ranked[:6]:
            sents = passage_sentences(p.text, str(p.meta.get("section_path", "")))
            if not sents:
                continue
            sc = sentence_scores(snap.lexical, terms, sents, context_of(p))
            ws, best = sc.window, sc.best()
            if counting:
                # "Hur många besökare …" is answered by a sentence that counts *visitors*: a
                # number beside the question's most specific word, not "två Community centers".
                hits = [i for i, sent in enumerate(sents) if _counts(snap, counting, sent)]
                if not hits:
                    continue
                best = sc.best(among=hits)
            cov_weight = pol.coverage_weight * (0.2 if qplan.language == "en" else 1.0)
            bonus = pol.summary_bonus if qplan.summary and _summary_start(p, sents) is not None else 0.0
            if qplan.numeric and _NUMBER.search(" ".join(sents[max(0, best - 1) : best + 2])):
                bonus += pol.number_bonus  # "how many / when" is answered by a sentence with a number
            scored.append((float(p.dense or 0.0) + cov_weight * ws[best] + bonus, ws[best], best, sents, sc, p))
        if not scored:
            return []
        scored.sort(key=lambda x: -x[0])
        top_score, top_cov, *_rest, top_p = scored[0]
        weak_lexical = qplan.language == "en" and not terms.weights
        if qplan.language == "en" or weak_lexical:
            # English words rarely occur in Swedish text: lexical coverage says little, so
            # answerability rests on the cross-lingual dense similarity.
            if max(float(x[5].dense or 0.0) for x in scored) < pol.min_dense:
                return []
        elif top_cov < pol.min_coverage or not covers_anchor(
            snap.lexical, terms, [x[5].text + " " + context_of(x[5]) for x in scored[:5]]
        ):
            return []
        wanted = pol.max_evidence_summary if qplan.summary else pol.max_evidence
        if qplan.summarise and _summary_start(top_p, scored[0][3]) is not None:
            wanted = 1  # the document's own summary answers "summarise …"; more passages dilute it
        evidence: list[Evidence] = []
        covered: set[str] = set()
        for score, cov, best, sents, sc, p in scored:
            if len(evidence) >= wanted:
                break
            start = _summary_start(p, sents) if qplan.summarise else None
            if start is not None:
                # The summary is read from its start, not from a matching word; its heading
                # is not quoted.
                best = 0  # (the summary branch of _quote reads no sentence scores)
                sents = [_SUMMARY_LEAD.sub("", sents[start]), *sents[start + 1 :]]
            quote = self._quote(qplan, sents, sc, best)
            new_terms = terms.matched(set(snap.lexical._analyse(raw_tokens(" ".join(quote)))))  # noqa: SLF001
            if evidence and qplan.summary:
                if score < top_score - 2 * pol.second_margin:
                    continue
            elif evidence:
                if cov < pol.second_ratio * top_cov or not (new_terms - covered):
                    continue
                if score < top_score - pol.second_margin:
                    continue
            covered |= new_terms
            evidence.append(Evidence(p, quote))
        return evidence
