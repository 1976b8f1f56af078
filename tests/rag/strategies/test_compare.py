"""Comparisons of named committees (rag.strategies.compare), on the real index."""

from __future__ import annotations

import re

import pytest

from rag.evidence import PARAGRAPH_CHARS
from rag.types import ChatTurn


def test_a_comparison_names_one_committee_by_name_and_one_in_other_words(pipeline) -> None:  # type: ignore[no-untyped-def]
    """"Norrmalm" is a name, "the sports administration" other words for Idrottförvaltningen:
    the comparison quotes both, not Norrmalm alone."""
    answer = pipeline.ask("Compare what Norrmalm and the sports administration say about premises for associations.")
    assert answer.strategy == "compare", answer.answer
    assert {c.committee for c in answer.citations} == {"Norrmalm", "Idrottförvaltningen"}


def test_a_follow_up_comparison_keeps_the_committee_named_in_other_words(pipeline) -> None:  # type: ignore[no-untyped-def]
    """In a follow-up, "Norrmalm" by name and "the sports administration" in other words are
    both its committees: the comparison quotes both, not Norrmalm alone."""
    history = [
        ChatTurn("user", "Vilka nämnder tar upp lokaler för föreningar?"),
        ChatTurn("assistant", "Flera nämnder: Norrmalm och Idrottförvaltningen."),
    ]
    answer = pipeline.ask("And how do Norrmalm and the sports administration compare on that?", history)
    assert answer.strategy == "compare", answer.answer
    assert {c.committee for c in answer.citations} == {"Norrmalm", "Idrottförvaltningen"}


def test_an_english_comparison_quotes_both_committees_however_few_words_they_share(pipeline) -> None:  # type: ignore[no-untyped-def]
    """The English question shares almost no word with the Swedish replies; each named
    committee's best window is quoted all the same (a lexical-coverage floor refused it)."""
    answer = pipeline.ask("How do the environment administration and the transport office describe their part in the city planning measures?")
    assert not answer.refused, answer.answer
    assert {c.committee for c in answer.citations} == {"Miljöförvaltningen", "Trafikkontoret"}


def test_a_comparison_reads_both_committees_in_the_document_they_share(pipeline) -> None:  # type: ignore[no-untyped-def]
    """Hässelby-Vällingby has text in four documents, Norrmalm only in the compilation of
    replies: both are quoted from the compilation (like against like), not Hässelby-Vällingby
    from an older report on a related motion."""
    answer = pipeline.ask("Do Hässelby-Vällingby and Norrmalm agree on the facilitators for dialogue with social movements?")
    assert answer.strategy == "compare", answer.answer
    assert {c.committee for c in answer.citations} == {"Hässelby-Vällingby", "Norrmalm"}
    assert len({c.doc_id for c in answer.citations}) == 1, [c.source for c in answer.citations]


def test_each_side_of_a_comparison_is_read_without_the_committees_names(pipeline) -> None:  # type: ignore[no-untyped-def]
    """A reply's first line holds its committee's name ("Södermalm Utifrån rapporten …"), so
    against the whole question e5 put it nearest; each side is read against the question
    without the names, and quotes what the committee says on the matter."""
    answer = pipeline.ask("How do Norrmalm and Södermalm differ on the navigator function for civil society?")
    assert answer.strategy == "compare", answer.answer
    quoted = {line.split("**")[1]: line for line in answer.answer.splitlines() if line.startswith("- **")}
    assert set(quoted) == {"Norrmalm", "Södermalm"}, answer.answer
    assert not any(line.split("”", 1)[1].startswith(name) for name, line in quoted.items()), answer.answer


@pytest.mark.parametrize("question", [
    "Jämför hur Bromma och Skarpnäck vill öppna lokaler för föreningslivet.",
    "How do Hägersten-Liljeholmen and Hässelby-Vällingby differ on resources for the navigators?",
])
def test_each_side_of_a_comparison_is_quoted_with_its_paragraph(pipeline, question: str) -> None:  # type: ignore[no-untyped-def]
    """One side of a comparison is a position, not one sentence: each committee's central
    sentence is quoted with what surrounds it, up to a paragraph (``PARAGRAPH_CHARS``)."""
    answer = pipeline.ask(question)
    assert answer.strategy == "compare", answer.answer
    quotes = re.findall(r"”(.*?)” \[\d+\]", answer.answer, re.S)
    assert len(quotes) == len(answer.citations) == 2, answer.answer
    for quote, citation in zip(quotes, answer.citations, strict=True):
        assert len(quote) >= 0.6 * min(len(citation.text), PARAGRAPH_CHARS), (len(quote), len(citation.text))
