"""Question understanding: language, kind of answer (learned), follow-up rewriting."""

from __future__ import annotations

import numpy as np
import pytest

from rag.decisions import COMMITTEE_KINDS, kind_matrix, kind_type_fit
from rag.features import polarity
from rag.query import (
    detect_language,
    excepted,
    focus,
    group_hint,
    language_of,
    mask_names,
    name_candidates,
    names_in,
    referents,
    standalone,
)
from rag.types import ChatTurn


def test_language_detection() -> None:
    assert detect_language("Vilka nämnder vill att facilitatorer samordnas centralt?") == "sv"
    assert detect_language("Which committees want facilitators coordinated centrally?") == "en"
    # A Swedish place name does not make an English question Swedish.
    assert detect_language("Does Östermalm support mobile teams?") == "en"
    assert detect_language("Is Älvsjö one of the prioritised district areas?") == "en"
    assert detect_language("Har Valnämnden svarat?") == "sv"
    assert detect_language("4.3.2") == "sv"


LANGUAGE_NAMES = ["Överförmyndarförvaltningen", "Hägersten-Liljeholmen", "Kungsholmen", "Farsta", "Hässelby-Vällingby"]


@pytest.mark.parametrize(
    ("question", "language"),
    [
        # Read whole, the Swedish name outweighs the English words (all three were "sv").
        ("Did the Överförmyndarförvaltningen at least send something?", "en"),
        ("What does Hägersten-Liljeholmen say?", "en"),
        ("And Kungsholmen?", "en"),
        # A quoted Swedish title is the documents' words; an apostrophe is not a quote.
        ("Which actions from 'En skola där alla lyckas' does Hässelby-Vällingby respond to?", "en"),
        ("What's the labour market committee's position?", "en"),
        ("Och Farsta?", "sv"),
        ("Vad säger rapporten ”Stad i samverkan” om bidrag?", "sv"),
    ],
)
def test_the_answer_language_is_that_of_the_askers_own_words(question: str, language: str) -> None:
    assert language_of(question, [], LANGUAGE_NAMES) == language


def test_the_whole_message_misreads_those_questions() -> None:
    """The case in point: read whole, a Swedish name outweighs the English words."""
    assert detect_language("Did the Överförmyndarförvaltningen at least send something?") == "sv"
    assert detect_language("What does Hägersten-Liljeholmen say?") == "sv"


def test_a_message_of_names_alone_follows_the_conversations_language() -> None:
    english = [ChatTurn("user", "Which committees did not reply?"), ChatTurn("assistant", "Ten: …")]
    swedish = [ChatTurn("user", "Vilka nämnder har inte svarat?"), ChatTurn("assistant", "Tio: …")]
    assert language_of("Farsta?", english, LANGUAGE_NAMES) == "en"
    assert language_of("Farsta?", swedish, LANGUAGE_NAMES) == "sv"


@pytest.mark.parametrize(
    ("question", "aggregate"),
    [
        ("Vilka nämnder vill att facilitatorer samordnas centralt?", True),
        ("Which district administrations support measure 6.4.2?", True),
        ("Vilka stadsdelsnämnder nämner studiecirklar för föräldrar?", True),
        ("Vad har Bromma stadsdelsnämnd inrättat för att öka delaktigheten?", False),
        ("När antogs programmet för mänskliga rättigheter?", False),
    ],
)
def test_the_kind_model_routes_lists_of_committees(pipeline, question: str, aggregate: bool) -> None:  # type: ignore[no-untyped-def]
    qplan, _ = pipeline.understand(question)
    assert qplan.aggregate is aggregate, qplan.kind


def test_answer_kinds(pipeline) -> None:  # type: ignore[no-untyped-def]
    kind = lambda q: pipeline.understand(q)[0].kind  # noqa: E731
    assert kind("Anser arbetsmarknadsnämnden att hälsoinsatser bör ingå i vuxenutbildningen?") == "yes_no"
    assert kind("Does the sports administration control the premises?") == "yes_no"
    assert kind("Hur många åtgärdsförslag finns i delrapporten?") in {"numeric", "count"}
    assert kind("When did the City Council adopt the programme for human rights?") == "numeric"
    assert kind("Sammanfatta Farstas svar på kommissionens förslag.") == "summary"


