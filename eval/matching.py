"""When does a passage hold a gold quote? (Definitions in eval/METRICS.md.)"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import PurePath

from eval.gold import GoldEvidence

#: Share of the quote's normalised characters a passage must hold as one contiguous run.
OVERLAP_MIN = 0.6
#: Gold files whose ``section`` is a committee name (the compilation of committee replies).
COMMITTEE_DOC_PREFIX = "004_"

_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFC, case-folded, every run of whitespace collapsed to one space, trimmed."""
    return _WS.sub(" ", unicodedata.normalize("NFC", text).casefold()).strip()


@lru_cache(maxsize=65536)
def overlap(quote: str, passage: str) -> float:
    """Longest common substring of the normalised texts, as a share of the quote's length.

    1.0 when the passage contains the quote; a quote split by a chunk boundary or by
    cleaning (a dropped page marker, a joined hyphenation) keeps a long run and scores high.
    """
    q, p = normalise(quote), normalise(passage)
    if not q:
        return 0.0
    if q in p:
        return 1.0
    # autojunk off: with it, characters common in long texts are ignored and runs break.
    m = SequenceMatcher(None, q, p, autojunk=False).find_longest_match(0, len(q), 0, len(p))
    return m.size / len(q)


def same_document(gold_doc: str, source: str) -> bool:
    """Gold ``doc`` is a file name; passages carry ``source`` (a file name, maybe a path)."""
    return PurePath(source).name == PurePath(gold_doc).name


def same_section(evidence: GoldEvidence, committee: str) -> bool:
    """For the committee compilation, the passage must belong to the quoted committee.

    A passage without committee metadata (the baseline knows no structure) is judged on its
    text alone: the quote is verbatim from that committee's own section.
    """
    if not evidence.doc.startswith(COMMITTEE_DOC_PREFIX) or not evidence.section or not committee:
        return True
    return normalise(evidence.section) == normalise(committee)


def supports(evidence: GoldEvidence, source: str, committee: str, text: str) -> bool:
    """A passage holds a gold quote: same document, same section, overlap ≥ OVERLAP_MIN."""
    return (
        same_document(evidence.doc, source)
        and same_section(evidence, committee)
        and overlap(evidence.quote, text) >= OVERLAP_MIN
    )
