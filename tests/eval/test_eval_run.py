"""The runner end to end over the dev gold set: both pipelines, files, recompute, report
(the two runs are the ``runs`` fixture of ``tests/eval/conftest.py``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from eval.gold import load_answers, load_gold
from eval.runner import PipelineRun
from eval.scoring import recompute

FIELDS = {"id", "question", "answer", "refused", "language", "citations", "retrieved", "latency_s"}
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")


def test_files_written_for_both_pipelines(runs: list[PipelineRun], gold_path: Path) -> None:
    project, baseline = runs
    assert (project.name, baseline.name) == ("radslag", "baseline")
    assert baseline.out_dir == project.out_dir / "baseline"
    ids = [i.id for i in load_gold(gold_path)]
    for run in runs:
        for name in ("answers.jsonl", "metrics.json", "committees.json"):
            assert (run.out_dir / name).is_file(), (run.name, name)
        rows = [json.loads(line) for line in (run.out_dir / "answers.jsonl").read_text(encoding="utf-8").splitlines()]
        assert [r["id"] for r in rows] == ids
        assert all(set(r) >= FIELDS and len(r["retrieved"]) <= 10 for r in rows)
    for name in ("report.md", "metrics_by_type.png", "latency.png"):
        assert (project.out_dir / name).stat().st_size > 0


def test_recompute_agrees_with_metrics_json(runs: list[PipelineRun], gold_path: Path) -> None:
    for run in runs:
        written = json.loads((run.out_dir / "metrics.json").read_text(encoding="utf-8"))
        assert written.pop("meta")["pipeline"] == run.name
        assert recompute(run.out_dir / "answers.jsonl", gold_path) == written


def test_report_shows_both_pipelines_side_by_side(runs: list[PipelineRun]) -> None:
    report = (runs[0].out_dir / "report.md").read_text(encoding="utf-8")
    assert "radslag / baseline" in report
    assert "| radslag | baseline |" in report
    for section in ("## By question type", "## By language", "worst items"):
        assert section in report
    for qtype in ("list", "unanswerable", "fact"):
        assert f"| {qtype} |" in report


def test_baseline_is_the_tutorial_shape(runs: list[PipelineRun]) -> None:
    baseline = load_answers(runs[1].out_dir / "answers.jsonl")
    assert all(len(a.citations) == 4 and not a.refused for a in baseline)
    assert all(0 < len(c.text) <= 1000 for a in baseline for c in a.citations)
    metrics = runs[1].metrics["overall"]
    assert metrics["refusal_accuracy"] is not None and 0.0 <= metrics["recall_at_10"] <= 1.0


def test_report_embeds_its_plots(runs: list[PipelineRun]) -> None:
    report_path = runs[0].out_dir / "report.md"
    images = IMAGE.findall(report_path.read_text(encoding="utf-8"))
    links = [link for _, link in images]
    assert sorted(links) == ["latency.png", "metrics_by_type.png"]
    assert all(alt.strip() for alt, _ in images)
    for link in links:
        # Relative to the report, as a Markdown viewer resolves it; a real PNG, not an empty file.
        assert not Path(link).is_absolute() and "://" not in link
        image = report_path.parent / link
        assert image.is_file(), link
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", link
