"""Lists of committees (rag.strategies.committees), on the real index."""

from __future__ import annotations

from rag.types import ChatTurn
from rag.windows import committee_candidates


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
    # "Which *other* …" leaves them out instead.
    other, _ = pipeline.understand("Och vilka andra vill att facilitatorer samordnas centralt?", history)
    assert (other.within, other.excluded) == ([], ["Bromma", "Norrmalm"])
    answer = pipeline.ask("Och vilka andra vill att facilitatorer samordnas centralt?", history)
    assert "Norrmalm" not in {c.committee for c in answer.citations}
    assert {"Hässelby-Vällingby", "Södermalm"} & {c.committee for c in answer.citations}
    # Without the pointing back, the question is about every committee again.
    alone = pipeline.ask("Vilka nämnder vill att facilitatorer samordnas centralt?", history)
    assert {"Hässelby-Vällingby", "Norrmalm", "Södermalm"} <= {c.committee for c in alone.citations}


def test_narrowing_a_list_keeps_the_members_that_meet_the_new_condition_too(pipeline) -> None:  # type: ignore[no-untyped-def]
    """All three committees that want facilitators coordinated centrally also write about
    the navigators (lotsar): "Vilka av dem nämner lotsar?" lists all three. Membership learns
    how much more likely a committee the previous answer named is to meet a follow-up's
    condition (the feature ``within``); without it, only Hässelby-Vällingby was listed."""
    history = [
        ChatTurn("user", "Vilka nämnder vill att facilitatorer samordnas centralt?"),
        ChatTurn("assistant", "Tre nämnder: Hässelby-Vällingby, Norrmalm och Södermalm."),
    ]
    answer = pipeline.ask("Vilka av dem nämner lotsar?", history)
    assert answer.strategy == "aggregate", answer.answer
    assert {c.committee for c in answer.citations} == {"Hässelby-Vällingby", "Norrmalm", "Södermalm"}, answer.answer
    qplan, qvec = pipeline.understand("Vilka av dem nämner lotsar?", history)
    candidates, _ = committee_candidates(pipeline.retriever, qplan, qvec, None)
    assert {c.committee for c in candidates if c.features["within"]} == {"Hässelby-Vällingby", "Norrmalm", "Södermalm"}


def test_sources_after_a_list_continue_with_the_committees_ranked_next(pipeline) -> None:  # type: ignore[no-untyped-def]
    """After the listed committees' passages, an official sees the best passage of each
    committee the membership model ranked next, most probable first, not whatever the
    question's global search found (another passage of a listed committee, a stray office)."""
    question = "Vilka nämnder vill att facilitatorer samordnas centralt?"
    candidates = pipeline.trace(question)["committees"]
    p = pipeline.decisions.p_member([c.features for c in candidates])
    answer = pipeline.ask(question)
    listed = {c.committee for c in answer.citations}
    assert listed
    ranked_next = [c.committee for _, c in sorted(zip(p.tolist(), candidates, strict=True), key=lambda x: -x[0]) if c.committee not in listed]
    after = [r.committee for r in answer.retrieved if r.committee not in listed]
    assert after[:4] == ranked_next[:4]
