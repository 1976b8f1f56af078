"""The quality gate: the project meets eval/thresholds.toml [gate] on the dev gold set."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.gate import failures, load_thresholds
from eval.gold import load_gold
from eval.runner import answer_all, index_committees
from eval.scoring import compute


@pytest.mark.quality
def test_project_meets_thresholds(components, gold_path: Path) -> None:  # type: ignore[no-untyped-def]
    items = load_gold(gold_path)
    components.retriever.snapshot()
    scores = compute(items, answer_all(components.answer_chain, items), index_committees(components))
    failed = failures(scores["overall"], load_thresholds())
    assert not failed, "below threshold: " + "; ".join(failed)
