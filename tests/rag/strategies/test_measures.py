"""Which measures a committee takes up: read from its reply's structure, not from similarity."""

from __future__ import annotations

import re

from rag.answer import count_phrase
from rag.features import measure_numbers
from rag.strategies.measures import committee_measure_evidence


def test_measure_numbers_are_three_level_numbers_not_decimals_or_sections() -> None:
    assert measure_numbers("åtgärd 6.1.1 och rekommendationerna (4.2.1 - 4.2.2)") == {"6.1.1", "4.2.1", "4.2.2"}
    assert measure_numbers("2.5 miljoner, avsnitt 4.3, version 1.2.3.4") == set()


def test_a_committees_measures_are_the_numbers_its_reply_names_each_cited_where_named(pipeline) -> None:  # type: ignore[no-untyped-def]
    # The document: "Trafiknämnden är delansvarig för fyra åtgärder" — 6.1.1, 6.1.2, 6.3.1, 6.3.2.
    evidence = committee_measure_evidence(pipeline.retriever, None, "Trafikkontoret")
    assert [ev.label for ev in evidence] == ["6.1.1", "6.1.2", "6.3.1", "6.3.2"]
    for ev in evidence:
        assert ev.passage.committee == "Trafikkontoret"
        assert ev.label in measure_numbers(" ".join(ev.sentences)), ev.sentences
    # A reply that names no measure number gives nothing: the question is answered from its text.
    assert committee_measure_evidence(pipeline.retriever, None, "Miljöförvaltningen") == []
    assert committee_measure_evidence(pipeline.retriever, None, "Ingen sådan nämnd") == []


def test_asked_which_measures_a_committee_comments_on_the_answer_counts_and_lists_them(pipeline) -> None:  # type: ignore[no-untyped-def]
    for question, opener in (
        ("Vilka åtgärder tar trafiknämnden upp i sitt yttrande?", "Fyra åtgärder: 6.1.1, 6.1.2, 6.3.1 och 6.3.2."),
        ("Which of the commission's measures does the traffic office respond to?", "Four measures: 6.1.1, 6.1.2, 6.3.1 and 6.3.2."),
    ):
        answer = pipeline.ask(question)
        assert answer.strategy == "measures", (question, answer.answer)
        assert answer.answer.startswith(opener), answer.answer
        assert len(answer.citations) == 4 and {c.committee for c in answer.citations} == {"Trafikkontoret"}
        assert all(re.search(r"\[\d\]", line) for line in answer.answer.splitlines()[2:])


def test_counted_nouns() -> None:
    assert count_phrase(1, "sv", noun="measure") == "En åtgärd"
    assert count_phrase(4, "en", noun="measure") == "Four measures"
