"""Thresholds (eval/thresholds.toml) and the check against them."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

THRESHOLDS = Path(__file__).with_name("thresholds.toml")


def load_thresholds(path: Path = THRESHOLDS, section: str = "gate") -> dict[str, float]:
    """The ``gate`` (enforced) or ``target`` (acceptance) thresholds."""
    with Path(path).open("rb") as fh:
        data = tomllib.load(fh)
    table = data.get(section, data if section == "gate" else {})
    return {k: float(v) for k, v in table.items() if not isinstance(v, dict)}


def failures(overall: dict[str, Any], thresholds: dict[str, float]) -> list[str]:
    """One message per metric below its threshold (a metric that could not be computed fails)."""
    out = []
    for name, minimum in thresholds.items():
        value = overall.get(name)
        if value is None or value < minimum:
            shown = "n/a" if value is None else f"{value:.3f}"
            out.append(f"{name} = {shown} < {minimum:.2f}")
    return out
