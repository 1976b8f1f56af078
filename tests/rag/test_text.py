from rag.text import split_sentences, with_heading


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


CUT = "1.5 Åtgärd: Genomför ett pilotprojekt med ett sammanhållet program för kortutbildade där s"
MEASURE = "1.5 Åtgärd: Genomför ett pilotprojekt med ett sammanhållet program för kortutbildade där studier\noch arbetsmarknadsinsatser kombineras."


def test_a_quote_of_the_sentence_a_cut_heading_runs_into_starts_with_the_heading() -> None:
    (first,) = split_sentences(MEASURE, CUT)
    assert first == "tudier och arbetsmarknadsinsatser kombineras."
    assert with_heading(MEASURE, CUT, first) == " ".join(MEASURE.split())


def test_a_heading_word_that_opens_a_sentence_is_quoted_with_it() -> None:
    text = "Älvsjö tillhör inte de prioriterade stadsdelsområdena. Förvaltningen ser ändå behov."
    first, second = split_sentences(text, "Älvsjö")
    assert with_heading(text, "Älvsjö", first) == "Älvsjö tillhör inte de prioriterade stadsdelsområdena."
    # Only the passage's first sentence, and only when the heading runs into it.
    assert with_heading(text, "Älvsjö", second) == second
    assert with_heading("Inledning\n\nNämnden delar bedömningen.", "Inledning", "Nämnden delar bedömningen.") == "Nämnden delar bedömningen."
