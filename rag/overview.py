"""Remiss overview: every committee's stance on one measure or topic, with the deciding sentences.

A remiss compilation holds some thirty committees' replies, each taking positions on numbered
measures ("4.3.2"). For a measure (or a free-text proposal) every committee of the compilation
gets one row:

- ``reply_missing`` from the index's metadata (flagged at ingest);
- otherwise the committee's best evidence is found exactly as for "which committees …"
  questions (:func:`rag.windows.committee_candidates`: the sentence ranker over each
  committee's own passages, a measure number in the text counting as a strong hint);
- a learned *addressed* model decides whether that evidence is about the measure at all
  (``not_addressed`` otherwise);
- a learned *stance* model reads the one or two deciding sentences (closed-class cues and
  their e5 vectors, stored at ingest) and chooses positive / positive with conditions /
  doubtful or negative / mentions without a position.

Both models are trained on the stance gold set's train pairs by ``radslag train``
(:mod:`eval.train_stance`). Nothing here names a committee, a measure or a topic.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from rag.answer import Evidence
from rag.decisions import Decisions
from rag.evidence import passage_sentences
from rag.features import measure_numbers, measure_order, stance_row
from rag.hybrid import HybridRetriever, Snapshot
from rag.query import QueryPlan
from rag.text import detect_language
from rag.types import Filters, Passage
from rag.windows import SentenceScorer, committee_candidates

#: The stances of an overview row, in the order an overview sorts them.
STANCES = ("positive", "positive_conditions", "negative", "mentions", "not_addressed", "reply_missing")
TEXT_STANCES = STANCES[:4]

_MEASURE_QUERY = re.compile(r"^\s*(?:åtgärd|measure|förslag|proposal)?\s*(\d+(?:\.\d+){1,3})\s*$", re.IGNORECASE)


def measure_of(query: str) -> str | None:
    """The measure number a query consists of ("4.3.2", "åtgärd 4.3.2"), else None (a topic)."""
    m = _MEASURE_QUERY.match(query)
    return m.group(1) if m else None


def _number(measure: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\d.]){re.escape(measure)}(?![\d]|\.\d)")


@dataclass
class OverviewRow:
    committee: str
    group: str  # the compilation's group heading ("Stadsdelsförvaltningar")
    stance: str
    confidence: float  # the deciding models' joint probability for this row
    evidence: Evidence | None = None  # the deciding sentences and their passage


@dataclass
class Overview:
    query: str
    measure: str | None
    measure_text: str  # the measure as the documents word it ("" for a topic, or when not found)
    doc_id: str
    title: str
    rows: list[OverviewRow] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        got = Counter(r.stance for r in self.rows)
        return {s: got.get(s, 0) for s in STANCES}


@dataclass
class MeasureInfo:
    measure: str
    text: str
    committees: list[str]


@dataclass
class Compilation:
    """The document with committee replies that an overview covers: its committees in order."""

    doc_id: str
    title: str
    committees: list[tuple[str, str, bool]]  # (committee, group, reply missing)


def compilations(snap: Snapshot, filters: Filters | None = None) -> list[Compilation]:
    """Documents holding committee replies, the one with most committees first."""
    mask = snap.mask(filters)
    cols = snap.cols
    ok = cols.codes["committee"] >= 0
    if mask is not None:
        ok &= mask
    rows = np.flatnonzero(ok)
    # Each (document, committee)'s first chunk, in index order: only those metadata are read.
    pair = cols.codes["doc_id"][rows].astype(np.int64) * (len(cols.labels["committee"]) + 1) + cols.codes["committee"][rows]
    firsts = np.sort(rows[np.unique(pair, return_index=True)[1]]) if len(rows) else rows
    per_doc: dict[str, dict[str, tuple[str, bool]]] = {}
    titles: dict[str, str] = {}
    for i in firsts:
        m = snap.metas[int(i)]
        doc = str(m.get("doc_id", ""))
        titles.setdefault(doc, str(m.get("title", "")))
        group = str(m.get("section_path", "")).split(" > ")[0]
        per_doc.setdefault(doc, {}).setdefault(str(m["committee"]), (group, bool(m.get("reply_missing"))))
    out = [Compilation(d, titles[d], [(c, g, miss) for c, (g, miss) in cs.items()]) for d, cs in per_doc.items()]
    return sorted(out, key=lambda c: (-len(c.committees), c.doc_id))


#: A measure number followed by its wording ("4.3.2 Åtgärd: Utred möjligheten …"). The wording
#: ends at the sentence's end or where the next measure's number starts.
_WORDING = re.compile(r"(?<![\d.])(\d+(?:\.\d+){1,3})\s+(Åtgärd:\s*)?([A-ZÅÄÖ](?:(?!\s\d+\.\d)[^.?!]){10,240})")


def measure_wordings(snap: Snapshot, mask: np.ndarray | None) -> dict[str, str]:
    """How the documents word each measure, in one pass over the texts: the text after its
    number where a reply quotes it, the commission's own ("Åtgärd: …") preferred, and among
    those the shortest (replies that run on without a full stop make longer matches).
    Kept with the snapshot per filter mask: a scan of every text is too slow per request
    at archive scale."""
    key = ("measure_wordings", None if mask is None else hashlib.sha1(np.packbits(mask).tobytes()).hexdigest())
    if key not in snap.memo:
        snap.memo[key] = _measure_wordings(snap, mask)
    return snap.memo[key]


def _measure_wordings(snap: Snapshot, mask: np.ndarray | None) -> dict[str, str]:
    best: dict[str, tuple[int, int, str]] = {}
    for i, text in enumerate(snap.texts):
        if mask is not None and not mask[i]:
            continue
        for m in _WORDING.finditer(text):
            wording = " ".join(m.group(3).split())
            key = (0 if m.group(2) else 1, len(wording), wording)
            if m.group(1) not in best or key < best[m.group(1)]:
                best[m.group(1)] = key
    return {measure: key[2] for measure, key in best.items()}


def measure_wording(snap: Snapshot, measure: str, mask: np.ndarray | None) -> str:
    return measure_wordings(snap, mask).get(measure, "")


def list_measures(snap: Snapshot, filters: Filters | None = None) -> list[MeasureInfo]:
    """Every measure number the compilation's replies discuss, with the committees that name it."""
    mask = snap.mask(filters)
    comps = compilations(snap, filters)
    if not comps:
        return []
    doc = comps[0].doc_id
    by_measure: dict[str, set[str]] = {}
    ok = snap.cols.isin("doc_id", [doc]) & (snap.cols.codes["committee"] >= 0)
    if mask is not None:
        ok &= mask
    for i in np.flatnonzero(ok):
        text, m = snap.texts[int(i)], snap.metas[int(i)]
        for n in measure_numbers(f"{m.get('section_path', '')} {text}"):
            by_measure.setdefault(n, set()).add(str(m["committee"]))
    wordings = measure_wordings(snap, mask)
    return [MeasureInfo(n, wordings.get(n, ""), sorted(cs)) for n, cs in sorted(by_measure.items(), key=lambda x: measure_order(x[0]))]


