"""Whether a named committee replied ("Har Kungsholmen svarat?", "Did the City Archives send
in a reply?"): decided from the index's structure — the committee's entry in the compilation
is a reply or a missing-reply note (flagged at ingest) — not from the wording of a passage.
The verdict model reads cues of a position ("inte", "saknas"), which a reply that exists may
well hold. The reply's opening sentence, or the note, is cited."""

from __future__ import annotations

from rag.answer import Evidence, Frame
from rag.hybrid import HybridRetriever
from rag.strategies.base import Asked, Gathered
from rag.strategies.structure import compilation_rows, missing_notes, openings
from rag.types import Filters, Passage


def reply_evidence(
    retriever: HybridRetriever, filters: Filters | None, named: list[str], retrieved: list[Passage]
) -> tuple[list[Evidence], bool] | None:
    """The named committees' entries in the compilation (a reply's opening or the missing-reply
    note), and whether any of them is missing; None when none of them has an entry."""
    snap = retriever.snapshot()
    within = compilation_rows(snap, filters, retrieved)
    if within is None:
        return None
    replied = snap.committee_rows(None, within)
    absent = snap.committee_rows(None, within, replies=False)
    evidence: list[Evidence] = []
    missing = False
    for name in named:
        if name in replied:
            evidence += openings(snap, {name: replied[name]})
        elif name in absent:
            evidence += missing_notes(snap, {name: absent[name]})
            missing = True
    return (evidence, missing) if evidence else None


class ReplyExistsStrategy:
    """Takes a question the kind model reads as asking whether a committee replied at all,
    when it names a committee the compilation lists."""

    def __init__(self, retriever: HybridRetriever) -> None:
        self.retriever = retriever

    def gather(self, asked: Asked) -> Gathered | None:
        if asked.qplan.kind != "did_reply" or not asked.named:
            return None
        found = reply_evidence(self.retriever, asked.filters, asked.named, asked.retrieved)
        if found is None:
            return None
        evidence, missing = found
        return Gathered("yes_no", evidence, Frame(kind=asked.qplan.kind, no=missing))
