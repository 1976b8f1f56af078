"""Files → clean text → structure → chunks → embeddings → Chroma.

Safe to interrupt and re-run: chunk ids derive from content, new chunks are written before
stale ones are deleted, and a document's record (its cleaned text and file hash) is written
last, so a document counts as indexed only once all of its chunks are in place. A file that
fails to parse is reported and skipped; nothing already indexed is touched because of it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ingest.chunk import Chunk, chunk_document
from ingest.clean import clean_text
from ingest.embed import Embedder
from ingest.loaders import SUPPORTED_SUFFIXES, LoadError, load
from ingest.sentences import FIELD as SENTENCE_FIELD
from ingest.sentences import WORDS_FIELD, vector_fields
from ingest.store import ChunkStore
from ingest.structure import detect_structure
from ingest.token_states import WordEncoder

log = logging.getLogger(__name__)

#: What a document's chunks carry: 1 sentence vectors, 2 also word vectors. A document
#: indexed in a lower format than the ingestor writes is indexed again, unchanged or not.
INDEX_FORMAT = 2

Progress = Callable[[int, int], None]


@dataclass
class FileResult:
    source: str
    doc_id: str
    status: str  # indexed | unchanged | skipped
    chunks: int = 0
    pages: int = 0
    committees: list[str] = field(default_factory=list)
    reason: str | None = None


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)

    @property
    def chunks_added(self) -> int:
        return sum(f.chunks for f in self.files if f.status == "indexed")

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": [f.__dict__ for f in self.files],
            "indexed": sum(f.status == "indexed" for f in self.files),
            "unchanged": sum(f.status == "unchanged" for f in self.files),
            "skipped": [{"source": f.source, "reason": f.reason} for f in self.files if f.status == "skipped"],
            "chunks_added": self.chunks_added,
            "pruned": self.pruned,
        }


@dataclass
class _Parsed:
    path: Path
    doc_id: str
    file_hash: str
    text: str
    chunks: list[Chunk]
    pages: int
    title: str
    committee: str


def doc_id_for(path: Path) -> str:
    """Stable, URL- and filter-safe document id from the file name."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem)[:100] or "doc"


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")))
        else:
            out.append(p)
    return out


