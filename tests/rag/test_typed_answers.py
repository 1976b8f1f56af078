"""Typed answers: a value, a verdict, a count and the names lead the answer; all from the evidence."""

from __future__ import annotations

import re

from rag.answer import (
    Evidence,
    ExtractiveComposer,
    Frame,
    count_phrase,
    english_value,
    name_list,
    people_named,
    typed_value,
    value_type,
)
from rag.features import answer_types_in, given_names, person_names, verdict_row
from rag.types import Passage


def _quoted(answer) -> str:  # type: ignore[no-untyped-def]
    return " ".join(c.text for c in answer.citations)


def test_a_date_question_leads_with_the_date_as_written_in_the_cited_sentence(pipeline) -> None:  # type: ignore[no-untyped-def]
    # An English answer writes the month in English; the cited sentence holds the date as written.
    for question, expected in (
        ("När antogs Stockholms program för mänskliga rättigheter?", "16 december 2024"),
        ("When did the City Council adopt the human rights programme?", "16 December 2024"),
    ):
        answer = pipeline.ask(question)
        lead = answer.answer.split(" [1].")[0]
        assert lead == expected, answer.answer
        assert "16 december 2024" in re.sub(r"\s+", " ", _quoted(answer))


def test_no_is_reachable_for_a_doubt_and_for_a_missing_reply(pipeline) -> None:  # type: ignore[no-untyped-def]
    doubt = pipeline.ask("Anser arbetsmarknadsnämnden att hälsofrämjande insatser bör ingå i vuxenutbildningens uppdrag?")
    assert doubt.answer.startswith("Nej"), doubt.answer
    missing = pipeline.ask("Har Valnämnden lämnat något svar?")
    assert missing.answer.startswith("Nej"), missing.answer
    assert {c.committee for c in missing.citations} == {"Valnämnden"}


def test_the_verdict_reads_what_the_quote_leaves_out_of_the_question(pipeline) -> None:  # type: ignore[no-untyped-def]
    """A quote that lacks the question's rarest term ("Hässelby strand" in a sentence that
    names the priority areas without it) is evidence for "no", with a learned weight."""
    row = pipeline.trace("Är Hässelby strand ett av stadsdelens prioriterade bostadsområden?")["verdict"]
    assert row is not None
    assert 0.0 < row["uncovered_share"] <= 1.0 and 0.0 < row["uncovered_max"] <= 1.0
    held = pipeline.trace("Vilka är de tre prioriterade områdena i Hässelby-Vällingby?")["verdict"]
    assert held["uncovered_max"] < row["uncovered_max"]
    # Learnt, not set: the same quote with the question's every term in it reads less "no".
    # (The two measures are collinear; their joint effect is what the model learnt.)
    covered = {**row, "uncovered_max": held["uncovered_max"], "uncovered_share": held["uncovered_share"]}
    assert pipeline.decisions.p_no(row) > pipeline.decisions.p_no(covered)


def test_the_verdict_reads_the_deciding_sentence_apart_from_its_context(pipeline) -> None:  # type: ignore[no-untyped-def]
    """A quote's context may hold a negation that is not the position ("I många fall kan deras
    önskemål inte tillgodoses … Idrottsnämnden ser därför positivt på …"). The verdict reads
    the cues of the ranker's best sentence beside the whole quote's, and has learnt that a
    negation in the best sentence says "no" more than the same negation in its context."""
    context = "I många fall kan deras önskemål inte tillgodoses av tekniska orsaker."
    position = "Idrottsnämnden ser därför positivt på ett centralt engagemang för en modern digitaliserad ansökningsprocess."
    row = verdict_row(
        quote=f"{context} {position}", question="Är idrottsnämnden positiv?", coverage=0.5,
        reply_missing=False, named_missing=False, best=position,
    )
    assert row["negation"] > 0 and row["best_negation"] == 0
    assert row["support"] > 0 and row["best_support"] > 0
    traced = pipeline.trace("Did the Skärholmen pre-study find any vacant premises that worked for the planned meeting halls?")
    negated = traced["verdict"]
    assert negated is not None and negated["best_negation"] > 0, negated
    in_context = {**negated, "best_negation": 0.0}
    assert pipeline.decisions.p_no(negated) > pipeline.decisions.p_no(in_context)


def test_missing_replies_are_answered_from_the_index_with_how_many_and_which(pipeline) -> None:  # type: ignore[no-untyped-def]
    answer = pipeline.ask("How many committees did not reply?")
    assert answer.strategy == "missing"
    assert answer.answer.startswith("Ten (10) committees: ")
    assert len(answer.citations) == 10
    assert all("saknas" in c.text.lower() for c in answer.citations)


def test_list_openers() -> None:
    assert count_phrase(3, "sv") == "Tre nämnder"
    assert count_phrase(1, "sv") == "En nämnd"
    assert count_phrase(10, "en", digits=True) == "Ten (10) committees"
    assert count_phrase(21, "en", digits=True) == "21 committees"
    assert name_list(["Hässelby-Vällingby", "Norrmalm", "Södermalm"], "sv") == "Hässelby-Vällingby, Norrmalm och Södermalm"
    assert name_list(["Farsta", "Bromma"], "en") == "Farsta and Bromma"


