"""Score the remiss overview against the stance gold set: ``radslag eval eval/data/stance.jsonl``.

For each measure of the gold set the overview is built as an official would build it
(``RagPipeline.overview("4.3.2")``) and each committee's row is compared with the gold pair.
Reported: stance accuracy and macro-F1 over all pairs of the split, accuracy of the
addressed / not-addressed decision, and stance accuracy on the pairs the gold marks as
addressed (the text stances alone).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from sklearn.metrics import f1_score

from eval.bank import load
from rag.overview import STANCES, TEXT_STANCES


def is_stance_gold(path: Path) -> bool:
    """Whether a gold file holds stance pairs (rather than questions)."""
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                return "stance" in json.loads(line)
    return False


def evaluate_stance(pipeline: Any, gold: Path, split: str | None = None) -> dict[str, Any]:
    rows = [r for r in load(gold) if split is None or r["split"] == split]
    if not rows:
        raise ValueError(f"no stance pairs in {gold}" + (f" for split {split!r}" if split else ""))
    by_measure: dict[str, list[dict]] = {}
    for r in rows:
        by_measure.setdefault(r["measure"], []).append(r)
    gold_y, pred_y, details = [], [], []
    for measure, pairs in sorted(by_measure.items()):
        got = {row.committee: row for row in pipeline.overview(measure).rows}
        for r in pairs:
            row = got.get(r["committee"])
            pred = row.stance if row else "not_addressed"
            gold_y.append(r["stance"])
            pred_y.append(pred)
            details.append({"id": r["id"], "measure": measure, "committee": r["committee"], "gold": r["stance"], "pred": pred})
    n = len(gold_y)
    labels = [s for s in STANCES if s in set(gold_y) | set(pred_y)]
    addressed = [(g != "not_addressed", p != "not_addressed") for g, p in zip(gold_y, pred_y, strict=True) if g != "reply_missing"]
    text = [(g, p) for g, p in zip(gold_y, pred_y, strict=True) if g in TEXT_STANCES]
    return {
        "pairs": n,
        "measures": len(by_measure),
        "accuracy": round(sum(g == p for g, p in zip(gold_y, pred_y, strict=True)) / n, 4),
        "macro_f1": round(float(f1_score(gold_y, pred_y, labels=labels, average="macro", zero_division=0)), 4),
        "addressed_accuracy": round(sum(a == b for a, b in addressed) / len(addressed), 4) if addressed else None,
        "text_stance_accuracy": round(sum(g == p for g, p in text) / len(text), 4) if text else None,
        "gold": dict(Counter(gold_y)),
        "predicted": dict(Counter(pred_y)),
        "details": details,
    }


def run_stance_cli(settings: Any, gold: Path, out: Path, split: str | None = None) -> int:
    from rich.console import Console
    from rich.table import Table

    from radslag.components import Components

    console = Console()
    comps = Components(settings)
    if comps.store.count() == 0:
        Console(stderr=True).print("[red]The index is empty.[/red] Run `radslag ingest` first.")
        return 2
    try:
        result = evaluate_stance(comps.pipeline, gold, split)
    except ValueError as exc:
        Console(stderr=True).print(f"[red]{exc}[/red]")
        return 2
    out.mkdir(parents=True, exist_ok=True)
    (out / "stance.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    table = Table(title=f"Remiss overview vs {gold.name}" + (f" ({split})" if split else ""))
    for col in ("pairs", "measures", "accuracy", "macro_f1", "addressed_accuracy", "text_stance_accuracy"):
        table.add_column(col)
    table.add_row(*(str(result[c]) for c in ("pairs", "measures", "accuracy", "macro_f1", "addressed_accuracy", "text_stance_accuracy")))
    console.print(table)
    console.print(f"Wrote {out}/stance.json (every pair: gold and predicted stance).")
    return 0
