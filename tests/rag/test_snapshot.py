"""The persisted retrieval snapshot: built at ingest, loaded memory-mapped, updated
incrementally, followed by other replicas without a pause, consistent with Chroma."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from radslag.components import Components
from rag.hybrid import HybridRetriever
from rag.lexical import BM25Index
from rag.snapshot import Snapshot, SnapshotStore, lexical_text

QUERIES = ("facilitatorer samordnas centralt", "mentorsverksamhet nyanlända", "handlingsplan mot rasism 6.4.4", "xyzzy")


def _store(components: Components, folder: Path, documents=None) -> SnapshotStore:  # type: ignore[no-untyped-def]
    return SnapshotStore(folder, components.store.collection, documents or components.documents.all)


def _same(a: Snapshot, b: Snapshot) -> None:
    assert a.ids == b.ids
    assert list(a.texts) == list(b.texts)
    assert [dict(m) for m in a.metas] == [dict(m) for m in b.metas]
    assert np.array_equal(np.asarray(a.vectors), np.asarray(b.vectors))
    for q in QUERIES:
        assert np.allclose(a.lexical.scores(q), b.lexical.scores(q), atol=1e-5), q
    for cid in a.ids[:: max(1, len(a.ids) // 20)]:
        va, vb = a.sentence_vectors.get(cid), b.sentence_vectors.get(cid)
        assert (va is None) == (vb is None)
        if va is not None:
            assert np.array_equal(np.asarray(va), np.asarray(vb))


def test_published_snapshot_matches_the_collection(components: Components, tmp_path: Path) -> None:
    snap = _store(components, tmp_path).sync()
    stored = {c.id: c for c in components.store.iter_chunks()}
    assert set(snap.ids) == set(stored) and len(snap.ids) == len(stored)
    assert snap.ids == sorted(snap.ids, key=lambda c: (stored[c].metadata["doc_id"], stored[c].metadata["chunk_index"], c))
    i = len(snap.ids) // 2
    assert snap.texts[i] == stored[snap.ids[i]].text
    assert snap.metas[i]["committee"] == stored[snap.ids[i]].metadata.get("committee")
    assert "sentence_vectors" not in snap.metas[i]
    # BM25 over the same texts, built in memory, scores the same.
    memory = BM25Index(snap.ids, [lexical_text(t, m) for t, m in zip(snap.texts, snap.metas, strict=True)])
    for q in QUERIES:
        assert np.allclose(memory.scores(q), snap.lexical.scores(q), atol=1e-5)
    # Memory-mapped, not copied into the process.
    assert isinstance(snap.vectors, np.memmap)
    assert isinstance(snap.lexical.engine.scores["data"], np.memmap)


def test_sync_is_a_no_op_when_the_registry_is_unchanged(components: Components, tmp_path: Path) -> None:
    store = _store(components, tmp_path)
    first = store.sync()
    again = store.sync()
    assert again.version == first.version
    assert (tmp_path / "CURRENT").read_text() == first.version


def test_incremental_sync_equals_a_full_build(components: Components, tmp_path: Path) -> None:
    records = components.documents.all()
    dropped = max(records, key=lambda r: int(r[1].get("n_chunks", 0)))[0]
    view = {"records": [r for r in records if r[0] != dropped]}
    store = _store(components, tmp_path / "incremental", lambda: view["records"])
    without = store.sync()
    assert dropped not in {m["doc_id"] for m in without.metas}
    assert dropped not in without.documents
    view["records"] = records
    back = store.sync()  # fetches only the dropped document
    assert back.version != without.version
    full = _store(components, tmp_path / "full").sync()
    assert back.fingerprint == full.fingerprint
    _same(back, full)


def test_filters_and_committee_rows_use_the_columns(components: Components, tmp_path: Path) -> None:
    from rag.types import Filters

    snap = _store(components, tmp_path).sync()
    committee = next(m["committee"] for m in snap.metas if m.get("committee") and not m.get("reply_missing"))
    mask = snap.mask(Filters(committee=[committee]))
    assert mask is not None
    assert {snap.metas[i]["committee"] for i in np.flatnonzero(mask)} == {committee}
    rows = snap.committee_rows()
    assert committee in rows
    expected = [i for i, m in enumerate(snap.metas) if m.get("committee") == committee and not m.get("reply_missing")]
    assert list(rows[committee]) == expected
    missing = snap.committee_rows(replies=False)
    assert all(snap.metas[int(r[0])].get("reply_missing") for r in missing.values())
    assert snap.mask(Filters(committee=["Ingen sådan nämnd"])).sum() == 0  # type: ignore[union-attr]


def test_a_second_replica_switches_to_a_new_version_without_waiting(components: Components, tmp_path: Path) -> None:
    records = components.documents.all()
    view = {"records": records[1:]}
    writer = _store(components, tmp_path, lambda: view["records"])
    writer.sync()
    reader = HybridRetriever(components.store, components.embedder, _store(components, tmp_path, lambda: view["records"]), refresh_s=0.1)
    old = reader.snapshot()
    view["records"] = records
    new_version = writer.sync().version  # the replica that took the upload publishes
    t0 = time.monotonic()
    while reader.snapshot().version != new_version and time.monotonic() - t0 < 10:
        assert reader.snapshot() is not None  # answers from the old version meanwhile
        time.sleep(0.05)
    assert reader.snapshot().version == new_version
    assert len(reader.snapshot().ids) > len(old.ids)


class _Interleaved(SnapshotStore):
    """A snapshot store that runs ``during_load`` once while a version is being loaded: the
    moment a replica's own change can land while its follower is busy."""

    during_load = None

    def load(self, version: str) -> Snapshot:
        snap = super().load(version)
        hook, self.during_load = self.during_load, None
        if hook is not None:
            hook()
        return snap


