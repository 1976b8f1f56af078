"""The extra training questions (kind-labelled and unanswerable): format, no validation text,
and what the checker catches."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.bank import load
from eval.kinds import KINDS_FILE, UNANSWERABLE, check_kinds, check_row, load_kinds
from rag.decisions import KINDS


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return load(KINDS_FILE)


def test_every_row_is_valid_and_none_repeats_or_leaks_validation(rows: list[dict]) -> None:
    problems = check_kinds(rows)
    assert not problems, "\n".join(problems[:20])
    assert len(rows) >= 400
    assert {r["kind"] for r in rows} == {*KINDS, UNANSWERABLE}
    assert sum(r["kind"] == UNANSWERABLE for r in rows) >= 100
    assert 0.35 <= sum(r["lang"] == "en" for r in rows) / len(rows) <= 0.65
    assert sum(bool(r.get("history")) for r in rows) >= 30


def test_the_checker_catches_what_a_draft_gets_wrong(rows: list[dict]) -> None:
    assert "kind must be one of" in " ".join(check_row({"question": "När?", "lang": "sv", "kind": "date"}))
    assert check_row({"question": "Vad säger Farsta om lotsar?", "lang": "sv", "kind": "fact"}) == ["names a validation committee (Farsta)"]
    assert check_row({"question": "What does the Farsta district council say?", "lang": "en", "kind": "fact", "history": [{"role": "bot", "content": "x"}]})
    assert any("duplicate" in p for p in check_kinds([rows[0], dict(rows[0])]))


def test_a_malformed_file_is_a_clear_error_naming_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "kinds.jsonl"
    bad.write_text('{"question": "Vilka nämnder?", "lang": "sv", "kind": "committees"}\n{"question": "", "lang": "sv"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"kinds.jsonl:2: question must be a non-empty string"):
        load_kinds(bad)
    assert all(k.kind in (*KINDS, UNANSWERABLE) for k in load_kinds(KINDS_FILE))
