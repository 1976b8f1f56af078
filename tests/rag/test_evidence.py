"""Sentence-level evidence helpers (rag.evidence)."""

from rag.evidence import ANNOUNCED_CHARS, announced
from rag.text import split_sentences

TEXT = (
    "Nämnden ska beskriva sina förutsättningar. Nämnden är berörd av två åtgärder; "
    "• Styr forskningsnära samverkan mot kunskapsutveckling "
    "• Genomför utbildningsinsatser om socialt hållbar stadsplanering. "
    "Nämndens insatser måste ske i samverkan med stadsbyggnadsnämnden."
)


def test_a_quote_that_announces_items_goes_on_with_every_item() -> None:
    sents = split_sentences(TEXT)
    assert sents[1].endswith(";") and sents[2].startswith("• Styr") and sents[3].startswith("• Genomför")
    # The colon's sentence alone, or with the first item only: both items follow, and the
    # sentence after the list does not.
    assert announced(sents, [0, 1]) == [0, 1, 2, 3]
    assert announced(sents, [1, 2]) == [1, 2, 3]


def test_a_colon_announces_the_one_sentence_that_follows_when_no_items_do() -> None:
    sents = ["Det gäller följande:", "Rapporterna om skolan och om vuxenutbildningen.", "Annat."]
    assert announced(sents, [0]) == [0, 1]


def test_a_quote_without_a_colon_is_left_as_it_is() -> None:
    sents = split_sentences(TEXT)
    assert announced(sents, [0]) == [0]
    assert announced(sents, [3, 4]) == [3, 4]


def test_announced_items_stop_at_the_length_limit() -> None:
    item = "• " + "ord " * 60
    sents = ["Följande gäller:", *[item] * 10]
    kept = announced(sents, [0])
    assert 1 < len(kept) < len(sents)
    assert sum(len(sents[i]) for i in kept[1:]) <= ANNOUNCED_CHARS
