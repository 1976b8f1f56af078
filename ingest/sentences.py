"""Sentence vectors, computed once at ingest and stored with their chunk.

The answer engine ranks the sentences of retrieved passages; their e5 similarity to the
question is its best cross-lingual signal, and embedding sentences per question would cost
~20 ms each. So each chunk carries its sentences' vectors (float16, base64) in one metadata
field, written in the same upsert as the chunk itself — a chunk never exists without them.
The sentences are those :func:`rag.text.split_sentences` gives the answer engine.

Beside them, the chunk's word vectors (``ingest.token_states``: every word of its sentences,
in order) in a second field, for the retrieval rerank's question-to-passage word alignment.
They are computed sentence by sentence, as the alignment was measured; the field starts
with the vectors' width, so a reader needs no encoder to decode it.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import numpy as np

from ingest.embed import Embedder
from ingest.token_states import WordEncoder
from rag.text import section_title, split_sentences

FIELD = "sentence_vectors"
WORDS_FIELD = "word_vectors"


def chunk_sentences(text: str, section_path: str) -> list[str]:
    """The sentences of a chunk as the answer engine reads them (heading stripped)."""
    return split_sentences(text, section_title(section_path))


def encode(vectors: np.ndarray) -> str:
    return base64.b64encode(np.asarray(vectors, dtype=np.float16).tobytes()).decode("ascii")


def decode(field: str, dim: int) -> np.ndarray:
    raw = np.frombuffer(base64.b64decode(field), dtype=np.float16)
    return raw.reshape(-1, dim).astype(np.float32)


def sentence_fields(embedder: Embedder, texts: Sequence[str], section_paths: Sequence[str]) -> list[str]:
    """One encoded matrix per chunk (rows = its sentences), from one embedding call."""
    per_chunk = [chunk_sentences(t, s) for t, s in zip(texts, section_paths, strict=True)]
    flat = [s for sents in per_chunk for s in sents]
    vectors = embedder.embed_passages(flat) if flat else np.zeros((0, embedder.dim), dtype=np.float32)
    out, at = [], 0
    for sents in per_chunk:
        out.append(encode(vectors[at : at + len(sents)]))
        at += len(sents)
    return out


def encode_words(vectors: np.ndarray) -> str:
    return f"{vectors.shape[1]}:{encode(vectors)}"


def decode_words(field: str) -> np.ndarray:
    """A chunk's word vectors as float16 (they are only ever compared, never summed)."""
    dim, _, data = field.partition(":")
    return np.frombuffer(base64.b64decode(data), dtype=np.float16).reshape(-1, int(dim))


def word_fields(encoder: WordEncoder, texts: Sequence[str], section_paths: Sequence[str]) -> list[str]:
    """One encoded matrix per chunk: the word vectors of its sentences, one after another."""
    out = []
    for text, path in zip(texts, section_paths, strict=True):
        words = [encoder.words(s, is_query=False) for s in chunk_sentences(text, path)]
        out.append(encode_words(np.concatenate(words) if words else np.zeros((0, encoder.dim), np.float32)))
    return out
