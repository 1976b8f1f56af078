"""`radslag train`: the learned decisions are rebuilt from the bank's train split, deterministically,
and the committed artefact is what training gives."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from eval.bank import VALIDATION_COMMITTEES, load
from eval.gold import GoldItem, load_gold
from eval.paraphrases import PARAPHRASES_FILE, load_paraphrases
from eval.train import (
    BANK,
    CandidatePassage,
    answer_type_label,
    extra_passage_table,
    kind_label,
    kind_labels,
    load_answer_types,
    load_typed_questions,
    missing_reply_sections,
    names_committee,
    train,
    verdict_no,
)
from eval.train_stance import STANCE_GOLD
from eval.verdicts import load_verdicts
from rag.decisions import DEFAULT_PATH, load_decisions
from rag.features import ANSWER_TYPES
from rag.pipeline import RagPipeline
from rag.query import names_in
from rag.types import Passage


@pytest.fixture(scope="module")
def trained(components, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("decisions") / "decisions.joblib"
    report = train(components, BANK, out, STANCE_GOLD)
    return report, load_decisions(out)


def test_training_reads_the_train_split_only_and_reports_its_figures(trained) -> None:  # type: ignore[no-untyped-def]
    report, decisions = trained
    assert report["items"] == len(load_gold(BANK, "train"))
    # The wording models also learn from the train questions asked in other words.
    assert report["paraphrases"] == len(load_paraphrases(PARAPHRASES_FILE, load_gold(BANK, "train"))) > 300
    assert decisions.meta["split"] == "train"
    for model in ("sentence", "member", "answerable", "verdict"):
        assert decisions.features[model], model
    assert report["kind"]["cv_accuracy"] > 0.5
    # The kind as answering chooses it, with the answer-type model's say (rag.decisions.kind_of).
    assert decisions.kind_type.shape == (len(decisions.kind.classes_), len(decisions.answer_type.classes_))
    assert report["kind"]["cv_accuracy_with_types"] > 0.5
    assert report["sentence"]["top1"] > 0.4
    # Which passages after the best one a list of items also cites: learnt from the passages
    # ranked second and third by the out-of-fold ranker, some holding gold evidence, some not.
    assert decisions.features["extra"] and 0 < report["extra"]["cited_rightly"] < report["extra"]["n"]
    assert 0.0 < decisions.thresholds["extra"] < 1.0
    # The verdict model learns from the bank's yes/no questions and the extra ones
    # (eval/data/verdicts.jsonl), each traced as asked; one routed elsewhere has no verdict row.
    extra = load_verdicts()
    assert 0.9 * len(extra) <= report["verdict"]["extra"] <= len(extra)
    assert 0 < report["verdict"]["n"] - report["verdict"]["extra"] <= sum(verdict_no(i) is not None for i in load_gold(BANK, "train"))
    # The membership floor may be 0: the expected-F1 set then decides alone.
    assert 0.0 <= decisions.thresholds["member"] < 1.0 and 0.0 < decisions.thresholds["answerable"] < 1.0
    # Answer/refuse at the point where the two errors' expected costs meet, on probabilities
    # that are calibrated out of fold (mean probability ≈ share of answerable questions).
    from eval.train import ANSWER_THRESHOLD, FALSE_REFUSAL_COST

    assert decisions.thresholds["answerable"] == ANSWER_THRESHOLD == pytest.approx(1 / (1 + FALSE_REFUSAL_COST), abs=1e-4)
    calibration = report["answerable"]["calibration"]
    assert calibration["mean_p"] == pytest.approx(calibration["answerable"], abs=0.05)
    # The remiss overview's models, from the stance gold set's train pairs only.
    assert decisions.features["addressed"] and decisions.features["stance"]
    train_pairs = [r for r in load(STANCE_GOLD) if r["split"] == "train"]
    assert report["overview"]["pairs"] == len(train_pairs) and report["overview"]["addressed"]["cv_accuracy"] > 0.8
    assert set(decisions.stance.classes_) <= {"positive", "positive_conditions", "negative", "mentions"}


def test_the_committed_artefact_is_what_training_gives(trained, components) -> None:  # type: ignore[no-untyped-def]
    """Same bank, same code: the same decisions. Two index builds differ slightly in Chroma's
    approximate nearest neighbours, so the table models' weights agree closely, not bitwise."""
    report, fresh = trained
    committed = load_decisions(DEFAULT_PATH)
    questions = [i.question for i in load_gold(BANK, "train")[:40]]
    embed = components.retriever.embed_query
    assert [fresh.kind_of(q, embed(q)) [0] for q in questions] == [committed.kind_of(q, embed(q))[0] for q in questions]
    # The overview's "addressed" threshold sits on a flat out-of-fold accuracy curve: another
    # machine's index picked 0.8 where the committed artefact has 0.6, and there 0.6 scored
    # within one pair's decision of 0.8 (twenty-sixth session). What must hold is that the committed threshold
    # is as good as the fresh one on the fresh out-of-fold curve, up to one pair's decision.
    addressed = report["overview"]["addressed"]
    at_committed = addressed["curve"][f"{committed.thresholds['addressed']:.2f}"]
    assert at_committed >= addressed["cv_accuracy"] - 1 / addressed["pairs"] - 1e-9, addressed["curve"]
    # Whether a further passage is cited: its curve (mean F1 of cited against evidence-holding
    # passages) is flat too, so the committed threshold must score on the fresh curve within
    # two questions' F1 of the fresh one.
    extra = report["extra"]
    at_committed = extra["curve"][f"{committed.thresholds['extra']:.2f}"]
    assert at_committed >= extra["threshold"][1] - 2 / extra["questions"] - 1e-9, extra["curve"]
    others = {k: v for k, v in committed.thresholds.items() if k not in ("addressed", "extra")}
    assert {k: fresh.thresholds[k] for k in others} == pytest.approx(others, abs=0.051)
    for model in ("answerable", "member", "verdict", "addressed"):
        a, b = getattr(fresh, model).named_steps["model"], getattr(committed, model).named_steps["model"]
        np.testing.assert_allclose(a.coef_, b.coef_, atol=0.15, err_msg=model)
    # The sentence ranker is judged by what it decides: the sentence it puts first for each
    # train question. Its weights are not compared one by one: two collinear similarity
    # features trade weight between machines (the twenty-sixth session's machine gave cosine
    # ≈ 0.98 to the committed weights, 0.57 moved from one to the other) while the order of
    # the sentences barely moves.
    traced = RagPipeline(components.retriever, decisions=committed)
    agree, asked = 0, 0
    for item in load_gold(BANK, "train")[:80]:
        rows = [c.features for c in traced.trace(item.question)["direct"].candidates]
        if len(rows) < 2:
            continue
        asked += 1
        agree += int(np.argmax(fresh.sentence_scores(rows)) == np.argmax(committed.sentence_scores(rows)))
    assert asked >= 40 and agree >= 0.9 * asked, (agree, asked)
    a, b = fresh.sentence.ranker_.coef_[0], committed.sentence.ranker_.coef_[0]
    assert a @ b / (np.linalg.norm(a) * np.linalg.norm(b)) > 0.9  # a changed label or feature falls far below


