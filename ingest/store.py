"""The vector store: one Chroma collection, embedded or client/server.

Embeddings are always computed by our embedder and passed in; the collection has no
embedding function of its own (Chroma's default one would try to download a model).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

log = logging.getLogger(__name__)

# Metadata keys every chunk carries (see ingest.chunk.Chunk.metadata).
CHUNK_FIELDS = (
    "doc_id", "source", "title", "committee", "section_path", "measure", "page",
    "chunk_index", "char_start", "char_end", "content_hash", "reply_missing",
)


@dataclass
class StoredChunk:
    id: str
    text: str
    metadata: dict[str, Any]


def make_client(url: str | None, path: Path) -> Any:
    """``HttpClient`` for a ``chroma run`` server when ``url`` is set, else embedded."""
    import chromadb
    from chromadb.config import Settings as ChromaConfig

    config = ChromaConfig(anonymized_telemetry=False)
    if url:
        parsed = urlparse(url if "://" in url else f"http://{url}")
        return chromadb.HttpClient(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 8000,
            ssl=parsed.scheme == "https",
            settings=config,
        )
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=config)


class ChunkStore:
    """Chunks with embeddings and metadata in a Chroma collection (cosine distance)."""

    def __init__(self, client: Any, collection: str = "radslag") -> None:
        self.client = client
        self.name = collection
        self._collection = client.get_or_create_collection(
            collection, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )

    @property
    def collection(self) -> Any:
        return self._collection

    def count(self) -> int:
        return int(self._collection.count())

    def heartbeat(self) -> bool:
        try:
            self.client.heartbeat()
            return True
        except Exception:  # noqa: BLE001 - any transport failure means "not ready"
            return False

    def ensure_reachable(self) -> None:
        """Raise the transport error (→ 503 in the API) when the store does not answer."""
        self.client.heartbeat()

    def upsert(
        self,
        ids: Sequence[str],
        embeddings: np.ndarray,
        documents: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
    ) -> None:
        if not ids:
            return
        self._collection.upsert(
            ids=list(ids),
            embeddings=np.asarray(embeddings, dtype=np.float32),
            documents=list(documents),
            metadatas=list(metadatas),
        )

    def delete_ids(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), 500):
            self._collection.delete(ids=list(ids[start : start + 500]))

    def delete_doc(self, doc_id: str) -> int:
        ids = self.ids_for_doc(doc_id)
        self.delete_ids(ids)
        return len(ids)

    def ids_for_doc(self, doc_id: str) -> list[str]:
        return list(self._collection.get(where={"doc_id": doc_id}, include=[])["ids"])

    def metadatas_for_doc(self, doc_id: str) -> list[dict[str, Any]]:
        got = self._collection.get(where={"doc_id": doc_id}, include=["metadatas"])
        return [dict(m or {}) for m in got["metadatas"]]

    def iter_chunks(self, where: dict[str, Any] | None = None, batch: int = 1000) -> Iterator[StoredChunk]:
        """Every stored chunk (text + metadata), paged so large collections stream."""
        offset = 0
        while True:
            got = self._collection.get(
                where=where, include=["documents", "metadatas"], limit=batch, offset=offset
            )
            ids = got["ids"]
            if not ids:
                return
            for cid, doc, meta in zip(ids, got["documents"], got["metadatas"], strict=True):
                yield StoredChunk(cid, doc or "", dict(meta or {}))
            offset += len(ids)
            if len(ids) < batch:
                return

    def query(
        self, embedding: np.ndarray, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[StoredChunk, float]]:
        """Top-k chunks by cosine similarity (1 - distance), best first."""
        n = self.count()
        if n == 0:
            return []
        res = self._collection.query(
            query_embeddings=[np.asarray(embedding, dtype=np.float32)],
            n_results=min(k, n),
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        out: list[tuple[StoredChunk, float]] = []
        for cid, doc, meta, dist in zip(
            res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
        ):
            out.append((StoredChunk(cid, doc or "", dict(meta or {})), 1.0 - float(dist)))
        return out

    def reset(self) -> None:
        self.client.delete_collection(self.name)
        self._collection = self.client.get_or_create_collection(
            self.name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )
