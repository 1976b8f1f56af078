"""Question understanding: language, strategy, follow-up rewriting."""

from __future__ import annotations

from rag.query import detect_language, plan, standalone
from rag.types import ChatTurn


def test_language_detection() -> None:
    assert detect_language("Vilka nämnder vill att facilitatorer samordnas centralt?") == "sv"
    assert detect_language("Which committees want facilitators coordinated centrally?") == "en"


def test_aggregation_questions_are_recognised() -> None:
    assert plan("Vilka nämnder vill att facilitatorer samordnas centralt?").aggregate
    assert plan("Which district administrations support measure 6.4.2?").aggregate
    assert plan("Which district administrations support measure 6.4.2?").group_hint == "stadsdel"
    assert not plan("Vad har Bromma stadsdelsnämnd inrättat?").aggregate


def test_missing_reply_and_answer_types() -> None:
    assert plan("Vilka nämnder har inte svarat?").missing_replies
    assert plan("Which committees did not reply?").missing_replies
    assert plan("Anser nämnden att insatserna räcker?").yes_no
    assert plan("Hur många åtgärdsförslag finns?").numeric
    assert plan("Sammanfatta inriktningen").summary


def test_follow_up_inherits_the_previous_question() -> None:
    history = [ChatTurn("user", "Vad säger Norrmalm om facilitatorer?"), ChatTurn("assistant", "…")]
    assert "facilitatorer" in standalone("och Södermalm?", history)
    long_question = "Vilka community centers finns redan i Enskede-Årsta-Vantör idag?"
    assert standalone(long_question, history) == long_question
    assert standalone("och Södermalm?", []) == "och Södermalm?"


def test_the_asking_sentence_without_contact_details_is_searched() -> None:
    from rag.query import focus

    message = "Jag heter Anna. Mejla anna@example.se eller ring 070-123 45 67. Vilka nämnder vill att facilitatorer samordnas centralt?"
    assert focus(message) == "Vilka nämnder vill att facilitatorer samordnas centralt?"
    assert "19850101" not in focus("Vad gäller för 19850101-1234 i Farsta?")
    assert focus("Vad säger Farsta?") == "Vad säger Farsta?"
    assert plan(message).original == message  # shown as asked; only the search text is focused
