"""Extra training questions (``eval/data/kinds.jsonl``): more phrasings for the kind model,
and questions the documents do not answer for the answerability model.

The question bank's train split teaches the kind model from about 320 questions, and its
cross-validated accuracy says that is too few (0.74): a question worded unlike any train
item is routed wrong. These items add phrasings only — a question, its language, the kind of
answer it wants (:data:`rag.decisions.KINDS`) and, for a follow-up, the earlier turns. They
were written from the train documents by helpers who never saw the answering code, and
verified by others against the kind definitions. They teach the kind model only (no
evidence, so no other decision). Rows of kind ``unanswerable`` (off-topic questions, city
matters these documents do not cover, near misses whose fact the documents do not state —
each checked against the documents by a second helper) teach the answerability model to
refuse. No row names a validation committee or repeats a validation question, so the
bank's validation split stays unseen text. ``radslag train`` reads this file by default
(``--kinds FILE`` for another); the committed artefact is trained with it.

One JSON object per line: ``{"question", "lang": "sv"|"en", "kind", "history"?: [{"role",
"content"}, …]}``; ``kind`` is one of :data:`rag.decisions.KINDS` or ``unanswerable``. ``python -m eval.kinds FILE`` (and the tests) check the format.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from eval.bank import VALIDATION_COMMITTEES, load, load_checked
from eval.gold import load_gold
from eval.matching import normalise
from rag.decisions import KINDS
from rag.query import names_in
from rag.types import ChatTurn

KINDS_FILE = Path(__file__).resolve().parent / "data" / "kinds.jsonl"
BANK = Path(__file__).resolve().parent / "data" / "bank.jsonl"
_FIELDS = {"question", "lang", "kind", "history"}
#: A question the documents do not answer (off-topic, or a city matter they do not cover):
#: it teaches the answerability model to refuse, not the kind model.
UNANSWERABLE = "unanswerable"


@dataclass
class KindItem:
    question: str
    lang: str
    kind: str
    history: list[ChatTurn] = field(default_factory=list)


def check_row(row: object) -> list[str]:
    """Every way one row breaks the format; empty when it is fine."""
    if not isinstance(row, dict):
        return ["not a JSON object"]
    out = [f"unknown field {k!r}" for k in sorted(set(row) - _FIELDS)]
    if not isinstance(row.get("question"), str) or not row["question"].strip():
        out.append("question must be a non-empty string")
    if row.get("lang") not in ("sv", "en"):
        out.append("lang must be sv or en")
    if row.get("kind") not in (*KINDS, UNANSWERABLE):
        out.append(f"kind must be one of {', '.join(KINDS)} or {UNANSWERABLE}")
    history = row.get("history", [])
    if not isinstance(history, list) or not all(
        isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str) for t in history
    ):
        out.append("history must be a list of {role: user|assistant, content}")
    if isinstance(row.get("question"), str):
        said = " ".join([row["question"]] + [t.get("content", "") for t in history if isinstance(t, dict)])
        reserved = names_in(said, VALIDATION_COMMITTEES)
        if reserved:
            out.append(f"names a validation committee ({', '.join(reserved)})")
    return out


def check_kinds(rows: list[object], bank: Path = BANK) -> list[str]:
    """Problems of the whole file: each row's, duplicates, and repeats of validation questions."""
    problems = [f"line {n}: {p}" for n, row in enumerate(rows, start=1) for p in check_row(row)]
    questions = [r for r in rows if isinstance(r, dict) and isinstance(r.get("question"), str)]
    # A follow-up's words ("Hur många är de?") repeat with another history: the pair is the item.
    seen = Counter(_said(r) for r in questions)
    problems += [f"duplicate question: {q!r}" for q, c in seen.items() if c > 1]
    held_out = {normalise(i.question) for i in load_gold(bank, "validation")}
    problems += [f"repeats a validation question: {r['question']!r}" for r in questions if normalise(r["question"]) in held_out]
    return problems


def _said(row: dict) -> str:
    turns = row.get("history") if isinstance(row.get("history"), list) else []
    return " | ".join(normalise(str(t.get("content", ""))) for t in turns if isinstance(t, dict)) + " || " + normalise(row["question"])


def load_kinds(path: Path = KINDS_FILE) -> list[KindItem]:
    """The items of a kinds file; a clear error naming the line when one is malformed."""
    return [
        KindItem(row["question"], row["lang"], row["kind"], [ChatTurn(t["role"], t["content"]) for t in row.get("history", [])])
        for row in load_checked(path, check_row)
    ]


def main(argv: list[str]) -> int:
    rows: list[object] = list(load(Path(argv[0]) if argv else KINDS_FILE))
    problems = check_kinds(rows)
    for p in problems:
        print(p)
    kinds = Counter(r.get("kind") for r in rows if isinstance(r, dict))
    langs = Counter(r.get("lang") for r in rows if isinstance(r, dict))
    print(f"{len(rows)} items, {len(problems)} problems; kinds {dict(kinds)}; languages {dict(langs)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
