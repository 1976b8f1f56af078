"""The peer baseline: the LangChain tutorial pipeline on the same packages and model.

Raw files → ``RecursiveCharacterTextSplitter(1000, 200)`` → ``langchain_chroma.Chroma``
(collection "baseline", its own persist dir) → top-4 similarity search → the chunks
concatenated as the answer, each cited. No cleaning, no structure, no refusal.

The answer's ``retrieved`` holds the top 10 of the same search, so recall@k compares the
two retrievers at the same depth; answer and citations use the tutorial's top 4.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path

from langchain_core.documents import Document

from ingest.embed import SentenceTransformerEmbedder
from ingest.loaders import SUPPORTED_SUFFIXES, load
from ingest.pipeline import doc_id_for, expand_paths
from rag.query import detect_language
from rag.types import Answer, Citation, Filters, Retrieved

log = logging.getLogger(__name__)

COLLECTION = "baseline"
CHUNK_SIZE, CHUNK_OVERLAP = 1000, 200
ANSWER_K, RETRIEVE_K = 4, 10


def _manifest(files: list[Path]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


class BaselinePipeline:
    """``ask(question, id=...) -> Answer`` like :class:`rag.pipeline.RagPipeline`."""

    def __init__(self, embedder: SentenceTransformerEmbedder, corpus_dir: Path, persist_dir: Path) -> None:
        self.embedder = embedder
        self.corpus_dir = Path(corpus_dir)
        self.persist_dir = Path(persist_dir)
        self._store = None

    @property
    def store(self):  # type: ignore[no-untyped-def]
        if self._store is None:
            self._store = self.build()
        return self._store

    def build(self):  # type: ignore[no-untyped-def]
        """Open the collection, (re)building it when the corpus files changed."""
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        files = [p for p in expand_paths([self.corpus_dir]) if p.suffix.lower() in SUPPORTED_SUFFIXES]
        manifest = _manifest(files)
        marker = self.persist_dir / "manifest.json"
        self.persist_dir.mkdir(parents=True, exist_ok=True)
        store = Chroma(COLLECTION, embedding_function=self.embedder, persist_directory=str(self.persist_dir))
        if marker.exists():
            saved = json.loads(marker.read_text(encoding="utf-8"))
            if saved.get("files") == manifest and saved.get("chunks") == len(store.get(include=[])["ids"]):
                log.info("baseline index reused: %d chunks", saved["chunks"])
                return store
        store.reset_collection()
        started = time.perf_counter()
        docs = [
            Document(page_content=load(p).text, metadata={"source": p.name, "doc_id": doc_id_for(p)}) for p in files
        ]
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
        chunks = splitter.split_documents(docs)
        ids = [f"{c.metadata['doc_id']}-{i}" for i, c in enumerate(chunks)]
        store.add_documents(chunks, ids=ids)
        marker.write_text(json.dumps({"files": manifest, "chunks": len(chunks)}), encoding="utf-8")
        log.info("baseline index built: %d chunks in %.1fs", len(chunks), time.perf_counter() - started)
        return store

    def ask(
        self,
        question: str,
        history: list | None = None,
        filters: Filters | None = None,
        id: str | None = None,  # noqa: A002 - the answer contract's name
    ) -> Answer:
        # The baseline is single-turn: a follow-up is asked as typed (``history`` ignored).
        if filters is not None and not filters.is_empty():
            raise ValueError("the baseline has no metadata to filter on")
        started = time.perf_counter()
        store = self.store
        t0 = time.perf_counter()
        qvec = self.embedder.embed_query(question)  # LangChain's contract: list[float]
        t1 = time.perf_counter()
        hits = store.similarity_search_by_vector_with_relevance_scores(qvec, k=RETRIEVE_K)
        t2 = time.perf_counter()
        retrieved = [
            Retrieved(
                chunk_id=str(doc.id or ""), doc_id=str(doc.metadata.get("doc_id", "")),
                source=str(doc.metadata.get("source", "")), committee="", page=None,
                text=doc.page_content, score=round(1.0 - float(dist) / 2.0, 6),  # squared L2 of unit vectors → cosine
            )
            for doc, dist in hits
        ]
        citations = [
            Citation(
                n=n, chunk_id=r.chunk_id, doc_id=r.doc_id, source=r.source, committee="",
                section_path="", page=None, text=r.text,
            )
            for n, r in enumerate(retrieved[:ANSWER_K], start=1)
        ]
        text = "\n\n".join(f"{c.text} [{c.n}]" for c in citations)
        return Answer(
            id=id, question=question, answer=text, refused=False, language=detect_language(question),
            strategy="direct", citations=citations, retrieved=retrieved,
            latency_s=round(time.perf_counter() - started, 4),
            timings={"embed": round(t1 - t0, 4), "dense": round(t2 - t1, 4), "lexical": 0.0, "rerank": 0.0,
                     "answer": round(time.perf_counter() - t2, 4)},
        )
