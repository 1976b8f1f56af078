"""The train questions asked in other words: format, only train items, every style, and how
training and cross-validation read them."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from eval.bank import load
from eval.gold import load_gold
from eval.paraphrases import BANK_FILE, PARAPHRASES_FILE, STYLES, check_file, check_row, load_paraphrases, original_id


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return load(PARAPHRASES_FILE)


@pytest.fixture(scope="module")
def train_items():  # type: ignore[no-untyped-def]
    return load_gold(BANK_FILE, "train")


def test_every_row_is_valid_and_paraphrases_a_train_question(rows: list[dict], train_items) -> None:  # type: ignore[no-untyped-def]
    assert check_file() == []
    train_ids = {i.id for i in train_items}
    validation_ids = {i.id for i in load_gold(BANK_FILE, "validation")}
    of = [r["of"] for r in rows]
    assert set(of) <= train_ids and not set(of) & validation_ids
    # Nearly every train question, each wording style well represented, both languages.
    assert len(set(of)) >= 0.9 * len(train_ids)
    styles = Counter(r["style"] for r in rows)
    assert set(styles) == set(STYLES) and min(styles.values()) >= 0.2 * len(rows)
    assert 0.3 <= sum(r["lang"] == "en" for r in rows) / len(rows) <= 0.7
    originals = {i.id: i for i in train_items}
    switched = [r for r in rows if r["style"] == "other_language"]
    assert all(r["lang"] != originals[r["of"]].lang for r in switched)
    assert all(r["lang"] == originals[r["of"]].lang for r in rows if r["style"] != "other_language")


def test_a_paraphrase_carries_its_originals_gold(train_items) -> None:  # type: ignore[no-untyped-def]
    items = load_paraphrases(PARAPHRASES_FILE, train_items)
    originals = {i.id: i for i in train_items}
    assert items and all(original_id(i.id) in originals for i in items)
    for item in items:
        original = originals[original_id(item.id)]
        assert item.question != original.question
        assert (item.type, item.evidence, item.history, item.split) == (original.type, original.evidence, original.history, "train")
    # A fold's training bank holds some train items only: only their paraphrases are read.
    some = train_items[: len(train_items) // 2]
    assert {original_id(i.id) for i in load_paraphrases(PARAPHRASES_FILE, some)} <= {i.id for i in some}
    assert load_paraphrases(None, train_items) == []


def test_the_checker_catches_what_a_draft_gets_wrong(rows: list[dict], train_items) -> None:  # type: ignore[no-untyped-def]
    originals = {i.id: i for i in train_items}
    good = rows[0]
    assert check_row(good, originals) == []
    assert check_row({**good, "question": originals[good["of"]].question}, originals) == ["question is the original's wording"]
    assert check_row({**good, "style": "poetic"}, originals) == [f"style must be one of {', '.join(STYLES)}"]
    validation_id = load_gold(BANK_FILE, "validation")[0].id
    assert check_row({**good, "of": validation_id}, originals) == [f"of {validation_id!r} is no train item of the bank"]
    assert "unknown field 'note'" in check_row({**good, "note": "?"}, originals)
    assert "must_mention must be a list of non-empty strings" in check_row({**good, "must_mention": [""]}, originals)


def test_a_malformed_file_is_a_clear_error_naming_the_line(tmp_path: Path, rows: list[dict], train_items) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "paraphrases.jsonl"
    bad.write_text(json.dumps(rows[0]) + "\nnot json\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"paraphrases.jsonl:2: not JSON"):
        load_paraphrases(bad, train_items)
    bad.write_text(json.dumps({**rows[0], "lang": "de"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"paraphrases.jsonl:1: lang must be sv or en"):
        load_paraphrases(bad, train_items)
