"""The pairwise sentence ranker learns what tells sentences of one question apart."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from rag.ranking import PairwiseRanker, pairs


def _questions(seed: int, n: int = 600, size: int = 8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Questions of ``size`` sentences. Feature 0 marks the answer within a question. Feature
    1 (like a passage's retrieval score) has a level shared by a question's sentences that is
    high when the question has an answer at all, and varies within a question at random."""
    rng = np.random.default_rng(seed)
    x, y, g = [], [], []
    for q in range(n):
        level = rng.normal()
        answer = rng.integers(size) if level > 1 else -1
        for s in range(size):
            x.append([rng.normal(1.0 if s == answer else 0.0, 0.5), 2.0 * level + rng.normal()])
            y.append(int(s == answer))
            g.append(q)
    return np.array(x), np.array(y), np.array(g)


def _top1(scores: np.ndarray, y: np.ndarray, g: np.ndarray) -> float:
    hits = [y[idx[np.argmax(scores[idx])]] for q in np.unique(g) if y[idx := np.flatnonzero(g == q)].any()]
    return float(np.mean(hits))


def test_pairs_hold_every_answer_against_every_other_sentence_of_its_group() -> None:
    x = np.array([[1.0], [0.0], [0.5], [2.0], [3.0]])
    y = np.array([1, 0, 0, 1, 0])
    g = np.array([0, 0, 0, 1, 2])  # group 1 has no non-answer, group 2 no answer: no pairs
    diffs, labels = pairs(x, y, g)
    assert len(diffs) == 2
    # A pair labelled 1 is (answer − other); labelled 0, its negation.
    assert sorted((d[0] if lab else -d[0]) for d, lab in zip(diffs, labels, strict=True)) == [0.5, 1.0]
    assert set(labels.tolist()) == {0, 1}


def test_the_ranker_orders_sentences_within_a_question_by_what_marks_the_answer() -> None:
    x, y, g = _questions(0)
    ranker = PairwiseRanker().fit(x, y, g)
    weights = ranker.ranker_.coef_[0] / ranker.scale_.scale_
    # Feature 0 carries the order; feature 1 tells questions apart, not their sentences.
    assert weights[0] > 5 * abs(weights[1])
    # Fitted pointwise, the same data teaches feature 1 (questions with an answer score high
    # on it), whose within-question noise then misorders sentences.
    pointwise = LogisticRegression(max_iter=5000).fit(x, y)
    assert pointwise.coef_[0][1] > 0.1 * pointwise.coef_[0][0]
    tx, ty, tg = _questions(1)
    paired, single = _top1(ranker.predict_proba(tx)[:, 1], ty, tg), _top1(pointwise.predict_proba(tx)[:, 1], ty, tg)
    assert paired > single + 0.05


def test_probabilities_are_calibrated_and_follow_the_ranking() -> None:
    x, y, g = _questions(2)
    ranker = PairwiseRanker().fit(x, y, g)
    p = ranker.predict_proba(x)
    assert p.shape == (len(y), 2)
    assert np.allclose(p.sum(axis=1), 1.0)
    # Calibrated on the training rows: the mean probability is the answer rate.
    assert abs(p[:, 1].mean() - y.mean()) < 0.01
    order = np.argsort(ranker._raw(x))
    assert np.all(np.diff(p[order, 1]) >= -1e-12)


def test_without_any_group_to_rank_it_says_so() -> None:
    x = np.array([[1.0], [2.0]])
    with pytest.raises(ValueError, match="no question"):
        PairwiseRanker().fit(x, np.array([1, 0]), np.array([0, 1]))
