"""Aggregation over every committee's reply (rag.aggregate), on the real index."""

from __future__ import annotations

import re

import numpy as np
import pytest

from rag.aggregate import committee_candidates, shared_document_rows
from rag.evidence import PARAGRAPH_CHARS, passage_sentences, without_frame
from rag.types import ChatTurn


@pytest.mark.parametrize(
    ("question", "condition"),
    [
        ("Vilka nämnder har svarat?", False),
        # An English condition matches no Swedish term of the corpus, yet it is a condition:
        # the membership model decides it from the e5 similarities, not "every committee".
        ("Which committees describe efforts aimed specifically at foreign-born women?", True),
        ("Vilka nämnder vill att facilitatorer samordnas centralt?", True),
    ],
)
def test_a_condition_is_recognised_in_either_language(pipeline, question: str, condition: bool) -> None:  # type: ignore[no-untyped-def]
    qplan, qvec = pipeline.understand(question, None)
    candidates, has_condition = committee_candidates(pipeline.retriever, qplan, qvec, None)
    assert candidates
    assert has_condition is condition


def test_the_condition_alone_is_compared_with_each_committees_sentences(pipeline) -> None:  # type: ignore[no-untyped-def]
    """Membership reads how near each committee's sentences come to the condition without the
    frame ("Vilka nämnder …"), which would pull every committee's text alike."""
    qplan, qvec = pipeline.understand("Vilka nämnder vill att facilitatorer samordnas centralt?", None)
    candidates, _ = committee_candidates(pipeline.retriever, qplan, qvec, None)
    by_name = {c.committee: c for c in candidates}
    condition = pipeline.retriever.embed_query(without_frame("Vilka nämnder vill att facilitatorer samordnas centralt?"))
    snap = pipeline.retriever.snapshot()
    window = by_name["Norrmalm"].window
    n = len(passage_sentences(window.passage.text, str(window.passage.meta.get("section_path", ""))))
    assert window.condition_sim == pytest.approx(float(snap.sentence_similarities(window.passage, n, condition)[window.best]), abs=1e-5)
    assert window.condition_sim != pytest.approx(window.sim, abs=1e-4)
    assert window.condition_max_sim >= window.condition_sim
    gaps = {name: c.features["condition_max_gap"] for name, c in by_name.items()}
    assert min(gaps.values()) == 0.0
    members = ("Hässelby-Vällingby", "Norrmalm", "Södermalm")
    others = sorted(g for name, g in gaps.items() if name not in members)
    # The three committees that ask for it are nearer the condition than most others.
    assert all(gaps[m] <= others[len(others) // 2] for m in members)


def test_an_english_condition_does_not_list_every_committee(pipeline) -> None:  # type: ignore[no-untyped-def]
    answer = pipeline.ask("Which committees describe efforts aimed specifically at foreign-born women?")
    replied = pipeline.ask("Vilka nämnder har svarat?")
    # "Which committees replied?" is answered from the compilation's structure: every reply.
    assert (answer.strategy, replied.strategy) == ("aggregate", "replies")
    assert 0 < len(answer.citations) < len(replied.citations) / 2


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


@pytest.mark.parametrize(
    ("question", "lead", "missing"),
    [
        # The compilation lists 31 committees, ten of them with a missing-reply note.
        ("Hur många nämnder har svarat?", "21 nämnder av 31 har svarat.", 10),
        ("How many committees sent in a reply to the commission?", "21 committees of 31 replied.", 10),
        ("Hur många av stadsdelsnämnderna har lämnat ett yttrande?", "Tolv (12) nämnder av 14 har svarat.", 2),
    ],
)
def test_how_many_replied_is_counted_from_the_compilation(pipeline, question: str, lead: str, missing: int) -> None:  # type: ignore[no-untyped-def]
    answer = pipeline.ask(question)
    assert answer.strategy == "replied"
    assert answer.answer.splitlines()[0] == lead
    # The difference is shown, not asserted: each missing reply is cited.
    assert len(answer.citations) == missing
    assert all("saknas" in c.text for c in answer.citations)


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


def test_a_comparison_names_one_committee_by_name_and_one_in_other_words(pipeline) -> None:  # type: ignore[no-untyped-def]
    """"Norrmalm" is a name, "the sports administration" other words for Idrottförvaltningen:
    the comparison quotes both, not Norrmalm alone."""
    answer = pipeline.ask("Compare what Norrmalm and the sports administration say about premises for associations.")
    assert answer.strategy == "compare", answer.answer
    assert {c.committee for c in answer.citations} == {"Norrmalm", "Idrottförvaltningen"}


def test_a_follow_up_comparison_keeps_the_committee_named_in_other_words(pipeline) -> None:  # type: ignore[no-untyped-def]
    """In a follow-up, "Norrmalm" by name and "the sports administration" in other words are
    both its committees: the comparison quotes both, not Norrmalm alone."""
    history = [
        ChatTurn("user", "Vilka nämnder tar upp lokaler för föreningar?"),
        ChatTurn("assistant", "Flera nämnder: Norrmalm och Idrottförvaltningen."),
    ]
    answer = pipeline.ask("And how do Norrmalm and the sports administration compare on that?", history)
    assert answer.strategy == "compare", answer.answer
    assert {c.committee for c in answer.citations} == {"Norrmalm", "Idrottförvaltningen"}


def test_an_english_comparison_quotes_both_committees_however_few_words_they_share(pipeline) -> None:  # type: ignore[no-untyped-def]
    """The English question shares almost no word with the Swedish replies; each named
    committee's best window is quoted all the same (a lexical-coverage floor refused it)."""
    answer = pipeline.ask("How do the environment administration and the transport office describe their part in the city planning measures?")
    assert not answer.refused, answer.answer
    assert {c.committee for c in answer.citations} == {"Miljöförvaltningen", "Trafikkontoret"}


def test_a_comparison_reads_both_committees_in_the_document_they_share(pipeline) -> None:  # type: ignore[no-untyped-def]
    """Hässelby-Vällingby has text in four documents, Norrmalm only in the compilation of
    replies: both are quoted from the compilation (like against like), not Hässelby-Vällingby
    from an older report on a related motion."""
    answer = pipeline.ask("Do Hässelby-Vällingby and Norrmalm agree on the facilitators for dialogue with social movements?")
    assert answer.strategy == "compare", answer.answer
    assert {c.committee for c in answer.citations} == {"Hässelby-Vällingby", "Norrmalm"}
    assert len({c.doc_id for c in answer.citations}) == 1, [c.source for c in answer.citations]


def test_each_side_of_a_comparison_is_read_without_the_committees_names(pipeline) -> None:  # type: ignore[no-untyped-def]
    """A reply's first line holds its committee's name ("Södermalm Utifrån rapporten …"), so
    against the whole question e5 put it nearest; each side is read against the question
    without the names, and quotes what the committee says on the matter."""
    answer = pipeline.ask("How do Norrmalm and Södermalm differ on the navigator function for civil society?")
    assert answer.strategy == "compare", answer.answer
    quoted = {line.split("**")[1]: line for line in answer.answer.splitlines() if line.startswith("- **")}
    assert set(quoted) == {"Norrmalm", "Södermalm"}, answer.answer
    assert not any(line.split("”", 1)[1].startswith(name) for name, line in quoted.items()), answer.answer


@pytest.mark.parametrize("question", [
    "Jämför hur Bromma och Skarpnäck vill öppna lokaler för föreningslivet.",
    "How do Hägersten-Liljeholmen and Hässelby-Vällingby differ on resources for the navigators?",
])
def test_each_side_of_a_comparison_is_quoted_with_its_paragraph(pipeline, question: str) -> None:  # type: ignore[no-untyped-def]
    """One side of a comparison is a position, not one sentence: each committee's central
    sentence is quoted with what surrounds it, up to a paragraph (``PARAGRAPH_CHARS``)."""
    answer = pipeline.ask(question)
    assert answer.strategy == "compare", answer.answer
    quotes = re.findall(r"”(.*?)” \[\d+\]", answer.answer, re.S)
    assert len(quotes) == len(answer.citations) == 2, answer.answer
    for quote, citation in zip(quotes, answer.citations, strict=True):
        assert len(quote) >= 0.6 * min(len(citation.text), PARAGRAPH_CHARS), (len(quote), len(citation.text))


def test_shared_document_rows_keep_all_rows_when_no_document_is_shared(pipeline) -> None:  # type: ignore[no-untyped-def]
    snap = pipeline.retriever.snapshot()
    rows = snap.committee_rows(None, None)
    combined = np.zeros(len(snap.ids))
    # Hägersten-Älvsjö's action plan is its only text; Hässelby-Vällingby has none there.
    alone = shared_document_rows(snap, rows, ["Hässelby-Vällingby", "Hägersten-Älvsjö"], combined)
    assert list(alone["Hässelby-Vällingby"]) == list(rows["Hässelby-Vällingby"])
    shared = shared_document_rows(snap, rows, ["Hässelby-Vällingby", "Norrmalm"], combined)
    docs = {snap.cols.label("doc_id", int(i)) for i in shared["Hässelby-Vällingby"]}
    assert len(docs) == 1 and len(shared["Hässelby-Vällingby"]) < len(rows["Hässelby-Vällingby"])


@pytest.mark.parametrize(
    ("question", "group"),
    [
        ("Vilka stadsdelsnämnder har svarat på kommissionens rapporter?", "stadsdel"),
        ("Which specialist administrations sent in a reply?", "fack"),
        ("Which committees replied to the commission?", None),
    ],
)
def test_which_committees_replied_is_answered_from_the_compilations_structure(pipeline, question: str, group: str | None) -> None:  # type: ignore[no-untyped-def]
    """The list of committees whose entry in the compilation is a reply (not a missing-reply
    note), within the group asked about, each cited: not the missing ones, and not the few
    whose wording comes nearest the question."""
    answer = pipeline.ask(question)
    assert answer.strategy == "replies", answer.answer
    snap = pipeline.retriever.snapshot()
    expected = {
        m["committee"] for m in snap.metas
        if m.get("committee") and m.get("source", "").startswith("004") and not m.get("reply_missing")
        and (group is None or str(m.get("section_path", "")).lower().startswith(group))
    }
    assert {c.committee for c in answer.citations} == expected
    assert len(expected) >= 5
