"""Swedish BM25 over the chunks in the store.

Tokens are lower-cased, stop-worded and Snowball-stemmed (Swedish). Swedish writes compounds
as one word ("stadsdelsnämnd", "facilitatorsfunktion"), so a long token is also split into
parts that are themselves words of the corpus (with or without the linking "s"), and each
part is indexed too: a query for "nämnd" then finds "stadsdelsnämnden".
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
from scipy import sparse

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


class BM25Index:
    """BM25 (Okapi, k1=1.5, b=0.75) over a fixed list of chunk ids, with row masks."""

    def __init__(self, ids: Sequence[str], texts: Sequence[str], k1: float = 1.5, b: float = 0.75) -> None:
        self.ids = list(ids)
        self.k1, self.b = k1, b
        token_lists = [raw_tokens(t) for t in texts]
        vocab_words = Counter(w for toks in token_lists for w in toks)
        self.decompounder = Decompounder(w for w, n in vocab_words.items() if n >= 1)
        docs = [self._analyse(toks) for toks in token_lists]
        self.term_index: dict[str, int] = {}
        rows, cols, vals = [], [], []
        for r, terms in enumerate(docs):
            for term, tf in Counter(terms).items():
                c = self.term_index.setdefault(term, len(self.term_index))
                rows.append(r)
                cols.append(c)
                vals.append(tf)
        n_docs, n_terms = len(docs), len(self.term_index)
        tf = sparse.csr_matrix((vals, (rows, cols)), shape=(n_docs, max(n_terms, 1)), dtype=np.float32)
        lengths = np.array([len(d) for d in docs], dtype=np.float32)
        avg = float(lengths.mean()) if n_docs else 1.0
        df = np.bincount(cols, minlength=max(n_terms, 1)).astype(np.float32)
        self.idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        # Precompute BM25 term weights per (doc, term), so a query is a sparse column sum.
        tf = tf.tocoo()
        norm = k1 * (1 - b + b * lengths[tf.row] / max(avg, 1e-6))
        weights = tf.data * (k1 + 1) / (tf.data + norm)
        self.matrix = sparse.csc_matrix((weights, (tf.row, tf.col)), shape=tf.shape, dtype=np.float32)

    def sorted_terms_with_prefix(self, prefix: str) -> list[str]:
        if not hasattr(self, "_sorted_terms"):
            self._sorted_terms = sorted(self.term_index)
        i = bisect.bisect_left(self._sorted_terms, prefix)
        out = []
        while i < len(self._sorted_terms) and self._sorted_terms[i].startswith(prefix):
            out.append(self._sorted_terms[i])
            i += 1
        return out

    def _analyse(self, tokens: Sequence[str]) -> list[str]:
        out: list[str] = []
        for tok in tokens:
            out.append(stem(tok))
            out.extend(stem(p) for p in self.decompounder.split(tok))
        return out

    def query_terms(self, query: str) -> list[str]:
        return [t for t in dict.fromkeys(self._analyse(raw_tokens(query))) if t in self.term_index]

    def scores(self, query: str) -> np.ndarray:
        terms = self.query_terms(query)
        if not terms or not self.ids:
            return np.zeros(len(self.ids), dtype=np.float32)
        cols = [self.term_index[t] for t in terms]
        sub = self.matrix[:, cols]
        return np.asarray(sub @ self.idf[cols]).ravel()

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

