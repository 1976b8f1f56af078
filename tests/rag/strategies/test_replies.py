"""Which committees replied (rag.strategies.replies), on the real index."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("question", "group"),
    [
        ("Vilka stadsdelsnämnder har svarat på kommissionens rapporter?", "stadsdel"),
        ("Which specialist administrations sent in a reply?", "fack"),
        ("Which committees replied to the commission?", None),
    ],
)
def test_which_committees_replied_is_answered_from_the_compilations_structure(pipeline, question: str, group: str | None) -> None:  # type: ignore[no-untyped-def]
    """The list of committees whose entry in the compilation is a reply (not a missing-reply
    note), within the group asked about, each cited: not the missing ones, and not the few
    whose wording comes nearest the question."""
    answer = pipeline.ask(question)
    assert answer.strategy == "replies", answer.answer
    snap = pipeline.retriever.snapshot()
    expected = {
        m["committee"] for m in snap.metas
        if m.get("committee") and m.get("source", "").startswith("004") and not m.get("reply_missing")
        and (group is None or str(m.get("section_path", "")).lower().startswith(group))
    }
    assert {c.committee for c in answer.citations} == expected
    assert len(expected) >= 5
