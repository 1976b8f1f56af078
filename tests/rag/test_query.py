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
