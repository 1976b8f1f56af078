"""Fixtures of the evaluation tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.runner import PipelineRun, run_eval


@pytest.fixture(scope="session")
def runs(components, gold_path: Path, tmp_path_factory: pytest.TempPathFactory) -> list[PipelineRun]:  # type: ignore[no-untyped-def]
    """Both pipelines over the dev gold set, run once (the runner's and the comparison's tests
    read them). The baseline's index goes under the session's temporary data dir."""
    return run_eval(components, gold_path, tmp_path_factory.mktemp("eval-out"), ("radslag", "baseline"))