class Ingestor:
    """Indexes files into a :class:`ChunkStore` with an :class:`Embedder`."""

    def __init__(
        self,
        store: ChunkStore,
        docs: DocumentRegistry,
        embedder: Embedder,
        batch_size: int = 16,
        on_change: Callable[[], None] | None = None,
        words: WordEncoder | None = None,
    ) -> None:
        self.store = store
        self.docs = docs
        self.embedder = embedder
        self.words = words
        self.batch_size = batch_size
        # Called after every change to the index (the retrieval snapshot is rebuilt from it).
        self.on_change = on_change or (lambda: None)

    def parse(self, path: Path, doc_id: str | None = None, file_hash: str | None = None) -> _Parsed:
        """Load and chunk one file (no writes). Raises LoadError with a reason."""
        if not path.exists():
            raise LoadError(f"{path.name}: no such file")
        loaded = load(path)
        first_page = loaded.pages[0][0] if loaded.pages and loaded.pages[0][0] is not None else None
        if first_page is not None:
            # Paginated formats: mark page starts explicitly so clean() records them.
            raw = "\n".join(f"Sida {page} ({len(loaded.pages)})\n{text}" for page, text in loaded.pages)
        else:
            raw = loaded.text
        cleaned = clean_text(raw)
        if not cleaned.text.strip():
            raise LoadError(f"{path.name}: no text left after cleaning")
        structure = detect_structure(cleaned.text)
        if loaded.title_hint and not structure.is_compilation:
            structure.title = loaded.title_hint
        did = doc_id or doc_id_for(path)
        chunks = chunk_document(did, path.name, cleaned, structure, self.embedder.count_tokens)
        if not chunks:
            raise LoadError(f"{path.name}: no indexable text")
        pages = len({c.page for c in chunks if c.page is not None}) or 1
        return _Parsed(
            path, did, file_hash or file_digest(path), cleaned.text, chunks, pages,
            structure.title, structure.committee or "",
        )

    @property
    def format(self) -> int:
        """The index format this ingestor writes (word vectors only with a word encoder)."""
        return INDEX_FORMAT if self.words is not None else 1

    def current_record(self, doc_id: str, file_hash: str) -> dict[str, Any] | None:
        """The document's record if it is fully indexed from this very file, else None."""
        record = self.docs.get(doc_id)
        if record is None or record.get("file_hash") != file_hash or record.get("index_format", 1) < self.format:
            return None
        return record if len(self.store.ids_for_doc(doc_id)) == int(record.get("n_chunks", -1)) else None

    def ingest(
        self,
        paths: Iterable[Path],
        prune: bool = False,
        visibility: str = "public",
        progress: Progress | None = None,
    ) -> IngestReport:
        report = IngestReport()
        files = expand_paths(paths)
        todo: list[_Parsed] = []
        claimed: dict[str, str] = {}  # doc_id -> file that has it in this run
        for path in files:
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                report.files.append(FileResult(path.name, doc_id_for(path), "skipped", reason=f"unsupported file type {path.suffix or '(none)'}"))
                continue
            # "plan.pdf" and "plan.docx" share a doc_id; indexing both would make each
            # replace the other's chunks on every run.
            first = claimed.setdefault(doc_id_for(path), str(path))
            if first != str(path):
                reason = f"same document id {doc_id_for(path)!r} as {first}; rename one of the files"
                report.files.append(FileResult(path.name, doc_id_for(path), "skipped", reason=reason))
                continue
            try:
                digest = file_digest(path)
                record = self.current_record(doc_id_for(path), digest)
                if record is not None:
                    report.files.append(FileResult(path.name, doc_id_for(path), "unchanged", chunks=int(record.get("n_chunks", 0))))
                    continue
                todo.append(self.parse(path, file_hash=digest))
            except (LoadError, OSError) as exc:
                report.files.append(FileResult(path.name, doc_id_for(path), "skipped", reason=str(exc)))
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
                log.exception("failed to parse %s", path)
                report.files.append(FileResult(path.name, doc_id_for(path), "skipped", reason=f"parse error: {exc}"))

        total = sum(len(p.chunks) for p in todo)
        done = 0
        if progress:
            progress(0, total)
        for parsed in todo:
            def step(n: int) -> None:
                nonlocal done
                done += n
                if progress:
                    progress(done, total)

            self._write(parsed, visibility, step)
            committees = sorted({c.committee for c in parsed.chunks if c.committee})
            report.files.append(
                FileResult(parsed.path.name, parsed.doc_id, "indexed", len(parsed.chunks), parsed.pages, committees)
            )
        if prune:
            keep = {doc_id_for(p) for p in files}
            for doc_id in self.docs.ids():
                if doc_id not in keep:
                    self.delete(doc_id, notify=False)
                    report.pruned.append(doc_id)
        if todo or report.pruned:
            self.on_change()
        return report

    def _write(self, parsed: _Parsed, visibility: str, step: Callable[[int], None]) -> None:
        chunks = parsed.chunks
        for start in range(0, len(chunks), self.batch_size):
            batch = chunks[start : start + self.batch_size]
            vectors = self.embedder.embed_passages([c.embedding_text() for c in batch])
            sentences, words = vector_fields(self.embedder, self.words, [c.text for c in batch], [c.section_path for c in batch])
            metas = [
                {**c.metadata(), "file_hash": parsed.file_hash, "visibility": visibility, SENTENCE_FIELD: sv}
                for c, sv in zip(batch, sentences, strict=True)
            ]
            if words is not None:
                for meta, wv in zip(metas, words, strict=True):
                    meta[WORDS_FIELD] = wv
            self.store.upsert([c.id for c in batch], vectors, [c.text for c in batch], metas)
            step(len(batch))
        keep = {c.id for c in chunks}
        stale = [i for i in self.store.ids_for_doc(parsed.doc_id) if i not in keep]
        self.store.delete_ids(stale)
        self.docs.put(
            parsed.doc_id,
            parsed.text,
            {
                "source": parsed.path.name,
                "title": parsed.title,
                "committee": parsed.committee,
                "file_hash": parsed.file_hash,
                "n_chunks": len(chunks),
                "pages": parsed.pages,
                "visibility": visibility,
                "index_format": self.format,
            },
        )

    def delete(self, doc_id: str, notify: bool = True) -> int:
        # Registry first: a writer killed between the two leaves unregistered chunks, which
        # retrieval ignores (the snapshot holds registered documents only) and a re-run removes.
        self.docs.delete(doc_id)
        n = self.store.delete_doc(doc_id)
        if notify:
            self.on_change()
        return n

    def set_visibility(self, doc_id: str, visibility: str) -> int:
        """Set ``visibility`` on every chunk of ``doc_id``, then on its record (which the
        retrieval fingerprint covers); returns the number of chunks, -1 if no such document."""
        record = self.docs.get(doc_id)
        if record is None:
            return -1
        col = self.store.collection
        got = col.get(where={"doc_id": doc_id}, include=["metadatas"])
        ids = list(got["ids"])
        for start in range(0, len(ids), 500):
            metas = [{**(m or {}), "visibility": visibility} for m in got["metadatas"][start : start + 500]]
            col.update(ids=ids[start : start + 500], metadatas=metas)
        self.docs.update_meta(doc_id, {**record, "visibility": visibility})
        self.on_change()
        return len(ids)


class DocumentRegistry:
    """One record per document (cleaned text + metadata) in a side collection.

    Kept in Chroma beside the chunks, so API replicas sharing a Chroma server see the same
    documents. Records carry a constant unit vector: they are looked up by id, never by
    similarity.
    """

    def __init__(self, client: Any, collection: str = "radslag") -> None:
        self._col = client.get_or_create_collection(f"{collection}_documents", embedding_function=None)

    def put(self, doc_id: str, text: str, meta: dict[str, Any]) -> None:
        self._col.upsert(ids=[doc_id], embeddings=np.ones((1, 1), dtype=np.float32), documents=[text], metadatas=[meta])

    def get(self, doc_id: str) -> dict[str, Any] | None:
        got = self._col.get(ids=[doc_id], include=["metadatas"])
        return dict(got["metadatas"][0] or {}) if got["ids"] else None

    def update_meta(self, doc_id: str, meta: dict[str, Any]) -> None:
        self._col.update(ids=[doc_id], metadatas=[meta])

    def text(self, doc_id: str) -> str | None:
        got = self._col.get(ids=[doc_id], include=["documents"])
        return got["documents"][0] if got["ids"] else None

    def all(self) -> list[tuple[str, dict[str, Any]]]:
        got = self._col.get(include=["metadatas"])
        return [(i, dict(m or {})) for i, m in zip(got["ids"], got["metadatas"], strict=True)]

    def ids(self) -> list[str]:
        return list(self._col.get(include=[])["ids"])

    def delete(self, doc_id: str) -> None:
        self._col.delete(ids=[doc_id])

    def reset(self) -> None:
        for doc_id in self.ids():
            self.delete(doc_id)
