"""Hybrid retrieval: dense (Chroma) + Swedish BM25, fused with weighted reciprocal rank fusion.

The lexical index is a snapshot of the Chroma collection. It is rebuilt when the collection's
fingerprint (chunk count + document registry hashes) changes, checked at most every
``refresh_s`` seconds, so API replicas sharing one Chroma server converge on the same index.
The snapshot also keeps the chunk embeddings, which makes per-committee scoring (aggregation
questions consult every committee) one matrix product instead of one query per committee.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ingest.embed import Embedder
from ingest.sentences import FIELD as SENTENCE_FIELD
from ingest.sentences import decode as decode_sentences
from ingest.store import ChunkStore
from rag.lexical import BM25Index
from rag.types import Filters, Passage

log = logging.getLogger(__name__)


def chroma_where(filters: Filters | None) -> dict[str, Any] | None:
    if filters is None:
        return None
    clauses: list[dict[str, Any]] = []
    if filters.committee:
        clauses.append({"committee": {"$in": list(filters.committee)}})
    if filters.doc_id:
        clauses.append({"doc_id": {"$in": list(filters.doc_id)}})
    if filters.page_from is not None:
        clauses.append({"page": {"$gte": int(filters.page_from)}})
    if filters.page_to is not None:
        clauses.append({"page": {"$lte": int(filters.page_to)}})
    if filters.visibility:
        clauses.append({"visibility": {"$in": list(filters.visibility)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _matches(meta: dict[str, Any], filters: Filters | None) -> bool:
    if filters is None:
        return True
    page = meta.get("page", -1)
    return not (
        (filters.committee and meta.get("committee") not in filters.committee)
        or (filters.doc_id and meta.get("doc_id") not in filters.doc_id)
        or (filters.page_from is not None and page < filters.page_from)
        or (filters.page_to is not None and page > filters.page_to)
        or (filters.visibility and meta.get("visibility", "public") not in filters.visibility)
    )


@dataclass
class Snapshot:
    fingerprint: str
    ids: list[str]
    texts: list[str]
    metas: list[dict[str, Any]]
    vectors: np.ndarray
    lexical: BM25Index
    row: dict[str, int]
    sentence_vectors: dict[str, np.ndarray] = field(default_factory=dict)  # chunk id → one row per sentence

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        return np.array([_matches(m, filters) for m in self.metas], dtype=bool)

    def passage(self, i: int, score: float = 0.0) -> Passage:
        return Passage(self.ids[i], self.texts[i], self.metas[i], score)

    def sentence_similarities(self, p: Passage, n: int, qvec: np.ndarray) -> np.ndarray:
        """e5 similarity of each of the passage's ``n`` sentences to the question, from the
        vectors stored at ingest; the passage's own similarity where they are missing (an
        index built before them)."""
        vectors = self.sentence_vectors.get(p.id)
        if vectors is None or len(vectors) != n:
            row = self.row.get(p.id)
            dense = float(self.vectors[row] @ qvec) if row is not None else float(p.dense or 0.0)
            return np.full(n, dense)
        return vectors @ qvec


def lexical_text(text: str, meta: dict[str, Any]) -> str:
    """What BM25 indexes: the passage plus its committee and section headings."""
    return f"{meta.get('committee', '')} {meta.get('section_path', '')} {meta.get('title', '')}\n{text}"


class HybridRetriever:
    def __init__(
        self,
        store: ChunkStore,
        embedder: Embedder,
        fingerprint: Callable[[], str],
        dense_k: int = 30,
        lexical_k: int = 30,
        rrf_k: int = 60,
        dense_weight: float = 1.0,
        lexical_weight: float = 0.5,
        refresh_s: float = 2.0,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self._fingerprint = fingerprint
        self.dense_k, self.lexical_k, self.rrf_k = dense_k, lexical_k, rrf_k
        self.dense_weight, self.lexical_weight = dense_weight, lexical_weight
        self.refresh_s = refresh_s
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    # -- index snapshot ----------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        now = time.monotonic()
        snap = self._snapshot
        if snap is not None and now - self._checked < self.refresh_s:
            return snap
        with self._lock:
            fp = self._fingerprint()
            self._checked = time.monotonic()
            if self._snapshot is None or self._snapshot.fingerprint != fp:
                self._snapshot = self._build(fp)
            return self._snapshot

    def _build(self, fp: str) -> Snapshot:
        started = time.perf_counter()
        ids: list[str] = []
        texts: list[str] = []
        metas: list[dict[str, Any]] = []
        vecs: list[np.ndarray] = []
        offset = 0
        col = self.store.collection
        while True:
            got = col.get(include=["documents", "metadatas", "embeddings"], limit=2000, offset=offset)
            if not got["ids"]:
                break
            ids.extend(got["ids"])
            texts.extend(d or "" for d in got["documents"])
            metas.extend(dict(m or {}) for m in got["metadatas"])
            vecs.append(np.asarray(got["embeddings"], dtype=np.float32))
            offset += len(got["ids"])
            if len(got["ids"]) < 2000:
                break
        # Stable order regardless of storage order, so results are reproducible.
        order = sorted(range(len(ids)), key=lambda i: (metas[i].get("doc_id", ""), metas[i].get("chunk_index", 0), ids[i]))
        ids = [ids[i] for i in order]
        texts = [texts[i] for i in order]
        metas = [metas[i] for i in order]
        dim = getattr(self.embedder, "dim", 384)
        matrix = np.concatenate(vecs)[order] if vecs else np.zeros((0, dim), dtype=np.float32)
        lexical = BM25Index(ids, [lexical_text(t, m) for t, m in zip(texts, metas, strict=True)])
        sentences = {c: decode_sentences(m.pop(SENTENCE_FIELD), dim) for c, m in zip(ids, metas, strict=True) if m.get(SENTENCE_FIELD)}
        log.info("lexical snapshot: %d chunks in %.2fs", len(ids), time.perf_counter() - started)
        return Snapshot(fp, ids, texts, metas, matrix, lexical, {c: i for i, c in enumerate(ids)}, sentences)

    # -- retrieval ---------------------------------------------------------------------
    def embed_query(self, query: str) -> np.ndarray:
        """The query's normalised e5 vector (numpy; not LangChain's ``Embeddings.embed_query``)."""
        return self.embedder.embed_query_vector(query)

    def dense(self, qvec: np.ndarray, k: int, filters: Filters | None) -> list[Passage]:
        hits = self.store.query(qvec, k, chroma_where(filters))
        # Sentence vectors travel with the chunk but are read from the snapshot.
        return [Passage(h.id, h.text, {k: v for k, v in h.metadata.items() if k != SENTENCE_FIELD}, s, dense=s) for h, s in hits]

    def lexical(self, query: str, k: int, filters: Filters | None) -> list[Passage]:
        snap = self.snapshot()
        out = []
        for i, s in snap.lexical.search(query, k, snap.mask(filters)):
            p = snap.passage(i, s)
            p.lexical = s
            out.append(p)
        return out

    def fuse(self, dense: list[Passage], lexical: list[Passage]) -> list[Passage]:
        fused: dict[str, Passage] = {}
        for weight, ranked in ((self.dense_weight, dense), (self.lexical_weight, lexical)):
            for rank, p in enumerate(ranked):
                cur = fused.setdefault(p.id, Passage(p.id, p.text, p.meta, 0.0))
                cur.score += weight / (self.rrf_k + rank + 1)
                cur.dense = p.dense if p.dense is not None else cur.dense
                cur.lexical = p.lexical if p.lexical is not None else cur.lexical
        return sorted(fused.values(), key=lambda p: -p.score)

    def retrieve(
        self,
        query: str,
        qvec: np.ndarray,
        k: int,
        filters: Filters | None = None,
        timings: dict[str, float] | None = None,
    ) -> list[Passage]:
        """Fused dense + lexical candidates; ``qvec`` is the query's embedding (computed once
        by the caller, which also needs it for aggregation)."""
        t0 = time.perf_counter()
        dense = self.dense(qvec, self.dense_k, filters)
        t1 = time.perf_counter()
        lexical = self.lexical(query, self.lexical_k, filters)
        if timings is not None:
            timings.update(dense=t1 - t0, lexical=time.perf_counter() - t1)
        return self.fuse(dense, lexical)[:k]

    def score_all(self, query: str, qvec: np.ndarray, filters: Filters | None = None) -> tuple[Snapshot, np.ndarray, np.ndarray]:
        """Dense cosine and BM25 scores for every chunk (filtered rows get -inf / 0)."""
        snap = self.snapshot()
        dense = snap.vectors @ qvec if len(snap.ids) else np.zeros(0, dtype=np.float32)
        lexical = snap.lexical.scores(query)
        mask = snap.mask(filters)
        if mask is not None:
            dense = np.where(mask, dense, -np.inf)
            lexical = np.where(mask, lexical, 0.0)
        return snap, dense, lexical


def registry_fingerprint(store: ChunkStore, doc_records: Callable[[], list[tuple[str, dict[str, Any]]]]) -> Callable[[], str]:
    """Fingerprint of what is indexed: chunk count plus every document's hash and visibility."""

    def fingerprint() -> str:
        h = hashlib.sha1(str(store.count()).encode())
        for doc_id, meta in sorted(doc_records()):
            h.update(f"{doc_id}:{meta.get('file_hash')}:{meta.get('visibility')}".encode())
        return h.hexdigest()

    return fingerprint
