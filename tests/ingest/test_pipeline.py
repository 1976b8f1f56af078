"""Ingestion as a whole: idempotent re-runs, replacement, pruning, bad files skipped safely."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from radslag.components import Components
from tests.ingest.conftest import components_for, copy_docs


def _texts(comps: Components, doc_id: str) -> list[str]:
    return [c.text for c in comps.store.iter_chunks(where={"doc_id": doc_id})]


def test_rerun_is_a_no_op(components: Components, corpus_dir: Path) -> None:
    before = components.store.count()
    report = components.ingestor.ingest([corpus_dir])
    assert report.chunks_added == 0
    assert {f.status for f in report.files} == {"unchanged"}
    assert report.as_dict()["unchanged"] == len(list(corpus_dir.glob("*.txt")))
    assert components.store.count() == before


def test_registry_records_match_the_chunks(components: Components) -> None:
    for doc_id, meta in components.documents.all():
        assert len(components.store.ids_for_doc(doc_id)) == meta["n_chunks"]
        assert meta["file_hash"] and meta["source"].startswith(doc_id)


def test_changed_file_replaces_its_chunks(fresh_components: Callable[..., Components], corpus_dir: Path, tmp_path: Path) -> None:
    comps = fresh_components()
    (path,) = copy_docs(corpus_dir, tmp_path / "docs", "002_")
    first = comps.ingestor.ingest([path])
    assert first.files[0].status == "indexed"
    doc_id = path.stem
    old_ids = set(comps.store.ids_for_doc(doc_id))
    old_sentence = "Stadsdelsnämnden beslutar att som svar på remissen"
    assert any(old_sentence in t for t in _texts(comps, doc_id))

    text = path.read_text(encoding="utf-8").replace(old_sentence, "Nämnden svarar på remissen genom")
    text += "\n\nTillägg\n\nFörvaltningen vill också pröva pilotverksamhet med nattvandrare i Vällingby centrum.\n"
    path.write_text(text, encoding="utf-8")
    second = comps.ingestor.ingest([path])
    assert second.files[0].status == "indexed"

    new_ids = set(comps.store.ids_for_doc(doc_id))
    texts = _texts(comps, doc_id)
    assert len(new_ids) == second.files[0].chunks == comps.documents.get(doc_id)["n_chunks"]  # type: ignore[index]
    assert new_ids != old_ids
    assert not any(old_sentence in t for t in texts), "stale chunks survived"
    assert any("nattvandrare" in t for t in texts)
    assert comps.store.count() == len(new_ids)
    assert comps.ingestor.ingest([path]).files[0].status == "unchanged"


def test_prune_removes_deleted_files(fresh_components: Callable[..., Components], corpus_dir: Path, tmp_path: Path) -> None:
    comps = fresh_components()
    docs = tmp_path / "docs"
    kept, gone = copy_docs(corpus_dir, docs, "002_", "003_")
    comps.ingestor.ingest([docs])
    kept_ids = set(comps.store.ids_for_doc(kept.stem))
    assert comps.store.ids_for_doc(gone.stem)

    gone.unlink()
    assert comps.ingestor.ingest([docs]).pruned == []  # without --prune nothing is deleted
    assert comps.store.ids_for_doc(gone.stem)
    report = comps.ingestor.ingest([docs], prune=True)
    assert report.pruned == [gone.stem]
    assert comps.store.ids_for_doc(gone.stem) == []
    assert comps.documents.get(gone.stem) is None
    assert set(comps.store.ids_for_doc(kept.stem)) == kept_ids
    assert comps.store.count() == len(kept_ids)


def test_bad_files_are_skipped_and_the_index_untouched(
    fresh_components: Callable[..., Components], corpus_dir: Path, tmp_path: Path
) -> None:
    comps = fresh_components()
    docs = tmp_path / "docs"
    (existing,) = copy_docs(corpus_dir, docs, "002_")
    comps.ingestor.ingest([docs])
    ids_before = set(comps.store.ids_for_doc(existing.stem))
    count_before = comps.store.count()

    (docs / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\ngarbage")
    (docs / "empty.txt").write_bytes(b"")
    (docs / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (docs / "budget.xlsx").write_bytes(b"PK\x03\x04 not really a spreadsheet")
    # The already indexed document is overwritten with garbage: its chunks must survive.
    existing.write_bytes(b"\x00\x01\x02\x03" * 100)
    (good,) = copy_docs(corpus_dir, docs, "003_")

    report = comps.ingestor.ingest([docs])
    status = {f.source: f for f in report.files}
    for name in ("broken.pdf", "empty.txt", "binary.txt", "budget.xlsx", existing.name):
        assert status[name].status == "skipped", status[name]
        assert status[name].reason
    assert "empty" in (status["empty.txt"].reason or "")
    assert "binary" in (status["binary.txt"].reason or "")
    assert "unsupported" in (status["budget.xlsx"].reason or "")
    assert "PDF" in (status["broken.pdf"].reason or "")
    assert status[good.name].status == "indexed" and status[good.name].chunks > 0
    assert {s["source"] for s in report.as_dict()["skipped"]} == {
        "broken.pdf", "empty.txt", "binary.txt", "budget.xlsx", existing.name,
    }

    assert set(comps.store.ids_for_doc(existing.stem)) == ids_before
    assert comps.store.count() == count_before + status[good.name].chunks


def test_same_document_id_twice_is_skipped(fresh_components: Callable[..., Components], corpus_dir: Path, tmp_path: Path) -> None:
    """Two files that map to one doc_id would replace each other's chunks on every run."""
    comps = fresh_components()
    docs = tmp_path / "docs"
    (txt,) = copy_docs(corpus_dir, docs, "002_")
    md = txt.with_suffix(".md")
    md.write_text("# Annat dokument\n\nEn helt annan text om parkering i Vällingby centrum.\n", encoding="utf-8")
    report = comps.ingestor.ingest([docs])
    status = {f.source: f for f in report.files}
    assert status[md.name].status == "indexed"  # sorted: .md before .txt
    assert status[txt.name].status == "skipped" and "same document id" in (status[txt.name].reason or "")
    again = comps.ingestor.ingest([docs])
    assert again.chunks_added == 0


