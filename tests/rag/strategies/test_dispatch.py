"""The answer strategies behind one protocol, and the order the dispatcher asks them in."""

from __future__ import annotations

import pytest

from rag.strategies import Asked, DirectStrategy, Strategy


def _asked(pipeline, question: str) -> Asked:  # type: ignore[no-untyped-def]
    qplan, qvec = pipeline.understand(question, None)
    named = pipeline.committees_named(qplan, None)
    return Asked(qplan, qvec, None, named, [], [])


def test_every_strategy_gathers_through_the_one_protocol(pipeline) -> None:  # type: ignore[no-untyped-def]
    assert len({type(s) for s in pipeline.strategies}) == len(pipeline.strategies) >= 7
    for strategy in pipeline.strategies:
        assert isinstance(strategy, Strategy)  # structurally: a ``gather`` method
    # The direct strategy takes whatever is left, so it is asked last.
    assert isinstance(pipeline.strategies[-1], DirectStrategy)


@pytest.mark.parametrize(
    ("question", "taker", "kind"),
    [
        ("Vilka nämnder har inte svarat på remissen?", "MissingRepliesStrategy", "missing"),
        ("Hur många nämnder har svarat på remissen?", "ReplyCountStrategy", "replied"),
        ("Vilka nämnder vill att facilitatorer samordnas centralt?", "CommitteesStrategy", "aggregate"),
        ("Vad säger Norrmalm och Södermalm om lokala utvecklingsprogram?", "CompareStrategy", "compare"),
        ("När antogs Norrmalms parkplan?", "DirectStrategy", "direct"),
    ],
)
def test_the_first_strategy_that_takes_a_question_answers_it(pipeline, question: str, taker: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    asked = _asked(pipeline, question)
    gathered = {type(s).__name__: s.gather(asked) for s in pipeline.strategies}
    first = next(name for name, g in gathered.items() if g is not None)
    assert first == taker, {n: g.kind for n, g in gathered.items() if g is not None}
    assert gathered[taker].kind == kind
    # The strategies asked before it passed the question on.
    names = [type(s).__name__ for s in pipeline.strategies]
    assert all(gathered[n] is None for n in names[: names.index(taker)])
    assert pipeline.ask(question).strategy in (kind, "refuse")


def test_a_strategy_passes_on_what_it_does_not_take(pipeline) -> None:  # type: ignore[no-untyped-def]
    """A comparison needs two committees named; a count of replies needs a count question."""
    by_name = {type(s).__name__: s for s in pipeline.strategies}
    one = _asked(pipeline, "Vad säger Norrmalm om lokala utvecklingsprogram?")
    assert by_name["CompareStrategy"].gather(one) is None
    assert by_name["ReplyCountStrategy"].gather(one) is None
    assert by_name["DirectStrategy"].gather(one) is not None
