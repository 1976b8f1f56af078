"""The question bank (``eval/data/bank.jsonl``): its split and its validation.

The bank is split *by passage*: validation items rest on sections (committee replies of the
compilation, whole documents among the others) that no train item rests on, so validation
measures transfer to text the learned decisions never saw. ``python -m eval.bank FILE…``
checks files against the format and the split and prints every problem.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from eval.matching import normalise

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
COMPILATION = "004_e3f287d953d70608.txt"
TYPES = {"fact", "numeric", "list", "compare", "summary", "yes_no", "unanswerable"}
SPLITS = {"train", "validation"}
_ID = re.compile(r"^q\d{3}$")

#: Documents wholly in validation.
VALIDATION_DOCS = {"002_17d30e4758451ef2.txt", "003_cee42084136e04fd.txt"}
#: Committee replies of the compilation that are in validation (a third of those with
#: text); every other reply is train.
#: A missing reply has no text to transfer to: questions about missing replies rest on the
#: index's metadata, and every such list spans both groups, so those replies are train.
VALIDATION_COMMITTEES = {
    "Kulturförvaltningen", "Stadsbyggnadskontoret", "Utbildningsförvaltningen",
    "Enskede-Årsta-Vantör", "Farsta", "Rinkeby-Kista", "Älvsjö",
}  # fmt: skip


def corpus_text(doc: str, corpus: Path = CORPUS) -> str:
    return _read(str(corpus / doc))


@lru_cache(maxsize=16)
def _read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


@lru_cache(maxsize=4)
def committee_sections(corpus: str = str(CORPUS)) -> dict[str, str]:
    """Each committee reply of the compilation → its normalised text.

    A reply starts at the first line that is a committee's name (the ``section`` values this
    bank uses) and runs to the next such line.
    """
    text = _read(str(Path(corpus) / COMPILATION))
    starts: list[tuple[int, str]] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        name = line.strip()
        if name in COMPILATION_COMMITTEES and name not in {n for _, n in starts}:
            starts.append((offset, name))
        offset += len(line)
    bounds = [s for s, _ in starts[1:]] + [len(text)]
    return {name: normalise(text[s:e]) for (s, name), e in zip(starts, bounds, strict=True)}


#: The committees of the compilation of replies (the bank's validator checks quotes per section).
COMPILATION_COMMITTEES = {
    "Arbetsmarknadsförvaltningen", "Exploateringskontoret", "Fastighetskontoret",
    "Idrottförvaltningen", "Kulturförvaltningen", "Kyrkogårdsförvaltningen",
    "Miljöförvaltningen", "Revisionskontoret", "Serviceförvaltningen", "Socialförvaltningen",
    "Stadsarkivet", "Stadsbyggnadskontoret", "Trafikkontoret", "Utbildningsförvaltningen",
    "Valnämnden", "Äldreförvaltningen", "Överförmyndarförvaltningen", "Bromma",
    "Enskede-Årsta-Vantör", "Farsta", "Hägersten-Liljeholmen", "Hässelby-Vällingby",
    "Kungsholmen", "Norrmalm", "Rinkeby-Kista", "Skarpnäck", "Skärholmen", "Spånga-Tensta",
    "Södermalm", "Älvsjö", "Östermalm",
}  # fmt: skip


def rests_on_validation(item: dict) -> bool:
    """An item is validation when any of its evidence is in a validation section."""
    for ev in item.get("evidence") or []:
        if ev.get("doc") in VALIDATION_DOCS:
            return True
        if ev.get("doc") == COMPILATION and ev.get("section") in VALIDATION_COMMITTEES:
            return True
    return False


@dataclass
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def check_item(item: dict, corpus: Path = CORPUS) -> list[str]:
    """Every way ``item`` breaks the format (FORMAT.md) or the split; empty when it is fine."""
    out: list[str] = []
    for key in ("id", "question", "lang", "type", "answer", "must_mention", "evidence", "difficulty", "split"):
        if key not in item:
            out.append(f"missing field {key!r}")
    if out:
        return out
    if not _ID.match(str(item["id"])):
        out.append("id is not q + three digits")
    if item["lang"] not in {"sv", "en"}:
        out.append(f"lang {item['lang']!r}")
    if item["type"] not in TYPES:
        out.append(f"type {item['type']!r}")
    if item["split"] not in SPLITS:
        out.append(f"split {item['split']!r}")
    if item["difficulty"] not in {"easy", "medium", "hard"}:
        out.append(f"difficulty {item['difficulty']!r}")
    if not str(item["question"]).strip():
        out.append("empty question")
    for m in item["must_mention"] + item.get("may_mention", []):
        if not isinstance(m, str) or not 1 <= len(m.split()) <= 4:
            out.append(f"mention {m!r} is not 1–4 words")
    history = item.get("history", [])
    if not isinstance(history, list) or any(
        not isinstance(t, dict) or t.get("role") not in {"user", "assistant"} or not str(t.get("content", "")).strip()
        for t in history
    ):
        out.append("history must be a list of {role: user|assistant, content}")
    evidence = item["evidence"]
    if item["type"] == "unanswerable":
        if item["must_mention"] or evidence:
            out.append("unanswerable items have no must_mention and no evidence")
    else:
        if not any(not e.get("alt") for e in evidence):
            out.append("no primary (non-alt) evidence")
        if not item["must_mention"]:
            out.append("answerable item without must_mention")
    sections = committee_sections(str(corpus))
    for n, ev in enumerate(evidence):
        doc, quote, section = ev.get("doc"), ev.get("quote", ""), ev.get("section")
        path = corpus / str(doc)
        if not path.is_file():
            out.append(f"evidence {n}: no document {doc!r}")
            continue
        whole_reply = doc == COMPILATION and normalise(quote) == sections.get(section)
        # A missing reply ("Fastighetskontoret Skrivning saknas.") is shorter than 40
        # characters: quoting the whole reply is the only verbatim evidence it has.
        if not 40 <= len(quote) <= 300 and not whole_reply:
            out.append(f"evidence {n}: quote is {len(quote)} characters (40–300)")
        text = normalise(corpus_text(str(doc), corpus))
        q = normalise(quote)
        if q not in text:
            out.append(f"evidence {n}: quote not in {doc}: {quote[:60]!r}…")
            continue
        if doc == COMPILATION:
            if section not in sections:
                out.append(f"evidence {n}: section {section!r} is not a committee reply of {doc}")
            elif q not in sections[section]:
                out.append(f"evidence {n}: quote is not inside {section}'s reply")
    if rests_on_validation(item) and item["split"] != "validation":
        out.append("rests on a validation section but split is train")
    elif evidence and not rests_on_validation(item) and item["split"] == "validation":
        # Validation measures transfer to unseen text: it must rest on a validation section.
        out.append("split is validation but no evidence is in a validation section")
    return out


def check_bank(items: list[dict], corpus: Path = CORPUS) -> list[Problem]:
    problems = [Problem(str(it.get("id", f"#{i}")), p) for i, it in enumerate(items) for p in check_item(it, corpus)]
    ids = Counter(it.get("id") for it in items)
    problems += [Problem(str(i), "duplicate id") for i, c in ids.items() if c > 1]
    return problems


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_checked(path: Path, check_row: Callable[[object], list[str]]) -> list[dict]:
    """The rows of a JSON Lines file, each checked; a clear error naming the line of the first
    that is not JSON or that ``check_row`` finds problems in."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from exc
        problems = check_row(row)
        if problems:
            raise ValueError(f"{path}:{n}: {'; '.join(problems)}")
        rows.append(row)
    return rows


def shares(items: list[dict]) -> dict[str, float]:
    """The shares the bank promises (issue #12): types, English, follow-ups, committee lists."""
    n = len(items) or 1
    types = Counter(it["type"] for it in items)
    out = {f"type:{t}": types[t] / n for t in sorted(TYPES)}
    out["lang:en"] = sum(it["lang"] == "en" for it in items) / n
    out["followup"] = sum(bool(it.get("history")) for it in items) / n
    out["list:committees"] = sum(
        it["type"] == "list" and len({e["section"] for e in it["evidence"] if e["doc"] == COMPILATION}) >= 2 for it in items
    ) / n
    out["split:validation"] = sum(it["split"] == "validation" for it in items) / n
    return out


def main(argv: list[str]) -> int:
    items: list[dict] = []
    for name in argv:
        items += load(Path(name))
    problems = check_bank(items)
    for p in problems:
        print(p)
    print(f"{len(items)} items, {len(problems)} problems")
    for k, v in shares(items).items():
        print(f"  {k:22s} {v:.2f}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
