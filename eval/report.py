"""report.md: pipelines side by side per question type and language, the plots; the worst items."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval.gold import GoldItem
from eval.matching import supports
from eval.metrics import mean

if TYPE_CHECKING:
    from rich.table import Table

    from eval.runner import PipelineRun

COLUMNS = {
    "recall_at_1": "R@1", "recall_at_5": "R@5", "recall_at_10": "R@10", "mrr": "MRR",
    "must_mention_recall": "must-mention", "list_f1": "list F1", "citation_precision": "cit. prec.",
    "refusal_accuracy": "refusal acc.", "latency_p50_s": "p50 s", "latency_p95_s": "p95 s",
}
ITEM_SCORES = ("recall_at_5", "must_mention_recall", "list_f1", "citation_precision", "refusal_accuracy")
WORST_N = 8
EXCERPT = 240


def fmt(v: Any) -> str:
    return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def _cell(runs: Sequence[PipelineRun], pick: Any) -> str:
    return " / ".join(fmt(pick(r)) for r in runs)


def _group_table(runs: Sequence[PipelineRun], group: str) -> list[str]:
    keys = sorted({k for r in runs for k in r.metrics[group]})
    lines = ["| " + group.removeprefix("by_") + " | n | " + " | ".join(COLUMNS.values()) + " |",
             "|---" * (len(COLUMNS) + 2) + "|"]
    for key in keys:
        n = runs[0].metrics[group].get(key, {}).get("n", 0)
        cells = [_cell(runs, lambda r, c=c, key=key: r.metrics[group].get(key, {}).get(c)) for c in COLUMNS]
        lines.append(f"| {key} | {n} | " + " | ".join(cells) + " |")
    return lines


def item_score(row: dict[str, Any]) -> float:
    """One number per item for ranking the worst: the mean of its defined scores."""
    return mean(row.get(k) for k in ITEM_SCORES) or 0.0


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[:EXCERPT] + " …"


def _worst(items: Sequence[GoldItem], runs: Sequence[PipelineRun]) -> list[str]:
    main = runs[0]
    rows = {r["id"]: r for r in main.metrics["items"]}
    answers = {a.id: a for a in main.answers}
    others = [{r["id"]: r for r in run.metrics["items"]} for run in runs[1:]]
    worst = sorted(items, key=lambda i: (item_score(rows[i.id]), i.id))[:WORST_N]
    out = [f"## The {len(worst)} worst items ({main.name})", ""]
    for item in worst:
        row, ans = rows[item.id], answers[item.id]
        scores = ", ".join(f"{COLUMNS[k]} {fmt(row[k])}" for k in ITEM_SCORES if row[k] is not None)
        out += [f"### {item.id} ({item.type}, {item.lang}, {item.difficulty}): {item.question}", "",
                f"- scores: {scores}; item score {item_score(row):.3f}"]
        for run, other in zip(runs[1:], others, strict=True):
            out.append(f"- {run.name} item score: {item_score(other[item.id]):.3f}")
        out += [f"- reference: {_excerpt(item.answer)}",
                f"- answer ({'refused' if ans.refused else ans.strategy}): {_excerpt(ans.answer)}"]
        if item.must_mention:
            out.append(f"- must mention: {', '.join(item.must_mention)}")
        for e in item.primary:
            found = [n for n, p in enumerate(ans.retrieved, 1) if supports(e, p.source, p.committee, p.text)]
            out.append(f"- gold evidence `{e.doc}` / {e.section}: found at rank {found or 'none'} — “{_excerpt(e.quote)}”")
        out += ["", "| # | source | committee | score | text |", "|---|---|---|---|---|"]
        for n, p in enumerate(ans.retrieved[:5], start=1):
            hit = " ✔" if any(supports(e, p.source, p.committee, p.text) for e in item.evidence) else ""
            text = _excerpt(p.text).replace("|", "\\|")
            out.append(f"| {n}{hit} | {p.source} | {p.committee or '–'} | {p.score:.3f} | {text} |")
        out.append("")
    return out


PLOT_TITLES = {"metrics_by_type.png": "Metrics per question type", "latency.png": "Answer latency distribution"}


def _plots(report: Path, plots: Sequence[Path]) -> list[str]:
    """Markdown images linked relative to the report, so the folder can be moved or zipped whole."""
    if not plots:
        return []
    out = ["## Plots", ""]
    for plot in plots:
        if not plot.is_file():
            raise FileNotFoundError(f"plot {plot} was not written; the report would link a missing image")
        link = Path(os.path.relpath(plot, report.parent)).as_posix()
        out += [f"![{PLOT_TITLES.get(plot.name, plot.stem)}]({link})", ""]
    return out


def write_report(path: Path, items: Sequence[GoldItem], runs: Sequence[PipelineRun], plots: Sequence[Path] = ()) -> None:
    """Write ``path``; ``plots`` (already written, e.g. by :func:`eval.plots.write_plots`) are embedded."""
    names = " / ".join(r.name for r in runs)
    lines = [
        "# Evaluation report", "",
        f"{len(items)} gold items. Cells read **{names}** on the same items. "
        "Metric definitions: eval/METRICS.md.", "",
        "## Overall", "", "| metric | " + " | ".join(r.name for r in runs) + " |", "|---" * (len(runs) + 1) + "|",
    ]
    for key, label in COLUMNS.items():
        lines.append(f"| {label} | " + " | ".join(fmt(r.metrics["overall"].get(key)) for r in runs) + " |")
    lines += ["", "## By question type", "", *_group_table(runs, "by_type"),
              "", "## By language", "", *_group_table(runs, "by_lang"), "", *_plots(path, plots), *_worst(items, runs)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def summary_table(runs: Sequence[PipelineRun]) -> Table:
    from rich.table import Table

    table = Table(title="Evaluation (overall)")
    table.add_column("metric")
    for r in runs:
        table.add_column(r.name, justify="right")
    for key, label in COLUMNS.items():
        table.add_row(label, *(fmt(r.metrics["overall"].get(key)) for r in runs))
    return table
