"""Query latency per stage and index build time over a temporary Chroma, at 1x…100x the corpus.

Enlarged indexes reuse the real chunk embeddings, each copy slightly perturbed (seeded
Gaussian noise, re-normalised) and stored under distinct ids, doc_ids, sources and titles,
so every copy is a distinct document; nothing is re-embedded. Committee names stay as they
are: a city has a fixed set of committees, more documents mean more replies per committee.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.embed import Embedder
from ingest.pipeline import DocumentRegistry
from ingest.store import ChunkStore, make_client
from rag.hybrid import HybridRetriever, registry_fingerprint
from rag.pipeline import RagPipeline

log = logging.getLogger(__name__)

STAGES = ("embed", "dense", "lexical", "rerank", "answer", "total")
NOISE = 0.002  # per dimension; ~0.04 in norm, far below the gap between distinct passages


@dataclass
class Corpus:
    """The chunks of a real index: what the scale curve copies."""

    ids: list[str]
    texts: list[str]
    metas: list[dict[str, Any]]
    vectors: np.ndarray

    @classmethod
    def read(cls, store: ChunkStore) -> Corpus:
        got = store.collection.get(include=["documents", "metadatas", "embeddings"])
        return cls(list(got["ids"]), list(got["documents"]), [dict(m) for m in got["metadatas"]],
                   np.asarray(got["embeddings"], dtype=np.float32))


def copy_meta(meta: dict[str, Any], copy: int) -> dict[str, Any]:
    if copy == 0:
        return dict(meta)
    tag = f"x{copy:03d}"
    out = dict(meta)
    out["doc_id"] = f"{meta.get('doc_id', '')}-{tag}"
    out["source"] = f"{tag}-{meta.get('source', '')}"
    out["title"] = f"{meta.get('title', '')} ({tag})"
    out["content_hash"] = hashlib.sha1(f"{meta.get('content_hash', '')}{tag}".encode()).hexdigest()[:16]
    return out


def perturbed(vectors: np.ndarray, copy: int) -> np.ndarray:
    if copy == 0:
        return vectors
    rng = np.random.default_rng(copy)
    out = vectors + rng.normal(0.0, NOISE, vectors.shape).astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def build_index(corpus: Corpus, factor: int, path: Path) -> tuple[ChunkStore, DocumentRegistry, float]:
    """A fresh embedded Chroma at ``path`` holding ``factor`` copies; returns the build seconds."""
    client = make_client(None, path)
    store, docs = ChunkStore(client, "bench"), DocumentRegistry(client, "bench")
    batch = max(1, min(int(client.get_max_batch_size()), 5000))
    started = time.perf_counter()
    for copy in range(factor):
        metas = [copy_meta(m, copy) for m in corpus.metas]
        ids = [f"{i}-{copy}" for i in corpus.ids]
        vecs = perturbed(corpus.vectors, copy)
        for s in range(0, len(ids), batch):
            store.upsert(ids[s : s + batch], vecs[s : s + batch], corpus.texts[s : s + batch], metas[s : s + batch])
        for doc_id in sorted({m["doc_id"] for m in metas}):
            docs.put(doc_id, "", {"file_hash": doc_id, "visibility": "public", "n_chunks": 0})
    return store, docs, time.perf_counter() - started


def stage_stats(answers: Sequence[Any]) -> dict[str, dict[str, float | None]]:
    """p50 / p95 seconds per stage over answers (``total`` is the answer's latency)."""
    out: dict[str, dict[str, float | None]] = {}
    for stage in STAGES:
        vals = [a.latency_s if stage == "total" else a.timings.get(stage, 0.0) for a in answers]
        out[stage] = {"p50": _pct(vals, 50), "p95": _pct(vals, 95)}
    return out


def _pct(vals: Sequence[float], q: float) -> float | None:
    return round(float(np.percentile(vals, q)), 5) if vals else None


def query_latency(pipeline: RagPipeline, questions: Sequence[str], warmup: int = 2) -> dict[str, Any]:
    """Warm per-stage latency, aggregation questions apart from the others."""
    for q in questions[:warmup]:
        pipeline.ask(q)
    groups: dict[str, list[Any]] = {"non_aggregation": [], "aggregation": []}
    for q in questions:
        groups["aggregation" if pipeline.understand(q)[0].aggregate else "non_aggregation"].append(pipeline.ask(q))
    return {name: {"n": len(ans), **stage_stats(ans)} for name, ans in groups.items()}


def scale_point(corpus: Corpus, factor: int, embedder: Embedder, questions: Sequence[str], path: Path) -> dict[str, Any]:
    store, docs, build_s = build_index(corpus, factor, path)
    retriever = HybridRetriever(store, embedder, registry_fingerprint(store, docs.all))
    t0 = time.perf_counter()
    retriever.snapshot()  # the lexical index and vector matrix every replica builds at start
    snapshot_s = time.perf_counter() - t0
    latency = query_latency(RagPipeline(retriever), questions)
    log.info("scale %dx: %d chunks, build %.1fs, snapshot %.1fs", factor, store.count(), build_s, snapshot_s)
    return {"factor": factor, "chunks": store.count(), "chroma_build_s": round(build_s, 3),
            "lexical_snapshot_s": round(snapshot_s, 3), "latency": latency}