def test_extra_passages_are_ranked_as_the_direct_strategy_ranks_them() -> None:
    """Each question's passages by their best sentence's score; the second and third become
    rows (the strategy cites at most three), labelled by whether they hold gold evidence."""

    def passage(pid: str, source: str, committee: str, dense: float) -> Passage:
        return Passage(pid, "text", {"source": source, "committee": committee}, dense=dense)

    a, b = passage("a", "004.txt", "Bromma", 0.9), passage("b", "004.txt", "Bromma", 0.8)
    c, d = passage("c", "004.txt", "Kista", 0.7), passage("d", "001.txt", "Kista", 0.6)
    rows = [  # (passage, its sentence's out-of-fold score, holds evidence)
        (a, 0.2, True), (a, 0.6, True), (b, 0.3, False), (c, 0.5, True), (d, 0.1, False), (d, 0.05, False),
    ]
    candidates = [CandidatePassage(0, n, p, held, "items") for n, (p, _, held) in enumerate(rows)]
    table, top_held = extra_passage_table(candidates, np.array([score for _, score, _ in rows]))
    assert top_held == {0: True}
    # a (best 0.6) is the top; then c (0.5), b (0.3); d (0.1) is beyond the three cited.
    assert table.labels == [1, 0] and table.groups == [0, 0]
    second, third = table.rows
    assert second["score"] == 0.5 and second["ratio"] == pytest.approx(0.5 / 0.6) and second["same_text"] == 0.0
    assert third["score"] == 0.3 and third["same_text"] == 1.0 and third["rank_inv"] == pytest.approx(1 / 3)
    assert second["dense_gap"] == pytest.approx(0.2) and second["items"] == 1.0


