"""`radslag compare`: two runs on the same questions, paired item by item, with a bootstrap
interval of each metric's change."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from eval.compare import compare, compare_by, interval, load_items
from eval.runner import PipelineRun
from eval.scoring import SCORES
from radslag.cli import app


def test_the_change_is_the_mean_paired_difference_over_items_both_score(runs: list[PipelineRun]) -> None:
    baseline, project = load_items(runs[1].out_dir), load_items(runs[0].out_dir)
    changes = {c.metric: c for c in compare(baseline, project)}
    assert set(changes) == set(SCORES)
    for metric, c in changes.items():
        paired = [(baseline[i][metric], project[i][metric]) for i in baseline
                  if baseline[i][metric] is not None and project[i][metric] is not None]
        assert c.n == len(paired)
        if not paired:
            continue
        assert c.delta == pytest.approx(np.mean([b - a for a, b in paired]))
        assert c.low <= c.delta <= c.high
        assert len(c.better) == sum(b > a for a, b in paired) and len(c.worse) == sum(b < a for a, b in paired)
    # The tutorial baseline cites four passages whatever the question: far beyond noise.
    assert changes["citation_precision"].clear and changes["citation_precision"].low > 0.2


def test_a_run_against_itself_changes_nothing(runs: list[PipelineRun]) -> None:
    items = load_items(runs[0].out_dir / "metrics.json")
    for c in compare(items, items):
        assert c.delta in (None, 0.0) and (c.low, c.high) in ((None, None), (0.0, 0.0))
        assert not c.clear and c.better == c.worse == []


def test_the_interval_excludes_zero_only_for_a_change_beyond_the_spread() -> None:
    rng = np.random.default_rng(1)
    noise = rng.choice([-1.0, 0.0, 1.0], size=300)
    low, high = interval(noise)
    assert low < noise.mean() < high and low < 0 < high
    shifted = np.where(rng.random(300) < 0.3, 1.0, 0.0)  # 30 % of items better, none worse
    low, high = interval(shifted)
    assert 0 < low < shifted.mean() < high


def test_the_cli_prints_the_table_and_json_and_rejects_runs_on_other_questions(runs: list[PipelineRun], tmp_path: Path) -> None:
    cli = CliRunner()
    project, baseline = str(runs[0].out_dir), str(runs[1].out_dir)
    out = cli.invoke(app, ["compare", baseline, project])
    assert out.exit_code == 0, out.output
    assert "refusal acc." in out.output and "95 % interval" in out.output
    # A clear change is marked as such.
    assert re.search(r"cit\. prec\.\s.*\+0\.\d+ \*", out.output), out.output
    rows = json.loads(cli.invoke(app, ["compare", baseline, project, "--json"]).output)
    assert [r["metric"] for r in rows] == list(SCORES) and "better_items" not in rows[0]
    rows = json.loads(cli.invoke(app, ["compare", baseline, project, "--json", "--items"]).output)
    cited = next(r for r in rows if r["metric"] == "citation_precision")
    assert len(cited["better_items"]) == cited["better"] > 0 and cited["clear"]
    # Fewer questions in one run: a clear error, not a comparison of different questions.
    data = json.loads((runs[0].out_dir / "metrics.json").read_text(encoding="utf-8"))
    data["items"] = data["items"][1:]
    fewer = tmp_path / "metrics.json"
    fewer.write_text(json.dumps(data), encoding="utf-8")
    out = cli.invoke(app, ["compare", baseline, str(fewer)])
    assert out.exit_code == 2 and "different questions" in " ".join(out.output.split())
    out = cli.invoke(app, ["compare", baseline, str(tmp_path / "nowhere")])
    assert out.exit_code == 2 and "nowhere: no metrics.json" in " ".join(out.output.split())
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    out = cli.invoke(app, ["compare", baseline, str(broken)])
    assert out.exit_code == 2 and "not JSON" in " ".join(out.output.split())


def test_comparing_by_language_pairs_within_each_language(runs: list[PipelineRun]) -> None:
    baseline, project = load_items(runs[1].out_dir), load_items(runs[0].out_dir)
    groups = compare_by(baseline, project, "lang")
    assert list(groups) == ["en", "sv"]
    overall = {c.metric: c for c in compare(baseline, project)}
    for metric in SCORES:
        per = [next(c for c in groups[g] if c.metric == metric) for g in groups]
        assert sum(c.n for c in per) == overall[metric].n
        if overall[metric].n:
            # The groups' changes, weighed by their items, make the overall change.
            weighed = sum(c.n * c.delta for c in per if c.n) / overall[metric].n
            assert weighed == pytest.approx(overall[metric].delta)
    swedish = [i for i in baseline if baseline[i]["lang"] == "sv"]
    alone = compare({i: baseline[i] for i in swedish}, {i: project[i] for i in swedish})
    assert [(c.metric, c.n, c.delta, c.low, c.high) for c in groups["sv"]] == [(c.metric, c.n, c.delta, c.low, c.high) for c in alone]
    with pytest.raises(ValueError, match="cannot group by 'committee'"):
        compare_by(baseline, project, "committee")
    with pytest.raises(ValueError, match="different questions"):
        compare_by(baseline, dict(list(project.items())[1:]), "lang")


def test_the_cli_compares_by_type_and_rejects_an_unknown_grouping(runs: list[PipelineRun]) -> None:
    cli = CliRunner()
    project, baseline = str(runs[0].out_dir), str(runs[1].out_dir)
    types = sorted({i["type"] for i in load_items(runs[0].out_dir).values()})
    out = cli.invoke(app, ["compare", baseline, project, "--by", "type"])
    assert out.exit_code == 0, out.output
    assert "all questions" in out.output and all(f"type = {t}" in out.output for t in types)
    data = json.loads(cli.invoke(app, ["compare", baseline, project, "--by", "type", "--json"]).output)
    assert data["by"] == "type" and sorted(data["groups"]) == types
    assert [r["metric"] for r in data["all"]] == list(SCORES)
    assert sum(r["n"] for g in data["groups"].values() for r in g if r["metric"] == "refusal_accuracy") == len(
        load_items(runs[0].out_dir))
    out = cli.invoke(app, ["compare", baseline, project, "--by", "committee"])
    assert out.exit_code == 2 and "cannot group by" in " ".join(out.output.split())
