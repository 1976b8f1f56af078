"""Each committee's best window over its own reply (rag.windows), on the real index."""

from __future__ import annotations

import numpy as np
import pytest

from rag.evidence import passage_sentences, without_frame
from rag.windows import committee_candidates, shared_document_rows


@pytest.mark.parametrize(
    ("question", "condition"),
    [
        ("Vilka nämnder har svarat?", False),
        # An English condition matches no Swedish term of the corpus, yet it is a condition:
        # the membership model decides it from the e5 similarities, not "every committee".
        ("Which committees describe efforts aimed specifically at foreign-born women?", True),
        ("Vilka nämnder vill att facilitatorer samordnas centralt?", True),
    ],
)
def test_a_condition_is_recognised_in_either_language(pipeline, question: str, condition: bool) -> None:  # type: ignore[no-untyped-def]
    qplan, qvec = pipeline.understand(question, None)
    candidates, has_condition = committee_candidates(pipeline.retriever, qplan, qvec, None)
    assert candidates
    assert has_condition is condition


def test_the_condition_alone_is_compared_with_each_committees_sentences(pipeline) -> None:  # type: ignore[no-untyped-def]
    """Membership reads how near each committee's sentences come to the condition without the
    frame ("Vilka nämnder …"), which would pull every committee's text alike."""
    qplan, qvec = pipeline.understand("Vilka nämnder vill att facilitatorer samordnas centralt?", None)
    candidates, _ = committee_candidates(pipeline.retriever, qplan, qvec, None)
    by_name = {c.committee: c for c in candidates}
    condition = pipeline.retriever.embed_query(without_frame("Vilka nämnder vill att facilitatorer samordnas centralt?"))
    snap = pipeline.retriever.snapshot()
    window = by_name["Norrmalm"].window
    n = len(passage_sentences(window.passage.text, str(window.passage.meta.get("section_path", ""))))
    assert window.condition_sim == pytest.approx(float(snap.sentence_similarities(window.passage, n, condition)[window.best]), abs=1e-5)
    assert window.condition_sim != pytest.approx(window.sim, abs=1e-4)
    assert window.condition_max_sim >= window.condition_sim
    gaps = {name: c.features["condition_max_gap"] for name, c in by_name.items()}
    assert min(gaps.values()) == 0.0
    members = ("Hässelby-Vällingby", "Norrmalm", "Södermalm")
    others = sorted(g for name, g in gaps.items() if name not in members)
    # The three committees that ask for it are nearer the condition than most others.
    assert all(gaps[m] <= others[len(others) // 2] for m in members)


def test_an_english_condition_does_not_list_every_committee(pipeline) -> None:  # type: ignore[no-untyped-def]
    answer = pipeline.ask("Which committees describe efforts aimed specifically at foreign-born women?")
    replied = pipeline.ask("Vilka nämnder har svarat?")
    # "Which committees replied?" is answered from the compilation's structure: every reply.
    assert (answer.strategy, replied.strategy) == ("aggregate", "replies")
    assert 0 < len(answer.citations) < len(replied.citations) / 2


def test_shared_document_rows_keep_all_rows_when_no_document_is_shared(pipeline) -> None:  # type: ignore[no-untyped-def]
    snap = pipeline.retriever.snapshot()
    rows = snap.committee_rows(None, None)
    combined = np.zeros(len(snap.ids))
    # Hägersten-Älvsjö's action plan is its only text; Hässelby-Vällingby has none there.
    alone = shared_document_rows(snap, rows, ["Hässelby-Vällingby", "Hägersten-Älvsjö"], combined)
    assert list(alone["Hässelby-Vällingby"]) == list(rows["Hässelby-Vällingby"])
    shared = shared_document_rows(snap, rows, ["Hässelby-Vällingby", "Norrmalm"], combined)
    docs = {snap.cols.label("doc_id", int(i)) for i in shared["Hässelby-Vällingby"]}
    assert len(docs) == 1 and len(shared["Hässelby-Vällingby"]) < len(rows["Hässelby-Vällingby"])