def test_the_kind_model_reads_whether_a_question_negates(pipeline) -> None:  # type: ignore[no-untyped-def]
    """A missing-reply question asked in other words ("Which administrations did not submit
    comments …?") was answered out of fold with the committees that did reply: among the
    n-grams its negation is one word. It is a feature of its own, a clause negation — not
    "without", which negates a phrase — and the model learns which way it points."""
    assert polarity([
        "Which administrations haven't sent any comments?", "Vilka nämnder har inte svarat?",
        "Hur många saknar yttrande?", "Which committees replied?",
        "Which district is positive without requiring it to be run centrally?",
    ]) == ["NEG", "NEG", "NEG", "POS", "POS"]
    decisions = pipeline.decisions
    union = dict(decisions.kind_text.transformer_list)
    offset = len(union["lead"].named_steps["tfidf"].vocabulary_)
    assert list(decisions.kind_text.transformer_list)[1][0] == "polarity"
    column = offset + union["polarity"].named_steps["count"].vocabulary_["neg"]  # the vectorizer lowercases
    weight = dict(zip(decisions.kind.classes_, decisions.kind.coef_[:, column], strict=True))
    assert weight["missing"] > weight["replied"] and weight["count_missing"] > weight["count_replied"], weight


def test_the_answer_type_model_has_a_say_in_the_kind(pipeline) -> None:  # type: ignore[no-untyped-def]
    """Alone, the kind model takes "the reference number of the … consultation" for a count of
    the consultation's replies (0.33 against 0.31 for a fact); the answer-type model is sure it
    wants an identifier, which counts of replies never do."""
    question = "What is the reference number of the sustainability commission consultation?"
    decisions = pipeline.decisions
    qvec = pipeline.retriever.embed_query(question)
    x = kind_matrix(decisions.kind_text, [question], qvec[None, :])
    alone = decisions.kind.classes_[decisions.kind.predict_proba(x)[0].argmax()]
    assert alone == "count_replied"
    qplan, _ = pipeline.understand(question)
    assert qplan.likeliest_type == "identifier"
    assert qplan.kind not in COMMITTEE_KINDS and not qplan.replies_counted
    # Counting questions still count.
    assert pipeline.understand("How many committees replied?")[0].kind == "count_replied"
    assert pipeline.understand("Hur många nämnder saknar svar?")[0].kind == "count_missing"


def test_kind_and_answer_type_agreement_is_learnt_from_labelled_questions() -> None:
    kinds = ["numeric"] * 6 + ["count_replied"] * 2 + ["fact"] * 4
    types = ["identifier"] * 3 + ["date"] * 3 + ["count"] * 2 + ["other"] * 4
    kind_classes, type_classes = ["count_replied", "fact", "numeric"], ["count", "date", "identifier", "other"]
    fit = kind_type_fit(kinds, types, kind_classes, type_classes)
    assert fit.shape == (3, 4)
    # A kind wants the types its questions wanted more than their overall share …
    assert fit[2, 2] > 1 and fit[0, 0] > 1 and fit[1, 3] > 1
    # … and a type never seen with a kind weighs against it, the more so the more questions
    # of that kind were seen without it.
    assert fit[0, 2] < 1 and fit[2, 3] < fit[0, 3] < 1
    # Weighted by the type shares, every kind's row averages one: no kind is favoured as such.
    prior = np.array([2, 3, 3, 4]) + 0.5
    assert np.allclose(fit @ (prior / prior.sum()), 1.0)


def test_committee_names_are_masked_for_the_kind_model() -> None:
    assert mask_names("Vad säger Farsta?", ["Farsta"]) == mask_names("Vad säger Bromma?", ["Bromma"])
    assert mask_names("Och Hässelby-Vällingbys svar?", ["Hässelby-Vällingby"]) == "Och Nämndnamn svar?"


