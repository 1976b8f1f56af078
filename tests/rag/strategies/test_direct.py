"""The direct strategy's quotes: the best sentence with its context, and the passage's
runner-up sentence where the ranker scores it central too."""

from __future__ import annotations

import re

from rag.answer import ELLIPSIS
from rag.evidence import SentenceScores
from rag.query import QueryPlan
from rag.strategies import DirectStrategy
from rag.strategies.direct import DirectTrace, SentenceCandidate
from rag.types import Passage


def _candidate(n: int, best: int, scores: list[float]) -> list[SentenceCandidate]:
    sents = [f"Mening nummer {i} om något." for i in range(n)]
    passage = Passage("p", " ".join(sents), {"committee": "Norrmalm", "section_path": "Norrmalm"})
    window = SentenceScores(window=[0.0] * n, own=[0.0] * n)
    group = [SentenceCandidate(passage, sents, window, i, {}, None, score=s) for i, s in enumerate(scores)]
    assert group[best].score == max(scores)
    return sorted(group, key=lambda c: -c.score)


def test_the_runner_up_is_quoted_after_an_ellipsis_in_document_order(pipeline) -> None:  # type: ignore[no-untyped-def]
    strategy = next(s for s in pipeline.strategies if isinstance(s, DirectStrategy))
    # Best sentence 1, its successor 2 (short: context), the runner-up 5 scores 0.6 of the best.
    group = _candidate(8, 1, [0.1, 1.0, 0.2, 0.1, 0.1, 0.6, 0.1, 0.1])
    also = strategy.runner_up(group)
    assert also == 5
    sents = group[0].sentences
    assert strategy.quote(group[0], also) == [sents[1], sents[2], ELLIPSIS, sents[5]]
    # Before the best one, it comes first.
    group = _candidate(8, 6, [0.1, 0.6, 0.2, 0.1, 0.1, 0.1, 1.0, 0.1])
    sents = group[0].sentences
    assert strategy.quote(group[0], strategy.runner_up(group)) == [sents[1], ELLIPSIS, sents[6], sents[7]]
    # Scored less than half the best's, or a neighbour (already in reach): nothing more.
    assert strategy.runner_up(_candidate(8, 1, [0.1, 1.0, 0.2, 0.1, 0.1, 0.4, 0.1, 0.1])) is None
    assert strategy.runner_up(_candidate(3, 1, [0.9, 1.0, 0.8])) is None


def test_a_direct_answer_quotes_two_stretches_of_its_one_passage(pipeline) -> None:  # type: ignore[no-untyped-def]
    """"How many measures …": the count is stated well after the sentence the ranker puts
    first; both are quoted from the one cited passage, verbatim, the gap marked."""
    answer = pipeline.ask("Hur många åtgärdsförslag i delrapporten Stad i samverkan har stadsdelsnämnderna delansvar för?")
    assert not answer.refused and len(answer.citations) == 1
    (quote,) = re.findall(r"”(.*?)” \[1\]", answer.answer, re.S)
    parts = [p.strip() for p in quote.split(f" {ELLIPSIS} ")]
    assert len(parts) == 2, answer.answer
    text = " ".join(answer.citations[0].text.split())
    at = [text.find(" ".join(p.split())) for p in parts]
    assert all(a >= 0 for a in at) and at == sorted(at), (parts, text)
    assert "nio" in answer.answer


def test_a_yes_no_answer_quotes_one_stretch(pipeline) -> None:  # type: ignore[no-untyped-def]
    """The verdict is read from the quote: a second stretch would be read with it."""
    answer = pipeline.ask("Tycker Hässelby-Vällingby att facilitatorerna ska samordnas centralt?")
    assert answer.strategy == "yes_no" and not answer.refused
    assert f" {ELLIPSIS} " not in answer.answer


def _passage(pid: str, source: str, sents: list[str], section: str, summary_start: int | None, score: float) -> list[SentenceCandidate]:
    passage = Passage(pid, " ".join(sents), {"source": source, "section_path": section})
    window = SentenceScores(window=[0.0] * len(sents), own=[0.0] * len(sents))
    return [SentenceCandidate(passage, sents, window, i, {}, summary_start, score=score / (i + 1)) for i in range(len(sents))]


def test_a_summary_quotes_the_documents_own_summary_wherever_the_ranker_puts_it(pipeline) -> None:  # type: ignore[no-untyped-def]
    """Asked to summarise, the answer quotes the summary of the text the best passage belongs
    to, even when the ranker put the document's heading first; another document's summary is
    not that text's."""
    strategy = next(s for s in pipeline.strategies if isinstance(s, DirectStrategy))
    heading = _passage("head", "000_a.txt", ["Till stadsdelsnämnden.", "Förslag till beslut."], "Förslag till beslut", None, 0.9)
    other = _passage("other", "002_b.txt", ["En annan sammanfattning.", "Om annat."], "Sammanfattning", 0, 0.5)
    own = _passage("own", "000_a.txt", ["Förvaltningen föreslår nätverk.", "Arbetet pågår."], "Sammanfattning", 0, 0.1)
    plan = QueryPlan(text="Sammanfatta tjänsteutlåtandet", original="Sammanfatta tjänsteutlåtandet", language="sv", kind="summary")
    evidence = strategy.evidence(plan, DirectTrace(candidates=[*heading, *other, *own]), decide=False)
    assert [ev.passage.id for ev in evidence] == ["own"]
    assert evidence[0].sentences[0] == "Förvaltningen föreslår nätverk."
    # Without a summary of its own, the text's central passages are quoted as before.
    evidence = strategy.evidence(plan, DirectTrace(candidates=[*heading, *other]), decide=False)
    assert "head" in [ev.passage.id for ev in evidence] and "other" not in [ev.passage.id for ev in evidence]
