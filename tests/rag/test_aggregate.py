"""Aggregation over every committee's reply (rag.aggregate), on the real index."""

from __future__ import annotations

import pytest

from rag.aggregate import committee_candidates
from rag.types import ChatTurn


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


def test_an_english_condition_does_not_list_every_committee(pipeline) -> None:  # type: ignore[no-untyped-def]
    answer = pipeline.ask("Which committees describe efforts aimed specifically at foreign-born women?")
    replied = pipeline.ask("Vilka nämnder har svarat?")
    assert answer.strategy == replied.strategy == "aggregate"
    assert 0 < len(answer.citations) < len(replied.citations) / 2


def test_which_of_them_chooses_among_the_committees_of_the_previous_answer(pipeline) -> None:  # type: ignore[no-untyped-def]
    # The previous answer named three committees, one of them inside a quotation (the
    # documents' words, not the answer's); "Vilka av dem" chooses among the other two by this
    # message's condition alone.
    history = [
        ChatTurn("user", "Vilka stadsdelsnämnder skriver om mötesplatser?"),
        ChatTurn("assistant", "Två nämnder: Bromma och Norrmalm.\n- **Norrmalm**: ”som i Södermalm” [1]"),
    ]
    qplan, _ = pipeline.understand("Och vilka av dem vill att facilitatorer samordnas centralt?", history)
    assert qplan.aggregate
    assert qplan.within == ["Bromma", "Norrmalm"]
    assert "mötesplatser" not in qplan.text
    answer = pipeline.ask("Och vilka av dem vill att facilitatorer samordnas centralt?", history)
    assert answer.strategy == "aggregate"
    assert {c.committee for c in answer.citations} == {"Norrmalm"}
    # Without the pointing back, the question is about every committee again.
    alone = pipeline.ask("Vilka nämnder vill att facilitatorer samordnas centralt?", history)
    assert {"Hässelby-Vällingby", "Norrmalm", "Södermalm"} <= {c.committee for c in alone.citations}
