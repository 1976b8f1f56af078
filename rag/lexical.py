"""Swedish BM25 over the chunks in the store.

Tokens are lower-cased, stop-worded and Snowball-stemmed (Swedish). Swedish writes compounds
as one word ("stadsdelsnämnd", "facilitatorsfunktion"), so a long token is also split into
parts that are themselves words of the corpus (with or without the linking "s"), and each
part is indexed too: a query for "nämnd" then finds "stadsdelsnämnden".
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np

# Measure numbers ("4.3.2") are one token: questions cite them ("åtgärd 6.4.4").
_TOKEN = re.compile(r"\d+(?:\.\d+)+|\w+", re.UNICODE)

# Snowball's Swedish stop list, minus words that carry meaning in committee documents
# (negation and quantity matter for "which committees do not…", "alla nämnder").
_STOPWORDS_SV = frozenset(
    ["alla", "allt", "att", "av", "blev", "bli", "blir", "blivit", "de", "dem", "den", "denna", "deras", "dess", "dessa", "det", "detta", "dig", "din", "dina", "ditt", "du", "där", "då", "efter", "eller", "en", "er", "era", "ert", "ett", "från", "för", "ha", "hade", "han", "hans", "har", "henne", "hennes", "hon", "honom", "hur", "här", "i", "jag", "ju", "kan", "kunde", "man", "med", "mellan", "men", "mig", "min", "mina", "mitt", "mot", "mycket", "ni", "nu", "när", "någon", "något", "några", "och", "om", "oss", "på", "samma", "sedan", "sig", "sin", "sina", "sitta", "själv", "skulle", "som", "så", "sådan", "sådana", "sådant", "till", "under", "upp", "ut", "utan", "vad", "var", "vara", "varför", "varit", "varje", "vars", "vart", "vem", "vi", "vid", "vilka", "vilkas", "vilken", "vilket", "vår", "våra", "vårt", "än", "är", "åt", "över", "också", "ska", "bör"]
)
_STOPWORDS_EN = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "by", "did", "do", "does", "for", "from", "had", "has", "have", "how", "in", "is", "it", "its", "of", "on", "or", "that", "the", "their", "them", "they", "this", "to", "was", "were", "what", "when", "where", "which", "who", "whom", "why", "will", "with", "would", "should", "could", "about", "into", "than", "then", "there", "these", "those"]
)
STOPWORDS = _STOPWORDS_SV | _STOPWORDS_EN


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("swedish")


def stem(word: str) -> str:
    s = _stemmer().stemWord(word)
    # Snowball keeps the adjective/adverb "-t" ("central"/"centralt", "total"/"totalt");
    # dropping it on both sides of the match is harmless where it over-reaches.
    if len(s) >= 6 and s.endswith("t") and not s[-2].isdigit():
        s = s[:-1]
    return s


def raw_tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text.lower()) if len(t) > 1 and t not in STOPWORDS]


class Decompounder:
    """Splits compounds into corpus words: head + (s) + tail, both at least 4 letters."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self.vocab = {w for w in vocabulary if len(w) >= 4}
        # A head is often a form the corpus never writes alone ("lägenhet" in
        # "lägenhetsbeståndet", where the corpus has "lägenheter"): see the linking-s rule.
        self.stems = {stem(w) for w in self.vocab}
        self._cache: dict[str, list[str]] = {}

    def split(self, word: str) -> list[str]:
        if len(word) < 9:
            return []
        if word in self._cache:
            return self._cache[word]
        parts: list[str] = []
        for i in range(4, len(word) - 3):
            head, tail = word[:i], word[i:]
            if tail not in self.vocab and stem(tail) not in self.vocab:
                continue
            if head in self.vocab or (head.endswith("s") and head[:-1] in self.vocab):
                parts = [head.rstrip("s") if head not in self.vocab else head, tail]
                break
            # A head in its compound form ("hälso-" of "hälsa") shares the word's stem; then
            # the tail must be a word the corpus writes as such.
            if len(head) >= 5 and len(tail) >= 6 and tail in self.vocab and stem(head) in self.stems:
                parts = [head, tail]
                break
        if not parts:
            # The linking "s" marks a compound even when the tail is new to the corpus
            # ("lägenhets|beståndet"): split after the longest known head that takes it.
            for i in range(len(word) - 5, 5, -1):
                if word[i - 1] == "s" and stem(word[: i - 1]) in self.stems and len(word[: i - 1]) >= 5:
                    parts = [word[: i - 1], word[i:]]
                    break
        self._cache[word] = parts
        return parts


