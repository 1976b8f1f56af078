"""Section-aware chunking: chunks follow the document's structure and the model's window.

A chunk never crosses a committee boundary (a reply is one committee's voice) and is packed
from whole paragraphs, then sentences, up to ``max_tokens`` as the embedding model counts them.
Short neighbouring sections of the same committee are packed together so that a heading with
two lines under it does not become a chunk of its own.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from ingest.clean import CleanText
from ingest.structure import DocStructure, Section
from rag.text import SENTENCE_BOUNDARY


@dataclass
class Chunk:
    id: str
    text: str
    doc_id: str
    source: str
    title: str
    committee: str
    section_path: str
    measure: str | None
    page: int | None
    chunk_index: int
    char_start: int
    char_end: int
    content_hash: str
    reply_missing: bool

    def embedding_text(self) -> str:
        """What the model embeds: the passage with its context, so short chunks stay findable."""
        context = " | ".join(p for p in (self.committee, self.section_path, self.title) if p)
        return f"{context}\n{self.text}"

    def metadata(self) -> dict[str, str | int | bool]:
        meta: dict[str, str | int | bool] = {
            "doc_id": self.doc_id,
            "source": self.source,
            "title": self.title,
            "committee": self.committee,
            "section_path": self.section_path,
            "measure": self.measure or "",
            "page": self.page if self.page is not None else -1,
            "chunk_index": self.chunk_index,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "content_hash": self.content_hash,
            "reply_missing": self.reply_missing,
        }
        return meta


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Paragraph spans (absolute offsets) inside [start, end).

    A "paragraph" that stops mid-sentence is joined with the next one: some extractors put
    a blank line after every line, and a chunk must not end in the middle of a sentence.
    """
    spans: list[tuple[int, int]] = []
    pos = start
    for para in re.split(r"\n\s*\n", text[start:end]):
        idx = text.index(para, pos) if para else pos
        if para.strip():
            prev = text[spans[-1][0] : spans[-1][1]].rstrip() if spans else ""
            if prev and not re.search(r"[.!?:;]$", prev) and len(prev.split("\n")[-1]) > 40 and para.lstrip()[:1].islower():
                spans[-1] = (spans[-1][0], idx + len(para))
            else:
                spans.append((idx, idx + len(para)))
        pos = idx + len(para)
    return spans


def _split_long(text: str, span: tuple[int, int], max_tokens: int, count: Callable[[str], int]) -> list[tuple[int, int]]:
    """Split one over-long paragraph at sentence (then line, then word) boundaries."""
    s, e = span
    if count(text[s:e]) <= max_tokens:
        return [span]
    bounds = [s] + [s + m.end() for m in SENTENCE_BOUNDARY.finditer(text[s:e])] + [e]
    if len(bounds) <= 2:
        bounds = [s] + [s + m.end() for m in re.finditer(r"\n", text[s:e])] + [e]
    if len(bounds) <= 2:
        mid = text.rfind(" ", s, (s + e) // 2 + 1)
        mid = mid if mid > s else (s + e) // 2
        return _split_long(text, (s, mid), max_tokens, count) + _split_long(text, (mid, e), max_tokens, count)
    out: list[tuple[int, int]] = []
    cur = bounds[0]
    for a, b in zip(bounds, bounds[1:], strict=False):
        if cur < a and count(text[cur:b]) > max_tokens:
            out.append((cur, a))
            cur = a
    out.append((cur, e))
    return [p for sub in out for p in (_split_long(text, sub, max_tokens, count) if count(text[sub[0]:sub[1]]) > max_tokens else [sub])]


def chunk_document(
    doc_id: str,
    source: str,
    clean: CleanText,
    structure: DocStructure,
    count_tokens: Callable[[str], int],
    max_tokens: int = 300,
    min_tokens: int = 60,
    overlap_tokens: int = 60,
) -> list[Chunk]:
    """Chunks of ``structure``'s sections; a chunk that continues a section repeats the
    previous chunk's last sentence (up to ``overlap_tokens``), so that a fact stated across a
    chunk boundary ("87 procent … Endast 13 procent …") is whole in one passage."""
    text = clean.text
    groups: list[tuple[Section, list[tuple[int, int]]]] = []
    for section in structure.sections:
        for span in _pieces(text, section.start, section.end):
            groups.append((section, _split_long(text, span, max_tokens, count_tokens)))

    chunks: list[Chunk] = []
    cur: list[tuple[int, int]] = []
    cur_section: Section | None = None
    carried: tuple[int, int] | None = None  # the overlap sentence that opened ``cur``
    relabelled = False

    def flush() -> None:
        nonlocal cur, cur_section
        if not cur or cur_section is None:
            return
        start, end = cur[0][0], cur[-1][1]
        body = text[start:end].strip()
        if body in cur_section.path:  # a bare group heading: nothing to retrieve
            cur, cur_section = [], None
            return
        digest = hashlib.sha256(body.encode()).hexdigest()
        index = len(chunks)
        chunks.append(
            Chunk(
                id=hashlib.sha1(f"{doc_id}\x00{index}\x00{digest}".encode()).hexdigest()[:24],
                text=body,
                doc_id=doc_id,
                source=source,
                title=structure.title,
                committee=cur_section.committee or structure.committee or "",
                section_path=" > ".join(cur_section.path),
                measure=cur_section.measure,
                page=clean.page_at(start),
                chunk_index=index,
                char_start=start,
                char_end=end,
                content_hash=digest[:16],
                reply_missing=cur_section.reply_missing,
            )
        )
        cur, cur_section = [], None

    for section, spans in groups:
        for span in spans:
            carry: tuple[int, int] | None = None
            if cur_section is not None:
                same_committee = section.committee == cur_section.committee
                joined = count_tokens(text[cur[0][0] : span[1]])
                small = count_tokens(text[cur[0][0] : cur[-1][1]]) < min_tokens
                if not same_committee or joined > max_tokens or (section is not cur_section and not small):
                    if section is cur_section:
                        carry = _last_sentence(text, cur[-1], span, max_tokens, overlap_tokens, count_tokens)
                    flush()
            if cur_section is None:
                cur_section, relabelled = section, False
                carried = carry
                if carry:
                    cur.append(carry)
            elif section is not cur_section and not relabelled and not cur_section.measure:
                # A small run (a heading, a signature) joins the section that follows and is
                # labelled by it, so that section continues in this chunk, not in a new one.
                # A sentence carried over from the previous section does not come along. A run
                # of several small sections keeps its first label, and a chunk that opens with a
                # measure ("4.3.2 Åtgärd: …") stays that measure's.
                cur_section, relabelled = section, True
                if carried and cur and cur[0] == carried:
                    cur.pop(0)
                carried = None
            cur.append(span)
    flush()
    return chunks


def _last_sentence(
    text: str, prev: tuple[int, int], nxt: tuple[int, int], max_tokens: int, limit: int, count: Callable[[str], int]
) -> tuple[int, int] | None:
    """The last sentence of span ``prev`` if it is short and still fits before ``nxt``."""
    s, e = prev
    starts = [s] + [s + m.end() for m in SENTENCE_BOUNDARY.finditer(text[s:e])]
    start = starts[-1]
    if count(text[start:e]) > limit or count(text[start : nxt[1]]) > max_tokens:
        return None
    return (start, e)
