"""Two runs on the same questions, compared item by item: is a change more than noise?

A change to the engine moves a few items out of a few hundred; whether it generalises is
first a question of whether it is more than chance. Each metric is compared on the items
both runs score (citation precision, say, is undefined for a refusal), as the mean of the
paired differences with a 95 % bootstrap interval over the items (scipy's BCa bootstrap).
An interval that excludes 0 says the change is larger than the spread of these questions
allows by chance; one that straddles 0 says these questions cannot tell (README,
"Evaluation and benchmarks").

The runs are ``metrics.json`` files written by ``radslag eval`` or ``radslag crossval``
(their ``items``). Item ids are listed only on request (``--items``): on the validation
split only the aggregate figures may be read. ``--by lang`` or ``--by type`` compares within
each language or type of question: a change can help one and cost the other while the
totals barely move (the cross-lingual bridge of the twenty-sixth session did: docs/journal.md).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import bootstrap

from eval.scoring import SCORES

#: Resamples of the bootstrap; 2000 puts the interval's ends within about ±0.002 of their
#: limit at a few hundred items.
RESAMPLES = 2000


@dataclass(frozen=True)
class MetricChange:
    metric: str
    n: int  # items both runs score on this metric
    a: float | None
    b: float | None
    delta: float | None
    low: float | None  # 95 % interval of the mean paired difference
    high: float | None
    better: list[str]  # items whose score rose from a to b
    worse: list[str]

    @property
    def clear(self) -> bool:
        """The interval excludes 0: more than these questions' spread explains."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


def load_items(path: Path) -> dict[str, dict[str, Any]]:
    """The per-item scores of a run: ``metrics.json`` or a folder holding one."""
    file = path / "metrics.json" if path.is_dir() else path
    if not file.is_file():
        raise ValueError(f"{path}: no metrics.json (write one with `radslag eval` or `radslag crossval`)")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{file}: not JSON ({exc.msg}, line {exc.lineno})") from exc
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) and "id" in i for i in items):
        raise ValueError(f"{file}: no per-item scores ('items'); it was not written by `radslag eval` or `radslag crossval`")
    return {str(i["id"]): i for i in items}


def interval(diffs: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """95 % BCa bootstrap interval of the mean of ``diffs``."""
    if len(diffs) < 2 or np.all(diffs == diffs[0]):
        # No spread to resample: the interval is the value itself (BCa is undefined there).
        value = float(diffs[0]) if len(diffs) else 0.0
        return value, value
    # BCa first; it warns, and may give no interval (NaN), when nearly every difference is
    # the same (one or two items changed): the percentile interval is used then.
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ci = bootstrap((diffs,), np.mean, n_resamples=RESAMPLES, confidence_level=0.95, method=method,
                           random_state=np.random.default_rng(seed)).confidence_interval
        low, high = float(ci.low), float(ci.high)
        if not (np.isnan(low) or np.isnan(high)):
            break
    return low, high


def same_questions(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]) -> None:
    """Raise unless both runs answered the same questions: a comparison over different
    questions would measure the questions."""
    if set(a) != set(b):
        only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
        raise ValueError(
            f"the runs answered different questions ({len(only_a)} only in the first, e.g. {only_a[:3]}; "
            f"{len(only_b)} only in the second, e.g. {only_b[:3]})"
        )


def compare(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]], seed: int = 0) -> list[MetricChange]:
    """Each metric's paired change from run ``a`` to run ``b``. Both must have answered the
    same questions: a comparison over different questions would measure the questions."""
    same_questions(a, b)
    ids = sorted(a)
    out = []
    for metric in SCORES:
        pairs = [(i, a[i].get(metric), b[i].get(metric)) for i in ids]
        pairs = [(i, float(x), float(y)) for i, x, y in pairs if x is not None and y is not None]
        if not pairs:
            out.append(MetricChange(metric, 0, None, None, None, None, None, [], []))
            continue
        xa = np.array([x for _, x, _ in pairs])
        xb = np.array([y for _, _, y in pairs])
        low, high = interval(xb - xa, seed)
        out.append(MetricChange(
            metric, len(pairs), float(xa.mean()), float(xb.mean()), float((xb - xa).mean()), low, high,
            better=[i for i, x, y in pairs if y > x], worse=[i for i, x, y in pairs if y < x],
        ))
    return out


#: What ``compare_by`` groups the questions by: fields every item of a run carries.
GROUPINGS = ("lang", "type")


def compare_by(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]], by: str, seed: int = 0) -> dict[str, list[MetricChange]]:
    """:func:`compare` within each group of questions (each language, or each type), the
    groups in alphabetical order. The runs must hold the same questions, as for :func:`compare`."""
    if by not in GROUPINGS:
        raise ValueError(f"cannot group by {by!r}: use one of {', '.join(GROUPINGS)}")
    same_questions(a, b)
    groups: dict[str, list[str]] = {}
    for i, item in a.items():
        groups.setdefault(str(item.get(by) or "–"), []).append(i)
    return {g: compare({i: a[i] for i in ids}, {i: b[i] for i in ids}, seed) for g, ids in sorted(groups.items())}


def as_json(changes: list[MetricChange], items: bool) -> list[dict[str, Any]]:
    rows = []
    for c in changes:
        row = asdict(c) | {"clear": c.clear, "better": len(c.better), "worse": len(c.worse)}
        if items:
            row |= {"better_items": c.better, "worse_items": c.worse}
        rows.append(row)
    return rows
