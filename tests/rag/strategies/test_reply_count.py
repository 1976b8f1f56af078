"""How many committees replied (rag.strategies.reply_count), on the real index."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("question", "lead", "missing"),
    [
        # The compilation lists 31 committees, ten of them with a missing-reply note.
        ("Hur många nämnder har svarat?", "21 nämnder av 31 har svarat.", 10),
        ("How many committees sent in a reply to the commission?", "21 committees of 31 replied.", 10),
        ("Hur många av stadsdelsnämnderna har lämnat ett yttrande?", "Tolv (12) nämnder av 14 har svarat.", 2),
    ],
)
def test_how_many_replied_is_counted_from_the_compilation(pipeline, question: str, lead: str, missing: int) -> None:  # type: ignore[no-untyped-def]
    answer = pipeline.ask(question)
    assert answer.strategy == "replied"
    assert answer.answer.splitlines()[0] == lead
    # The difference is shown, not asserted: each missing reply is cited.
    assert len(answer.citations) == missing
    assert all("saknas" in c.text for c in answer.citations)
