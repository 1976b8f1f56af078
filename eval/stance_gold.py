"""The stance gold set (``eval/data/stance.jsonl``): measure × committee → stance, with the quote.

One row per committee of the compilation and measure of the remiss, so an overview can be
scored row by row. It is split like the question bank (:mod:`eval.bank`): a pair is
validation when its committee's reply is a validation section. ``python -m eval.stance_gold
FILE…`` prints every problem.

Row fields: ``id`` (``s`` + three digits), ``measure`` ("4.3.2"), ``measure_text`` (the measure
as the remiss words it), ``committee`` (as the compilation names it), ``stance`` (one of
:data:`STANCES`), ``quote`` (the one or two verbatim sentences that decide the stance; empty
for ``not_addressed`` and ``reply_missing``), ``split``, ``note`` (why, in a few words).
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from eval.bank import COMPILATION_COMMITTEES, CORPUS, VALIDATION_COMMITTEES, committee_sections, load
from eval.matching import normalise

#: The stances of an overview row (issue #15), in the order an overview lists them.
STANCES = ("positive", "positive_conditions", "negative", "mentions", "not_addressed", "reply_missing")
#: Stances decided from a committee's text (the others are structural).
TEXT_STANCES = STANCES[:4]
_ID = re.compile(r"^s\d{3}$")
_MEASURE = re.compile(r"^\d+(?:\.\d+){1,3}$")


def split_of(committee: str) -> str:
    return "validation" if committee in VALIDATION_COMMITTEES else "train"


def check_row(row: dict, sections: dict[str, str]) -> list[str]:
    out: list[str] = []
    for key in ("id", "measure", "measure_text", "committee", "stance", "quote", "split"):
        if key not in row:
            out.append(f"missing field {key!r}")
    if out:
        return out
    if not _ID.match(str(row["id"])):
        out.append("id is not s + three digits")
    if not _MEASURE.match(str(row["measure"])):
        out.append(f"measure {row['measure']!r} is not a measure number")
    if row["committee"] not in COMPILATION_COMMITTEES:
        out.append(f"committee {row['committee']!r} is not a reply of the compilation")
        return out
    if row["stance"] not in STANCES:
        out.append(f"stance {row['stance']!r} (one of {', '.join(STANCES)})")
    if row["split"] != split_of(row["committee"]):
        out.append(f"split must be {split_of(row['committee'])!r} for {row['committee']}")
    quotes = row["quote"]
    if not isinstance(quotes, list) or not all(isinstance(q, str) for q in quotes):
        return out + ["quote must be a list of strings"]
    missing = "saknas" in sections[row["committee"]] and len(sections[row["committee"]]) < 80
    if missing != (row["stance"] == "reply_missing"):
        out.append("reply_missing exactly for the committees whose reply is missing")
    if row["stance"] in TEXT_STANCES and not 1 <= len(quotes) <= 2:
        out.append("a stance from text needs one or two quotes")
    if row["stance"] in ("not_addressed", "reply_missing") and quotes:
        out.append(f"{row['stance']} has no quote")
    for q in quotes:
        if not 20 <= len(q) <= 400:
            out.append(f"quote is {len(q)} characters (20–400)")
        if normalise(q) not in sections[row["committee"]]:
            out.append(f"quote not inside {row['committee']}'s reply: {q[:60]!r}…")
    return out


def check(rows: list[dict], corpus: Path = CORPUS) -> list[str]:
    sections = committee_sections(str(corpus))
    problems = [f"{r.get('id', f'#{i}')}: {p}" for i, r in enumerate(rows) for p in check_row(r, sections)]
    problems += [f"{i}: duplicate id" for i, c in Counter(r.get("id") for r in rows).items() if c > 1]
    per_measure: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        per_measure[str(r.get("measure"))][r.get("committee")] += 1
    for m, seen in per_measure.items():
        if set(seen) != COMPILATION_COMMITTEES or any(c != 1 for c in seen.values()):
            lacking = sorted(COMPILATION_COMMITTEES - set(seen))
            twice = sorted(c for c, n in seen.items() if n > 1)
            problems.append(f"measure {m}: every committee once (lacking {lacking}, twice {twice})")
    return problems


def main(argv: list[str]) -> int:
    rows: list[dict] = []
    for name in argv:
        rows += load(Path(name))
    problems = check(rows)
    for p in problems:
        print(p)
    print(f"{len(rows)} rows, {len(problems)} problems")
    print("  stances:", dict(Counter(r.get("stance") for r in rows)))
    print("  splits: ", dict(Counter(r.get("split") for r in rows)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

