"""The one settings object. Read once in the CLI / app factory and passed down.

Environment variables use the prefix ``RADSLAG_`` and ``__`` for nesting, e.g.
``RADSLAG_CHROMA__URL=http://127.0.0.1:8000`` or the flat shortcut ``RADSLAG_CHROMA_URL``.

``RADSLAG_REDIS_URL`` (e.g. ``redis://127.0.0.1:6379/0``) makes the rate limit and the
failed sign-in counters shared by every replica pointed at the same Redis; unset, each process
counts alone (in memory). A replicated deployment (``--workers N`` or a Redis URL) needs
``RADSLAG_API__SESSION_SECRET`` so that every replica signs and checks sessions with one key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ChromaSettings(BaseModel):
    url: str | None = Field(
        default=None, description="Chroma server URL; unset means embedded PersistentClient."
    )
    collection: str = "radslag"


class EmbeddingSettings(BaseModel):
    batch_size: int = 16
    threads: int = 0  # 0: let the engine decide
    # Threads for numpy's BLAS (0: its default, every core). One: the index's products are
    # small, and OpenBLAS's threads keep spinning after each, which slowed the e5 engine's
    # next forward 2-4x on 2 cores (10x index: question embedding p95 118 -> 31 ms).
    blas_threads: int = 1
    # Word vectors (ingest/token_states.py) for the rerank's word alignment; off: neither
    # ingest nor answering computes them (the rerank falls back to similarity and coverage).
    word_vectors: bool = True

    def worker_environment(self, workers: int, cpus: int | None = None) -> dict[str, str]:
        """What each of ``workers`` serving processes needs in its environment so that their
        e5 engines share the cores: every process's OpenMP runtimes otherwise start a team of
        one thread per core, and teams that outnumber the cores spin at every barrier (four
        processes on two cores encoded a question in 2.8 s each, 75 ms with one thread
        each; docs/journal.md, thirty-sixth session). OMP_NUM_THREADS, since
        the engine, its token-state extension and torch each load an OpenMP runtime of their
        own, and each reads it once, at load."""
        if workers <= 1:
            return {}
        threads = self.threads or max(1, (cpus or os.cpu_count() or 1) // workers)
        return {"RADSLAG_EMBEDDING__THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}


class RetrievalSettings(BaseModel):
    top_k: int = 8
    dense_k: int = 30
    lexical_k: int = 30
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 0.5
    per_committee_k: int = 3


class LLMSettings(BaseModel):
    backend: Literal["extractive", "openai"] = "extractive"
    base_url: str | None = None
    model: str = "gpt-4o-mini"
    api_key: str = "not-needed"
    timeout_s: float = 30.0
    max_tokens: int = Field(default=400, ge=16, le=8192, description="Longest generated answer, in tokens.")
    context_tokens: int = Field(
        default=2048,
        ge=512,
        le=1_048_576,
        description="The endpoint model's context window, in tokens: passages are trimmed around their quotes to fit "
        "it with max_tokens. 2048 is llama.cpp's default; raise it for larger models.",
    )


class ApiSettings(BaseModel):
    admin_token: str | None = None
    rate_limit_per_minute: int = 30
    allowed_origins: list[str] = Field(default_factory=list)
    max_upload_mb: int = 20
    max_question_chars: int = 2000
    log_questions: bool = Field(default=False, description="Log redacted questions to data_dir/logs (off by default).")
    question_log_retention_days: int = 30
    session_secret: str | None = Field(
        default=None, description="HMAC key for officials' session tokens; unset: a random key per process."
    )
    session_ttl_minutes: int = 480


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RADSLAG_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    data_dir: Path = PROJECT_ROOT / "data"
    corpus_dir: Path = PROJECT_ROOT / "data" / "corpus"
    chroma: ChromaSettings = Field(default_factory=ChromaSettings)
    chroma_url: str | None = Field(
        default=None, validation_alias=AliasChoices("RADSLAG_CHROMA_URL", "chroma_url")
    )
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    llm_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("RADSLAG_LLM_BASE_URL", "llm_base_url")
    )
    api: ApiSettings = Field(default_factory=ApiSettings)
    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("RADSLAG_REDIS_URL", "redis_url"),
        description="Redis for limits shared across replicas (rate limit, failed sign-ins); unset: per process, in memory.",
    )
    redis_key_prefix: str = Field(
        default="radslag", description="Prefix of every Redis key, so that several apps or deployments share one Redis."
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the feedback/conversation database; unset: SQLite in data_dir."
    )

    def model_post_init(self, _context: object) -> None:
        # Flat shortcuts named in the design card win over the nested defaults.
        if self.chroma_url:
            self.chroma.url = self.chroma_url
        if self.llm_base_url:
            self.llm.base_url = self.llm_base_url
            self.llm.backend = "openai"

    index_dir: Path | None = Field(
        default=None,
        description="Where the retrieval snapshot (BM25, vectors, columns) is published; replicas of one "
        "deployment share it. Unset: data_dir/index.",
    )

    decisions_path: Path | None = Field(
        default=None,
        description="The answer engine's learned decisions (what `radslag train` writes and every command "
        "reads). Unset: the artefact committed in the repository, rag/models/decisions.joblib.",
    )

    @property
    def snapshot_path(self) -> Path:
        return (self.index_dir or self.data_dir / "index") / self.chroma.collection

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'radslag.db'}"