def test_labels_come_from_the_gold_items_alone() -> None:
    items = {i.id: i for i in load_gold(BANK)}
    missing = missing_reply_sections()
    assert len(missing) == 10
    kinds = {kind_label(i, missing) for i in items.values()}
    assert {"fact", "items", "numeric", "yes_no", "summary", "compare", "committees", "missing"} <= kinds
    assert all(kind_label(i, missing) is None for i in items.values() if i.type == "unanswerable")
    assert {answer_type_label(i) for i in items.values()} >= {"date", "count", "other"}


def test_a_member_is_labelled_as_list_f1_reads_the_mentions() -> None:
    """The bank names specialist administrations by their stem ("Idrott", "Exploatering");
    the membership labels must read them as the metric does, or they teach that such
    committees are never members."""
    assert names_committee(["Idrott", "Skärholmen"], "Idrottförvaltningen")
    assert names_committee(["Idrott", "Skärholmen"], "Skärholmen")
    assert names_committee(["exploatering"], "Exploateringskontoret")
    assert not names_committee(["Idrott", "Skärholmen"], "Kulturförvaltningen")
    assert not names_committee(["Hässelby-Vällingby"], "Hässelby")
    assert not names_committee([], "Norrmalm")
    items = [i for i in load_gold(BANK) if i.split == "train" and i.type == "list"]
    stems = [m for i in items for m in i.must_mention if m in ("Idrott", "Exploatering", "Miljö", "Trafik", "Arbetsmarknad")]
    assert stems, "the bank's lists name specialist administrations by stem"


def test_a_count_of_replies_is_told_from_a_count_of_missing_replies_by_its_number() -> None:
    """Both rest on the missing-reply notes; the number asked for says which is counted."""
    missing = missing_reply_sections()
    notes = [{"doc": "004_e3f287d953d70608.txt", "section": s, "quote": f"{s} Skrivelse saknas."} for s in sorted(missing)]

    def item(question: str, number: str) -> GoldItem:
        return GoldItem.model_validate({"id": "x", "question": question, "lang": "sv", "type": "numeric", "answer": number,
                                   "must_mention": [number], "evidence": notes, "split": "train"})

    assert kind_label(item("Hur många nämnder saknar svar?", str(len(missing))), missing) == "count_missing"
    assert kind_label(item("Hur många nämnder har svarat?", "21"), missing) == "count_replied"


