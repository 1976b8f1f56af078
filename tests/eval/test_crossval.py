"""``radslag crossval``: folds of whole passage groups, retrained per fold, scored out of fold."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from eval.crossval import assign_folds, cross_validate, passage_group
from eval.gold import load_gold, write_gold
from eval.paraphrases import PARAPHRASES_FILE, load_paraphrases
from eval.train import BANK


def test_folds_hold_whole_passage_groups_and_balance_their_sizes() -> None:
    items = load_gold(BANK, "train")
    fold_of = assign_folds(items, 5)
    assert set(fold_of) == {i.id for i in items}
    folds_of_group: dict[str, set[int]] = defaultdict(set)
    for item in items:
        folds_of_group[passage_group(item)].add(fold_of[item.id])
    assert all(len(f) == 1 for f in folds_of_group.values())
    sizes = [list(fold_of.values()).count(k) for k in range(5)]
    largest_group = max(sum(1 for i in items if passage_group(i) == g) for g in folds_of_group)
    assert max(sizes) - min(sizes) <= largest_group
    assert assign_folds(list(reversed(items)), 5) == fold_of  # the order read does not matter
    with pytest.raises(ValueError, match="at least 2 folds"):
        assign_folds(items, 1)


def test_every_train_item_is_answered_by_an_engine_that_never_saw_it(components, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Two folds over a slice of the train split (every type of question in it): each fold's
    artefact is trained without that fold's items or their paraphrases, and each item and
    each paraphrase is scored once, by the fold that held its original."""
    items = load_gold(BANK, "train")
    by_type: dict[str, list] = defaultdict(list)
    for item in items:
        by_type[item.type].append(item)
    chosen = [i for group in by_type.values() for i in group[:10]]
    bank = tmp_path / "bank.jsonl"
    write_gold(bank, chosen)
    out = tmp_path / "cv"
    metrics = cross_validate(components, out, bank, folds=2, kinds=None)
    fold_of = assign_folds(chosen, 2)
    for k in range(2):
        trained_on = {i.id for i in load_gold(out / f"fold{k}" / "bank.jsonl")}
        assert trained_on == {i.id for i in chosen if fold_of[i.id] != k}
        assert (out / f"fold{k}" / "decisions.joblib").is_file()
    answers = [json.loads(line) for line in (out / "answers.jsonl").read_text().splitlines()]
    assert [a["id"] for a in answers] == [i.id for i in chosen]
    assert metrics["overall"]["n"] == len(chosen) and len(metrics["folds"]) == 2
    assert sum(f["n"] for f in metrics["folds"]) == len(chosen)
    assert metrics["meta"]["out_of_fold"] is True
    assert 0.0 < metrics["overall"]["refusal_accuracy"] <= 1.0
    assert json.loads((out / "metrics.json").read_text())["overall"] == metrics["overall"]
    # The held items' paraphrases, answered by the same fold's engine, scored on their own.
    reworded = load_paraphrases(PARAPHRASES_FILE, chosen)
    assert len(reworded) >= len(chosen) * 0.9
    para_answers = [json.loads(line) for line in (out / "paraphrases" / "answers.jsonl").read_text().splitlines()]
    assert sorted(a["id"] for a in para_answers) == sorted(p.id for p in reworded)
    assert {a["question"] for a in para_answers} == {p.question for p in reworded}
    para_metrics = json.loads((out / "paraphrases" / "metrics.json").read_text())
    assert para_metrics["overall"]["n"] == len(reworded) and para_metrics["meta"]["out_of_fold"] is True

    # Reusing those fold artefacts answers the same questions the same way, without training.
    again = cross_validate(components, tmp_path / "again", bank, folds=2, kinds=None, reuse=out)
    assert not (tmp_path / "again" / "fold0" / "decisions.joblib").exists()
    scores = [k for k in metrics["overall"] if not k.startswith("latency")]
    assert {k: again["overall"][k] for k in scores} == {k: metrics["overall"][k] for k in scores}
    assert again["meta"]["reused_artefacts"] == str(out)
    reanswered = [json.loads(line) for line in (tmp_path / "again" / "answers.jsonl").read_text().splitlines()]
    assert [a["answer"] for a in reanswered] == [a["answer"] for a in answers]
    # An artefact trained on other items than the fold's would score some of them in sample.
    fewer = tmp_path / "fewer.jsonl"
    write_gold(fewer, chosen[1:])
    with pytest.raises(ValueError, match="other items"):
        cross_validate(components, tmp_path / "fewer", fewer, folds=2, kinds=None, reuse=out)
    with pytest.raises(ValueError, match="another folder"):
        cross_validate(components, out, bank, folds=2, kinds=None, reuse=out)


def test_missing_inputs_and_too_few_folds_are_clear_errors(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from radslag.cli import app

    run = CliRunner().invoke(app, ["crossval", "--bank", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "cv")])
    assert run.exit_code == 2 and "No question bank" in run.output
    run = CliRunner().invoke(app, ["train", "--kinds", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "d.joblib")])
    assert run.exit_code == 2 and "No kinds file" in run.output
    run = CliRunner().invoke(app, ["crossval", "--folds", "1", "--out", str(tmp_path / "cv")])
    assert run.exit_code == 2
    assert not (tmp_path / "cv").exists() and not (tmp_path / "d.joblib").exists()
