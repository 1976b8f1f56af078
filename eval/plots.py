"""PNG plots (matplotlib, Agg): a metric per question type, and the latency distribution."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eval.runner import PipelineRun

PLOTTED = ("recall_at_5", "must_mention_recall", "citation_precision", "refusal_accuracy")


def write_plots(out_dir: Path, runs: Sequence[PipelineRun]) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    out_dir.mkdir(parents=True, exist_ok=True)
    types = sorted({t for r in runs for t in r.metrics["by_type"]})
    fig, axes = plt.subplots(len(PLOTTED), 1, figsize=(9, 2.6 * len(PLOTTED)), sharex=True)
    width = 0.8 / len(runs)
    x = np.arange(len(types))
    for ax, metric in zip(axes, PLOTTED, strict=True):
        for i, run in enumerate(runs):
            vals = [run.metrics["by_type"].get(t, {}).get(metric) for t in types]
            ax.bar(x + i * width, [np.nan if v is None else v for v in vals], width, label=run.name)
        ax.set_ylabel(metric.replace("_", " "), fontsize=8)
        ax.set_ylim(0, 1.05)
    axes[0].legend(loc="upper right", fontsize=8)
    axes[-1].set_xticks(x + width * (len(runs) - 1) / 2, types)
    fig.suptitle("Metrics per question type (undefined = no bar)")
    fig.tight_layout()
    by_type = out_dir / "metrics_by_type.png"
    fig.savefig(by_type, dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 3.5))
    data = [[a.latency_s for a in r.answers] for r in runs]
    ax.boxplot(data, vert=False)
    ax.set_yticks(range(1, len(runs) + 1), [r.name for r in runs])
    ax.set_xscale("log")
    ax.set_xlabel("latency per question (s, log scale)")
    ax.set_title("Answer latency distribution")
    fig.tight_layout()
    latency = out_dir / "latency.png"
    fig.savefig(latency, dpi=110)
    plt.close(fig)
    return [by_type, latency]