def _deciding(snap: Snapshot, p: Passage, best: int, quote: list[str]) -> tuple[list[str], np.ndarray | None]:
    """The one or two deciding sentences of a committee's window — the ranker's best sentence
    and the one after it (a reply often names the measure in one sentence and takes its
    stance in the next) — and their mean stored e5 vector."""
    sents = passage_sentences(p.text, str(p.meta.get("section_path", "")))
    if not 0 <= best < len(sents):
        return quote[:2], None
    chosen = [best, best + 1] if best + 1 < len(sents) else [i for i in (best - 1, best) if i >= 0]
    vectors = snap.sentence_vectors.get(p.id)
    vec = vectors[chosen].mean(axis=0) if vectors is not None and len(vectors) == len(sents) else None
    return [sents[i] for i in chosen], vec


@dataclass
class CommitteeEvidence:
    """What the overview's models see for one committee (also the training input)."""

    committee: str
    evidence: Evidence
    addressed: dict[str, float]
    stance: dict[str, float]


def overview_plans(query: str, snap: Snapshot, filters: Filters | None) -> list[QueryPlan]:
    """What the overview searches with. A topic is searched as written. A measure is searched
    twice — by its number and wording, and by its wording alone — because a reply may discuss
    a measure without naming its number; each committee is then read through whichever view
    finds it addressed more surely."""
    measure = measure_of(query)
    language = detect_language(query)
    if not measure:
        return [QueryPlan(text=query.strip(), original=query, language=language, kind="committees")]
    wording = measure_wording(snap, measure, snap.mask(filters))
    plans = [QueryPlan(text=f"{measure} {wording}".strip(), original=query, language=language, kind="committees")]
    if wording:
        plans.append(QueryPlan(text=wording, original=wording, language=detect_language(wording), kind="committees"))
    return plans


