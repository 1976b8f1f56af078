"""Whether a named committee replied (rag.strategies.reply_exists), on the real index."""

from __future__ import annotations

import pytest

from rag.strategies.reply_exists import reply_evidence


def _entries(pipeline, missing: bool) -> set[str]:  # type: ignore[no-untyped-def]
    snap = pipeline.retriever.snapshot()
    return {
        m["committee"] for m in snap.metas
        if m.get("committee") and m.get("source", "").startswith("004") and bool(m.get("reply_missing")) == missing
    }


@pytest.mark.parametrize(
    ("question", "committee", "lead"),
    [
        # A reply that exists, one of whose passages holds a negation ("Älvsjö tillhör inte de
        # prioriterade stadsdelsområdena …"): the verdict model read "Nej" there.
        ("Har Älvsjö lämnat något svar?", "Älvsjö", "Ja"),
        ("Har stadsdelsnämnden på Kungsholmen lämnat något yttrande?", "Kungsholmen", "Nej"),
        ("Did the City Archives send in a reply to the commission?", "Stadsarkivet", "Yes"),
        ("Did the Election Committee (Valnämnden) reply?", "Valnämnden", "No"),
    ],
)
def test_whether_a_committee_replied_is_decided_by_the_compilation(pipeline, question: str, committee: str, lead: str) -> None:  # type: ignore[no-untyped-def]
    """The verdict follows the committee's entry in the compilation (a reply or a
    missing-reply note), which is cited; not the cues of the passage's wording."""
    answer = pipeline.ask(question)
    assert answer.answer.startswith(lead), answer.answer
    assert [c.committee for c in answer.citations] == [committee]
    assert (committee in _entries(pipeline, missing=True)) == (lead in ("Nej", "No"))


def test_reply_evidence_reads_each_named_committees_entry(pipeline) -> None:  # type: ignore[no-untyped-def]
    """A reply is shown by its opening, a missing one by its note; the verdict is "no" when any
    named committee's reply is missing, and a name the compilation does not list is no entry."""
    replied, missing = sorted(_entries(pipeline, missing=False)), sorted(_entries(pipeline, missing=True))
    assert replied and missing
    evidence, no = reply_evidence(pipeline.retriever, None, [replied[0]], [])  # type: ignore[misc]
    assert not no and [e.label for e in evidence] == [replied[0]] and not evidence[0].passage.meta.get("reply_missing")
    evidence, no = reply_evidence(pipeline.retriever, None, [replied[0], missing[0]], [])  # type: ignore[misc]
    assert no and [e.label for e in evidence] == [replied[0], missing[0]]
    assert "saknas" in " ".join(evidence[1].sentences).lower()
    assert reply_evidence(pipeline.retriever, None, ["Ingen sådan nämnd"], []) is None
