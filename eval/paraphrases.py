"""The bank's train questions asked again in other words (``eval/data/paraphrases.jsonl``).

Every learned decision was fitted on one wording per question, and the bank's wording is its
writer's: a model can learn that wording rather than what the question asks. Each row here
asks one train question again, so the same gold answer, evidence and must-mention hold, in
one of four styles: ``synonyms`` (other words and structure), ``other_language`` (sv ↔ en),
``citizen`` (plain, short, perhaps a dropped diacritic or a typo) and ``official`` (formal,
passive, a committee named by its administration or in English). Helpers who never saw the
answering code wrote them from the documents; others checked each against its original and
the documents.

They are used two ways. ``radslag train`` fits the models that read the question's wording
(kind, answer type, committee names) on both wordings, with the same labels, so they learn
what is asked rather than how one writer asked it; the models that read the question against
its evidence learn from the originals alone (a rewording shares its evidence, so there it
would only reweigh the bank). ``radslag crossval`` keeps each paraphrase in its original's
fold and also answers the held paraphrases, so the out-of-fold figures on them measure how
much an answer depends on the wording. Only train questions are paraphrased: the validation
split stays unseen.

One JSON object per line: ``{"of": <bank id>, "question", "lang": "sv"|"en", "style"}`` and,
where the other language makes a must-mention string unreasonable, ``"must_mention"``.
``python -m eval.paraphrases`` (and the tests) check the format against the bank.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from eval.bank import load, load_checked
from eval.gold import GoldItem, load_gold

PARAPHRASES_FILE = Path(__file__).resolve().parent / "data" / "paraphrases.jsonl"
BANK_FILE = Path(__file__).resolve().parent / "data" / "bank.jsonl"
STYLES = ("synonyms", "other_language", "citizen", "official")
_FIELDS = {"of", "question", "lang", "style", "must_mention"}
_REQUIRED = {"of", "question", "lang", "style"}


def original_id(item_id: str) -> str:
    """The bank id a paraphrase's id (``<of>~<n>``) rewords; a bank id is its own."""
    return item_id.split("~", 1)[0]


def check_row(row: object, originals: dict[str, GoldItem]) -> list[str]:
    """Every way one row breaks the format; empty when it is fine. ``originals``: the bank's
    train items by id (a paraphrase of a validation item would leak it into training)."""
    if not isinstance(row, dict):
        return ["not a JSON object"]
    out = [f"unknown field {k!r}" for k in sorted(set(row) - _FIELDS)]
    out += [f"missing field {k!r}" for k in sorted(_REQUIRED - set(row))]
    original = originals.get(str(row.get("of")))
    if original is None:
        out.append(f"of {row.get('of')!r} is no train item of the bank")
    question = row.get("question")
    if not isinstance(question, str) or not question.strip():
        out.append("question must be a non-empty string")
    elif original is not None and question.strip().casefold() == original.question.strip().casefold():
        out.append("question is the original's wording")
    if row.get("lang") not in ("sv", "en"):
        out.append("lang must be sv or en")
    if row.get("style") not in STYLES:
        out.append(f"style must be one of {', '.join(STYLES)}")
    mentions = row.get("must_mention")
    if mentions is not None and (not isinstance(mentions, list) or not all(isinstance(m, str) and m.strip() for m in mentions)):
        out.append("must_mention must be a list of non-empty strings")
    return out


def paraphrased(row: dict, original: GoldItem, n: int) -> GoldItem:
    """The gold item a row asks: its original's gold, its own wording (id ``<of>~<n>``)."""
    update = {"id": f"{original.id}~{n}", "question": row["question"].strip(), "lang": row["lang"]}
    if row.get("must_mention") is not None:
        update["must_mention"] = row["must_mention"]
    return original.model_copy(update=update)


def load_paraphrases(path: Path | None, originals: Sequence[GoldItem]) -> list[GoldItem]:
    """The paraphrases of ``originals`` (rows of other items are skipped: a cross-validation
    fold's training bank leaves its held items, and so their paraphrases, out), in file order.
    Raises ``ValueError`` naming the first bad row."""
    if path is None:
        return []
    by_id = {item.id: item for item in originals}

    def check(row: object) -> list[str]:
        return check_row(row, by_id) if _of(row) in by_id else []

    seen: Counter[str] = Counter()
    out = []
    for row in load_checked(path, check):
        of = _of(row)
        if of in by_id:
            seen[of] += 1
            out.append(paraphrased(row, by_id[of], seen[of]))
    return out


def _of(row: object) -> str:
    return str(row.get("of")) if isinstance(row, dict) else ""


def check_file(path: Path = PARAPHRASES_FILE, bank: Path = BANK_FILE) -> list[str]:
    """Every problem of the file, as ``line: problem``."""
    originals = {item.id: item for item in load_gold(bank, "train")}
    problems = []
    for n, row in enumerate(load(path), start=1):
        problems += [f"{n}: {p}" for p in check_row(row, originals)]
    return problems


def main(argv: Sequence[str] = ()) -> int:
    path = Path(argv[0]) if argv else PARAPHRASES_FILE
    problems = check_file(path)
    for p in problems:
        print(p)
    rows = load(path)
    print(f"{len(rows)} paraphrases, {len(problems)} problems; styles {dict(Counter(r.get('style') for r in rows))}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
