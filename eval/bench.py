"""``radslag bench``: ingest throughput vs the model's raw encode rate, warm query latency per
stage, peak memory, and a scale curve (1x/10x/100x; quick: 1x/10x). Nothing touches the
real index: everything is built in a temporary directory.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from eval.gold import load_gold
from eval.scale import STAGES, Corpus, scale_point, snapshot_store
from ingest.pipeline import DocumentRegistry, Ingestor, expand_paths
from ingest.store import ChunkStore, make_client

log = logging.getLogger(__name__)

GOLD = Path(__file__).with_name("data") / "gold-dev.jsonl"
ENCODE_SAMPLE = 64  # passages, evenly spaced over the corpus, for the raw encode rate


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def ingest_throughput(ingestor: Ingestor, corpus_dir: Path, sample: int = ENCODE_SAMPLE) -> dict[str, Any]:
    """Chunks/s of a fresh ingest (parse + embed + store) against the bare model on the same texts."""
    started = time.perf_counter()
    report = ingestor.ingest([corpus_dir])
    seconds = time.perf_counter() - started
    chunks = report.chunks_added
    texts = [c.embedding_text() for p in expand_paths([corpus_dir]) for c in ingestor.parse(p).chunks]
    texts = texts[:: max(1, len(texts) // sample)][:sample]  # a spread sample: the ceiling needs no full pass
    t0 = time.perf_counter()
    ingestor.embedder.embed_passages(texts)
    encode_s = time.perf_counter() - t0
    return {"files": len(report.files), "chunks": chunks, "ingest_s": round(seconds, 3),
            "chunks_per_s": round(chunks / seconds, 2), "encode_passages": len(texts),
            "encode_s": round(encode_s, 3), "encode_per_s": round(len(texts) / encode_s, 2),
            "share_of_ceiling": round((chunks / seconds) / (len(texts) / encode_s), 3)}


def bench_pipeline(store: ChunkStore, docs: DocumentRegistry, embedder: Any, folder: Path, words: Any = None) -> Any:
    """The answer engine over the bench's own store (decisions loaded once for all figures)."""
    from rag.hybrid import HybridRetriever
    from rag.pipeline import RagPipeline

    return RagPipeline(HybridRetriever(store, embedder, snapshot_store(store, docs, folder), words=words))


def overview_latency(pipeline: Any, rounds: int = 2) -> dict[str, Any]:
    """Warm wall time of a remiss overview over every committee of the compilation: each
    measure the replies name, and the same measures' wordings as free-text topics."""
    measures = pipeline.measures()
    queries = [m.measure for m in measures] + [m.text for m in measures if m.text][:10]
    if not queries:
        return {"n": 0}
    pipeline.overview(queries[0])  # warm: snapshot, models
    times, committees = [], 0
    for _ in range(rounds):
        pipeline.retriever.forget_questions()  # each round asks as if for the first time
        for q in queries:
            t0 = time.perf_counter()
            committees = max(committees, len(pipeline.overview(q).rows))
            times.append(time.perf_counter() - t0)
    arr = np.array(times)
    return {"n": len(times), "committees": committees, "p50_s": round(float(np.percentile(arr, 50)), 4),
            "p95_s": round(float(np.percentile(arr, 95)), 4), "max_s": round(float(arr.max()), 4)}


def first_part_latency(pipeline: Any, questions: list[str]) -> dict[str, Any]:
    """Warm time to the first streamed part of an answer (``RagPipeline.stream``, the path of
    /api/ask/stream and /v1 with stream=true), and to the whole answer, with the offline
    backend. (With a generative backend the first part is the first checked sentence.)"""
    list(pipeline.stream(questions[0]))  # warm
    pipeline.retriever.forget_questions()
    first, whole = [], []
    for q in questions:
        t0 = time.perf_counter()
        got_first = None
        for _ in pipeline.stream(q):
            got_first = got_first or time.perf_counter() - t0
        first.append(got_first or 0.0)
        whole.append(time.perf_counter() - t0)
    return {"n": len(first), "first_p50_s": round(float(np.percentile(first, 50)), 4),
            "first_p95_s": round(float(np.percentile(first, 95)), 4), "whole_p95_s": round(float(np.percentile(whole, 95)), 4)}


