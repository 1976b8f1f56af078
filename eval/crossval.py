"""``radslag crossval``: end-to-end figures on the bank's train split, out of fold.

The train split's own figures are in sample: every learned decision was fitted on those
items, so a change that fits them better looks better there whether or not it carries over
to new text. Cross-validation retrains the whole engine (``radslag train``) without one fold
of the train items and answers that fold with it, for every fold. A fold holds whole passage
groups — every item resting on the same section (a committee's reply, a section of a
document) falls in the same fold — as the validation split holds sections no train item
rests on, so the figures measure transfer to unseen text. Validation items are never read.

Each train item's paraphrases (:mod:`eval.paraphrases`) go with it: a fold's training reads
only its own items' paraphrases, and each fold also answers its held items' paraphrases,
scored apart (``paraphrases/`` in the output folder): how much an answer depends on wording.

What the folds still share: the extra kind-labelled and unanswerable questions
(``eval/data/kinds.jsonl``) and the typed questions were written from the train documents,
so they may touch a held-out fold's sections; they teach the kind, answer-type and
answerability models, never which sentence or committee answers.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.gold import GoldItem, load_gold, write_answers, write_gold
from eval.kinds import KINDS_FILE
from eval.paraphrases import PARAPHRASES_FILE, load_paraphrases, original_id
from eval.runner import answer_all, index_committees
from eval.scoring import compute
from eval.train import BANK
from eval.train import train as fit
from rag.decisions import load_decisions
from rag.langchain import answer_runnable
from rag.pipeline import RagPipeline

log = logging.getLogger(__name__)

FOLDS = 5


def passage_group(item: GoldItem) -> str:
    """The section an item rests on (its first primary evidence entry); an item without
    evidence (unanswerable) is a group of its own."""
    if not item.primary:
        return f"item:{item.id}"
    return f"{item.primary[0].doc}|{item.primary[0].section or ''}"


def assign_folds(items: Sequence[GoldItem], folds: int = FOLDS) -> dict[str, int]:
    """Item id → fold. Whole passage groups, largest first, each to the smallest fold so far
    (ties broken by a hash of the group, so the assignment is the same on every machine)."""
    if folds < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, not {folds}")
    groups: dict[str, list[GoldItem]] = defaultdict(list)
    for item in items:
        groups[passage_group(item)].append(item)
    if len(groups) < folds:
        raise ValueError(f"{len(groups)} passage groups cannot fill {folds} folds")
    order = sorted(groups, key=lambda g: (-len(groups[g]), hashlib.sha256(g.encode()).hexdigest()))
    sizes = [0] * folds
    fold_of: dict[str, int] = {}
    for g in order:
        k = min(range(folds), key=lambda i: (sizes[i], i))
        sizes[k] += len(groups[g])
        for item in groups[g]:
            fold_of[item.id] = k
    return fold_of


def cross_validate(
    components: Any,
    out_dir: Path,
    bank: Path = BANK,
    folds: int = FOLDS,
    kinds: Path | None = KINDS_FILE,
    paraphrases: Path | None = PARAPHRASES_FILE,
    reuse: Path | None = None,
) -> dict[str, Any]:
    """Retrain without each fold, answer the fold, and score every train item out of fold.
    Writes ``answers.jsonl`` (each answer from the engine that never saw its item) and
    ``metrics.json`` (overall, by type and language, and per fold) to ``out_dir``; with
    ``paraphrases`` (:mod:`eval.paraphrases`), each fold trains with its items' paraphrases
    and answers its held items' paraphrases, scored in ``out_dir/paraphrases``.

    ``reuse``: an earlier run's folder whose fold artefacts answer instead of retraining —
    for a change to how answers are composed from decisions already trained (minutes, not
    half an hour). Each of its folds must have been trained on exactly this fold's items."""
    if reuse is not None and reuse.resolve() == out_dir.resolve():
        # Each fold's bank is rewritten before its artefact is checked against it.
        raise ValueError("--reuse must name another folder than --out")
    items = load_gold(bank, "train")
    fold_of = assign_folds(items, folds)
    reworded = load_paraphrases(paraphrases, items)
    vocabulary = index_committees(components)
    answered: list[tuple[GoldItem, Any]] = []
    answered_reworded: list[tuple[GoldItem, Any]] = []
    per_fold = []
    for k in range(folds):
        held = [i for i in items if fold_of[i.id] == k]
        folder = out_dir / f"fold{k}"
        write_gold(folder / "bank.jsonl", [i for i in items if fold_of[i.id] != k])
        if reuse is not None:
            artefact = reused_artefact(reuse / f"fold{k}", folder / "bank.jsonl")
        else:
            artefact = folder / "decisions.joblib"
            # The fold's bank leaves its held items out, so training loads none of their paraphrases.
            fit(components, folder / "bank.jsonl", artefact, None, kinds, paraphrases=paraphrases)
        pipeline = RagPipeline(components.retriever, decisions=load_decisions(artefact))
        runnable = answer_runnable(pipeline)
        answers = answer_all(runnable, held)
        answered += list(zip(held, answers, strict=True))
        held_reworded = [p for p in reworded if fold_of[original_id(p.id)] == k]
        answered_reworded += list(zip(held_reworded, answer_all(runnable, held_reworded), strict=True))
        per_fold.append(compute(held, answers, vocabulary)["overall"])
        log.info("fold %d/%d: %d items and %d paraphrases answered", k + 1, folds, len(held), len(held_reworded))
    if answered_reworded:
        _write(out_dir / "paraphrases", answered_reworded, vocabulary, {"gold": str(paraphrases), "out_of_fold": True})
    by_id = {item.id: n for n, item in enumerate(items)}
    answered.sort(key=lambda pair: by_id[pair[0].id])
    meta = {"gold": str(bank), "split": "train", "folds": folds, "out_of_fold": True, "n_items": len(items)}
    if reuse is not None:
        meta["reused_artefacts"] = str(reuse)
    return _write(out_dir, answered, vocabulary, meta, per_fold)


def reused_artefact(earlier: Path, bank: Path) -> Path:
    """An earlier run's fold artefact, if that fold was trained on the same items as ``bank``.

    Folds are assigned deterministically, but the bank may have changed since: answering a
    fold with an artefact trained on some of its own items would score them in sample."""
    artefact, trained_on = earlier / "decisions.joblib", earlier / "bank.jsonl"
    if not artefact.is_file() or not trained_on.is_file():
        raise ValueError(f"{earlier} holds no fold artefact to reuse (decisions.joblib and bank.jsonl)")
    if {i.id for i in load_gold(trained_on)} != {i.id for i in load_gold(bank)}:
        raise ValueError(f"{earlier} was trained on other items than this fold's: run crossval without --reuse")
    return artefact


def _write(
    out_dir: Path, answered: list[tuple[GoldItem, Any]], vocabulary: Any, meta: dict[str, Any], per_fold: list | None = None,
) -> dict[str, Any]:
    """Score ``answered`` and write its ``answers.jsonl`` and ``metrics.json`` to ``out_dir``."""
    metrics = compute([i for i, _ in answered], [a for _, a in answered], vocabulary)
    if per_fold is not None:
        metrics["folds"] = per_fold
    metrics["meta"] = {**meta, "n_items": len(answered)}
    out_dir.mkdir(parents=True, exist_ok=True)
    write_answers(out_dir / "answers.jsonl", [a for _, a in answered])
    (out_dir / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
    return metrics
