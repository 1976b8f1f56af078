from rag.text import split_sentences


def test_enumeration_markers_do_not_end_sentences() -> None:
    text = (
        "Kommissionen har tagit fram fyra delrapporter: 1. Stad i samverkan 2. En skola där alla ska lyckas "
        "3. Från delad till enad stad. Nämnden delar bedömningen."
    )
    assert split_sentences(text) == [
        "Kommissionen har tagit fram fyra delrapporter: 1. Stad i samverkan 2. En skola där alla ska lyckas "
        "3. Från delad till enad stad.",
        "Nämnden delar bedömningen.",
    ]


def test_a_list_item_at_the_start_stays_whole_and_sentences_still_split() -> None:
    assert split_sentences("1. Få fler att välja studier. 2. Stärk samverkan med skolor. Det kostar.") == [
        "1. Få fler att välja studier.",
        "2. Stärk samverkan med skolor.",
        "Det kostar.",
    ]
