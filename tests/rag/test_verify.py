"""The claim post-check over real retrieved passages (real index, real e5 model)."""

from __future__ import annotations

import numpy as np
import pytest

from rag.answer import Evidence
from rag.pipeline import RagPipeline
from rag.types import Passage
from rag.verify import verify_claims


@pytest.fixture(scope="module")
def two_passages(pipeline: RagPipeline) -> list[Evidence]:
    """Facilitators (Norrmalm) and the job centre in Vällingby (an action programme): two topics."""
    snap = pipeline.retriever.snapshot()

    def find(committee: str, word: str, unlike: str) -> Passage:
        for i, meta in enumerate(snap.metas):
            if meta.get("committee") == committee and word in snap.texts[i] and unlike not in snap.texts[i]:
                return snap.passage(i, 1.0)
        raise AssertionError(f"no {committee} passage with {word!r}")

    a = find("Norrmalm", "facilitator", "Jobbtorget")
    b = find("Hässelby-Vällingby", "Jobbtorget", "facilitator")
    return [Evidence(a, [a.text]), Evidence(b, [b.text])]


def _check(pipeline: RagPipeline, text: str, evidence: list[Evidence]):  # type: ignore[no-untyped-def]
    snap = pipeline.retriever.snapshot()

    def vector(chunk_id: str) -> np.ndarray | None:
        row = snap.row.get(chunk_id)
        return None if row is None else snap.vectors[row]

    return verify_claims(text, evidence, snap.lexical, pipeline.retriever.embed_query, vector)


def test_supported_claims_are_kept(pipeline: RagPipeline, two_passages: list[Evidence]) -> None:
    sentence = next(s for s in two_passages[0].passage.text.replace("\n", " ").split(". ") if "facilitator" in s)
    out = _check(pipeline, f"Enligt dokumenten: {sentence}. [1]", two_passages)
    assert out.kept == 1 and not out.dropped and not out.repaired
    assert out.text.endswith("[1]")


def test_a_claim_citing_the_wrong_passage_is_repointed(pipeline: RagPipeline, two_passages: list[Evidence]) -> None:
    sentence = next(s for s in two_passages[1].passage.text.replace("\n", " ").split(". ") if "Jobbtorget" in s)
    out = _check(pipeline, f"{sentence}. [1]", two_passages)
    assert out.repaired == 1 and not out.dropped
    assert out.text.endswith("[2]") and "[1]" not in out.text


def test_unsupported_claims_are_dropped(pipeline: RagPipeline, two_passages: list[Evidence]) -> None:
    invented = "Stadsdelsnämnden beslutade att bygga en skidbacke av glass på Sergels torg under 2031. [1]"
    sentence = next(s for s in two_passages[0].passage.text.replace("\n", " ").split(". ") if "facilitator" in s)
    out = _check(pipeline, f"{sentence}. [1] {invented}", two_passages)
    assert out.kept == 1
    assert len(out.dropped) == 1 and "skidbacke" in out.dropped[0]
    assert "skidbacke" not in out.text
