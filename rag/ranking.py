"""A linear ranker learnt from pairs within a question, calibrated to probabilities.

The answer-sentence model chooses among the sentences retrieved for one question. Fitted
pointwise (is this sentence an answer, across all questions), a logistic regression also
learns what separates easy questions from hard ones: the passage's retrieval rank, which is
high for every sentence of an easy question's top passage, outweighed a sentence's e5
similarity to the question. Fitted on differences between an answer sentence and a non-answer
sentence of the same question (RankSVM's reduction, Herbrich et al. 2000, with a logistic
loss), it learns only what tells sentences of one question apart. A one-feature logistic
regression over its scores then gives probabilities, which the answerability features and
the summary's "at least half the best" cut read.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler


class PairwiseRanker:
    """``fit(x, y, groups)``; ``predict_proba(x)`` like a scikit-learn classifier."""

    def __init__(self, c: float = 1.0) -> None:
        self.c = c

    def fit(self, x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> PairwiseRanker:
        self.scale_ = StandardScaler().fit(x)
        xs = self.scale_.transform(x)
        diffs, labels = pairs(xs, np.asarray(y), np.asarray(groups))
        if len(set(labels.tolist())) < 2:
            raise ValueError("no question has both an answer sentence and another sentence to rank")
        # No intercept: a pair's order is antisymmetric in its two sentences.
        self.ranker_ = LogisticRegression(C=self.c, max_iter=5000, fit_intercept=False).fit(diffs, labels)
        self.calibration_ = LogisticRegression(max_iter=5000).fit(self._raw(x)[:, None], y)
        self.classes_ = np.array([0, 1])
        return self

    def _raw(self, x: np.ndarray) -> np.ndarray:
        return self.scale_.transform(x) @ self.ranker_.coef_[0]

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return self.calibration_.predict_proba(self._raw(np.asarray(x))[:, None])


def pairs(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (answer, non-answer) pair of each group as a difference of rows, the sign
    alternating so both labels occur (deterministic: no sampling)."""
    diffs, labels = [], []
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        pos, neg = idx[y[idx] == 1], idx[y[idx] == 0]
        for i, p in enumerate(pos):
            for j, n in enumerate(neg):
                flip = (i + j) % 2
                diffs.append(x[n] - x[p] if flip else x[p] - x[n])
                labels.append(0 if flip else 1)
    if not diffs:
        return np.zeros((0, x.shape[1])), np.zeros(0, dtype=int)
    return np.asarray(diffs), np.asarray(labels)
