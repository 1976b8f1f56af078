"""Kill `radslag ingest` mid-write (SIGKILL), re-run, and check the index is exactly right."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.ingest.conftest import components_for, copy_docs

RADSLAG = Path(sys.executable).parent / "radslag"


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RADSLAG_")}
    env.update(RADSLAG_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    return env


def _rows_written(data_dir: Path) -> int:
    """Records Chroma has logged so far (read-only peek at its SQLite write-ahead log)."""
    db = data_dir / "chroma" / "chroma.sqlite3"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return int(con.execute("SELECT count(*) FROM embeddings_queue").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_sigkill_mid_ingest_then_rerun(tmp_path: Path, corpus_dir: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    files = copy_docs(corpus_dir, corpus, "000_", "001_", "002_", "003_", "004_")
    data_dir = tmp_path / "data"

    proc = subprocess.Popen(
        [str(RADSLAG), "ingest", str(corpus), "--json"], env=_env(data_dir),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 600
    while _rows_written(data_dir) < 40 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, f"ingest ended before it could be killed: {proc.stderr.read().decode()[-2000:]}"  # type: ignore[union-attr]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # Another replica, meanwhile: it answers from registered documents only, in both indexes.
    other = components_for(data_dir, embedder)
    snap = other.retriever.snapshot()
    registered = {doc_id for doc_id, _ in other.documents.all()}
    assert {m["doc_id"] for m in snap.metas} <= registered
    assert len(snap.lexical.ids) == len(snap.ids) == len(snap.vectors)
    qvec = embedder.embed_query_vector("Vad säger nämnderna om facilitatorer?")
    assert all(p.meta["doc_id"] in registered for p in other.retriever.dense(qvec, 20, None))

    rerun = subprocess.run(
        [str(RADSLAG), "ingest", str(corpus), "--json"], env=_env(data_dir),
        capture_output=True, text=True, timeout=1800,
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    report = json.loads(rerun.stdout)
    assert report["skipped"] == []
    assert report["indexed"] + report["unchanged"] == len(files)

    # What a clean ingest must produce: the chunk ids parsing gives for every file.
    comps = components_for(data_dir, embedder)
    expected: dict[str, set[str]] = {}
    for path in files:
        parsed = comps.ingestor.parse(path)
        expected[parsed.doc_id] = {c.id for c in parsed.chunks}
    all_expected = set().union(*expected.values())

    stored = list(comps.store.iter_chunks())
    ids = [c.id for c in stored]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes
    assert set(ids) == all_expected, (len(set(ids) - all_expected), len(all_expected - set(ids)))
    assert comps.store.count() == len(all_expected)
    for doc_id, chunk_ids in expected.items():
        assert set(comps.store.ids_for_doc(doc_id)) == chunk_ids
        record = comps.documents.get(doc_id)
        assert record is not None and record["n_chunks"] == len(chunk_ids)

    # The stored vectors are usable: a query finds the passage it was made from.
    probe = next(c for c in stored if len(c.text) > 200)
    hits = comps.store.query(embedder.embed_passages([probe.text])[0], 3)
    assert probe.id in [h.id for h, _ in hits]

    inspect = subprocess.run(
        [str(RADSLAG), "inspect", "--json"], env=_env(data_dir), capture_output=True, text=True, timeout=300
    )
    assert inspect.returncode == 0, inspect.stderr[-3000:]
    listed = {d["doc_id"]: d["chunks"] for d in json.loads(inspect.stdout)["documents"]}
    assert listed == {doc_id: len(chunk_ids) for doc_id, chunk_ids in expected.items()}

    again = subprocess.run(
        [str(RADSLAG), "ingest", str(corpus), "--json"], env=_env(data_dir), capture_output=True, text=True, timeout=600
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads(again.stdout)["chunks_added"] == 0

    # The published snapshot (what replicas load) agrees with Chroma: the same chunks, one
    # lexical row and one vector per chunk, and the registry's fingerprint.
    published = comps.snapshots.load_current()
    assert published is not None
    assert sorted(published.ids) == sorted(all_expected)
    assert len(published.lexical.ids) == len(published.vectors) == len(all_expected)
    assert published.fingerprint == comps.snapshots.fingerprint()
