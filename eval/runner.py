"""Run gold questions through a pipeline exactly as a user would, and write the results.

``DIR/answers.jsonl`` + ``metrics.json`` + ``committees.json`` for the first pipeline, the
same under ``DIR/<name>/`` for the others (the baseline), then the plots and ``DIR/report.md``, which shows them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.runnables import Runnable

from eval.gold import GoldItem, load_gold, write_answers
from eval.scoring import COMMITTEES_FILE, compute
from rag.langchain import AskInput, answer_runnable
from rag.types import Answer, ChatTurn

log = logging.getLogger(__name__)

PIPELINES = ("radslag", "baseline")
Progress = Callable[[str, int, int], None]


@dataclass
class PipelineRun:
    name: str
    out_dir: Path
    answers: list[Answer]
    metrics: dict[str, Any]


def index_committees(components: Any) -> list[str]:
    """Every committee name the project's index knows (the list-F1 vocabulary)."""
    names = {str(c.metadata.get("committee") or "") for c in components.store.iter_chunks()}
    return sorted(n for n in names if n)


def make_pipeline(name: str, components: Any) -> Runnable[AskInput | str, Answer]:
    """The pipeline's answer Runnable with its index ready, so no answer's latency includes
    building it. Both pipelines are asked the same way, through LangChain's ``invoke``."""
    if name == "radslag":
        components.retriever.snapshot()
        return components.answer_chain
    if name == "baseline":
        from eval.baseline import BaselinePipeline

        s = components.settings
        baseline = BaselinePipeline(components.embedder, s.corpus_dir, s.data_dir / "index" / "baseline")
        baseline.store  # noqa: B018 - build or open the index now
        return answer_runnable(baseline, name="baseline")
    raise ValueError(f"unknown pipeline {name!r}: choose from {', '.join(PIPELINES)}")


def answer_all(
    chain: Runnable[AskInput | str, Answer], items: Sequence[GoldItem], step: Callable[[int], None] | None = None
) -> list[Answer]:
    answers = []
    for n, item in enumerate(items, start=1):
        history = [ChatTurn(t.role, t.content) for t in item.history]
        answers.append(chain.invoke({"question": item.question, "history": history, "id": item.id}))
        if step:
            step(n)
    return answers


def run_eval(
    components: Any,
    gold_path: Path,
    out_dir: Path,
    pipelines: Sequence[str] = PIPELINES,
    progress: Progress | None = None,
    split: str | None = None,
) -> list[PipelineRun]:
    """Answer, score and report. Returns one :class:`PipelineRun` per pipeline, in order."""
    from eval.plots import write_plots
    from eval.report import write_report

    items = load_gold(Path(gold_path), split)
    vocabulary = index_committees(components)
    runs: list[PipelineRun] = []
    for i, name in enumerate(pipelines):
        target = Path(out_dir) if i == 0 else Path(out_dir) / name
        pipe = make_pipeline(name, components)
        if progress:
            progress(name, 0, len(items))
        answers = answer_all(pipe, items, (lambda n, name=name: progress(name, n, len(items))) if progress else None)
        metrics = compute(items, answers, vocabulary)
        metrics["meta"] = {"pipeline": name, "gold": str(gold_path), "split": split, "n_items": len(items)}
        write_answers(target / "answers.jsonl", answers)
        (target / COMMITTEES_FILE).write_text(json.dumps(vocabulary, ensure_ascii=False, indent=1), encoding="utf-8")
        (target / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
        runs.append(PipelineRun(name, target, answers, metrics))
        log.info("%s: %d answers written to %s", name, len(answers), target)
    # Plots first: the report embeds them by relative links, and must not link an image not yet written.
    plots = write_plots(Path(out_dir), runs)
    write_report(Path(out_dir) / "report.md", items, runs, plots)
    return runs


def run_cli(settings: Any, gold: Path, out: Path, pipeline: str = "both", check: bool = False, split: str | None = None) -> int:
    """``radslag eval``: exit code 0, 1 (below a threshold with ``--check``) or 2 (bad input)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from eval.gate import failures, load_thresholds
    from eval.report import summary_table
    from radslag.components import Components

    console, err = Console(), Console(stderr=True)
    names = list(PIPELINES) if pipeline == "both" else [pipeline]
    if any(n not in PIPELINES for n in names) or not Path(gold).is_file():
        err.print(f"[red]Need an existing gold file and --pipeline radslag|baseline|both[/red] (got {gold}, {pipeline})")
        return 2
    comps = Components(settings)
    if comps.store.count() == 0:
        err.print("[red]The index is empty.[/red] Run `radslag ingest` first.")
        return 2
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def progress(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(f"{name}", total=total)
            bar.update(tasks[name], completed=done)

        try:
            runs = run_eval(comps, gold, out, names, progress, split)
        except ValueError as exc:
            err.print(f"[red]{exc}[/red]")
            return 2
    console.print(summary_table(runs))
    console.print(f"Wrote {out}/report.md, answers.jsonl and metrics.json per pipeline, plots.")
    gated = next((r for r in runs if r.name == "radslag"), runs[0])
    for msg in failures(gated.metrics["overall"], load_thresholds(section="target")):
        console.print(f"[yellow]below the acceptance target ({gated.name}):[/yellow] {msg}")
    if not check:
        return 0
    failed = failures(gated.metrics["overall"], load_thresholds())
    for msg in failed:
        err.print(f"[red]below threshold ({gated.name}):[/red] {msg}")
    if not failed:
        console.print(f"[green]All thresholds met ({gated.name}).[/green]")
    return 1 if failed else 0
