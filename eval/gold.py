"""Gold questions (see eval/data/FORMAT.md) and the answers file, as typed records."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from rag.types import Answer


class GoldEvidence(BaseModel):
    doc: str
    section: str | None = None
    quote: str
    alt: bool = False


class GoldTurn(BaseModel):
    role: str
    content: str


class GoldItem(BaseModel):
    id: str
    question: str
    lang: str
    type: str
    answer: str = ""
    must_mention: list[str] = Field(default_factory=list)
    may_mention: list[str] = Field(default_factory=list)
    evidence: list[GoldEvidence] = Field(default_factory=list)
    difficulty: str = ""
    history: list[GoldTurn] = Field(default_factory=list, description="Earlier turns of a follow-up question.")
    split: str | None = Field(default=None, description="Question bank: train | validation.")

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"

    @property
    def primary(self) -> list[GoldEvidence]:
        """Evidence that counts for retrieval recall (non-``alt``)."""
        return [e for e in self.evidence if not e.alt]


def _jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from exc


def load_gold(path: Path, split: str | None = None) -> list[GoldItem]:
    """The items of a gold file; with ``split``, only the bank items of that split."""
    items = [GoldItem.model_validate(row) for row in _jsonl(path)]
    if split is not None:
        unknown = {i.split for i in items} - {"train", "validation"}
        if unknown:
            raise ValueError(f"{path}: items without a train/validation split ({sorted(map(str, unknown))})")
        if split not in {"train", "validation"}:
            raise ValueError(f"split must be train or validation, not {split!r}")
        items = [i for i in items if i.split == split]
    ids = [i.id for i in items]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"{path}: duplicate ids {dupes}")
    return items


def load_answers(path: Path) -> list[Answer]:
    return [Answer.model_validate(row) for row in _jsonl(path)]


def write_gold(path: Path, items: Sequence[GoldItem]) -> None:
    """Gold items as JSON Lines, in the format :func:`load_gold` reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for item in items:
            fh.write(json.dumps(item.model_dump(mode="json", exclude_none=True), ensure_ascii=False) + "\n")


def write_answers(path: Path, answers: list[Answer]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for a in answers:
            fh.write(a.model_dump_json() + "\n")


def gold_committees(items: list[GoldItem]) -> set[str]:
    """Committee names the gold set knows: ``004_*`` sections and the names of list items
    over committees (evidence from two or more replies).

    A list *within* one reply (areas, partners, measures) names no committees: its names
    count for that item alone (``list_f1`` adds an item's own names), not as committee names
    that every other answer would be judged on.
    """
    names: set[str] = set()
    for item in items:
        sections = {e.section for e in item.evidence if e.section and e.doc.startswith("004_")}
        names.update(sections)
        if item.type == "list" and len(sections) >= 2:
            names.update(item.must_mention)
            names.update(item.may_mention)
    return names
