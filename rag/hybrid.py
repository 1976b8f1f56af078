"""Hybrid retrieval: dense (Chroma) + Swedish BM25, fused with weighted reciprocal rank fusion.

The lexical index, the chunk embeddings and the metadata columns form a persisted snapshot
(``rag.snapshot``), written by whichever process changed the index and published by version.
Every ``refresh_s`` seconds a retriever looks, in a background thread, for a newer published
version (and for a registry that is ahead of it, which it then repairs); it swaps the new
snapshot in when it is loaded, so answering never waits. Having every chunk's embedding at
hand makes per-committee scoring (aggregation questions consult every committee) one matrix
product instead of one query per committee.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import lru_cache

import numpy as np

from ingest.embed import Embedder
from ingest.sentences import FIELD as SENTENCE_FIELD
from ingest.sentences import WORDS_FIELD
from ingest.store import ChunkStore
from ingest.token_states import Encoded, WordEncoder, Words
from rag.lexical import STOPWORDS
from rag.snapshot import Snapshot, SnapshotStore, lexical_text
from rag.types import Filters, Passage

__all__ = ["HybridRetriever", "Snapshot", "lexical_text"]

log = logging.getLogger(__name__)

_VECTOR_FIELDS = (SENTENCE_FIELD, WORDS_FIELD)  # stored with a chunk, read from the snapshot


class HybridRetriever:
    def __init__(
        self,
        store: ChunkStore,
        embedder: Embedder,
        snapshots: SnapshotStore,
        dense_k: int = 30,
        lexical_k: int = 30,
        rrf_k: int = 60,
        dense_weight: float = 1.0,
        lexical_weight: float = 0.5,
        refresh_s: float = 2.0,
        words: WordEncoder | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.words = words
        # A question's vector and word vectors come from one forward pass, asked for by its
        # understanding, each retrieval of it (scoped, then not) and the rerank.
        self._encoded = lru_cache(maxsize=256)(self._encode_query)
        self.snapshots = snapshots
        self.dense_k, self.lexical_k, self.rrf_k = dense_k, lexical_k, rrf_k
        self.dense_weight, self.lexical_weight = dense_weight, lexical_weight
        self.refresh_s = refresh_s
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._refreshing = False
        self._registry_due = 0.0

    # -- index snapshot ----------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The snapshot to answer from now. The first call loads the published version (or
        builds one); later calls return at once and, every ``refresh_s``, start a background
        look for a newer one."""
        snap = self._snapshot
        if snap is None:
            with self._lock:
                if self._snapshot is None:
                    self._snapshot = self.snapshots.load_current() or self.snapshots.sync()
                    self._checked = time.monotonic()
                return self._snapshot
        if time.monotonic() - self._checked >= self.refresh_s and not self._refreshing:
            with self._lock:
                if not self._refreshing:
                    self._refreshing, self._checked = True, time.monotonic()
                    threading.Thread(target=self._follow, name="snapshot-follow", daemon=True).start()
        return snap

    def _follow(self) -> None:
        try:
            snap = self._snapshot
            version = self.snapshots.current_version()
            if snap is None:
                return
            if version and version != snap.version:
                new = self.snapshots.load(version)
            elif time.monotonic() >= self._registry_due:
                # Reading the registry costs 0.1-0.5 s of this process's time at 5,000 documents:
                # at most 5 % of it goes to this check (a published version is seen at once).
                t0 = time.monotonic()
                fingerprint = self.snapshots.fingerprint()
                self._registry_due = time.monotonic() + max(self.refresh_s, 20 * (time.monotonic() - t0))
                if fingerprint == snap.fingerprint:
                    return
                new = self.snapshots.sync()  # the registry is ahead of every published version
            else:
                return
            with self._lock:
                if self._snapshot is not snap:
                    return  # refresh() swapped in this process's own, newer change meanwhile
                self._snapshot = new
            log.info("switched to snapshot %s (%d chunks)", new.version, len(new.ids))
        except Exception as exc:  # noqa: BLE001 - keep answering from the current snapshot; retry later
            # One line per check: while the store is down this repeats every few seconds.
            log.warning("snapshot refresh failed (%s: %s); still answering from %s", type(exc).__name__, exc, getattr(self._snapshot, "version", "-"))
        finally:
            self._checked = time.monotonic()
            self._refreshing = False

    def refresh(self) -> Snapshot:
        """Bring the snapshot up to date now (after this process changed the index)."""
        new = self.snapshots.sync()
        with self._lock:
            self._snapshot, self._checked = new, time.monotonic()
        return new

    # -- retrieval ---------------------------------------------------------------------
    def embed_query(self, query: str) -> np.ndarray:
        """The query's normalised e5 vector (numpy; not LangChain's ``Embeddings.embed_query``)."""
        if self.words is not None and self.words.pools_as(self.embedder):
            encoded = self._encoded(query)
            if encoded is not None and encoded.whole:
                return encoded.vector
        return self.embedder.embed_query_vector(query)

    def query_words(self, text: str, skip: frozenset[str] = frozenset()) -> Words:
        """The words of ``text`` with their word vectors (``ingest.token_states``), stop words
        and ``skip`` left out, each read in the context of the whole text; none when no word
        encoder is configured."""
        encoded = self._encoded(text)
        if encoded is None:
            return Words((), np.zeros((0, 0), np.float32))
        return encoded.without(STOPWORDS | skip)

    def forget_questions(self) -> None:
        """Drop the cached question encodings (a benchmark measures a question's first asking)."""
        self._encoded.cache_clear()

    def _encode_query(self, text: str) -> Encoded | None:
        if self.words is None:
            return None
        encoded = self.words.encode([text], is_query=True)[0]
        encoded.vector.setflags(write=False)  # cached and shared: a caller must not change it
        return encoded

    def dense(self, qvec: np.ndarray, k: int, filters: Filters | None) -> list[Passage]:
        snap = self.snapshot()
        mask = snap.mask(filters)
        if mask is not None:
            # Answers rest on the store: with Chroma unreachable a question gets 503 on every
            # path, not an answer from a snapshot that may predate a deletion or a visibility
            # change (one heartbeat: a local call, or ~1 ms to a server).
            self.store.ensure_reachable()
            return self._dense_within(snap, qvec, k, mask)
        hits = self.store.query(qvec, k, None)
        # Only chunks of the snapshot: a chunk whose upload never registered (its writer died)
        # is in Chroma but in no lexical index. Sentence vectors are read from the snapshot.
        known = snap.row
        return [Passage(h.id, h.text, {k: v for k, v in h.metadata.items() if k not in _VECTOR_FIELDS}, s, dense=s) for h, s in hits if h.id in known]

    @staticmethod
    def _dense_within(snap: Snapshot, qvec: np.ndarray, k: int, mask: np.ndarray) -> list[Passage]:
        """Exact cosine search over the rows a filter allows, on the snapshot's vectors. Chroma
        filters a vector query in its metadata store first, which took 0.2-0.3 s per question
        at 200,000 chunks; the filtered rows' vectors are a memory-mapped gather and one product
        (a few ms for one committee, ~30 ms for "public" over everything)."""
        rows = np.flatnonzero(mask)
        if not len(rows):
            return []
        qvec = np.asarray(qvec, dtype=np.float32)
        # A filter that keeps most rows (citizens see "public": nearly everything) is cheaper as
        # one product over the contiguous matrix than as a gather of most of it.
        sims = (snap.vectors @ qvec)[rows] if len(rows) > len(mask) // 8 else np.asarray(snap.vectors[rows]) @ qvec
        top = np.argsort(-sims, kind="stable")[:k]
        out = []
        for i in top:
            p = snap.passage(int(rows[i]), float(sims[i]))
            p.dense = float(sims[i])
            out.append(p)
        return out

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