def test_the_lead_value_is_of_the_type_the_question_wants() -> None:
    """A year does not answer "how many", nor a measure or motion number "when"."""
    quote = ["Motion 2010:29 (åtgärd 6.2) antogs den 14 mars 2011 och berör 30 procent av de 1 200 hushållen."]
    assert typed_value(quote, None, None, {"date": 0.8, "count": 0.1, "other": 0.1}) == "14 mars 2011"
    assert typed_value(quote, None, None, {"percent": 0.7, "count": 0.2, "other": 0.1}) == "30 procent"
    assert typed_value(["Sedan början på 2000-talet har inflyttningen ökat."], None, None, {"count": 0.9, "other": 0.1}) is None
    assert typed_value(["Se åtgärd 6.2 och motion 2010:29."], None, None, {"date": 0.9, "other": 0.1}) is None
    assert typed_value(quote, None, None, {"identifier": 0.8, "other": 0.2}) == "2010:29"
    assert typed_value(["Nämnden berörs av åtgärd 6.2."], None, None, {"identifier": 0.8, "other": 0.2}) == "6.2"
    assert typed_value(["Nämnden berörs av åtgärd 6.2."], None, None, {"amount": 0.8, "other": 0.2}) is None
    # A noun cut short by a hyphen is led with the noun it shares its end with.
    quote = ["I dag är två studie- och yrkesvägledare anställda på sfi-centrum."]
    assert typed_value(quote, None, None, {"count": 0.9, "other": 0.1}) == "två studie- och yrkesvägledare"
    assert value_type("dnr 332-2210/2010") == value_type("2010:29") == value_type("6.2") == "identifier"
    assert value_type("2016") == value_type("2011-03-14") == "date"
    assert value_type("5 miljoner kronor") == "amount"


def test_a_quote_says_whose_text_it_is(pipeline) -> None:  # type: ignore[no-untyped-def]
    """"Has Kungsholmen replied?" — "Nej" and a bare ”Skrivelse saknas.” would not say whose
    reply is missing: the quote is attributed to its committee."""
    answer = pipeline.ask("Har Kungsholmens stadsdelsnämnd svarat på kommissionens rapporter?")
    assert answer.answer.startswith("Nej"), answer.answer
    assert "Kungsholmen: ”" in answer.answer
    assert {c.committee for c in answer.citations} == {"Kungsholmen"}


def test_one_quote_listing_the_items_asked_for_names_no_committee_beside_them() -> None:
    """Asked which housing companies, a committee's name before the quote would read as one
    more item of the list; a fact or a verdict names it."""
    passage = Passage("c1", "Stockholmshem och Familjebostäder deltar.", {"committee": "Hässelby-Vällingby"})
    evidence = [Evidence(passage, ["Stockholmshem och Familjebostäder deltar."])]
    composer = ExtractiveComposer()
    items = composer.compose("Vilka bostadsbolag deltar?", "sv", evidence, "direct", Frame(kind="items"))
    fact = composer.compose("Vem deltar?", "sv", evidence, "direct", Frame(kind="fact"))
    assert "Hässelby-Vällingby" not in items and "”Stockholmshem och Familjebostäder deltar.” [1]" in items
    assert "Hässelby-Vällingby: ”Stockholmshem och Familjebostäder deltar.” [1]" in fact


def test_a_value_the_question_states_is_not_its_answer() -> None:
    quote = ["Motion 2010:29 från (mp) om Europarådets rekommendationer. Remiss från Kommunstyrelsen dnr 332-2210/2010."]
    wanted = {"identifier": 0.9, "other": 0.1}
    assert typed_value(quote, None, None, wanted) == "2010:29"
    assert typed_value(quote, None, None, wanted, "Vilket diarienummer har remissen om motion 2010:29?") == "dnr 332-2210/2010"


def test_a_measure_number_asked_for_is_read_from_the_heading_of_the_cited_passage(pipeline) -> None:  # type: ignore[no-untyped-def]
    """The comment that answers does not repeat its measure's number; the passage's heading
    ("4.4.3 Åtgärd: …") holds it, and the answer leads with it."""
    answer = pipeline.ask("Vilket åtgärdsnummer kommenterar idrottsnämnden när den säger att den inte styr över lokalerna?")
    assert answer.answer.startswith("4.4.3 [1]."), answer.answer
    assert answer.citations[0].text.startswith("4.4.3 Åtgärd")


def test_a_month_or_season_with_its_year_is_one_date() -> None:
    wanted = {"date": 0.9, "other": 0.1}
    assert typed_value(["Parkplanen antogs av stadsdelsnämnden i juni 2015."], None, None, wanted) == "juni 2015"
    assert typed_value(["Under våren 2016 inleds en satsning med Sensus."], None, None, wanted) == "våren 2016"
    assert typed_value(["Arbetet redovisas 2017."], None, None, wanted) == "2017"


