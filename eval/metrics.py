"""One function per metric. Each scores one item; ``None`` means "not defined for this item".

Definitions, with the reasons behind them, are in eval/METRICS.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np

from eval.gold import GoldEvidence, GoldItem
from eval.matching import normalise, supports

K_VALUES = (1, 5, 10)


class PassageLike(Protocol):
    """What a retrieved or cited passage offers (rag.types.Retrieved and Citation both do)."""

    source: str
    committee: str
    text: str


def _found(evidence: GoldEvidence, passages: Iterable[PassageLike]) -> bool:
    return any(supports(evidence, p.source, p.committee, p.text) for p in passages)


def recall_at_k(item: GoldItem, retrieved: Sequence[PassageLike], k: int) -> float | None:
    """Share of the item's primary evidence held by at least one of the top ``k`` passages."""
    primary = item.primary
    if not item.answerable or not primary:
        return None
    top = list(retrieved[:k])
    return sum(_found(e, top) for e in primary) / len(primary)


def reciprocal_rank(item: GoldItem, retrieved: Sequence[PassageLike]) -> float | None:
    """1 / rank of the first passage that holds any primary evidence; 0 if none does."""
    primary = item.primary
    if not item.answerable or not primary:
        return None
    for rank, p in enumerate(retrieved, start=1):
        if any(supports(e, p.source, p.committee, p.text) for e in primary):
            return 1.0 / rank
    return 0.0


def must_mention_recall(item: GoldItem, answer_text: str) -> float | None:
    """Share of ``must_mention`` strings in the answer (case-insensitive substrings)."""
    if not item.must_mention:
        return None
    text = normalise(answer_text)
    return sum(normalise(m) in text for m in item.must_mention) / len(item.must_mention)


def committee_mentions(text: str, vocabulary: Iterable[str]) -> list[str]:
    """Committee names in ``text``, longest names first, each span of text used once.

    So "Hägersten-Älvsjö" is one name, not also "Älvsjö". Returned normalised, in order of
    first appearance.
    """
    remaining = normalise(text)
    found: list[tuple[int, str]] = []
    for name in sorted({normalise(v) for v in vocabulary if v.strip()}, key=lambda n: (-len(n), n)):
        pos = remaining.find(name)
        if pos < 0:
            continue
        found.append((pos, name))
        remaining = remaining.replace(name, "\0" * len(name))  # mask every occurrence
    return [name for _, name in sorted(found)]


def names_match(gold: str, named: str) -> bool:
    """A gold name matches a named committee if equal or a prefix ("Idrott" → "Idrottförvaltningen")."""
    return named.startswith(gold)


def list_f1(item: GoldItem, answer_text: str, vocabulary: Iterable[str]) -> float | None:
    """F1 of committees named in the answer against ``must_mention`` (type ``list`` only).

    ``may_mention`` names count neither as hits nor as errors.
    """
    if item.type != "list" or not item.must_mention:
        return None
    gold = [normalise(m) for m in item.must_mention]
    allowed = [normalise(m) for m in item.may_mention]
    named = committee_mentions(answer_text, [*vocabulary, *item.must_mention, *item.may_mention])
    hits = [n for n in named if any(names_match(g, n) for g in gold)]
    judged = [n for n in named if n in hits or not any(names_match(a, n) for a in allowed)]
    if not hits:
        return 0.0
    precision = len(hits) / len(judged)
    recall = sum(any(names_match(g, n) for n in named) for g in gold) / len(gold)
    return 2 * precision * recall / (precision + recall)


def citation_precision(item: GoldItem, citations: Sequence[PassageLike]) -> float | None:
    """Share of cited passages that hold any gold evidence (``alt`` included).

    Defined for answerable items with at least one citation.
    """
    if not item.answerable or not item.evidence or not citations:
        return None
    return sum(any(supports(e, c.source, c.committee, c.text) for e in item.evidence) for c in citations) / len(
        citations
    )


def refusal_correct(item: GoldItem, refused: bool) -> float:
    """1 when an unanswerable item is refused or an answerable one answered, else 0."""
    return float(refused != item.answerable)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (linear interpolation between closest ranks, numpy's default)."""
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else None


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the defined values; ``None`` when none is defined."""
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None