def run_bench(settings: Any, out: Path, quick: bool = False) -> dict[str, Any]:
    from radslag.components import Components

    started = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    components = Components(settings)
    embedder, words = components.embedder, components.words
    questions = [i.question for i in load_gold(GOLD)]
    factors = (1, 10) if quick else (1, 10, 100)
    # The load average says whether other work shared the cores while we measured.
    result: dict[str, Any] = {"quick": quick, "questions": len(questions), "cpus": os.cpu_count(),
                              "loadavg_start": os.getloadavg(), "rss_mb": {"model_loaded": peak_rss_mb()}}
    with tempfile.TemporaryDirectory(prefix="radslag-bench-") as tmp:
        client = make_client(None, Path(tmp) / "ingest")
        store, docs = ChunkStore(client, "bench"), DocumentRegistry(client, "bench")
        ingestor = Ingestor(store, docs, embedder, settings.embedding.batch_size, words=words)
        result["ingest"] = ingest_throughput(ingestor, settings.corpus_dir)
        result["rss_mb"]["after_ingest"] = peak_rss_mb()
        pipeline = bench_pipeline(store, docs, embedder, Path(tmp) / "index", words)
        result["overview"] = overview_latency(pipeline)
        result["first_part"] = first_part_latency(pipeline, questions)
        corpus = Corpus.read(store)
        result["scale"] = []
        for factor in factors:
            point = scale_point(corpus, factor, embedder, questions, Path(tmp) / f"scale-{factor}", words)
            result["scale"].append(point)
            result["rss_mb"][f"after_scale_{factor}x"] = peak_rss_mb()
    result["rss_mb"]["peak"] = peak_rss_mb()
    result["loadavg_end"] = os.getloadavg()
    result["wall_s"] = round(time.perf_counter() - started, 1)
    (out / "bench.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    plot_scale(result, out / "bench.png")
    print_tables(result, out)
    return result


def plot_scale(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = result["scale"]
    chunks = [p["chunks"] for p in points]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for ax, group in zip(axes[:2], ("non_aggregation", "aggregation"), strict=True):
        for stage in STAGES:
            ax.plot(chunks, [p["latency"][group][stage]["p50"] or 0 for p in points], marker="o", label=f"{stage} p50")
        ax.plot(chunks, [p["latency"][group]["total"]["p95"] or 0 for p in points], "k--", label="total p95")
        ax.set(xscale="log", yscale="log", xlabel="chunks in index", ylabel="seconds", title=f"query latency: {group}")
        ax.legend(fontsize=7)
    axes[2].plot(chunks, [p["chroma_build_s"] for p in points], marker="o", label="Chroma upsert")
    axes[2].plot(chunks, [p["lexical_snapshot_s"] for p in points], marker="o", label="lexical snapshot")
    axes[2].set(xscale="log", yscale="log", xlabel="chunks in index", ylabel="seconds", title="index build")
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def print_tables(result: dict[str, Any], out: Path) -> None:
    """The CLI's own output (rich tables on stdout)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 200)  # keep the table whole in logs
    ing = result["ingest"]
    console.print(
        f"Ingest: {ing['chunks']} chunks in {ing['ingest_s']:.1f}s = {ing['chunks_per_s']:.2f} chunks/s; raw encode "
        f"{ing['encode_per_s']:.2f} passages/s ({ing['encode_passages']} passages) → {ing['share_of_ceiling']:.0%} "
        f"of the model ceiling. Peak RSS {result['rss_mb']['peak']:.0f} MB. Wall {result['wall_s']:.0f}s. "
        f"Load average {result['loadavg_start'][0]:.1f} → {result['loadavg_end'][0]:.1f} on {result['cpus']} CPUs."
    )
    ov = result.get("overview") or {}
    if ov.get("n"):
        console.print(
            f"Remiss overview ({ov['committees']} committees, {ov['n']} warm runs): p50 {ov['p50_s'] * 1000:.0f} ms, "
            f"p95 {ov['p95_s'] * 1000:.0f} ms, max {ov['max_s'] * 1000:.0f} ms."
        )
    fp = result.get("first_part") or {}
    if fp.get("n"):
        console.print(
            f"Streaming ({fp['n']} questions, offline backend): first part p50 {fp['first_p50_s'] * 1000:.0f} ms, "
            f"p95 {fp['first_p95_s'] * 1000:.0f} ms; whole answer p95 {fp['whole_p95_s'] * 1000:.0f} ms."
        )
    table = Table(title="Warm query latency, p50 / p95 ms per stage")
    for col in ("index (chunks)", "questions", "n", *STAGES, "build s", "snapshot s"):
        table.add_column(col, justify="right", no_wrap=True)
    for point in result["scale"]:
        label = f"{point['factor']}x ({point['chunks']})"
        for group, stats in point["latency"].items():
            cells = [f"{1000 * (stats[s]['p50'] or 0):.1f} / {1000 * (stats[s]['p95'] or 0):.1f}" for s in STAGES]
            build = (f"{point['chroma_build_s']:.1f}", f"{point['lexical_snapshot_s']:.1f}")
            table.add_row(label, group, str(stats["n"]), *cells, *build)
    console.print(table)
    console.print(f"Wrote {out / 'bench.json'} and {out / 'bench.png'}.")