def test_a_person_is_a_given_name_before_a_capitalised_word() -> None:
    """Capitalisation alone took headings run into a place, projects and organisations for
    people; a given name (Faker's national name lists) tells them apart."""
    for text in ("Leif Spjuth stadsdelsdirektör", "Sven-Göran Södergren avdelningschef",
                 "Bakgrund Karin Rågsjö (v) och Måns Almqvist (v) föreslår", "Handläggare Jens Westlund"):
        assert answer_types_in(text)["person"] == 1.0, text
    for text in ("Bakgrund Hässelby-Vällingby stadsdelsnämnd har på remiss fått motionen",
                 "Till Hässelby-Vällingby stadsdelsnämnd", "projektet Fokus Skärholmen", "Folkets Hus och Parker",
                 "Lokala Community Centers ska bildas", "Skillnadernas Stockholm"):
        assert answer_types_in(text)["person"] == 0.0, text


def test_who_proposed_a_motion_is_answered_with_the_sentence_naming_its_authors(pipeline) -> None:  # type: ignore[no-untyped-def]
    answer = pipeline.ask("Who proposed the motion about housing segregation for children?")
    assert not answer.refused
    assert "Karin Rågsjö" in answer.answer and "Måns Almqvist" in answer.answer
    # The people lead the answer, as the cited sentence writes them.
    lead = answer.answer.split(" [1].")[0]
    assert lead == "Karin Rågsjö and Måns Almqvist", answer.answer
    quoted = " ".join(_quoted(answer).split())  # the PDF text breaks lines inside names
    assert all(name in quoted for name in lead.split(" and "))


def test_a_title_in_the_question_picks_the_person_it_is_written_beside(pipeline) -> None:  # type: ignore[no-untyped-def]
    """A signature writes the title after the name, a heading before it: asked for one role,
    the answer leads with its bearer alone, not with every person the quote names."""
    for question, person in (
        ("Vad heter Hässelby-Vällingbys stadsdelsdirektör?", "Leif Spjuth"),
        ("Vem är handläggare för Hägersten-Älvsjös tjänsteutlåtande?", "Jens Westlund"),
    ):
        answer = pipeline.ask(question)
        assert answer.answer.split(" [1].")[0] == person, answer.answer
    both = pipeline.ask("Who signed the Hässelby-Vällingby reply on the racism motion?")
    assert both.answer.split(" [1].")[0] == "Leif Spjuth and Sven-Göran Södergren", both.answer


def test_a_person_is_read_whole_from_the_quote() -> None:
    assert [n for _, n in person_names("Leif Spjuth stadsdelsdirektör Sven-Göran Södergren avdelningschef")] == [
        "Leif Spjuth", "Sven-Göran Södergren",  # not also "Göran Södergren"
    ]
    assert person_names("Bakgrund Hässelby-Vällingby stadsdelsnämnd har på remiss fått motionen") == []
    assert person_names("Bostadsbolagen Familjebostäder, Stockholmshem och Svenska Bostäder är med.") == []


def test_a_who_answer_leads_with_every_person_the_quote_names_but_not_those_asked_about() -> None:
    signed = ["Leif Spjuth stadsdelsdirektör Sven-Göran Södergren avdelningschef"]
    assert people_named(signed, "Who signed the reply?", "en") == "Leif Spjuth and Sven-Göran Södergren"
    assert people_named(signed, "Vem skrev under tillsammans med Leif Spjuth?", "sv") == "Sven-Göran Södergren"
    assert people_named(["Nämnden ställer sig bakom förslaget."], "Vem skrev under?", "sv") is None


def test_warm_up_loads_the_name_lists_off_the_request_path(pipeline) -> None:  # type: ignore[no-untyped-def]
    given_names.cache_clear()
    pipeline.warm_up()
    assert given_names.cache_info().currsize == 1
    assert "Karin" in given_names()


def test_an_english_answer_leads_with_its_value_in_english_and_quotes_the_swedish() -> None:
    assert english_value("våren 2016") == "spring 2016"
    assert english_value("14 mars 2011") == "14 March 2011"
    assert english_value("ca 120 personer") == "about 120 people"
    assert english_value("30 procent") == "30 per cent"
    assert english_value("dnr 332-2210/2010") == "dnr 332-2210/2010"  # an identifier as written
    assert english_value("Maj Karlsson") == "Maj Karlsson"  # a person is no date
    # Whole or not at all: no value half in each language.
    assert english_value("tre år") == "three years"
    assert english_value("två studie- och yrkesvägledare") == "två studie- och yrkesvägledare"
    sentence = "Parkplanen antogs av stadsdelsnämnden i juni 2015."
    evidence = [Evidence(Passage("c1", sentence, {"committee": "Norrmalm"}), [sentence])]
    composer = ExtractiveComposer()
    en = composer.compose("When was the park plan adopted?", "en", evidence, "direct", Frame(kind="numeric", value="juni 2015"))
    sv = composer.compose("När antogs parkplanen?", "sv", evidence, "direct", Frame(kind="numeric", value="juni 2015"))
    assert en.startswith("June 2015 [1].") and f"”{sentence}” [1]" in en
    assert sv.startswith("juni 2015 [1].")
