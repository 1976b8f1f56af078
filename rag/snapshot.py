"""The retrieval snapshot: what answering reads besides Chroma's vector search, persisted.

Chroma holds the chunks; answering also needs, for every chunk at once, its BM25 row, its
embedding (per-committee scoring is one matrix product), its sentence vectors and a few
metadata columns (filters, committees). Building that from the collection took 16.5 s at 100x
the sample corpus, in every replica, at every start and after every upload. Instead it is
built once by the process that writes (``sync`` after an ingest, a delete or a visibility
change), stored as a *version* folder under ``index_dir``, and published by atomically
replacing the ``CURRENT`` pointer. Readers memory-map a version (arrays as ``.npy``, texts and
metadata as byte blobs with offsets, BM25 by ``bm25s``), so start-up costs a few reads and
the pages a question touches.

``sync`` is incremental: it compares the document registry with the published version's,
fetches and tokenises only the documents that changed (nothing is embedded again), and copies
the rest by vectorised gathers. Writers (several replicas on one shared volume) take an exclusive
``flock``. A version lists the documents it holds with their registry signature, so a
replica that finds the registry ahead of ``CURRENT`` (an upload whose writer died before
publishing) repairs it with the same ``sync``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ingest.sentences import FIELD as SENTENCE_FIELD
from ingest.sentences import WORDS_FIELD, decode_words
from ingest.sentences import decode as decode_sentences
from ingest.token_states import WORD_DIM, alignment
from rag.features import measures
from rag.lexical import BM25Index, bm25_engine, word_ids
from rag.types import Filters, Passage

log = logging.getLogger(__name__)

FORMAT = 2  # 2: word vectors
K1, B = 1.5, 0.75
_NONE = -1  # the code of a missing label


def lexical_text(text: str, meta: Mapping[str, Any]) -> str:
    """What BM25 indexes: the passage plus its committee and section headings."""
    return f"{meta.get('committee', '')} {meta.get('section_path', '')} {meta.get('title', '')}\n{text}"


def doc_signature(meta: Mapping[str, Any]) -> str:
    """What identifies a document's indexed state: its content, visibility, chunk count and
    what its chunks carry (a re-index that adds fields changes nothing else)."""
    return f"{meta.get('file_hash')}:{meta.get('visibility')}:{meta.get('n_chunks')}:{meta.get('index_format', 1)}"


def fingerprint_of(signatures: Mapping[str, str]) -> str:
    h = hashlib.sha1()
    for doc_id in sorted(signatures):
        h.update(f"{doc_id}={signatures[doc_id]};".encode())
    return h.hexdigest()


# -- ragged arrays: one flat array plus row offsets ------------------------------------
@dataclass
class Ragged:
    flat: np.ndarray
    offsets: np.ndarray  # len n + 1

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def row(self, i: int) -> np.ndarray:
        return self.flat[self.offsets[i] : self.offsets[i + 1]]

    def take(self, order: np.ndarray) -> Ragged:
        """Rows ``order`` (any subset, any order) in one vectorised gather."""
        lengths = np.diff(self.offsets)[order]
        starts = self.offsets[:-1][order]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        idx = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1], dtype=np.int64)
        return Ragged(self.flat[idx], offsets)

    @staticmethod
    def concat(parts: Sequence[Ragged]) -> Ragged:
        flats, offs, base = [], [np.zeros(1, dtype=np.int64)], 0
        for p in parts:
            flats.append(np.asarray(p.flat))
            offs.append(np.asarray(p.offsets[1:], dtype=np.int64) + base)
            base += int(p.offsets[-1])
        return Ragged(np.concatenate(flats), np.concatenate(offs))

    @staticmethod
    def of_bytes(items: Sequence[bytes]) -> Ragged:
        lengths = np.fromiter((len(x) for x in items), dtype=np.int64, count=len(items))
        return Ragged(np.frombuffer(b"".join(items), dtype=np.uint8), np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))

    @staticmethod
    def of_rows(rows: Sequence[np.ndarray], dtype: Any, width: int | None = None) -> Ragged:
        lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        shape: tuple[int, ...] = (0, width) if width else (0,)
        flat = np.concatenate([np.asarray(r, dtype=dtype) for r in rows]) if len(rows) and lengths.sum() else np.zeros(shape, dtype=dtype)
        return Ragged(flat, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))

    def save(self, folder: Path, name: str) -> None:
        np.save(folder / f"{name}.npy", np.ascontiguousarray(self.flat))
        np.save(folder / f"{name}.off.npy", self.offsets)

    @staticmethod
    def load(folder: Path, name: str) -> Ragged:
        return Ragged(np.load(folder / f"{name}.npy", mmap_mode="r"), np.load(folder / f"{name}.off.npy"))


class RowFile:
    """A ragged ``.npy`` read row by row with ``pread``, not memory-mapped: answering reads a
    few hundred scattered rows per question, and a memory map would keep every page it (and
    the kernel's read-ahead) ever touched in the process's resident memory — 0.7 GB of
    sentence vectors after a few dozen questions at 200,000 chunks. Reads go through the page
    cache, which the kernel shares and reclaims. The descriptor stays valid after a newer
    version prunes this one's files."""

    def __init__(self, folder: Path, name: str) -> None:
        header = np.load(folder / f"{name}.npy", mmap_mode="r")
        self.dtype, self.width, self.start = header.dtype, header.shape[1:], int(header.offset)
        self.row_bytes = int(np.prod(self.width, dtype=np.int64)) * self.dtype.itemsize if self.width else self.dtype.itemsize
        del header
        self.offsets = np.load(folder / f"{name}.off.npy")
        self._fd = os.open(folder / f"{name}.npy", os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def row(self, i: int) -> np.ndarray:
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        data = os.pread(self._fd, (b - a) * self.row_bytes, self.start + a * self.row_bytes)
        return np.frombuffer(data, dtype=self.dtype).reshape((b - a, *self.width))


class Blobs(Sequence[str]):
    """Rows of UTF-8 text in one memory-mapped blob: decoded when read, never all at once."""

    def __init__(self, ragged: Ragged | RowFile) -> None:
        self.ragged = ragged

    def __len__(self) -> int:
        return len(self.ragged)

    def __getitem__(self, i):  # type: ignore[no-untyped-def, override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self.ragged.row(int(i)).tobytes().decode("utf-8")


class Metas(Sequence[dict[str, Any]]):
    """Rows of chunk metadata (JSON in a blob), decoded when read."""

    def __init__(self, ragged: Ragged | RowFile) -> None:
        self.blobs = Blobs(ragged)

    def __len__(self) -> int:
        return len(self.blobs)

    def __getitem__(self, i):  # type: ignore[no-untyped-def, override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return json.loads(self.blobs[int(i)])


class ChunkRows(Mapping[str, np.ndarray]):
    """chunk id → its rows of a ragged array: its sentences' e5 vectors, or its words'
    vectors; a chunk without rows is absent."""

    def __init__(self, ragged: Ragged | RowFile, row: Mapping[str, int]) -> None:
        self.ragged, self._row = ragged, row

    def __getitem__(self, chunk_id: str) -> np.ndarray:
        vectors = self.ragged.row(self._row[chunk_id])
        if not len(vectors):
            raise KeyError(chunk_id)
        return vectors

    def get(self, chunk_id: str, default: Any = None) -> Any:  # type: ignore[override]
        try:
            return self[chunk_id]
        except KeyError:
            return default

    def __iter__(self) -> Iterator[str]:
        return (c for c, i in self._row.items() if self.ragged.offsets[i + 1] > self.ragged.offsets[i])

    def __len__(self) -> int:
        return int((np.diff(self.ragged.offsets) > 0).sum())


# -- metadata columns ---------------------------------------------------------------------
COLUMNS = ("committee", "group", "doc_id", "visibility")


@dataclass
class Columns:
    """Per-chunk codes for what filters and committee strategies select on, so a question
    never walks 200,000 metadata dicts."""

    labels: dict[str, list[str]]  # column → code → label
    codes: dict[str, np.ndarray]  # column → int32 code per row (-1: none)
    page: np.ndarray
    chunk_index: np.ndarray
    reply_missing: np.ndarray
    measure_rows: dict[str, np.ndarray]  # measure number in the text → rows, ascending

    @staticmethod
    def of(metas: Sequence[Mapping[str, Any]], texts: Sequence[str]) -> Columns:
        labels: dict[str, dict[str, int]] = {c: {} for c in COLUMNS}
        codes = {c: np.full(len(metas), _NONE, dtype=np.int32) for c in COLUMNS}
        page = np.full(len(metas), -1, dtype=np.int32)
        chunk_index = np.zeros(len(metas), dtype=np.int32)
        missing = np.zeros(len(metas), dtype=bool)
        by_measure: dict[str, list[int]] = {}
        for i, m in enumerate(metas):
            values = {
                "committee": m.get("committee") or None,
                "group": str(m.get("section_path", "")).split(" > ")[0].lower(),
                "doc_id": m.get("doc_id") or None,
                "visibility": m.get("visibility", "public"),
            }
            for col, value in values.items():
                if value is not None:
                    codes[col][i] = labels[col].setdefault(str(value), len(labels[col]))
            page[i] = int(m.get("page", -1))
            chunk_index[i] = int(m.get("chunk_index", 0))
            missing[i] = bool(m.get("reply_missing"))
            for measure in measures(texts[i]):
                by_measure.setdefault(measure, []).append(i)
        return Columns({c: list(v) for c, v in labels.items()}, codes, page, chunk_index, missing,
                       {k: np.array(v, dtype=np.int64) for k, v in by_measure.items()})

    def code_of(self, column: str, label: str) -> int:
        return self._index[column].get(label, -2)  # -2 matches no row, not even "none"

    @cached_property
    def _index(self) -> dict[str, dict[str, int]]:
        return {c: {label: i for i, label in enumerate(v)} for c, v in self.labels.items()}

    def isin(self, column: str, labels: Sequence[str]) -> np.ndarray:
        return np.isin(self.codes[column], [self.code_of(column, x) for x in labels])

    def label(self, column: str, i: int) -> str | None:
        code = int(self.codes[column][i])
        return None if code < 0 else self.labels[column][code]

    def save(self, folder: Path) -> None:
        np.savez(folder / "columns.npz", page=self.page, chunk_index=self.chunk_index, reply_missing=self.reply_missing,
                 **{f"code_{c}": v for c, v in self.codes.items()})
        measure_rows = {k: v.tolist() for k, v in self.measure_rows.items()}
        (folder / "labels.json").write_text(json.dumps({"labels": self.labels, "measures": measure_rows}, ensure_ascii=False), encoding="utf-8")

    @staticmethod
    def load(folder: Path) -> Columns:
        arrays = np.load(folder / "columns.npz")
        meta = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
        return Columns(meta["labels"], {c: arrays[f"code_{c}"] for c in COLUMNS}, arrays["page"], arrays["chunk_index"],
                       arrays["reply_missing"], {k: np.array(v, dtype=np.int64) for k, v in meta["measures"].items()})

    def take(self, order: np.ndarray) -> Columns:
        new_pos = np.full(len(self.page), -1, dtype=np.int64)
        new_pos[order] = np.arange(len(order))
        measure_rows = {}
        for k, rows in self.measure_rows.items():
            moved = new_pos[rows]
            moved = np.sort(moved[moved >= 0])
            if len(moved):
                measure_rows[k] = moved
        return Columns(self.labels, {c: v[order] for c, v in self.codes.items()}, self.page[order], self.chunk_index[order],
                       self.reply_missing[order], measure_rows)

    @staticmethod
    def concat(a: Columns, b: Columns) -> Columns:
        labels: dict[str, list[str]] = {}
        codes: dict[str, np.ndarray] = {}
        for col in COLUMNS:
            merged = list(a.labels[col])
            index = {x: i for i, x in enumerate(merged)}
            for x in b.labels[col]:
                if x not in index:
                    index[x] = len(merged)
                    merged.append(x)
            remap = np.array([index[x] for x in b.labels[col]] or [0], dtype=np.int32)
            bcodes = np.where(b.codes[col] >= 0, remap[np.maximum(b.codes[col], 0)], _NONE)
            labels[col], codes[col] = merged, np.concatenate([a.codes[col], bcodes]).astype(np.int32)
        n = len(a.page)
        measure_rows = {k: np.sort(np.concatenate([a.measure_rows.get(k, np.zeros(0, np.int64)), b.measure_rows.get(k, np.zeros(0, np.int64)) + n]))
                        for k in set(a.measure_rows) | set(b.measure_rows)}
        return Columns(labels, codes, np.concatenate([a.page, b.page]), np.concatenate([a.chunk_index, b.chunk_index]),
                       np.concatenate([a.reply_missing, b.reply_missing]), measure_rows)


# -- the snapshot answering reads --------------------------------------------------------
@dataclass
class Snapshot:
    fingerprint: str
    ids: list[str]
    texts: Sequence[str]
    metas: Sequence[dict[str, Any]]
    vectors: np.ndarray
    lexical: BM25Index
    row: dict[str, int]
    cols: Columns  # filter and committee codes per row
    sentence_vectors: Mapping[str, np.ndarray] = field(default_factory=dict)  # chunk id → one row per sentence
    word_vectors: Mapping[str, np.ndarray] = field(default_factory=dict)  # chunk id → one row per word
    version: str = ""
    documents: dict[str, str] = field(default_factory=dict)  # doc_id → registry signature
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)  # views derived from this snapshot, by key

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        c = self.cols
        m = np.ones(len(self.ids), dtype=bool)
        if filters.committee:
            m &= c.isin("committee", list(filters.committee))
        if filters.doc_id:
            m &= c.isin("doc_id", list(filters.doc_id))
        if filters.page_from is not None:
            m &= c.page >= int(filters.page_from)
        if filters.page_to is not None:
            m &= c.page <= int(filters.page_to)
        if filters.visibility:
            m &= c.isin("visibility", list(filters.visibility))
        return m

    def passage(self, i: int, score: float = 0.0) -> Passage:
        return Passage(self.ids[i], self.texts[i], self.metas[i], score)

    def vector_of(self, chunk_id: str) -> np.ndarray | None:
        """A chunk's stored passage vector (None when the chunk is not in this snapshot)."""
        row = self.row.get(chunk_id)
        return None if row is None else self.vectors[row]

    def similarity(self, chunk_id: str, qvec: np.ndarray) -> float | None:
        """e5 similarity of a chunk's stored vector to ``qvec`` (None when it is not here)."""
        vector = self.vector_of(chunk_id)
        return None if vector is None else float(vector @ qvec)

    def sentence_similarities(self, p: Passage, n: int, qvec: np.ndarray) -> np.ndarray:
        """e5 similarity of each of the passage's ``n`` sentences to the question, from the
        vectors stored at ingest; the passage's own similarity where they are missing (an
        index built before them)."""
        vectors = self.sentence_vectors.get(p.id)
        if vectors is None or len(vectors) != n:
            dense = self.similarity(p.id, qvec)
            dense = dense if dense is not None else float(p.dense or 0.0)
            return np.full(n, dense)
        return np.asarray(vectors) @ qvec

    def alignment(self, chunk_id: str, qwords: np.ndarray, weights: np.ndarray | None = None) -> float:
        """How much of the question (its word vectors, optionally weighted) the chunk's words
        speak to; 0 for a chunk indexed without word vectors."""
        words = self.word_vectors.get(chunk_id)
        return 0.0 if words is None else alignment(qwords, words, weights)

    def committee_rows(self, group_hint: str | None = None, mask: np.ndarray | None = None, *, replies: bool = True) -> dict[str, np.ndarray]:
        """Rows per committee (ascending), committees in order of their first row: replies
        (``replies``) or the missing-reply notes, optionally within a section group."""
        c = self.cols
        ok = c.codes["committee"] >= 0
        ok &= ~c.reply_missing if replies else c.reply_missing
        if mask is not None:
            ok &= mask
        if group_hint:
            groups = [i for i, g in enumerate(c.labels["group"]) if g.startswith(group_hint)]
            ok &= np.isin(c.codes["group"], groups)
        rows = np.flatnonzero(ok)
        codes = c.codes["committee"][rows]
        order = np.argsort(codes, kind="stable")
        uniq, starts = np.unique(codes[order], return_index=True)
        parts = np.split(rows[order], starts[1:]) if len(rows) else []
        named = [(c.labels["committee"][int(u)], part) for u, part in zip(uniq, parts, strict=True)]
        named.sort(key=lambda x: int(x[1][0]))
        return dict(named)

    def compilations(self, mask: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Documents that gather several committees' replies (a remiss compilation), each
        with its rows: where "how many committees replied?" is counted."""
        c = self.cols
        ok = c.codes["committee"] >= 0
        if mask is not None:
            ok &= mask
        out = {}
        for d in np.unique(c.codes["doc_id"][ok]):
            rows = np.flatnonzero(ok & (c.codes["doc_id"] == d))
            if len(np.unique(c.codes["committee"][rows])) >= 2:
                out[c.labels["doc_id"][int(d)]] = rows
        return out

    def committee_names(self, mask: np.ndarray | None = None) -> set[str]:
        codes = self.cols.codes["committee"] if mask is None else self.cols.codes["committee"][mask]
        return {self.cols.labels["committee"][int(x)] for x in np.unique(codes) if x >= 0}


# -- building, persisting, publishing ----------------------------------------------------
@dataclass
class _Rows:
    """A snapshot's content as arrays, in the form sync combines and writes."""

    ids: list[str]
    texts: Ragged
    metas: Ragged
    vectors: np.ndarray
    sentences: Ragged
    wordvecs: Ragged
    tokens: Ragged  # raw word ids per row
    words: dict[str, int]  # raw word → id
    columns: Columns

    @staticmethod
    def concat(parts: Sequence[_Rows], words: dict[str, int]) -> _Rows:
        columns = parts[0].columns
        for p in parts[1:]:
            columns = Columns.concat(columns, p.columns)
        return _Rows([i for p in parts for i in p.ids], Ragged.concat([p.texts for p in parts]), Ragged.concat([p.metas for p in parts]),
                     np.concatenate([np.asarray(p.vectors) for p in parts]), Ragged.concat([p.sentences for p in parts]),
                     Ragged.concat([p.wordvecs for p in parts]), Ragged.concat([p.tokens for p in parts]), words, columns)

    def take(self, order: np.ndarray) -> _Rows:
        return _Rows([self.ids[i] for i in order], self.texts.take(order), self.metas.take(order), self.vectors[order],
                     self.sentences.take(order), self.wordvecs.take(order), self.tokens.take(order), self.words, self.columns.take(order))


class SnapshotStore:
    """Versions of the snapshot under ``folder``; ``sync`` writes, ``load_current`` reads."""

    def __init__(self, folder: Path, collection: Any, documents: Callable[[], list[tuple[str, dict[str, Any]]]], dim: int = 384, keep: int = 2) -> None:
        self.folder, self.collection, self.documents = folder, collection, documents
        self.dim, self.keep = dim, keep

    # -- reading ----------------------------------------------------------------------
    def current_version(self) -> str | None:
        try:
            return (self.folder / "CURRENT").read_text().strip() or None
        except OSError:
            return None

    def registry(self) -> dict[str, str]:
        return {doc_id: doc_signature(meta) for doc_id, meta in self.documents()}

    def fingerprint(self) -> str:
        return fingerprint_of(self.registry())

    def load(self, version: str) -> Snapshot:
        folder = self.folder / version
        info = json.loads((folder / "info.json").read_text(encoding="utf-8"))
        if info.get("format") != FORMAT:
            raise ValueError(f"snapshot format {info.get('format')}, this code reads {FORMAT}")
        ids = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
        row = {c: i for i, c in enumerate(ids)}
        return Snapshot(
            info["fingerprint"], ids, Blobs(RowFile(folder, "texts")), Metas(RowFile(folder, "metas")),
            np.load(folder / "vectors.npy", mmap_mode="r"), BM25Index.load(folder, ids), row, Columns.load(folder),
            ChunkRows(RowFile(folder, "sentences"), row), ChunkRows(RowFile(folder, "wordvecs"), row),
            version, info["documents"],
        )

    def load_current(self) -> Snapshot | None:
        version = self.current_version()
        if version is None:
            return None
        try:
            return self.load(version)
        except (OSError, ValueError, KeyError) as exc:  # a half-deleted or foreign folder: rebuild
            log.warning("snapshot %s unreadable (%s): it will be rebuilt", version, exc)
            return None

    # -- writing ----------------------------------------------------------------------
    @contextmanager
    def _writer(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def sync(self) -> Snapshot:
        """The snapshot of the registry as it is now: the published one when it is current,
        else a new version built from it plus the changed documents, then published."""
        with self._writer():
            started = time.perf_counter()
            registry = self.registry()
            fp = fingerprint_of(registry)
            current = self.load_current()
            if current is not None and current.fingerprint == fp:
                return current
            old = self._rows_of(current) if current is not None else None
            unchanged = {d for d, sig in registry.items() if current is not None and current.documents.get(d) == sig}
            changed = [d for d in registry if d not in unchanged]
            fresh = self._fetch(changed, old.words if old else {}, whole=old is None, registered=set(registry))
            rows = self._combine(old, current, unchanged, fresh)
            version = self._write(rows, fp, registry)
            log.info("snapshot %s: %d chunks (%d documents re-read) in %.2fs", version, len(rows.ids), len(changed), time.perf_counter() - started)
            return self.load(version)

    def _rows_of(self, snap: Snapshot) -> _Rows:
        folder = self.folder / snap.version
        words = {w: i for i, w in enumerate(snap.lexical.words)}
        return _Rows(snap.ids, Ragged.load(folder, "texts"), Ragged.load(folder, "metas"), snap.vectors,
                     Ragged.load(folder, "sentences"), Ragged.load(folder, "wordvecs"), Ragged.load(folder, "tokens"), words, snap.cols)

    def _fetch(self, doc_ids: list[str], words: dict[str, int], whole: bool, registered: set[str]) -> _Rows:
        """The chunks of ``doc_ids`` from Chroma, tokenised against the word list (grown by
        their new words). ``whole``: page over the entire collection (a first build)."""
        words = dict(words)
        parts: list[_Rows] = []
        for got in self._pages(doc_ids, whole):  # page by page: a first build at scale stays in memory bounds
            keep = [i for i, m in enumerate(got["metadatas"]) if (m or {}).get("doc_id") in registered]
            # (chunks of an upload whose writer died before registering it are left out)
            ids = [got["ids"][i] for i in keep]
            texts = [got["documents"][i] or "" for i in keep]
            metas = [dict(got["metadatas"][i] or {}) for i in keep]
            vecs = np.asarray(got["embeddings"], dtype=np.float32)[keep] if keep else np.zeros((0, self.dim), np.float32)
            sentences = [decode_sentences(m.pop(SENTENCE_FIELD), self.dim) if m.get(SENTENCE_FIELD) else np.zeros((0, self.dim), np.float32) for m in metas]
            wordvecs = [self._words_of(m) for m in metas]
            flat, offsets = word_ids([lexical_text(t, m) for t, m in zip(texts, metas, strict=True)], words)
            parts.append(_Rows(ids, Ragged.of_bytes([t.encode("utf-8") for t in texts]),
                               Ragged.of_bytes([json.dumps(m, ensure_ascii=False).encode("utf-8") for m in metas]),
                               vecs.reshape(-1, self.dim), Ragged.of_rows(sentences, np.float32, self.dim),
                               Ragged.of_rows(wordvecs, np.float16, WORD_DIM), Ragged(flat, offsets),
                               words, Columns.of(metas, texts)))
        if not parts:
            parts.append(_Rows([], Ragged.of_bytes([]), Ragged.of_bytes([]), np.zeros((0, self.dim), np.float32),
                               Ragged.of_rows([], np.float32, self.dim), Ragged.of_rows([], np.float16, WORD_DIM), Ragged(np.zeros(0, np.int32), np.zeros(1, np.int64)),
                               words, Columns.of([], [])))
        return _Rows.concat(parts, words)

    @staticmethod
    def _words_of(meta: dict[str, Any]) -> np.ndarray:
        """A chunk's word vectors (none for a chunk indexed before them, or in another width)."""
        field_ = meta.pop(WORDS_FIELD, None)
        words = decode_words(field_) if field_ else None
        return words if words is not None and words.shape[1] == WORD_DIM else np.zeros((0, WORD_DIM), np.float16)

    def _pages(self, doc_ids: list[str], whole: bool, size: int = 2000) -> Iterator[dict[str, Any]]:
        include = ["documents", "metadatas", "embeddings"]
        if whole:
            offset = 0
            while True:
                got = self.collection.get(include=include, limit=size, offset=offset)
                if not got["ids"]:
                    return
                yield got
                offset += len(got["ids"])
                if len(got["ids"]) < size:
                    return
        for s in range(0, len(doc_ids), 50):
            yield self.collection.get(where={"doc_id": {"$in": doc_ids[s : s + 50]}}, include=include)

    def _combine(self, old: _Rows | None, current: Snapshot | None, unchanged: set[str], fresh: _Rows) -> _Rows:
        if old is None or current is None:
            rows = fresh
        else:
            c = old.columns
            keep = np.flatnonzero(np.isin(c.codes["doc_id"], [c.code_of("doc_id", d) for d in unchanged]))
            rows = _Rows.concat([old.take(keep), fresh], fresh.words)
        # Stable order regardless of storage order, so results are reproducible.
        c = rows.columns
        order = sorted(range(len(rows.ids)), key=lambda i: (c.label("doc_id", i) or "", int(c.chunk_index[i]), rows.ids[i]))
        return rows.take(np.array(order, dtype=np.int64))

    def _write(self, rows: _Rows, fp: str, registry: dict[str, str]) -> str:
        version = f"v{time.strftime('%Y%m%dT%H%M%S')}-{fp[:8]}-{uuid.uuid4().hex[:6]}"
        tmp = self.folder / f".tmp-{version}"
        tmp.mkdir(parents=True)
        # Words no row holds any more (their documents left) leave the list: ids renumbered.
        live = np.unique(np.asarray(rows.tokens.flat))
        renumber = np.full(max(len(rows.words), 1), -1, dtype=np.int32)
        renumber[live] = np.arange(len(live), dtype=np.int32)
        by_id = list(rows.words)
        words = [by_id[i] for i in live]
        tokens = Ragged(renumber[np.asarray(rows.tokens.flat, dtype=np.int64)], rows.tokens.offsets)
        for name, ragged in (("texts", rows.texts), ("metas", rows.metas), ("sentences", rows.sentences), ("wordvecs", rows.wordvecs), ("tokens", tokens)):
            ragged.save(tmp, name)
        np.save(tmp / "vectors.npy", np.ascontiguousarray(rows.vectors, dtype=np.float32))
        rows.columns.save(tmp)
        engine, analyzer = bm25_engine(np.asarray(tokens.flat), tokens.offsets, words, K1, B)
        BM25Index.from_engine(rows.ids, engine, analyzer, words).save(tmp)
        (tmp / "ids.json").write_text(json.dumps(rows.ids, ensure_ascii=False), encoding="utf-8")
        (tmp / "info.json").write_text(json.dumps({"format": FORMAT, "fingerprint": fp, "chunks": len(rows.ids), "documents": registry}, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.folder / version)
        pointer = self.folder / f".CURRENT-{uuid.uuid4().hex[:6]}"
        pointer.write_text(version)
        os.replace(pointer, self.folder / "CURRENT")  # the switch readers see: atomic
        self._prune(version)
        return version

    def _prune(self, current: str) -> None:
        """Keep the newest ``keep`` versions: a reader still on the previous one keeps its
        memory maps even after its files are unlinked."""
        versions = sorted((p for p in self.folder.iterdir() if p.is_dir() and p.name.startswith("v")), key=lambda p: p.stat().st_mtime)
        for old in versions[: -self.keep]:
            if old.name != current:
                shutil.rmtree(old, ignore_errors=True)
        for tmp in self.folder.glob(".tmp-*"):
            if time.time() - tmp.stat().st_mtime > 3600:  # a writer that died mid-write
                shutil.rmtree(tmp, ignore_errors=True)
