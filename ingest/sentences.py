"""Sentence vectors, computed once at ingest and stored with their chunk.

The answer engine ranks the sentences of retrieved passages; their e5 similarity to the
question is its best cross-lingual signal, and embedding sentences per question would cost
~20 ms each. So each chunk carries its sentences' vectors (float16, base64) in one metadata
field, written in the same upsert as the chunk itself — a chunk never exists without them.
The sentences are those :func:`rag.text.split_sentences` gives the answer engine.

Beside them, the chunk's word vectors (``ingest.token_states``: every word of its sentences,
in order) in a second field, for the retrieval rerank's question-to-passage word alignment.
They are computed sentence by sentence (each sentence its own context), as the alignment
was measured, in the same forward pass that gives the sentence's vector; the field starts
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


def vector_fields(
    embedder: Embedder, words: WordEncoder | None, texts: Sequence[str], section_paths: Sequence[str]
) -> tuple[list[str], list[str] | None]:
    """Each chunk's sentence-vector field and, with a word encoder, its word-vector field.

    When the word encoder pools as the embedder does (the bundled e5 both), one forward pass
    per sentence gives both: the pooled states are the sentence vector (cosine 0.9999+ with
    the embedder's), so the embedder's own pass over the sentences is skipped; a sentence cut
    at the model's window still gets the embedder's sliding-window vector.
    """
    per_chunk = [chunk_sentences(t, s) for t, s in zip(texts, section_paths, strict=True)]
    flat = [s for sents in per_chunk for s in sents]
    encoded = words.encode(flat, is_query=False) if words is not None else []
    if encoded and words is not None and words.pools_as(embedder):
        vectors = np.array([e.vector for e in encoded], dtype=np.float32)
        cut = [i for i, e in enumerate(encoded) if not e.whole]
        if cut:
            vectors[cut] = embedder.embed_passages([flat[i] for i in cut])
    else:
        vectors = embedder.embed_passages(flat) if flat else np.zeros((0, embedder.dim), dtype=np.float32)
    sentence_out, word_out, at = [], [], 0
    for sents in per_chunk:
        sentence_out.append(encode(vectors[at : at + len(sents)]))
        if words is not None:
            rows = [e.word_vectors for e in encoded[at : at + len(sents)]]
            word_out.append(encode_words(np.concatenate(rows) if rows else np.zeros((0, words.dim), np.float32)))
        at += len(sents)
    return sentence_out, (word_out if words is not None else None)


def encode_words(vectors: np.ndarray) -> str:
    return f"{vectors.shape[1]}:{encode(vectors)}"


def decode_words(field: str) -> np.ndarray:
    """A chunk's word vectors as float16 (they are only ever compared, never summed)."""
    dim, _, data = field.partition(":")
    return np.frombuffer(base64.b64decode(data), dtype=np.float16).reshape(-1, int(dim))