def test_the_follower_never_swaps_in_a_version_older_than_the_own_change(components: Components, tmp_path: Path) -> None:
    records = components.documents.all()
    view = {"records": records[2:]}
    writer = _store(components, tmp_path, lambda: view["records"])
    writer.sync()
    store = _Interleaved(tmp_path, components.store.collection, lambda: view["records"])
    reader = HybridRetriever(components.store, components.embedder, store, refresh_s=0.05)
    reader.snapshot()
    view["records"] = records[1:]
    other = writer.sync().version  # another replica publishes
    own: list[tuple[float, str]] = []

    def own_change() -> None:  # this replica ingests meanwhile and refreshes
        view["records"] = records
        version = reader.refresh().version
        own.append((time.monotonic(), version))

    store.during_load = own_change
    seen: list[tuple[float, str]] = []
    t0 = time.monotonic()
    while time.monotonic() - t0 < 3:
        seen.append((time.monotonic(), reader.snapshot().version))
        time.sleep(0.005)
    assert own, "the follower never loaded the other replica's version"
    changed_at, own_version = own[0]
    assert other not in [v for t, v in seen if t > changed_at], "the follower swapped the older version back in"
    assert reader.snapshot().version == own_version


def test_a_reader_repairs_a_registry_ahead_of_the_published_version(components: Components, tmp_path: Path) -> None:
    records = components.documents.all()
    view = {"records": records[1:]}
    reader = HybridRetriever(components.store, components.embedder, _store(components, tmp_path, lambda: view["records"]), refresh_s=0.1)
    first = reader.snapshot()
    view["records"] = records  # a writer registered a document and died before publishing
    t0 = time.monotonic()
    while reader.snapshot().version == first.version and time.monotonic() - t0 < 20:
        time.sleep(0.05)
    assert reader.snapshot().fingerprint == _store(components, tmp_path).fingerprint()


def test_unregistered_chunks_are_in_no_answer(components: Components, tmp_path: Path) -> None:
    """Chunks whose upload never registered (writer killed) stay out of both indexes."""
    registered = components.documents.all()
    orphan_doc = registered[0][0]
    view = [r for r in registered if r[0] != orphan_doc]
    retriever = HybridRetriever(components.store, components.embedder, _store(components, tmp_path, lambda: view))
    snap = retriever.snapshot()
    text = next(c.text for c in components.store.iter_chunks({"doc_id": orphan_doc}) if len(c.text) > 200)
    qvec = components.embedder.embed_query_vector(text)
    dense = retriever.dense(qvec, 10, None)
    assert dense and all(p.meta.get("doc_id") != orphan_doc for p in dense)
    assert all(snap.metas[i]["doc_id"] != orphan_doc for i, _ in snap.lexical.search(text, 10))


def test_an_unfinished_version_folder_is_ignored(components: Components, tmp_path: Path) -> None:
    store = _store(components, tmp_path)
    published = store.sync()
    (tmp_path / ".tmp-v-crashed").mkdir()
    (tmp_path / ".tmp-v-crashed" / "info.json").write_text(json.dumps({"broken": True}))
    assert store.load_current() is not None
    assert store.current_version() == published.version


@pytest.mark.parametrize("bad", ["", "v-does-not-exist"])
def test_a_dangling_pointer_rebuilds(components: Components, tmp_path: Path, bad: str) -> None:
    store = _store(components, tmp_path)
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "CURRENT").write_text(bad)
    assert store.load_current() is None
    assert len(store.sync().ids) == components.store.count()
