"""Find the structure of a cleaned document: title, committee, sections, measures.

Everything here is heuristic over layout and wording, never a list of known names:
- heading lines: short, no closing punctuation, standing alone or after a finished sentence;
- numbered headings (``4.3.2 Åtgärd: …``) nest by their depth;
- a *compilation* of several committees' replies (one reply per committee under group
  headings such as ``Fackförvaltningar``) is recognised by headings that look like the name of
  an organisation (a Swedish organisational suffix) or a proper name (capitalised everywhere it
  occurs in the document); each such heading starts a committee's reply;
- a single-committee document names its issuer ("Hässelby-Vällingby stadsdelsnämnd").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

# Swedish words for organisations, definite singular: a heading ending in one is a body's name.
_ORG_SINGULAR = re.compile(
    r"(förvaltningen|kontoret|nämnden|arkivet|styrelsen|kansliet|revisionen|"
    r"myndigheten|verket|bolaget|inspektionen|kommissionen)$",
    re.IGNORECASE,
)
# ...and indefinite plural: a heading ending in one groups several bodies' replies.
_ORG_PLURAL = re.compile(r"(förvaltningar|nämnder|kontor|myndigheter|bolag|styrelser)$", re.I)
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+(\S.*)$")
_SENTENCE_END = re.compile(r"[.!?:;”\"»)]$")
_MISSING_REPLY = re.compile(r"\b(saknas|inkom(?:mit)? inte|ej inkommit)\b", re.IGNORECASE)
_ISSUER = re.compile(
    r"\b([A-ZÅÄÖ][\wåäö]+(?:-[A-ZÅÄÖ][\wåäö]+)*)\s+(stadsdelsnämnd|stadsdelsförvaltning)\b"
)
_FUNCTION_WORDS = frozenset(
    # Function words and the copula: "Exempel på … i stadsdelen är" continues on the next line.
    "om och för av i på till med att som den det en ett eller samt från vid inom under är var har".split()
)
_PLACE_COMPOUND = re.compile(r"\b[A-ZÅÄÖ][a-zåäöé]+(?:-[A-ZÅÄÖ][a-zåäöé]+)+\b")


@dataclass
class Section:
    """A run of lines under one heading path. Offsets index the cleaned text."""

    start: int
    end: int
    path: list[str]
    committee: str | None
    measure: str | None = None
    reply_missing: bool = False


@dataclass
class DocStructure:
    title: str
    committee: str | None
    is_compilation: bool
    sections: list[Section] = field(default_factory=list)

    @property
    def committees(self) -> list[str]:
        seen: dict[str, None] = {}
        for s in self.sections:
            if s.committee:
                seen.setdefault(s.committee)
        return list(seen)


@dataclass
class _Line:
    text: str
    start: int
    end: int
    isolated: bool
    next_blank: bool
    kind: str = "body"  # body | heading | numbered | committee | group
    number: str | None = None


def _lines(text: str) -> list[_Line]:
    raw = text.split("\n")
    out: list[_Line] = []
    offset = 0
    for i, line in enumerate(raw):
        prev_blank = i == 0 or not raw[i - 1].strip()
        next_blank = i + 1 >= len(raw) or not raw[i + 1].strip()
        out.append(_Line(line, offset, offset + len(line), prev_blank and next_blank, next_blank))
        offset += len(line) + 1
    lines = [ln for ln in out if ln.text.strip()]
    # Some extractors put a blank line after every line; then standing alone says nothing.
    if lines and sum(ln.isolated for ln in lines) > 0.5 * len(lines):
        for ln in lines:
            ln.isolated = False
    return lines


def _looks_like_heading(line: _Line, prev: _Line | None, nxt: _Line | None) -> bool:
    t = line.text.strip()
    if len(t) > 80 or len(t.split()) > 10 or t.startswith("•"):
        return False
    if not t[0].isupper() or re.search(r"[.,;:!?]$", t) or ":" in t or _MISSING_REPLY.search(t):
        return False
    if re.search(r"\d{3,}", t):  # phone numbers, dates, diary numbers
        return False
    next_starts_new = nxt is None or nxt.text[:1].isupper() or nxt.text[:1].isdigit() or nxt.text.startswith("•")
    if line.isolated:
        return next_starts_new
    if _all_caps(t) and (prev is None or _all_caps(prev.text.strip()) or _prev_is_done(prev)):
        return True  # "SAMMANFATTNING OCH INRIKTNING FÖR …": capitals mark a heading, even unfinished
    if t.split()[-1].strip("”\"'»«(").lower() in _FUNCTION_WORDS:
        return False
    return (prev is None or _prev_is_done(prev)) and next_starts_new


def _prev_is_done(prev: _Line) -> bool:
    """After a finished sentence or a short line (a signature, a date), not mid-paragraph."""
    return bool(_SENTENCE_END.search(prev.text.strip())) or len(prev.text) < 45


def _all_caps(t: str) -> bool:
    letters = [c for c in t if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


def _name_shaped(t: str) -> bool:
    words = t.split()
    if not 1 <= len(words) <= 4 or re.search(r"[\d:()\"”]", t):
        return False
    return all(part[:1].isupper() for w in words for part in w.split("-") if part)


def _is_proper_name(t: str, text: str) -> bool:
    """A proper name is never written in lower case in running text."""
    return re.search(rf"(?<![\w-]){re.escape(t.lower())}(?![\w-])", text) is None


def _classify(lines: list[_Line], text: str) -> bool:
    """Mark heading kinds in place; return True if the document is a compilation."""
    for i, line in enumerate(lines):
        prev = lines[i - 1] if i else None
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        t = line.text.strip()
        m = _NUMBERED.match(t)
        measure = "åtgärd" in t.lower()[:40]
        # A numbered line ending in a full stop is a list item ("1. Motion om …."), unless it
        # names a measure ("4.3.2 Åtgärd: … .").
        if m and (len(t.split()) <= 14 or measure) and not t.endswith(",") and (measure or not t.endswith(".")):
            line.kind, line.number = "numbered", m.group(1)
        elif _looks_like_heading(line, prev, nxt):
            line.kind = "heading"

    candidates: list[_Line] = []
    for line in lines:
        t = line.text.strip()
        if line.kind != "heading" or not line.next_blank or not _name_shaped(t):
            continue
        if len(t.split()) == 1 and _ORG_PLURAL.search(t):
            line.kind = "group"
        elif _ORG_SINGULAR.search(t.split()[-1]) or _is_proper_name(t, text):
            candidates.append(line)
    n_org = sum(1 for c in candidates if _ORG_SINGULAR.search(c.text.strip()))
    has_group = any(ln.kind == "group" for ln in lines)
    is_compilation = len(candidates) >= 3 and (has_group or n_org >= 2)
    if is_compilation:
        for c in candidates:
            c.kind = "committee"
    else:
        for line in lines:
            if line.kind == "group":
                line.kind = "heading"
    return is_compilation


def _issuer(text: str) -> str | None:
    m = _ISSUER.search(text)
    if m:
        return m.group(1)
    counts = Counter(_PLACE_COMPOUND.findall(text))
    best = counts.most_common(1)
    return best[0][0] if best and best[0][1] >= 2 else None


def _title(lines: list[_Line], issuer: str | None) -> str:
    """First substantive line (joined with its lower-case continuation lines)."""
    for i, line in enumerate(lines):
        t = line.text.strip()
        if line.kind in ("group", "committee") or len(t.split()) < 3:
            continue
        if issuer and t.startswith(issuer) and len(t.split()) <= 3:
            continue
        parts = [t]
        for nxt in lines[i + 1 : i + 4]:
            nt = nxt.text.strip()
            if nt[:1].islower() or parts[-1].endswith(("om", "för", "och", "av", "–")):
                parts.append(nt)
            else:
                break
        return " ".join(parts)[:160]
    return lines[0].text.strip()[:160] if lines else ""


def _mark_missing_replies(text: str, sections: list[Section]) -> None:
    """Flag replies whose whole body is a note that the reply is missing."""
    i = 0
    while i < len(sections):
        j = i
        while j + 1 < len(sections) and sections[j + 1].committee == sections[i].committee:
            j += 1
        committee = sections[i].committee
        body = text[sections[i].start : sections[j].end]
        rest = body.split("\n", 1)[1] if "\n" in body else ""
        if committee and len(rest.strip()) < 80 and _MISSING_REPLY.search(rest):
            for s in sections[i : j + 1]:
                s.reply_missing = True
        i = j + 1


def detect_structure(text: str) -> DocStructure:
    lines = _lines(text)
    is_compilation = _classify(lines, text)
    issuer = None if is_compilation else _issuer(text)
    title = _title(lines, issuer)

    sections: list[Section] = []
    group: str | None = None
    committee: str | None = issuer
    heading: str | None = None
    numbered: list[tuple[int, str, str]] = []  # (depth, number, heading text)

    def path() -> list[str]:
        parts = [p for p in (group, committee if is_compilation else None, heading) if p]
        return parts + [h[:90] for _, _, h in numbered]

    def open_section(start: int) -> None:
        measure = numbered[-1][1] if numbered and "." in numbered[-1][1] else None
        sections.append(Section(start, start, path(), committee, measure))

    prev_line: _Line | None = None
    for line in lines:
        t = line.text.strip()
        if line.kind == "heading" and prev_line is not None and prev_line.kind == "heading" and heading \
                and _all_caps(t) and _all_caps(prev_line.text.strip()):
            # A heading in capitals broken over two lines is one heading.
            heading = f"{heading} {t}"
            sections[-1].path = path()
            sections[-1].end = line.end
            prev_line = line
            continue
        prev_line = line
        if line.kind == "group":
            group, committee, heading, numbered = t, None, None, []
        elif line.kind == "committee":
            committee, heading, numbered = t, None, []
        elif line.kind == "heading":
            heading, numbered = t, []
        elif line.kind == "numbered":
            depth = (line.number or "").count(".") + 1
            numbered = [n for n in numbered if n[0] < depth] + [(depth, line.number or "", t)]
        if line.kind != "body" or not sections:
            open_section(line.start)
        sections[-1].end = line.end

    if is_compilation:
        _mark_missing_replies(text, sections)
    return DocStructure(title, issuer, is_compilation, sections)
