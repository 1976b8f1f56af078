"""The extra yes/no questions of the verdict model: format, verbatim quotes, no validation
text, and what the checker catches."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from eval.bank import load
from eval.verdicts import NO_CUES, VERDICTS_FILE, check_row, check_verdicts, load_verdicts


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return load(VERDICTS_FILE)


def test_every_row_is_valid_and_none_rests_on_validation_text(rows: list[dict]) -> None:
    problems = check_verdicts(rows)
    assert not problems, "\n".join(problems[:20])
    assert len(rows) >= 100
    verdicts = Counter(r["verdict"] for r in rows)
    assert 0.4 <= verdicts["no"] / len(rows) <= 0.6
    # Every way of saying "no" the verdict must reach has examples to learn from.
    cues = Counter(r["cue"] for r in rows if r["verdict"] == "no")
    assert all(cues[c] >= 3 for c in NO_CUES - {"condition"}), cues
    assert 0.3 <= sum(r["lang"] == "en" for r in rows) / len(rows) <= 0.6


def test_the_checker_catches_what_a_draft_gets_wrong(rows: list[dict]) -> None:
    good = rows[0]
    assert check_row(good) == []
    assert "cue 'support' does not fit verdict 'no'" in check_row({**good, "verdict": "no", "cue": "support"})
    wrong_reply = {**good, "evidence": [{"doc": "004_e3f287d953d70608.txt", "section": "Bromma", "quote": "Nämnden ställer sig dock tveksam till förslaget mot bakgrund av vuxenutbildningens uppdrag"}]}
    assert check_row(wrong_reply) == ["quote is not in Bromma's reply"]
    validation = {**good, "evidence": [{"doc": "002_17d30e4758451ef2.txt", "section": None, "quote": "Stadsdelsnämnden beslutar att som svar på remissen överlämna"}]}
    assert check_row(validation) == ["rests on a validation section"]
    invented = {**good, "evidence": [{**good["evidence"][0], "quote": "Nämnden tillstyrker förslaget utan några som helst förbehåll."}]}
    assert check_row(invented)[0].startswith("quote not in ")
    assert any("duplicate" in p for p in check_verdicts([good, dict(good)]))


def test_a_malformed_file_is_a_clear_error_naming_the_line(tmp_path: Path, rows: list[dict]) -> None:
    bad = tmp_path / "verdicts.jsonl"
    bad.write_text('{"question": "Stöder Bromma lotsar?"}\nnot json\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"verdicts.jsonl:1: .*missing field 'verdict'"):
        load_verdicts(bad)
    items = load_verdicts(VERDICTS_FILE)
    assert len(items) == len(rows) and sum(i.no for i in items) == sum(r["verdict"] == "no" for r in rows)
