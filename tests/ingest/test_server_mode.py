"""Chroma in client/server mode: a real `chroma run` process, the real model, the real pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from radslag.components import Components
from tests.ingest.conftest import ChromaServer, components_for, copy_docs

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(chroma_server: ChromaServer, tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path, embedder):  # type: ignore[no-untyped-def]
    """The four small corpus documents ingested into the server (about 45 chunks)."""
    root = tmp_path_factory.mktemp("served")
    docs = root / "docs"
    copy_docs(corpus_dir, docs, "000_", "001_", "002_", "003_")
    comps = components_for(root / "unused-data-dir", embedder, chroma_url=chroma_server.url)
    report = comps.ingestor.ingest([docs])
    assert [f.status for f in report.files] == ["indexed"] * 4, report.as_dict()
    return comps, docs


def test_settings_select_the_http_client(served: tuple[Components, Path], chroma_server: ChromaServer) -> None:
    comps, _ = served
    assert comps.settings.chroma.url == chroma_server.url
    assert type(comps.client).__name__ != "PersistentClient"  # really talking over HTTP
    assert not (comps.settings.data_dir / "chroma").exists()  # nothing written locally
    assert comps.store.heartbeat()


def test_ask_over_the_server(served: tuple[Components, Path]) -> None:
    comps, docs = served
    answer = comps.pipeline.ask("Hur arbetar Hässelby-Vällingby för att motverka rasism?")
    assert not answer.refused, answer.answer
    assert answer.citations
    stems = {p.stem for p in docs.iterdir()}
    assert all(c.doc_id in stems for c in answer.citations)


def test_a_second_replica_sees_the_same_index(served: tuple[Components, Path], chroma_server: ChromaServer, embedder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    comps, _ = served
    replica = components_for(tmp_path, embedder, chroma_url=chroma_server.url)
    assert replica.store.count() == comps.store.count() > 30
    assert sorted(replica.documents.ids()) == sorted(comps.documents.ids())
    # Its own snapshot folder (no shared volume): built from the server, the same rows.
    assert replica.settings.snapshot_path != comps.settings.snapshot_path
    assert replica.retriever.snapshot().ids == comps.retriever.snapshot().ids


def test_delete_and_reingest(served: tuple[Components, Path]) -> None:
    comps, docs = served
    assert comps.ingestor.ingest([docs]).chunks_added == 0
    doc_id = sorted(p.stem for p in docs.iterdir())[0]
    total = comps.store.count()
    removed = comps.ingestor.delete(doc_id)
    assert removed > 0 and comps.store.ids_for_doc(doc_id) == [] and comps.documents.get(doc_id) is None
    assert comps.store.count() == total - removed

    report = comps.ingestor.ingest([docs])
    assert {f.doc_id: f.status for f in report.files}[doc_id] == "indexed"
    assert comps.store.count() == total
    assert comps.ingestor.ingest([docs]).chunks_added == 0


def test_server_restart_is_survived(served: tuple[Components, Path], chroma_server: ChromaServer) -> None:
    """Stop the server: heartbeat says so. Start it again: the same Components work on."""
    comps, docs = served
    count = comps.store.count()
    chroma_server.stop()
    try:
        assert not comps.store.heartbeat()
    finally:
        chroma_server.start()
    assert comps.store.heartbeat()
    assert comps.store.count() == count
    assert comps.ingestor.ingest([docs]).chunks_added == 0
    answer = comps.pipeline.ask("Vad säger förvaltningen om föräldraengagemang?")
    assert answer.citations
