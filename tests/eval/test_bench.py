"""The scale-curve machinery on a 2x copy of the session index (the full bench is `radslag bench`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from eval.scale import STAGES, Corpus, copy_meta, perturbed, scale_point


def test_copies_are_distinct_documents_with_nearby_unit_vectors(components) -> None:  # type: ignore[no-untyped-def]
    corpus = Corpus.read(components.store)
    meta = corpus.metas[0]
    assert copy_meta(meta, 0) == meta
    copy = copy_meta(meta, 3)
    assert copy["doc_id"] != meta["doc_id"] and copy["source"] != meta["source"]
    assert copy["committee"] == meta["committee"]
    moved = perturbed(corpus.vectors, 3)
    assert np.allclose(np.linalg.norm(moved, axis=1), 1.0, atol=1e-4)
    cos = np.sum(moved * corpus.vectors, axis=1)
    assert cos.min() > 0.99 and cos.max() < 1.0


def test_scale_point_reports_stages_for_both_question_kinds(components, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = Corpus.read(components.store)
    questions = ["Vilka nämnder vill samordna informationen om nyanlända centralt?",
                 "Hur använder Hässelby-Vällingby musik i arbetet med unga?"]
    point = scale_point(corpus, 2, components.embedder, questions, tmp_path / "x2")
    assert point["chunks"] == 2 * len(corpus.ids)
    assert point["chroma_build_s"] > 0 and point["lexical_snapshot_s"] > 0
    for group in ("aggregation", "non_aggregation"):
        stats = point["latency"][group]
        assert stats["n"] == 1
        assert set(STAGES) <= set(stats) and stats["total"]["p50"] > 0


def test_scale_curve_serves_each_point_from_its_published_snapshot(components, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`radslag bench --scale`'s machinery on one 2x point: a real `radslag serve` starts on
    the enlarged index (its snapshot published at build, as an ingest does) and answers."""
    from eval.scale import scale_curve

    corpus = Corpus.read(components.store)
    questions = ["Vilka nämnder vill samordna informationen om nyanlända centralt?",
                 "Hur använder Hässelby-Vällingby musik i arbetet med unga?",
                 "Vad säger förvaltningen om handlingsplanen mot rasism?"]
    emitted: list[dict] = []
    points = scale_curve(corpus, [2], questions, tmp_path, emitted.append)
    assert points == emitted and len(points) == 1
    point = points[0]
    assert point["scale"] == 2 and point["chunks"] == 2 * len(corpus.ids)
    assert 0 < point["ready_s"] <= point["first_answer_s"]
    assert point["rss_mb"] > 100 and point["rss_peak_mb"] >= point["rss_mb"]
    assert point["n"] + point["agg_n"] == 3 * len(questions)  # three warm rounds over HTTP
    assert point["agg_n"] >= 3 and point["p95_s"] > 0 and point["agg_p95_s"] > 0
    assert point["snapshot_build_s"] > 0
    assert not (tmp_path / "scale-2").exists()  # each point's store is removed after it
