"""The stance gold set: format, verbatim quotes, split, every committee once per measure."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from eval.bank import VALIDATION_COMMITTEES, load
from eval.stance_gold import check, main

STANCE = Path(__file__).resolve().parents[2] / "eval" / "data" / "stance.jsonl"


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return load(STANCE)


def test_gold_set_is_valid_and_large_enough(rows: list[dict]) -> None:
    assert check(rows) == []
    assert len(rows) >= 150
    assert len({r["measure"] for r in rows}) >= 8
    stances = Counter(r["stance"] for r in rows)
    assert stances["reply_missing"] == 10 * len({r["measure"] for r in rows})
    assert {"positive", "positive_conditions", "mentions", "not_addressed"} <= set(stances)


def test_split_follows_the_bank(rows: list[dict]) -> None:
    for r in rows:
        assert (r["split"] == "validation") == (r["committee"] in VALIDATION_COMMITTEES)
    assert 0.15 <= sum(r["split"] == "validation" for r in rows) / len(rows) <= 0.4


def test_checker_finds_each_kind_of_error(rows: list[dict], tmp_path: Path) -> None:
    bad = [dict(r) for r in rows if r["measure"] == rows[0]["measure"]]
    text = next(i for i, r in enumerate(bad) if r["quote"])
    bad[text]["quote"] = ["Denna mening finns inte i dokumentet alls, inte någonstans."]
    bad[0]["split"] = "validation" if bad[0]["split"] == "train" else "train"
    missing = next(i for i, r in enumerate(bad) if r["stance"] == "reply_missing")
    bad[missing]["stance"] = "positive"
    dropped = bad.pop()
    problems = "\n".join(check(bad))
    assert "quote not inside" in problems
    assert "split must be" in problems
    assert "reply_missing exactly" in problems
    assert dropped["committee"] in problems  # lacking from the measure
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in bad), encoding="utf-8")
    assert main([str(path)]) == 1
    assert main([str(STANCE)]) == 0