def committee_evidence(
    retriever: HybridRetriever,
    qplan: QueryPlan,
    qvec: np.ndarray,
    filters: Filters | None,
    scorer: SentenceScorer | None,
    doc_id: str,
) -> list[CommitteeEvidence]:
    """Every replying committee's best evidence for the query, with the models' features."""
    scope = (filters or Filters()).model_copy(update={"doc_id": [doc_id]})
    candidates, _ = committee_candidates(retriever, qplan, qvec, scope, scorer)
    snap = retriever.snapshot()
    measure = measure_of(qplan.original)
    number = _number(measure) if measure else None
    out = []
    for c in candidates:
        p = c.window.passage
        sentences, vec = _deciding(snap, p, c.window.best, c.window.quote)
        ev = Evidence(p, sentences, label=c.committee, alternates=c.window.alternates)
        in_passage = bool(number and number.search(f"{p.meta.get('section_path', '')} {p.text}"))
        in_quote = bool(number and number.search(" ".join(sentences)))
        addressed = dict(c.features, measure_in_passage=float(in_passage), measure_in_quote=float(in_quote))
        out.append(CommitteeEvidence(c.committee, ev, addressed, stance_row(" ".join(sentences), vec)))
    return out


#: One way of searching for the overview's subject: its plan, embedding and sentence ranker.
View = tuple[QueryPlan, np.ndarray, SentenceScorer | None]


def build_overview(
    retriever: HybridRetriever,
    decisions: Decisions,
    views: list[View],
    filters: Filters | None = None,
    doc_id: str | None = None,
) -> Overview:
    """The overview over one compilation; ``views`` from :func:`overview_plans` (the first is
    the query as asked)."""
    snap = retriever.snapshot()
    comps = compilations(snap, filters)
    comp = next((c for c in comps if c.doc_id == doc_id), None) if doc_id else (comps[0] if comps else None)
    first = views[0][0]
    measure = measure_of(first.original)
    wording = first.text[len(measure) :].strip() if measure else ""
    if comp is None:
        return Overview(first.original, measure, wording, doc_id or "", "")
    best: dict[str, tuple[float, CommitteeEvidence]] = {}
    for qplan, qvec, scorer in views:
        found = committee_evidence(retriever, qplan, qvec, filters, scorer, comp.doc_id)
        for ev, pa in zip(found, decisions.p_addressed([e.addressed for e in found]), strict=True):
            if ev.committee not in best or pa > best[ev.committee][0]:
                best[ev.committee] = (float(pa), ev)
    chosen = [c for c, _, missing in comp.committees if not missing and c in best]
    stances, p_stance = decisions.stances([best[c][1].stance for c in chosen])
    decided = {c: (best[c][0], st, float(ps)) for c, st, ps in zip(chosen, stances, p_stance, strict=True)}
    threshold = decisions.thresholds.get("addressed", 0.5)
    rows = []
    for committee, group, missing in comp.committees:
        if missing:
            rows.append(OverviewRow(committee, group, "reply_missing", 1.0))
        elif committee not in decided:
            rows.append(OverviewRow(committee, group, "not_addressed", 1.0))
        else:
            pa, st, ps = decided[committee]
            if pa < threshold:
                rows.append(OverviewRow(committee, group, "not_addressed", round(1.0 - pa, 3)))
            else:
                rows.append(OverviewRow(committee, group, st, round(pa * ps, 3), best[committee][1].evidence))
    return Overview(first.original, measure, wording, comp.doc_id, comp.title, rows)
