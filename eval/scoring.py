"""Score every item and aggregate: overall, by question ``type`` and by ``lang``.

:func:`recompute` rebuilds ``metrics.json`` from ``answers.jsonl`` and the gold file alone,
so anyone can check the published figures.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from eval import metrics as m
from eval.gold import GoldItem, gold_committees, load_answers, load_gold
from rag.types import Answer

#: Next to answers.jsonl: the committee names known to the index (for list F1).
COMMITTEES_FILE = "committees.json"
#: The item-level scores that are averaged (latency is summarised by percentiles).
SCORES = (
    "recall_at_1", "recall_at_5", "recall_at_10", "mrr",
    "must_mention_recall", "list_f1", "citation_precision", "refusal_accuracy",
)
DIGITS = 6


def score_item(item: GoldItem, answer: Answer, vocabulary: Iterable[str]) -> dict[str, Any]:
    row: dict[str, Any] = {"id": item.id, "type": item.type, "lang": item.lang}
    for k in m.K_VALUES:
        row[f"recall_at_{k}"] = m.recall_at_k(item, answer.retrieved, k)
    row["mrr"] = m.reciprocal_rank(item, answer.retrieved)
    row["must_mention_recall"] = m.must_mention_recall(item, answer.answer)
    row["list_f1"] = m.list_f1(item, answer.answer, vocabulary)
    row["citation_precision"] = m.citation_precision(item, answer.citations)
    row["refusal_accuracy"] = m.refusal_correct(item, answer.refused)
    row["latency_s"] = answer.latency_s
    return row


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, DIGITS)


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"n": len(rows)}
    for key in SCORES:
        out[key] = _round(m.mean(r[key] for r in rows))
    latencies = [r["latency_s"] for r in rows]
    out["latency_p50_s"] = _round(m.percentile(latencies, 50))
    out["latency_p95_s"] = _round(m.percentile(latencies, 95))
    return out


def aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[str, dict[str, list[dict[str, Any]]]] = {"type": defaultdict(list), "lang": defaultdict(list)}
    for r in rows:
        for field, by in groups.items():
            by[r[field]].append(r)
    return {
        "overall": summarise(rows),
        "by_type": {k: summarise(v) for k, v in sorted(groups["type"].items())},
        "by_lang": {k: summarise(v) for k, v in sorted(groups["lang"].items())},
        "items": [{k: _round(v) if isinstance(v, float) else v for k, v in r.items()} for r in rows],
    }


def compute(items: list[GoldItem], answers: list[Answer], vocabulary: Iterable[str] = ()) -> dict[str, Any]:
    """Metrics for ``answers`` (matched to gold by id). Every gold item needs an answer."""
    by_id = {a.id: a for a in answers}
    missing = [i.id for i in items if i.id not in by_id]
    if missing:
        raise ValueError(f"no answer for gold items {missing}")
    names = sorted(set(vocabulary) | gold_committees(items))
    return aggregate([score_item(i, by_id[i.id], names) for i in items])


def read_vocabulary(answers_path: Path) -> list[str]:
    path = answers_path.parent / COMMITTEES_FILE
    return list(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else []


def recompute(answers_path: Path, gold_path: Path) -> dict[str, Any]:
    """The scores of ``metrics.json`` from the answers, the gold file (and committees.json)."""
    answers_path, gold_path = Path(answers_path), Path(gold_path)
    return compute(load_gold(gold_path), load_answers(answers_path), read_vocabulary(answers_path))