def test_chunks_carry_their_words_vectors(components: Components) -> None:
    from ingest.sentences import WORDS_FIELD, chunk_sentences, decode_words
    from ingest.token_states import WORD_DIM

    words = components.words
    assert words is not None
    for chunk in list(components.store.iter_chunks())[:20]:
        stored = decode_words(chunk.metadata[WORDS_FIELD])
        expected = sum(len(words.words(s, False)) for s in chunk_sentences(chunk.text, chunk.metadata.get("section_path", "")))
        assert stored.shape == (expected, WORD_DIM)
    snap = components.retriever.snapshot()
    assert len(snap.word_vectors) == len(snap.ids)  # every chunk has some words
    # Answering reads them from the snapshot; a retrieved passage does not carry them.
    qvec = components.retriever.embed_query("facilitatorer")
    assert all(WORDS_FIELD not in p.meta for p in components.retriever.dense(qvec, 5, None))


def test_one_forward_pass_gives_a_sentences_vector_and_words(components: Components, corpus_dir: Path) -> None:
    """Ingest takes each sentence's vector from the word encoder's pass (the embedder's own
    pass over the sentences is skipped), except for a sentence cut at the model's window,
    which gets the embedder's sliding-window vector."""
    import re

    import numpy as np

    from ingest.sentences import chunk_sentences, decode, decode_words, vector_fields

    embedder, words = components.embedder, components.words
    assert words is not None and words.pools_as(embedder)
    short = "Nämnden tillstyrker förslaget. Mobila team bör samordnas centralt av förvaltningen."
    prose = (corpus_dir / "001_fd26a19eff1d6367.txt").read_text(encoding="utf-8")
    long = " ".join(re.sub(r"[.!?:;]", " ", prose).split()[:900])  # one sentence of 900 words
    (cut,) = words.encode([long], is_query=False)
    assert not cut.whole and float(cut.vector @ embedder.embed_passages([long])[0]) < 0.999
    sentences, word_fields = vector_fields(embedder, words, [short, long], ["", ""])
    assert word_fields is not None
    for text, field, wfield in zip([short, long], sentences, word_fields, strict=True):
        sents = chunk_sentences(text, "")
        similarity = (decode(field, embedder.dim) * embedder.embed_passages(sents)).sum(axis=1)
        assert len(similarity) == len(sents) and similarity.min() > 0.999
        assert len(decode_words(wfield)) == sum(len(e.words) for e in words.encode(sents, is_query=False))
    plain, none = vector_fields(embedder, None, [short], [""])
    assert none is None and np.allclose(decode(plain[0], embedder.dim), embedder.embed_passages(chunk_sentences(short, "")), atol=2e-3)


def test_a_document_indexed_without_word_vectors_is_indexed_again(
    fresh_components: Callable[..., Components], corpus_dir: Path, tmp_path: Path
) -> None:
    (path,) = copy_docs(corpus_dir, tmp_path / "docs", "002_")
    old = fresh_components(embedding={"word_vectors": False})
    assert old.words is None
    assert old.ingestor.ingest([path]).files[0].status == "indexed"
    assert len(old.retriever.snapshot().word_vectors) == 0
    assert old.documents.get(path.stem)["index_format"] == 1  # type: ignore[index]

    # The same data dir with word vectors on: the unchanged file is indexed again, and the
    # published snapshot follows (the registry signature includes what chunks carry).
    new = components_for(old.settings.data_dir, old.embedder)
    report = new.ingestor.ingest([path])
    assert report.files[0].status == "indexed"
    snap = new.retriever.snapshot()
    assert len(snap.word_vectors) == len(snap.ids) > 0
    assert new.ingestor.ingest([path]).files[0].status == "unchanged"
    # An ingestor without word vectors does not undo them.
    assert old.ingestor.ingest([path]).files[0].status == "unchanged"