class Analyzer:
    """Tokens → index terms: Swedish stems, plus the stems of a compound's parts."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = frozenset(w for w in words if len(w) >= 4)
        self.decompounder = Decompounder(self.words)

    def analyse(self, tokens: Sequence[str]) -> list[str]:
        out: list[str] = []
        for tok in tokens:
            out.append(stem(tok))
            out.extend(stem(p) for p in self.decompounder.split(tok))
        return out


def word_ids(texts: Sequence[str], words: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Each text's raw tokens as ids of ``words`` (which new tokens extend), flat + row offsets.
    The index stores these: analysis is a function of the word alone, applied per distinct
    word when the engine is built, so a rebuild re-reads no text."""
    rows = [raw_tokens(t) for t in texts]
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    flat = np.fromiter((words.setdefault(w, len(words)) for r in rows for w in r), dtype=np.int32, count=int(lengths.sum()))
    return flat, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def _gather(flat: np.ndarray, offsets: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``order`` of a ragged array (flat values + row offsets), concatenated."""
    lengths = np.diff(offsets)[order]
    out = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    idx = np.repeat(offsets[:-1][order] - out[:-1], lengths) + np.arange(out[-1], dtype=np.int64)
    return flat[idx], out


def bm25_engine(tokens: np.ndarray, offsets: np.ndarray, words: Sequence[str], k1: float, b: float) -> tuple[bm25s.BM25, Analyzer]:
    """A ``bm25s`` engine over rows of word ids (``tokens`` flat, ``offsets`` per row): every
    distinct word is analysed once (the decompounder knows every word of the corpus), rows
    become term ids in vectorised gathers, and the CSC matrix is filled in a few passes.
    Scores are those of the hand-written index this replaced: Lucene IDF, Okapi saturation
    scaled by k1 + 1."""
    analyzer = Analyzer(words)
    vocab: dict[str, int] = {}
    analysed = [analyzer.analyse([w]) for w in words]
    lens = np.fromiter((len(a) for a in analysed), dtype=np.int64, count=len(analysed))
    per_word = np.fromiter((vocab.setdefault(t, len(vocab)) for a in analysed for t in a), dtype=np.int64, count=int(lens.sum()))
    word_off = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    terms_flat, token_off = _gather(per_word, word_off, np.asarray(tokens, dtype=np.int64))
    row_off = token_off[np.asarray(offsets, dtype=np.int64)]
    n = len(offsets) - 1
    lengths = np.diff(row_off)
    rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
    key, tf = np.unique(terms_flat * max(n, 1) + rows, return_counts=True)
    terms, docs = key // max(n, 1), key % max(n, 1)
    df = np.bincount(terms, minlength=len(vocab))
    idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
    avg = float(lengths.mean()) if n else 1.0
    norm = k1 * (1 - b + b * lengths[docs] / max(avg, 1e-6))
    engine = bm25s.BM25(k1=k1, b=b, method="lucene")
    engine.scores = {
        "data": (idf[terms] * tf * (k1 + 1) / (tf + norm)).astype(np.float32),
        "indices": docs.astype(np.int32),
        "indptr": np.concatenate([[0], np.cumsum(df)]).astype(np.int64),
        "num_docs": n,
    }
    engine.vocab_dict = vocab
    engine.unique_token_ids_set = set(vocab.values())
    engine.nonoccurrence_array = None  # only BM25L/BM25+ use it; index() would have set it
    return engine, analyzer


class BM25Index:
    """Swedish BM25 (k1=1.5, b=0.75) over a fixed list of chunk ids, with row masks.

    The scores live in a ``bm25s`` engine (CSC matrix, saved and memory-mapped by ``bm25s``);
    this class owns the Swedish analysis around it."""

    def __init__(self, ids: Sequence[str], texts: Sequence[str], k1: float = 1.5, b: float = 0.75) -> None:
        vocab: dict[str, int] = {}
        tokens, offsets = word_ids(texts, vocab)
        words = list(vocab)
        engine, analyzer = bm25_engine(tokens, offsets, words, k1, b)
        self._init(ids, engine, analyzer, words)

    @classmethod
    def from_engine(cls, ids: Sequence[str], engine: bm25s.BM25, analyzer: Analyzer, words: Sequence[str]) -> BM25Index:
        index = cls.__new__(cls)
        index._init(ids, engine, analyzer, words)
        return index

    def _init(self, ids: Sequence[str], engine: bm25s.BM25, analyzer: Analyzer, words: Sequence[str]) -> None:
        self.ids = list(ids)
        self.engine, self.analyzer = engine, analyzer
        self.words = list(words)  # the corpus's raw words, in the id order rows are stored in
        self.decompounder = analyzer.decompounder
        self.term_index: dict[str, int] = engine.vocab_dict
        n, df = len(self.ids), np.diff(np.asarray(engine.scores["indptr"]))
        self.idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        self.median_idf = float(np.median(self.idf)) if len(self.idf) else 1.0

    def save(self, folder: Path) -> None:
        self.engine.save(str(folder / "bm25"), show_progress=False)
        (folder / "words.json").write_text(json.dumps(self.words, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, ids: Sequence[str]) -> BM25Index:
        """Memory-mapped: a replica reads the index an ingest wrote without building it."""
        engine = bm25s.BM25.load(str(folder / "bm25"), mmap=True, show_progress=False)
        words = json.loads((folder / "words.json").read_text(encoding="utf-8"))
        return cls.from_engine(ids, engine, Analyzer(words), words)

    def sorted_terms_with_prefix(self, prefix: str) -> list[str]:
        if not hasattr(self, "_sorted_terms"):
            self._sorted_terms = sorted(self.term_index)
        i = bisect.bisect_left(self._sorted_terms, prefix)
        out = []
        while i < len(self._sorted_terms) and self._sorted_terms[i].startswith(prefix):
            out.append(self._sorted_terms[i])
            i += 1
        return out

    def analyse(self, tokens: Sequence[str]) -> list[str]:
        """The index's terms for raw tokens: stemmed and decompounded as the texts were."""
        return self.analyzer.analyse(tokens)

    def word_idf(self, words: Sequence[str]) -> np.ndarray:
        """How specific each word is to the texts that use it: the highest IDF of its terms
        (stemmed, decompounded), or the median IDF for a word the corpus never uses (an
        English word, say: neither common nor rare by what the index can tell)."""
        out = []
        for word in words:
            ids = [self.term_index[t] for t in self.analyse([word]) if t in self.term_index]
            out.append(float(self.idf[ids].max()) if ids else self.median_idf)
        return np.asarray(out, dtype=np.float32)

    def query_terms(self, query: str) -> list[str]:
        return [t for t in dict.fromkeys(self.analyse(raw_tokens(query))) if t in self.term_index]

    def scores(self, query: str) -> np.ndarray:
        terms = self.query_terms(query)
        if not terms or not self.ids:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.engine.get_scores_from_ids([self.term_index[t] for t in terms]), dtype=np.float32)

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top-k (row, score) with score > 0, restricted to rows where ``mask`` is True."""
        s = self.scores(query)
        if mask is not None:
            s = np.where(mask, s, 0.0)
        k = min(k, int((s > 0).sum()))
        if k <= 0:
            return []
        top = np.argpartition(-s, k - 1)[:k]
        top = top[np.argsort(-s[top])]
        return [(int(i), float(s[i])) for i in top]
