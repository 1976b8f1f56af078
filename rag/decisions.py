"""Learned decisions of the answer engine, trained on the question bank (``radslag train``).

Small scikit-learn models replace hand-set rules and thresholds:

- ``kind``: what the question wants (fact, a list of items, a number, yes/no, a summary, a
  comparison, a list of committees, the missing replies, a count of committees, of missing
  replies or of replies), from the
  question's wording (character and word n-grams, committee names masked);
- ``answerable``: answer or refuse, from how well the retrieved evidence covers the question;
- ``sentence``: which sentence of the retrieved passages states the answer;
- ``member``: for "which committees …", whether a committee's best evidence meets the condition;
- ``verdict``: yes or no, from the evidence a yes/no answer quotes;
- ``extra``: whether a list of items or a comparison also cites a passage after its best one;
- ``addressed`` and ``stance``: a committee's position on a measure, for the remiss overview;
- ``name``: whether a phrase such as "the labour market committee" names the committee whose
  name is nearest to it in e5.

Features are similarities, coverages, positions, answer-type matches and section kinds
(:mod:`rag.features`), never the identities of this corpus's words, so the models carry over
to new documents. The artefact is one joblib file committed in ``rag/models/``, loaded once
at start; ``radslag train`` rebuilds it deterministically in about five minutes on 2 cores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_PATH = Path(__file__).resolve().parent / "models" / "decisions.joblib"

#: Kinds of answer a question wants. Direct kinds quote one passage (or a few, for a
#: summary); committee kinds consult every committee's reply.
KINDS = (
    "fact", "items", "numeric", "yes_no", "summary", "compare", "committees", "missing", "count", "count_missing",
    "count_replied", "replied", "did_reply",
)
COMMITTEE_KINDS = frozenset({"committees", "missing", "count", "count_missing", "count_replied", "replied"})
NUMBER_KINDS = frozenset({"numeric", "count", "count_missing", "count_replied"})


@dataclass
class Decisions:
    """The fitted models with the feature names each expects, in order."""

    kind: Any
    kind_text: Any  # the question's wording → sparse features (the kind model also reads its e5 vector)
    answerable: Any
    sentence: Any
    member: Any
    verdict: Any
    features: dict[str, list[str]]
    answer_type: Any = None  # what the answer looks like (date, amount, …), from the same inputs as ``kind``
    #: Remiss overview (:mod:`rag.overview`): is a committee's best evidence about the measure,
    #: and which stance its deciding sentences take.
    addressed: Any = None
    stance: Any = None
    #: Does a phrase like "the labour market committee" name the committee nearest in e5?
    name: Any = None
    #: How often each kind wants each answer type, relative to the type's share (rows follow
    #: ``kind.classes_``, columns ``answer_type.classes_``; see :meth:`kind_of`).
    kind_type: Any = None
    #: Does a list of items or a comparison also cite this passage after its best one?
    extra: Any = None
    #: Decision thresholds, learned on train from out-of-fold probabilities (``radslag train``).
    thresholds: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    # -- one decision each ---------------------------------------------------------------
    def kind_of(self, text: str, qvec: np.ndarray, types: Mapping[str, float] | None = None) -> tuple[str, float]:
        """The kind a question wants and its probability.

        Two models read the question: the kind model and the answer-type model, which also
        learnt from questions written for it alone. Their opinions are combined as a product
        of experts, P(kind | q) · Σ_t P(t | q) · P(t | kind) / P(t), with P(t | kind) counted on
        the train questions: "What is the reference number of the … consultation?" is no
        count of replies when it so clearly wants an identifier (out of fold on train, kind
        accuracy 0.812 → 0.831, no question the kind model got right lost; 0.828 once the
        answer-type model also learnt from the second round of typed questions). ``types``:
        :meth:`answer_type_of` for the same text, when the caller has it already.
        """
        x = kind_matrix(self.kind_text, [text], qvec[None, :])
        probs = self.kind.predict_proba(x)[0]
        if self.kind_type is not None and self.answer_type is not None:
            if types is None:
                typed = self.answer_type.predict_proba(x)[0]
            else:
                typed = np.array([types.get(str(c), 0.0) for c in self.answer_type.classes_])
            probs = probs * (np.asarray(self.kind_type) @ typed)
            probs = probs / probs.sum()
        best = int(np.argmax(probs))
        return str(self.kind.classes_[best]), float(probs[best])

    def answer_type_of(self, text: str, qvec: np.ndarray) -> dict[str, float]:
        """Probability of each answer type (:data:`rag.features.ANSWER_TYPES`) for a question."""
        if self.answer_type is None:
            return {"other": 1.0}
        probs = self.answer_type.predict_proba(kind_matrix(self.kind_text, [text], qvec[None, :]))[0]
        return {str(c): float(p) for c, p in zip(self.answer_type.classes_, probs, strict=True)}

    def p_answerable(self, feats: Mapping[str, float]) -> float:
        return float(self.answerable.predict_proba(self._matrix("answerable", [feats]))[0, 1])

    def answerable_at(self, p: float) -> bool:
        return p >= self.thresholds.get("answerable", 0.5)

    def members(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        """Which committees meet the condition: the set with the highest expected F1 under
        the membership probabilities, less any below the learned floor."""
        return self.chosen(self.p_member(rows))

    def chosen(self, p: np.ndarray) -> np.ndarray:
        """The members among committees with membership probabilities ``p`` (see :meth:`members`)."""
        return expected_f1_set(p) & (p >= self.thresholds.get("member", 0.5))

    def sentence_scores(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        return self.sentence.predict_proba(self._matrix("sentence", rows))[:, 1]

    def p_member(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        return self.member.predict_proba(self._matrix("member", rows))[:, 1]

    def p_name(self, feats: Mapping[str, float]) -> float:
        return float(self.name.predict_proba(self._matrix("name", [feats]))[0, 1])

    def cites_extra(self, feats: Mapping[str, float]) -> bool:
        p = float(self.extra.predict_proba(self._matrix("extra", [feats]))[0, 1])
        return p >= self.thresholds.get("extra", 0.5)

    def p_no(self, feats: Mapping[str, float]) -> float:
        return float(self.verdict.predict_proba(self._matrix("verdict", [feats]))[0, 1])

    def p_addressed(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        self._need("addressed")
        return self.addressed.predict_proba(self._matrix("addressed", rows))[:, 1]

    def stances(self, rows: Sequence[Mapping[str, float]]) -> tuple[list[str], np.ndarray]:
        """The most probable stance of each row and its probability."""
        if not rows:
            return [], np.zeros(0)
        self._need("stance")
        probs = self.stance.predict_proba(self._matrix("stance", rows))
        best = probs.argmax(axis=1)
        return [str(self.stance.classes_[b]) for b in best], probs[np.arange(len(rows)), best]

    def _need(self, model: str) -> None:
        if getattr(self, model, None) is None:
            raise RuntimeError(f"the trained decisions have no {model!r} model: run `radslag train` (it reads eval/data/stance.jsonl)")

    def _matrix(self, model: str, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        names = self.features[model]
        return np.array([[float(r.get(n, 0.0)) for n in names] for r in rows], dtype=np.float64)

    # -- artefact ------------------------------------------------------------------------
    def save(self, path: Path = DEFAULT_PATH) -> None:
        import joblib

        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path, compress=3)


#: How many questions' weight the prior share of each type counts for when P(type | kind)
#: is estimated: a kind with few examples ("how many committees replied", 4 on train) keeps
#: the answer-type model's opinion from weighing much either way. Out of fold on train any
#: value from 0.5 to 8 gives the same kind accuracy.
KIND_TYPE_PRIOR = 1.0


def kind_type_fit(kinds: Sequence[str], types: Sequence[str], kind_classes: Sequence[str], type_classes: Sequence[str]) -> np.ndarray:
    """P(type | kind) / P(type) from labelled questions: the weight :meth:`Decisions.kind_of`
    gives the answer-type model's opinion about each kind. Each kind's type shares are
    shrunk towards the types' overall shares (a Dirichlet prior), so a type never seen with a
    rare kind counts against it instead of being smoothed up to a type it often wants."""
    k_index = {k: i for i, k in enumerate(kind_classes)}
    t_index = {t: j for j, t in enumerate(type_classes)}
    counts = np.zeros((len(kind_classes), len(type_classes)))
    for k, t in zip(kinds, types, strict=True):
        counts[k_index[k], t_index[t]] += 1
    prior = (counts.sum(axis=0) + 0.5) / (counts.sum() + 0.5 * len(type_classes))
    given_kind = (counts + KIND_TYPE_PRIOR * prior) / (counts.sum(axis=1, keepdims=True) + KIND_TYPE_PRIOR)
    return given_kind / prior


def expected_f1_set(p: np.ndarray) -> np.ndarray:
    """The most probable members whose number maximises the expected F1 of the list.

    With independent membership probabilities ``p``, the top-k set's expected F1 is close to
    2·Σ_{i≤k} p_(i) / (k + Σ p) (Jansche 2007; Ye et al. 2012, "Optimizing F-measures"); how
    many committees a list names follows from the probabilities themselves, not from one fixed
    cut that suits questions with two members and fails those with one or nine.
    """
    chosen = np.zeros(len(p), dtype=bool)
    if not len(p):
        return chosen
    order = np.argsort(-p, kind="stable")
    expected = 2 * np.cumsum(p[order]) / (np.arange(1, len(p) + 1) + p.sum())
    chosen[order[: int(np.argmax(expected)) + 1]] = True
    return chosen


#: Weight of the e5 question vector beside the n-gram features (chosen by cross-validation
#: on the train split: 0.5–4 tried, 2 best).
VECTOR_WEIGHT = 2.0


def kind_matrix(vectorizer: Any, texts: Sequence[str], vectors: np.ndarray) -> Any:
    from scipy.sparse import csr_matrix, hstack

    return hstack([vectorizer.transform(list(texts)), csr_matrix(np.asarray(vectors) * VECTOR_WEIGHT)]).tocsr()


def load_decisions(path: Path = DEFAULT_PATH) -> Decisions:
    """The committed artefact; a clear error when it is missing (run ``radslag train``)."""
    import joblib

    if not path.is_file():
        raise FileNotFoundError(f"No trained decisions at {path}: run `radslag train` (it reads eval/data/bank.jsonl).")
    loaded = joblib.load(path)
    if not isinstance(loaded, Decisions):
        raise TypeError(f"{path} does not hold the answer engine's decisions")
    return loaded
