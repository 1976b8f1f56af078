"""Chunks as stored in the session index (the real corpus, the real model, embedded Chroma)."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from ingest.store import CHUNK_FIELDS, StoredChunk
from radslag.components import Components

_PAGE_MARKER_LINE = re.compile(r"^\s*(?:Sida\s+)?\d{1,4}\s*(?:\(\s*\d{1,4}\s*\))?\s*$", re.MULTILINE | re.IGNORECASE)
# A word broken at a line end; "studie-\noch yrkesvägledning" is a real ellipsis hyphen.
_BROKEN_HYPHEN = re.compile(r"\w-\n\n?(?!(?:och|eller|samt|respektive|resp|till|som)\b)[a-zåäö]")


@pytest.fixture(scope="module")
def stored(components: Components) -> list[StoredChunk]:
    return list(components.store.iter_chunks())


@pytest.fixture(scope="module")
def by_doc(stored: list[StoredChunk]) -> dict[str, list[StoredChunk]]:
    out: dict[str, list[StoredChunk]] = defaultdict(list)
    for c in stored:
        out[c.metadata["doc_id"]].append(c)
    for chunks in out.values():
        chunks.sort(key=lambda c: c.metadata["chunk_index"])
    return out


def test_every_document_is_chunked(by_doc: dict[str, list[StoredChunk]], corpus_dir) -> None:  # type: ignore[no-untyped-def]
    assert set(by_doc) == {p.stem for p in corpus_dir.glob("*.txt")}
    for doc_id, chunks in by_doc.items():
        assert [c.metadata["chunk_index"] for c in chunks] == list(range(len(chunks))), doc_id


def test_metadata_complete(stored: list[StoredChunk]) -> None:
    assert len({c.id for c in stored}) == len(stored)
    for c in stored:
        assert set(CHUNK_FIELDS) <= set(c.metadata), c.metadata
        assert c.metadata["source"].endswith(".txt")
        assert c.metadata["title"]
        assert isinstance(c.metadata["page"], int)
        assert c.metadata["char_start"] < c.metadata["char_end"]


def test_no_page_markers_or_broken_hyphenation(stored: list[StoredChunk]) -> None:
    for c in stored:
        assert not _PAGE_MARKER_LINE.search(c.text), (c.id, c.text[:200])
        assert not _BROKEN_HYPHEN.search(c.text), (c.id, _BROKEN_HYPHEN.search(c.text))
        assert "\uf0b7" not in c.text


def test_chunks_fit_the_model_window(stored: list[StoredChunk], components: Components) -> None:
    from ingest.chunk import Chunk

    count = components.embedder.count_tokens
    for c in stored:
        m = c.metadata
        chunk = Chunk(c.id, c.text, m["doc_id"], m["source"], m["title"], m["committee"], m["section_path"],
                      m["measure"] or None, m["page"], m["chunk_index"], m["char_start"], m["char_end"],
                      m["content_hash"], m["reply_missing"])
        assert count(chunk.embedding_text()) <= 512, (c.id, count(chunk.embedding_text()))
        assert count(c.text) <= 300


def test_offsets_slice_the_cleaned_text(by_doc: dict[str, list[StoredChunk]], components: Components) -> None:
    for doc_id, chunks in by_doc.items():
        text = components.documents.text(doc_id)
        assert text is not None
        prev_start, prev_end, prev_section = -1, 0, None
        for c in chunks:
            s, e = c.metadata["char_start"], c.metadata["char_end"]
            assert text[s:e].strip() == c.text, (doc_id, s, e)
            assert s > prev_start and e > prev_end, "chunks run backwards"
            if s < prev_end:
                # The only overlap allowed: one short trailing sentence, repeated within a section.
                assert c.metadata["section_path"] == prev_section, (doc_id, s)
                assert len(text[s:prev_end]) < 500 and text[s:prev_end].count(". ") <= 1, text[s:prev_end]
            prev_start, prev_end, prev_section = s, e, c.metadata["section_path"]


def test_pages_follow_the_text(by_doc: dict[str, list[StoredChunk]]) -> None:
    pages = [c.metadata["page"] for c in by_doc[next(d for d in by_doc if d.startswith("004_"))]]
    assert pages == sorted(pages)
    assert pages[0] >= 1 and pages[-1] >= 39  # the last page marker in 004 is "39"


def test_chunks_never_straddle_two_committees(by_doc: dict[str, list[StoredChunk]], components: Components) -> None:
    for doc_id, chunks in by_doc.items():
        committees = {c.metadata["committee"] for c in chunks if c.metadata["committee"]}
        for c in chunks:
            own = c.metadata["committee"]
            lines = {ln.strip() for ln in c.text.split("\n")}
            others = (committees - {own}) & lines
            assert not others, (doc_id, own, others)
        # Committees appear in contiguous runs: once a reply ends it does not resume.
        runs = [c.metadata["committee"] for c in chunks]
        seen: list[str] = []
        for name in runs:
            if not seen or seen[-1] != name:
                assert name not in seen, (doc_id, name)
                seen.append(name)


def test_missing_replies_are_short_chunks(stored: list[StoredChunk]) -> None:
    missing = [c for c in stored if c.metadata["reply_missing"]]
    assert missing
    for c in missing:
        assert c.metadata["committee"]
        assert "saknas" in c.text and len(c.text) < 120
