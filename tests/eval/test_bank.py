"""The question bank: format, verbatim quotes, split by passage, and the promised shares."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from eval.bank import check_bank, check_item, load, rests_on_validation, shares
from eval.gold import load_gold

BANK = Path(__file__).resolve().parents[2] / "eval" / "data" / "bank.jsonl"


@pytest.fixture(scope="module")
def bank() -> list[dict]:
    return load(BANK)


def test_every_item_is_valid_and_every_quote_is_in_its_document(bank: list[dict]) -> None:
    problems = check_bank(bank)
    assert not problems, "\n".join(map(str, problems[:20]))
    assert len(bank) >= 400


def test_the_bank_holds_the_promised_shares(bank: list[dict]) -> None:
    s = shares(bank)
    assert s["type:unanswerable"] >= 0.15
    assert s["list:committees"] >= 0.15
    assert s["type:yes_no"] >= 0.10
    assert s["type:numeric"] >= 0.10
    assert s["type:summary"] >= 0.08
    assert s["followup"] >= 0.05
    assert s["lang:en"] >= 0.35
    assert 0.25 <= s["split:validation"] <= 0.45
    yes_no = [i for i in bank if i["type"] == "yes_no"]
    no = sum(i["must_mention"][0].lower() in {"nej", "no"} for i in yes_no) / len(yes_no)
    assert 0.35 <= no <= 0.65


def test_validation_rests_on_sections_no_train_item_rests_on(bank: list[dict]) -> None:
    train_sections = {(e["doc"], e["section"]) for i in bank if i["split"] == "train" for e in i["evidence"]}
    for item in bank:
        if item["split"] == "validation" and item["evidence"]:
            assert rests_on_validation(item), item["id"]
    assert not any(rests_on_validation({"evidence": [{"doc": d, "section": s}]}) for d, s in train_sections)


def test_the_gold_loader_reads_splits_and_follow_ups() -> None:
    train, validation = load_gold(BANK, "train"), load_gold(BANK, "validation")
    assert len(train) + len(validation) == len(load(BANK))
    assert any(i.history for i in train) and any(i.history for i in validation)
    with pytest.raises(ValueError, match="split"):
        load_gold(BANK, "test")


def test_the_checker_catches_what_a_draft_gets_wrong(bank: list[dict]) -> None:
    item = next(i for i in bank if i["type"] == "list" and len({e["section"] for e in i["evidence"] if e["doc"].startswith("004_")}) >= 2)
    bad = copy.deepcopy(item)
    bad["evidence"][0]["quote"] = bad["evidence"][0]["quote"][:-12] + " inte alls så"
    assert any("not in" in p for p in check_item(bad))
    moved = copy.deepcopy(item)
    other = "Bromma" if moved["evidence"][0]["section"] != "Bromma" else "Norrmalm"
    moved["evidence"][0]["section"] = other
    assert any("not inside" in p for p in check_item(moved))
    flipped = copy.deepcopy(next(i for i in bank if i["split"] == "validation" and i["evidence"]))
    flipped["split"] = "train"
    assert any("validation section" in p for p in check_item(flipped))
    unanswerable = {**copy.deepcopy(item), "type": "unanswerable"}
    assert any("unanswerable" in p for p in check_item(unanswerable))
