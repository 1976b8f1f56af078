"""Post-check of generated answers: every claim must rest on the passage it cites.

A generative backend may cite the wrong passage or none. Each sentence of its answer is
checked against the evidence: a sentence whose cited passage supports it is kept; one whose
marker points at the wrong passage is *repaired* (re-pointed to the passage that supports
it); a substantive sentence that no passage supports is *dropped*. Support is judged
lexically (the sentence's content words occur in the passage — same-language answers) or,
failing that, by the multilingual embedding (an English sentence about a Swedish passage).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rag.answer import Evidence
from rag.lexical import BM25Index, raw_tokens
from rag.text import split_claims

_MARKER = re.compile(r"\s*\[(\d+)\]")


@dataclass
class VerifyPolicy:
    min_lexical: float = 0.5  # share of the claim's content words found in the passage
    min_dense: float = 0.84  # cosine between claim and passage (e5: related text ≥ ~0.84)
    min_content_words: int = 4  # shorter unmarked sentences are framing, kept as they are


@dataclass
class Verified:
    text: str
    kept: int = 0
    repaired: int = 0
    dropped: list[str] = field(default_factory=list)


def _content(index: BM25Index, text: str) -> set[str]:
    return set(index.analyse(raw_tokens(text)))


def verify_claims(
    text: str,
    evidence: list[Evidence],
    index: BM25Index,
    embed: Callable[[str], np.ndarray],
    passage_vector: Callable[[str], np.ndarray | None],
    policy: VerifyPolicy | None = None,
) -> Verified:
    """Keep, repair or drop each sentence of ``text`` by whether its citation supports it."""
    pol = policy or VerifyPolicy()
    passages = [_content(index, ev.passage.text) for ev in evidence]
    out = Verified("")
    kept_parts: list[str] = []

    claim_vectors: dict[str, np.ndarray] = {}  # a claim checked against several passages is embedded once

    def support(claim_words: set[str], claim: str, n: int) -> bool:
        if claim_words and len(claim_words & passages[n - 1]) / len(claim_words) >= pol.min_lexical:
            return True
        vec = passage_vector(evidence[n - 1].passage.id)
        if vec is None:
            return False
        if claim not in claim_vectors:
            claim_vectors[claim] = embed(claim)
        return float(claim_vectors[claim] @ vec) >= pol.min_dense

    for para in text.split("\n"):
        sentences = split_claims(para)
        kept_sentences: list[str] = []
        for sentence in sentences:
            cited = [int(m) for m in _MARKER.findall(sentence) if 1 <= int(m) <= len(evidence)]
            claim = _MARKER.sub("", sentence).strip()
            words = _content(index, claim)
            if not cited and len(words) < pol.min_content_words:
                kept_sentences.append(sentence)  # framing: "Enligt dokumenten:"
                continue
            good = [n for n in cited if support(words, claim, n)]
            if good:
                out.kept += 1
                kept_sentences.append(_MARKER.sub("", sentence).rstrip() + "".join(f" [{n}]" for n in good))
                continue
            other = next((n for n in range(1, len(evidence) + 1) if n not in cited and support(words, claim, n)), None)
            if other is not None:
                out.repaired += 1
                kept_sentences.append(f"{claim} [{other}]")
            else:
                out.dropped.append(claim)
        if kept_sentences or not sentences:
            kept_parts.append(" ".join(kept_sentences))
    out.text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept_parts)).strip()
    return out
