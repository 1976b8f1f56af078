"""Clean text extracted from (mostly Swedish) PDFs.

The output keeps the line structure (structure detection reads headings off lines) but
drops the artefacts: page-marker lines, runs of spaces, whitespace-only lines, bullet glyphs,
and hyphenation across line breaks. Page numbers are recorded as character offsets into the
cleaned text so every chunk can say which page it came from.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field

# `4 (44)`, `Sida 4 (44)`, `Sida 4 av 44`, `- 4 -`
_PAGE_MARKER = re.compile(
    r"^\s*(?:sida\s+)?(\d{1,4})\s*(?:\(\s*\d{1,4}\s*\)|av\s+\d{1,4})\s*$", re.IGNORECASE
)
_PAGE_NUMBER_ONLY = re.compile(r"^\s*(?:sida\s+)?(\d{1,4})\s*$", re.IGNORECASE)
_PAGE_TOTAL_ONLY = re.compile(r"^\s*\(\s*\d{1,4}\s*\)\s*$")
_DASHED_PAGE = re.compile(r"^\s*[-–]\s*(\d{1,4})\s*[-–]\s*$")

# Private-use glyphs (Symbol/Wingdings bullets) and the common bullet characters.
_BULLET_GLYPHS = "\uf0b7\uf0a7\uf076\uf0d8\uf0fc\uf06e\u2022\u25cf\u25aa\u25a0\u2023\u2043\u25e6\u00b7"
_BULLET_LINE = re.compile(rf"^\s*[{_BULLET_GLYPHS}]\s*")
# Symbol-font glyphs in the private-use area are bullets wherever they stand (two-column
# lists put them mid-line); left alone they reach citations as tofu boxes.
_PRIVATE_BULLETS = re.compile("[\uf0b7\uf0a7\uf076\uf0d8\uf0fc\uf06e]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")

# A line break after a hyphen is kept as a real hyphen when the next word is one of these:
# Swedish writes "studie- och yrkesvägledning", "för- eller nackdel".
_ELLIPSIS_CONJUNCTIONS = frozenset({"och", "eller", "samt", "respektive", "resp", "till", "som"})
_HYPHEN_END = re.compile(r"(\w)-$")


@dataclass
class CleanText:
    """Cleaned text plus where each page starts (char offset, page number)."""

    text: str
    page_starts: list[tuple[int, int]] = field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        """Page of a character offset.

        Extractors drop most page markers; between two known markers whose pages are not
        consecutive, the page is interpolated by offset (pages hold similar amounts of text).
        """
        if not self.page_starts:
            return None
        starts = [s for s, _ in self.page_starts]
        i = max(bisect_right(starts, offset) - 1, 0)
        start, page = self.page_starts[i]
        if i + 1 < len(self.page_starts):
            next_start, next_page = self.page_starts[i + 1]
            if next_page - page > 1 and next_start > start:
                frac = (offset - start) / (next_start - start)
                return page + int(frac * (next_page - page))
        return page


def _normalise_line(line: str) -> str:
    line = unicodedata.normalize("NFC", line)
    line = _BULLET_LINE.sub("• ", line)
    line = _PRIVATE_BULLETS.sub("•", line)
    line = _SPACES.sub(" ", line)
    return line.strip()


def _page_marker(lines: list[str], i: int) -> tuple[int, int] | None:
    """Return (page number, lines consumed) if a page marker starts at line i."""
    line = lines[i]
    m = _PAGE_MARKER.match(line) or _DASHED_PAGE.match(line)
    if m:
        return int(m.group(1)), 1
    m = _PAGE_NUMBER_ONLY.match(line)
    if m and i + 1 < len(lines) and _PAGE_TOTAL_ONLY.match(lines[i + 1]):
        # pdftotext sometimes splits "22 (44)" over two lines.
        return int(m.group(1)), 2
    return None


def _join_pair(prev: str, line: str) -> str | None:
    """Join ``prev`` (ending in a hyphen) with ``line`` if the hyphen is a line-break split."""
    first_word = re.match(r"\w+", line)
    word = first_word.group(0) if first_word else ""
    if not word:
        return None
    if word[0].islower() and word.lower() not in _ELLIPSIS_CONJUNCTIONS:
        return prev[:-1] + line  # "verksam-" + "heten" -> "verksamheten"
    if word[0].isupper():
        return prev + line  # "Hässelby-" + "Vällingby" -> "Hässelby-Vällingby"
    return None


def clean_text(raw: str, first_page: int | None = None) -> CleanText:
    """Clean PDF-extracted text and record page starts.

    Page markers are read as the number of the page that *follows* them (the header
    convention); text before the first marker gets the previous page number. ``first_page``
    forces the page of the opening text (loaders that know real pages pass it).
    """
    raw = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    lines = [_normalise_line(ln) for ln in raw.split("\n")]
    # Pass 1: drop page markers, remembering which kept line each page starts at.
    kept: list[str] = []
    page_at_line: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        marker = _page_marker(lines, i)
        if marker is not None:
            page, consumed = marker
            page_at_line.append((len(kept), page))
            i += consumed
            continue
        kept.append(lines[i])
        i += 1
    if first_page is not None:
        page_at_line.insert(0, (0, first_page))
    elif page_at_line:
        first_marker_page = page_at_line[0][1]
        page_at_line.insert(0, (0, max(first_marker_page - 1, 1)))

    # Pass 2: collapse blank runs and join hyphenation (also across one blank line, which
    # some extractors put between every pair of lines), tracking the page of each line.
    page_iter = iter(page_at_line)
    pending = next(page_iter, None)
    current_page: int | None = None
    merged: list[str] = []
    merged_pages: list[int | None] = []
    for idx, line in enumerate(kept):
        while pending is not None and pending[0] <= idx:
            current_page = pending[1]
            pending = next(page_iter, None)
        if not line:
            if merged and merged[-1] != "":
                merged.append("")
                merged_pages.append(current_page)
            continue
        prev_idx = len(merged) - 1
        if prev_idx >= 0 and merged[prev_idx] == "":
            prev_idx -= 1
        if prev_idx >= 0 and _HYPHEN_END.search(merged[prev_idx]):
            joined = _join_pair(merged[prev_idx], line)
            if joined is not None:
                del merged[prev_idx + 1 :], merged_pages[prev_idx + 1 :]
                merged[prev_idx] = joined
                continue
        merged.append(line)
        merged_pages.append(current_page)
    while merged and merged[-1] == "":
        merged.pop()
        merged_pages.pop()

    text_parts: list[str] = []
    page_starts: list[tuple[int, int]] = []
    offset = 0
    for line, page in zip(merged, merged_pages, strict=True):
        if page is not None and (not page_starts or page_starts[-1][1] != page):
            page_starts.append((offset, page))
        text_parts.append(line)
        offset += len(line) + 1
    return CleanText(text="\n".join(text_parts), page_starts=page_starts)
