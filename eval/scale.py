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
from ingest.token_states import WordEncoder
from rag.hybrid import HybridRetriever
from rag.pipeline import RagPipeline
from rag.snapshot import SnapshotStore

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


def snapshot_store(store: ChunkStore, docs: DocumentRegistry, folder: Path) -> SnapshotStore:
    return SnapshotStore(folder, store.collection, docs.all)


def build_index(corpus: Corpus, factor: int, path: Path, collection: str = "bench") -> tuple[ChunkStore, DocumentRegistry, float]:
    """A fresh embedded Chroma at ``path`` holding ``factor`` copies; returns the build seconds."""
    client = make_client(None, path)
    store, docs = ChunkStore(client, collection), DocumentRegistry(client, collection)
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
    aggregate = {q: pipeline.understand(q)[0].aggregate for q in questions}
    # Understanding a question caches its encoding; each is measured as asked the first time.
    pipeline.retriever.forget_questions()
    groups: dict[str, list[Any]] = {"non_aggregation": [], "aggregation": []}
    for q in questions:
        groups["aggregation" if aggregate[q] else "non_aggregation"].append(pipeline.ask(q))
    return {name: {"n": len(ans), **stage_stats(ans)} for name, ans in groups.items()}


def scale_point(corpus: Corpus, factor: int, embedder: Embedder, questions: Sequence[str], path: Path,
                words: WordEncoder | None = None) -> dict[str, Any]:
    store, docs, build_s = build_index(corpus, factor, path)
    retriever = HybridRetriever(store, embedder, snapshot_store(store, docs, path / "index"), words=words)
    t0 = time.perf_counter()
    retriever.snapshot()  # the first build of the snapshot (BM25, vectors, columns), as at ingest
    snapshot_s = time.perf_counter() - t0
    latency = query_latency(RagPipeline(retriever), questions)
    log.info("scale %dx: %d chunks, build %.1fs, snapshot %.1fs", factor, store.count(), build_s, snapshot_s)
    return {"factor": factor, "chunks": store.count(), "chroma_build_s": round(build_s, 3),
            "lexical_snapshot_s": round(snapshot_s, 3), "latency": latency}


# -- the serving curve: a real `radslag serve` over each enlarged index ------------------
def _pct_s(vals: Sequence[float], q: float) -> float | None:
    return round(float(np.percentile(vals, q)), 4) if vals else None


def serve_point(factor: int, chunks: int, data_dir: Path, collection: str, questions: Sequence[str], rounds: int = 3) -> dict[str, Any]:
    """Start ``radslag serve`` on ``data_dir`` (the index is already built and published):
    seconds from spawn to /readyz, then warm latency over HTTP per question kind and the
    server's RSS (now and peak)."""
    import os
    import tempfile

    import httpx

    from eval.load import rss_mb
    from eval.servers import ServeProcess

    env = {**os.environ, "RADSLAG_DATA_DIR": str(data_dir), "RADSLAG_CHROMA__COLLECTION": collection,
           "RADSLAG_API__RATE_LIMIT_PER_MINUTE": "0"}
    env.pop("RADSLAG_CHROMA_URL", None)
    env.pop("RADSLAG_CHROMA__URL", None)
    with tempfile.TemporaryDirectory(prefix="radslag-scale-serve-") as tmp:
        server = ServeProcess(env, Path(tmp) / "serve.log", ingest_if_empty=False)
        started = time.perf_counter()
        try:
            server.start(600)
            ready_s = time.perf_counter() - started
            pid = server.pid
            assert pid is not None
            rss_ready = rss_mb(pid)
            times: dict[str, list[float]] = {"direct": [], "aggregate": [], "refuse": []}
            with httpx.Client(base_url=server.url, timeout=120) as client:
                client.post("/api/ask", json={"question": questions[0]}).raise_for_status()
                first_answer_s = time.perf_counter() - started
                for q in questions[1:3]:
                    client.post("/api/ask", json={"question": q}).raise_for_status()
                for _ in range(rounds):
                    for q in questions:
                        t0 = time.perf_counter()
                        r = client.post("/api/ask", json={"question": q})
                        r.raise_for_status()
                        times.setdefault(r.json().get("strategy", "direct"), []).append(time.perf_counter() - t0)
            rss_now, rss_peak = rss_mb(pid), rss_mb(pid, "VmHWM")
        finally:
            server.stop()
    rss = {"rss_mb": rss_now, "rss_ready_mb": rss_ready, "rss_peak_mb": rss_peak}
    plain = times["direct"] + times["refuse"]
    agg = times["aggregate"]
    return {"scale": factor, "chunks": chunks, "ready_s": round(ready_s, 2), "first_answer_s": round(first_answer_s, 2),
            **{k: None if v is None else round(v, 1) for k, v in rss.items()},
            "n": len(plain), "p50_s": _pct_s(plain, 50), "p95_s": _pct_s(plain, 95),
            "agg_n": len(agg), "agg_p50_s": _pct_s(agg, 50), "agg_p95_s": _pct_s(agg, 95)}


