"""An opt-in pytest plugin: every embedding jittered a little, as another machine's would be.

CI runs on machines whose float kernels differ from the one the artefact was trained on, so
its index and the learned decisions' inputs differ slightly. A test that asserts a learned
decision sitting on its threshold passes here and fails there (the twenty-second and
twenty-third sessions' submissions each failed CI that way). ``make test-jitter`` runs the
engine's tests with every passage and question vector moved by Gaussian noise of norm
``RADSLAG_TEST_JITTER`` (default 1e-3, far more than kernels differ), seeded by the text so
a run is repeatable. Not part of ``make test``: it checks the tests, not the product.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

import numpy as np

import ingest.embed as embed

SCALE = float(os.environ.get("RADSLAG_TEST_JITTER", "1e-3"))
_passages = embed.SentenceTransformerEmbedder.embed_passages
_query = embed.SentenceTransformerEmbedder.embed_query_vector


def _noise(text: str, dim: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:4], "little")
    return np.random.default_rng(seed).normal(0.0, SCALE / np.sqrt(dim), dim).astype(np.float32)


def _jittered_passages(self: embed.SentenceTransformerEmbedder, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
    vectors = _passages(self, texts, batch_size)
    return vectors + np.stack([_noise(t, vectors.shape[1]) for t in texts]) if len(texts) else vectors


def _jittered_query(self: embed.SentenceTransformerEmbedder, text: str) -> np.ndarray:
    vector = _query(self, text)
    return vector + _noise("query: " + text, vector.shape[0])


embed.SentenceTransformerEmbedder.embed_passages = _jittered_passages  # type: ignore[method-assign]
embed.SentenceTransformerEmbedder.embed_query_vector = _jittered_query  # type: ignore[method-assign]