NAMES = ["Arbetsmarknadsförvaltningen", "Idrottförvaltningen", "Stadsbyggnadskontoret", "Valnämnden",
         "Södermalm", "Skarpnäck", "Hässelby-Vällingby", "Farsta", "Norrmalm"]  # fmt: skip


@pytest.mark.parametrize(
    ("question", "named"),
    [
        # The committee's other body word, in any inflection.
        ("Ställer sig arbetsmarknadsnämnden bakom förslaget?", ["Arbetsmarknadsförvaltningen"]),
        ("Är idrottsnämnden positiv till digitaliseringen?", ["Idrottförvaltningen"]),
        ("Vad skriver stadsbyggnadsnämndens svar?", ["Stadsbyggnadskontoret"]),
        ("Har valnämnden svarat?", ["Valnämnden"]),
        # Without diacritics, with a space for the hyphen, in the genitive.
        ("Is Sodermalm in favour of the guidelines?", ["Södermalm"]),
        ("How does Skarpnack district view the proposals?", ["Skarpnäck"]),
        ("Anser Hässelby Vällingby att lotsarna kräver nya tjänster?", ["Hässelby-Vällingby"]),
        ("Vad säger Farstas och Norrmalms svar?", ["Farsta", "Norrmalm"]),
        # A group of committees is not one of them.
        ("Vad säger stadsdelsnämnderna om lotsar?", []),
        ("Vad säger Farstaborna?", []),
    ],
)
def test_committees_are_recognised_as_people_write_them(question: str, named: list[str]) -> None:
    assert names_in(question, NAMES) == named


def test_phrases_that_may_name_a_committee_in_other_words() -> None:
    assert name_candidates("Does the labour market committee support it?", NAMES) == ["labour market committee", "market committee"]
    assert name_candidates("What did the City Archives write?", NAMES) == ["City Archives"]
    assert name_candidates("Hur svarade Idrotsförvaltningen?", NAMES) == ["Idrotsförvaltningen"]
    # Names already recognised, and groups of committees, are no candidates.
    assert name_candidates("Vad säger arbetsmarknadsnämnden?", NAMES) == []
    assert name_candidates("Which district councils support it?", NAMES) == []
    # A Swedish body the index does not hold is no committee's misspelling, however near in e5.
    assert name_candidates("Vad anser Testnämnden?", NAMES) == []


@pytest.mark.parametrize(
    ("question", "resolved"),
    [
        ("Can you summarise what the City Archives wrote in response to the commission?", ["Stadsarkivet"]),
        ("Does the sports administration support a digital application process?", ["Idrottförvaltningen"]),
        ("Is the Elderly Care Administration among those that replied?", ["Äldreförvaltningen"]),
        ("When did the City Council adopt the programme for human rights?", []),
        # Each body phrase names its own committee: two of them make a comparison.
        ("Does the labour market committee agree with the sports administration on grants?", ["Arbetsmarknadsförvaltningen", "Idrottförvaltningen"]),
    ],
)
def test_the_name_model_resolves_committees_named_in_other_words(pipeline, question: str, resolved: list[str]) -> None:  # type: ignore[no-untyped-def]
    qplan, _ = pipeline.understand(question)
    assert qplan.resolved == resolved, (qplan.kind, qplan.resolved)


def test_follow_up_inherits_the_previous_question() -> None:
    history = [ChatTurn("user", "Vad säger Norrmalm om facilitatorer?"), ChatTurn("assistant", "…")]
    assert "facilitatorer" in standalone("och Södermalm?", history)
    long_question = "Vilka community centers finns redan i Enskede-Årsta-Vantör idag?"
    assert standalone(long_question, history) == long_question
    assert standalone("och Södermalm?", []) == "och Södermalm?"
    # A question that points back ("de insatserna", "they") continues the exchange, however long.
    for pointing in ("Vad är syftet med de insatserna som nämnden beskriver?", "What do they propose for funding the work?"):
        assert standalone(pointing, history).startswith("Vad säger Norrmalm om facilitatorer?")


