"""The measures one committee's reply takes up ("which measures does Norrmalm comment on?"):
structure, not similarity — the measure numbers in its sections' headings and text."""

from __future__ import annotations

from rag.answer import Evidence, Frame
from rag.evidence import passage_sentences
from rag.features import measure_numbers, measure_order
from rag.hybrid import HybridRetriever
from rag.strategies.base import Asked, Gathered
from rag.types import Filters


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


class MeasuresStrategy:
    """Takes a question about one named committee that wants a list of identifiers (both read
    by the learned models), when that committee's reply names measure numbers."""

    def __init__(self, retriever: HybridRetriever) -> None:
        self.retriever = retriever

    def gather(self, asked: Asked) -> Gathered | None:
        if len(asked.named) != 1 or not asked.qplan.lists_identifiers:
            return None
        evidence = committee_measure_evidence(self.retriever, asked.filters, asked.named[0])
        return Gathered("measures", evidence, Frame(kind=asked.qplan.kind, count=len(evidence))) if evidence else None
