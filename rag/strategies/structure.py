"""The compilation's structure, read from the index's metadata: which committees replied, each
reply's opening sentence, and each missing-reply note. Shared by the strategies that answer
structural questions (missing replies, which committees replied, how many)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rag.answer import Evidence
from rag.evidence import passage_sentences
from rag.hybrid import Snapshot
from rag.types import Filters, Passage


def missing_notes(snap: Snapshot, missing: Mapping[str, np.ndarray]) -> list[Evidence]:
    """Each committee's missing-reply note, quoted without its heading."""
    out = []
    for committee, rows in missing.items():
        p = snap.passage(int(rows[0]), 1.0)
        out.append(Evidence(p, [p.text.split("\n", 1)[-1].strip() or p.text], label=committee))
    return out


def compilation_rows(snap: Snapshot, filters: Filters | None, retrieved: list[Passage]) -> np.ndarray | None:
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


def openings(snap: Snapshot, replied: Mapping[str, np.ndarray]) -> list[Evidence]:
    """Each committee's reply, shown by its opening sentence."""
    out = []
    for committee, rows in replied.items():
        p = snap.passage(int(rows[0]), 1.0)
        out.append(Evidence(p, passage_sentences(p.text, str(p.meta.get("section_path", "")))[:1] or [p.text], label=committee))
    return out