def test_a_pronoun_points_back_to_the_committees_the_previous_answer_named() -> None:
    names = ["Bromma", "Farsta", "Norrmalm", "Södermalm"]
    answer = "Två nämnder: Bromma och Norrmalm.\n- **Bromma**: ”Farsta gör likadant” [1]"
    history = [ChatTurn("user", "Vilka nämnder skriver om mötesplatser?"), ChatTurn("assistant", answer)]
    for question in (
        "Vilka av dem vill ha fler lokaler?", "Do either of them want more premises?", "Do the same two want more premises?",
        # A quantifier points back as a pronoun does.
        "Which of the two want more premises?", "Vill båda ha fler lokaler?", "Do both want more premises?",
    ):
        assert referents(question, history, names) == ["Bromma", "Norrmalm"], question
    # A question that does not point back chooses among every committee; so does one with no answer before it.
    assert referents("Vilka nämnder vill ha fler lokaler?", history, names) == []
    assert referents("Vilka av dem vill ha fler lokaler?", history[:1], names) == []


def test_a_list_question_leaves_out_the_committees_it_excepts() -> None:
    names = ["Norrmalm", "Skärholmen", "Stadsbyggnadskontoret"]
    assert excepted("Vilka fackförvaltningar, utöver stadsbyggnadskontoret, nämner KTH?", names) == ["Stadsbyggnadskontoret"]
    assert excepted("Which committees besides Norrmalm want facilitators?", names) == ["Norrmalm"]
    assert excepted("Vilka nämnder förutom Norrmalm och Skärholmen vill ha lotsar?", names) == ["Norrmalm", "Skärholmen"]
    # A name that is what the question is about is kept.
    assert excepted("Vilka nämnder nämner Fokus Skärholmen?", names) == []


def test_a_follow_up_naming_one_committee_is_about_that_committee(pipeline) -> None:  # type: ignore[no-untyped-def]
    history = [
        ChatTurn("user", "Vilka nämnder vill att facilitatorer samordnas centralt?"),
        ChatTurn("assistant", "Tre nämnder: Hässelby-Vällingby, Norrmalm och Södermalm."),
    ]
    answer = pipeline.ask("Och vad säger Farsta?", history)
    assert answer.strategy != "aggregate"
    assert {c.committee for c in answer.citations} <= {"Farsta"}


def test_the_asking_sentence_without_contact_details_is_searched(pipeline) -> None:  # type: ignore[no-untyped-def]
    message = "Jag heter Anna. Mejla anna@example.se eller ring 070-123 45 67. Vilka nämnder vill att facilitatorer samordnas centralt?"
    assert focus(message) == "Vilka nämnder vill att facilitatorer samordnas centralt?"
    assert "19850101" not in focus("Vad gäller för 19850101-1234 i Farsta?")
    assert focus("Vad säger Farsta?") == "Vad säger Farsta?"
    # An asking sentence that points back ("de") needs the sentence it points to.
    context = "Farsta och Bromma skriver båda om mötesplatser. Hur skiljer de sig åt i synen på resurser?"
    assert focus(context) == context
    assert pipeline.understand(message)[0].original == message  # shown as asked; only the search text is focused


@pytest.mark.parametrize(
    ("question", "group"),
    [
        ("Vilka fackförvaltningar anger hur många åtgärder de berörs av?", "fack"),
        ("Vilka fackförvaltingar anger hur många åtgärder de berörs av?", "fack"),  # misspelt
        ("Vilka fackforvaltningar svarade?", "fack"),  # no diacritics
        ("Vilka stadsdelsnamnder vill ha lotsar?", "stadsdel"),
        ("Which district councils want navigators?", "stadsdel"),
        ("Which specialist administrations replied?", "fack"),
        ("Vilka nämnder vill ha lotsar?", None),
        ("Vilka fackförbund nämns?", None),  # a trade union is no administration
        # Both groups named: neither restricts.
        ("Which departments or district councils offer their know-how?", None),
        ("Vilka stadsdelsnämnder och fackförvaltningar vill ha lotsar?", None),
    ],
)
def test_a_group_of_committees_is_read_through_misspellings(question: str, group: str | None) -> None:
    assert group_hint(question) == group