def test_whether_a_committee_replied_is_a_kind_of_its_own(tmp_path: Path) -> None:
    """Yes/no questions about whether a committee replied at all are labelled ``did_reply``
    (``eval/data/kind_labels.jsonl``): their type and evidence look like any yes/no question
    about a reply. The labels name train items only, and a bad row is an error naming its line."""
    labels = kind_labels()
    items = {i.id: i for i in load_gold(BANK)}
    missing = missing_reply_sections()
    assert labels and set(labels.values()) == {"did_reply"}
    assert all(items[i].split == "train" and items[i].type == "yes_no" for i in labels)
    assert all(kind_label(items[i], missing) == "did_reply" for i in labels)
    bad = tmp_path / "kind_labels.jsonl"
    bad.write_text('{"id": "q1", "kind": "did_reply"}\n{"id": "q2", "kind": "maybe"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="kind_labels.jsonl:2"):
        kind_labels.__wrapped__(bad)


def test_every_bank_question_has_one_answer_type_label(tmp_path: Path) -> None:
    """The labels file covers the bank exactly; the label wins over the one read from the
    must-mentions (an unanswerable "what percentage …" still wants a percentage)."""
    items = {i.id: i for i in load_gold(BANK)}
    labels = load_answer_types()
    assert set(labels) == set(items)
    assert set(labels.values()) == set(ANSWER_TYPES)
    unanswerable = [i for i in items.values() if i.type == "unanswerable"]
    assert {answer_type_label(i, labels) for i in unanswerable} - {"other"}
    assert all(answer_type_label(i) == "other" for i in unanswerable)
    bad = tmp_path / "types.jsonl"
    bad.write_text('{"id": "q1", "answer_type": "colour"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="types.jsonl:1"):
        load_answer_types(bad)


def test_a_missing_artefact_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="radslag train"):
        load_decisions(tmp_path / "none.joblib")


def test_the_decisions_path_setting_chooses_the_artefact_answering_reads(settings, components, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``RADSLAG_DECISIONS_PATH``: a retrained artefact is deployed without touching the
    committed one. An artefact that refuses everything (its answer/refuse bar above any
    probability) is what the pipeline then answers with; unset, the committed one."""
    from radslag.components import Components

    strict = load_decisions(DEFAULT_PATH)
    strict.thresholds["answerable"] = 1.01
    path = tmp_path / "strict.joblib"
    strict.save(path)
    question = "Hur stor andel av befolkningen i Hässelby-Vällingby har internationell bakgrund?"
    assert not components.pipeline.ask(question).refused
    other = Components(settings.model_copy(update={"decisions_path": path}))
    other.__dict__["embedder"] = components.embedder
    assert other.pipeline.decisions.thresholds["answerable"] == 1.01
    assert other.pipeline.ask(question).refused
    with pytest.raises(FileNotFoundError, match="radslag train"):
        _ = Components(settings.model_copy(update={"decisions_path": tmp_path / "none.joblib"})).pipeline


def test_extra_questions_teach_the_kind_and_answerability_models(components, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`radslag train --kinds`: kind rows join the kind model's training, unanswerable rows the
    answerability model's (never the kind model's), and the threshold stays a bank figure."""
    rows = [
        {"question": "Vilka stadsdelsnämnder tar upp föreningslokaler?", "lang": "sv", "kind": "committees"},
        {"question": "How many committees mention mentors for newly arrived pupils?", "lang": "en", "kind": "count"},
        {"question": "Sammanfatta Brommas svar.", "lang": "sv", "kind": "summary"},
        {"question": "Who won the 2018 football World Cup?", "lang": "en", "kind": "unanswerable"},
        {"question": "Vad kostar ett månadskort i kollektivtrafiken?", "lang": "sv", "kind": "unanswerable"},
    ]
    kinds = tmp_path / "kinds.jsonl"
    kinds.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    report = train(components, BANK, tmp_path / "decisions.joblib", None, kinds)
    assert report["kind"]["extra"] == 3
    assert report["answerable"]["extra"] == 2
    missing = missing_reply_sections()
    bank_counts = sum(kind_label(i, missing) == "count" for i in load_gold(BANK, "train"))
    assert report["kind"]["classes"]["count"] == bank_counts + 1  # the unanswerable rows add no kind
    decisions = load_decisions(tmp_path / "decisions.joblib")
    assert decisions.meta["kinds"] == 3
    assert 0.0 < decisions.thresholds["answerable"] < 1.0


def test_a_wrong_refusal_costs_more_than_a_wrong_answer() -> None:
    from eval.train import EXTRA_GROUPS, FALSE_REFUSAL_COST, _refusal_utility

    y = np.array([1, 1, 1, 0])  # three answerable questions, one unanswerable
    p = np.array([0.9, 0.3, 0.8, 0.6])
    groups = np.arange(4)
    # At 0.5 one answerable question is refused and the unanswerable one answered.
    assert _refusal_utility(p, y, groups, 0.5) == pytest.approx(1 - (1 + FALSE_REFUSAL_COST) / 4)
    # At 0.7 the unanswerable one is refused too: one error fewer, of the cheaper kind.
    assert _refusal_utility(p, y, groups, 0.7) == pytest.approx(1 - FALSE_REFUSAL_COST / 4)
    # At 0.85 a second answerable question is lost: worse than answering the unanswerable one.
    assert _refusal_utility(p, y, groups, 0.85) < _refusal_utility(p, y, groups, 0.5)
    assert FALSE_REFUSAL_COST > 1
    # Rows of extra questions are left out of the bank's figure.
    assert _refusal_utility(p, y, np.array([0, EXTRA_GROUPS, 2, 3]), 0.5) == pytest.approx(1 - 1 / 3)


def test_the_typed_questions_cover_every_answer_type_and_stay_off_the_validation_split(tmp_path: Path) -> None:
    rows = load_typed_questions()
    assert len(rows) >= 300 and {t for _, t in rows} == set(ANSWER_TYPES)
    assert not {q.lower() for q, _ in rows} & {i.question.lower() for i in load_gold(BANK)}
    # The validation split stays unseen text: no row is about a validation committee's reply.
    assert not [q for q, _ in rows if names_in(q, VALIDATION_COMMITTEES)]
    bad = tmp_path / "typed.jsonl"
    bad.write_text('{"question": "När?", "answer_type": "colour"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="typed.jsonl:1"):
        load_typed_questions(bad)


def test_extra_refusals_teach_without_moving_the_prior() -> None:
    """The extra unanswerable questions weigh as much together as the bank's own refusals, and
    the bank's answerable rows are weighed up to match: the weighted share of refusals is the
    bank's, so the probabilities stay calibrated on bank questions."""
    from eval.train import EXTRA_GROUPS, answerable_weights

    y = np.array([1] * 8 + [0] * 2 + [0] * 5)
    groups = np.array(list(range(10)) + [EXTRA_GROUPS + i for i in range(5)])
    w = answerable_weights(y, groups)
    assert w[10:].sum() == pytest.approx(2.0)  # the five extras count as the bank's two refusals
    refused_share = w[y == 0].sum() / w.sum()
    assert refused_share == pytest.approx(2 / 10)
    # Without extra rows every row weighs 1.
    assert (answerable_weights(y[:10], groups[:10]) == 1.0).all()


def test_extra_yes_no_questions_weigh_as_much_together_as_the_banks() -> None:
    from eval.train import EXTRA_GROUPS, verdict_weights

    groups = np.array(list(range(4)) + [EXTRA_GROUPS + i for i in range(12)])
    w = verdict_weights(groups)
    assert (w[:4] == 1.0).all() and w[4:].sum() == pytest.approx(4.0)
    assert (verdict_weights(groups[:4]) == 1.0).all()


def test_answerability_reads_the_evidence_not_the_kind_of_question() -> None:
    """The same evidence gives the same answerability input whatever the question's kind: the
    kind's prior (the bank's near misses are mostly numeric) refused well-evidenced date
    questions. Only a missing reply reads differently for a yes/no question ("did X reply?")."""
    from rag.features import answerable_row

    evidence = dict(
        lang_en=False, dense=[0.8, 0.7], best_window=0.6, best_own=0.5, best_sentence=0.7, best_sim=0.8, top_sim=0.85,
        missing_share=0.1, anchor=True, n_terms=4, named=1, named_missing=False, measure_asked=False, measure_found=False,
        type_fit={"typed_held": 0.9, "typed_lacking": 0.05},
    )
    rows = [answerable_row(kind=k, **evidence) for k in ("fact", "numeric", "items", "summary")]
    assert all(r == rows[0] for r in rows)
    assert rows[0]["typed_lacking"] == 0.05 and "typed_held" not in rows[0]