def scale_curve(corpus: Corpus, factors: Sequence[int], questions: Sequence[str], workdir: Path, emit: Any = None) -> list[dict[str, Any]]:
    """For each factor: build the enlarged Chroma, publish its snapshot (what an ingest does),
    then serve it and measure. Each point's store is deleted before the next is built."""
    import shutil

    out = []
    for factor in factors:
        data_dir = workdir / f"scale-{factor}"
        store, docs, build_s = build_index(corpus, factor, data_dir / "chroma", collection="radslag")
        t0 = time.perf_counter()
        snapshot_store(store, docs, data_dir / "index" / "radslag").sync()
        snapshot_s = time.perf_counter() - t0
        chunks = store.count()
        del store, docs
        point = {**serve_point(factor, chunks, data_dir, "radslag", questions), "chroma_build_s": round(build_s, 1),
                 "snapshot_build_s": round(snapshot_s, 2)}
        log.info("scale %dx: %s", factor, point)
        out.append(point)
        if emit:
            emit(point)
        shutil.rmtree(data_dir, ignore_errors=True)
    return out


def run_scale_cli(settings: Any, largest: int, out: Path, as_json: bool = False) -> list[dict[str, Any]]:
    """``radslag bench --scale N``: the serving curve at 1x, 10x, 100x … up to N (each point
    printed as it completes; with ``--json`` one JSON object per line), a plot and a JSON
    file in ``out``. The copied corpus is the real index (ingested first when empty)."""
    import json
    import tempfile

    from eval.gold import load_gold
    from radslag.components import Components

    comps = Components(settings)
    if comps.store.count() == 0:
        comps.ingestor.ingest([settings.corpus_dir])
    corpus = Corpus.read(comps.store)
    factors = [f for f in (1, 10, 100, 1000, 10000) if f < largest] + [largest]
    gold = Path(__file__).with_name("data") / "gold-dev.jsonl"
    questions = [i.question for i in load_gold(gold)]
    out.mkdir(parents=True, exist_ok=True)

    def emit(point: dict[str, Any]) -> None:
        if as_json:
            print(json.dumps(point), flush=True)
        else:
            print(f"{point['scale']:>5}x {point['chunks']:>7} chunks: ready {point['ready_s']:.1f} s, RSS {point['rss_mb']} MB "
                  f"(peak {point['rss_peak_mb']}), p95 {point['p95_s']} s, aggregation p95 {point['agg_p95_s']} s; "
                  f"Chroma build {point['chroma_build_s']} s, snapshot {point['snapshot_build_s']} s", flush=True)

    with tempfile.TemporaryDirectory(prefix="radslag-scale-", dir=settings.data_dir) as tmp:
        points = scale_curve(corpus, factors, questions, Path(tmp), emit)
    (out / "scale.json").write_text(json.dumps(points, indent=2), encoding="utf-8")
    plot_curve(points, out / "scale.png")
    return points


def plot_curve(points: Sequence[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chunks = [p["chunks"] for p in points]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    axes[0].plot(chunks, [p["p95_s"] or 0 for p in points], marker="o", label="non-aggregation p95")
    axes[0].plot(chunks, [p["agg_p95_s"] or 0 for p in points], marker="o", label="aggregation p95")
    axes[0].set(xscale="log", xlabel="chunks", ylabel="seconds", title="warm answer latency (HTTP)")
    axes[1].plot(chunks, [p["ready_s"] for p in points], marker="o", label="start to ready")
    axes[1].plot(chunks, [p["snapshot_build_s"] for p in points], marker="o", label="snapshot build (at ingest)")
    axes[1].plot(chunks, [p["chroma_build_s"] for p in points], marker="o", label="Chroma upsert")
    axes[1].set(xscale="log", yscale="log", xlabel="chunks", ylabel="seconds", title="build and start")
    axes[2].plot(chunks, [p["rss_mb"] or 0 for p in points], marker="o", label="server RSS after the questions")
    axes[2].plot(chunks, [p["rss_peak_mb"] or 0 for p in points], marker="o", label="server peak RSS")
    axes[2].set(xscale="log", xlabel="chunks", ylabel="MB", title="memory")
    for ax in axes:
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
