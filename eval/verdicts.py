"""Extra yes/no questions for the verdict model (``eval/data/verdicts.jsonl``).

The bank's train split holds about fifty yes/no questions: too few for the verdict model to
learn every way a passage says "no". Not one of their quotes held a word of doubt, so doubt
("Nämnden ställer sig dock tveksam …") carried no weight at all and such an answer sat on
the threshold. These items add yes/no questions with their verdict and the passage that
decides it, written from the train text (documents ``000``/``001`` and the compilation's
train replies) by helpers who never saw the answering code, each verdict checked blind by a
second helper. ``cue`` names what decides it: for "no" a negation, a doubt, something not yet
done, a condition, another value than the one asked or a closed list without the thing
asked; for "yes" a stated support or fact. They teach the verdict model only: ``radslag
train`` traces each question as a user would ask it and learns from what the answer would
quote; together they weigh as much as the bank's own yes/no questions
(:func:`eval.train.verdict_weights`). No item rests on a validation section, so the bank's
validation split stays unseen.

One JSON object per line: ``{"question", "lang": "sv"|"en", "verdict": "yes"|"no", "cue",
"evidence": [{"doc", "section", "quote"}], "reason"}``. ``python -m eval.verdicts FILE``
(and the tests) check the format, that every quote is verbatim in its document (and in its
committee's reply), and that no item rests on validation text.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from eval.bank import COMPILATION, CORPUS, committee_sections, corpus_text, load, load_checked, rests_on_validation
from eval.matching import normalise

VERDICTS_FILE = Path(__file__).resolve().parent / "data" / "verdicts.jsonl"
NO_CUES = {"negation", "doubt", "not_yet", "condition", "other_value", "not_in_list"}
YES_CUES = {"support", "affirmed"}
_FIELDS = {"question", "lang", "verdict", "cue", "evidence", "reason"}


@dataclass(frozen=True)
class VerdictItem:
    question: str
    lang: str
    no: bool
    cue: str


def check_row(row: object, corpus: Path = CORPUS) -> list[str]:
    """Every way one row breaks the format; empty when it is fine."""
    if not isinstance(row, dict):
        return ["not a JSON object"]
    out = [f"unknown field {k!r}" for k in sorted(set(row) - _FIELDS)]
    out += [f"missing field {k!r}" for k in sorted(_FIELDS - set(row))]
    if not isinstance(row.get("question"), str) or not row["question"].strip():
        out.append("question must be a non-empty string")
    if row.get("lang") not in ("sv", "en"):
        out.append("lang must be sv or en")
    verdict, cue = row.get("verdict"), row.get("cue")
    if verdict not in ("yes", "no"):
        out.append("verdict must be yes or no")
    elif cue not in (NO_CUES if verdict == "no" else YES_CUES):
        out.append(f"cue {cue!r} does not fit verdict {verdict!r}")
    evidence = row.get("evidence")
    if not isinstance(evidence, list) or not evidence:
        return out + ["evidence must be a non-empty list"]
    for ev in evidence:
        out += _check_evidence(ev, corpus)
    if rests_on_validation(row):
        out.append("rests on a validation section")
    return out


def _check_evidence(ev: object, corpus: Path) -> list[str]:
    if not isinstance(ev, dict) or not isinstance(ev.get("quote"), str) or not isinstance(ev.get("doc"), str):
        return ["evidence entries need doc and quote"]
    if not (corpus / ev["doc"]).is_file():
        return [f"no document {ev['doc']!r}"]
    quote = normalise(ev["quote"])
    if quote not in normalise(corpus_text(ev["doc"], corpus)):
        return [f"quote not in {ev['doc']}: {ev['quote'][:60]!r}"]
    if ev["doc"] == COMPILATION:
        reply = committee_sections(str(corpus)).get(str(ev.get("section")))
        if reply is None:
            return [f"section {ev.get('section')!r} is no committee of the compilation"]
        if quote not in reply:
            return [f"quote is not in {ev['section']}'s reply"]
    return []


def check_verdicts(rows: list[object]) -> list[str]:
    """Problems of the whole file: each row's and repeated questions."""
    problems = [f"line {n}: {p}" for n, row in enumerate(rows, start=1) for p in check_row(row)]
    seen = Counter(normalise(r["question"]) for r in rows if isinstance(r, dict) and isinstance(r.get("question"), str))
    return problems + [f"duplicate question: {q!r}" for q, c in seen.items() if c > 1]


def load_verdicts(path: Path = VERDICTS_FILE) -> list[VerdictItem]:
    """The items of a verdicts file; a clear error naming the line when one is malformed."""
    return [VerdictItem(r["question"], r["lang"], r["verdict"] == "no", r["cue"]) for r in load_checked(path, check_row)]


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else VERDICTS_FILE
    rows: list[object] = load(path)
    problems = check_verdicts(rows)
    for p in problems:
        print(p)
    counts = Counter((r.get("verdict"), r.get("cue")) for r in rows if isinstance(r, dict))
    langs = Counter(r.get("lang") for r in rows if isinstance(r, dict))
    print(f"{len(rows)} items, {len(problems)} problems; verdicts and cues {dict(counts)}; languages {dict(langs)}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
