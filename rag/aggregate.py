"""Aggregation questions: consult every committee's reply, not a global top-k.

For "which committees …" every committee's best passage for the question is found (dense
cosine over the snapshot plus BM25, within the committee's own chunks). A committee is listed
when its best passage is both close to the question and contains the question's rare terms;
each listed committee cites its own passage.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from rag.answer import Evidence
from rag.evidence import best_sentences, coverage, query_terms
from rag.hybrid import HybridRetriever
from rag.query import QueryPlan
from rag.types import Filters, Passage

MIN_COVERAGE = 0.5
RELATIVE = 0.93  # of the best committee's score


def _committee_rows(metas: list[dict], group_hint: str | None) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = defaultdict(list)
    for i, m in enumerate(metas):
        committee = m.get("committee")
        if not committee or m.get("reply_missing"):
            continue
        if group_hint:
            group = str(m.get("section_path", "")).split(" > ")[0].lower()
            if not group.startswith(group_hint):
                continue
        rows[committee].append(i)
    return rows


def aggregate_evidence(
    retriever: HybridRetriever, qplan: QueryPlan, qvec: np.ndarray, filters: Filters | None
) -> list[Evidence]:
    snap, dense, lexical = retriever.score_all(qplan.text, qvec, filters)
    if not len(snap.ids):
        return []
    terms = query_terms(snap.lexical, qplan.text)
    lex_norm = lexical / (lexical.max() or 1.0)
    combined = dense + 0.15 * lex_norm
    candidates: list[tuple[float, float, Passage]] = []
    for _committee, rows in _committee_rows(snap.metas, qplan.group_hint).items():
        rows_arr = np.array(rows)
        best = rows_arr[np.argsort(-combined[rows_arr])[:3]]
        scored = []
        for i in best:
            p = snap.passage(int(i), float(combined[i]))
            cov = coverage(snap.lexical, terms, p.text)
            scored.append((float(combined[i]) + 0.2 * cov, cov, p))
        candidates.append(max(scored, key=lambda x: x[0]))
    if not candidates:
        return []
    top = max(c[0] for c in candidates)
    chosen = [c for c in candidates if c[0] >= RELATIVE * top and c[1] >= MIN_COVERAGE]
    chosen.sort(key=lambda c: -c[0])
    evidence = []
    for score, _cov, p in chosen:
        p.score = score
        sents = [s for _, s, _ in best_sentences(snap.lexical, terms, p.text, n=1)]
        evidence.append(Evidence(p, sents or [p.text[:300]], label=p.committee))
    return evidence


def missing_reply_evidence(retriever: HybridRetriever, filters: Filters | None, qplan: QueryPlan) -> list[Evidence]:
    snap = retriever.snapshot()
    mask = snap.mask(filters)
    seen: set[str] = set()
    out = []
    for i, m in enumerate(snap.metas):
        if not m.get("reply_missing") or (mask is not None and not mask[i]):
            continue
        if qplan.group_hint and not str(m.get("section_path", "")).lower().startswith(qplan.group_hint):
            continue
        committee = str(m.get("committee"))
        if committee in seen:
            continue
        seen.add(committee)
        p = snap.passage(i, 1.0)
        body = p.text.split("\n", 1)[-1].strip() or p.text
        out.append(Evidence(p, [body], label=committee))
    return out
