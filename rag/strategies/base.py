"""What an answer strategy is: it takes an understood question and gathers the evidence for it.

Answering runs understand → gather evidence → compose. Understanding is shared
(:func:`rag.query.plan`: the learned kind, language and scope) and so is composing (the answer
backend renders any strategy's evidence by its ``kind`` and :class:`Frame`). A strategy does the
middle step for the questions it takes; the dispatcher (:mod:`rag.strategies`) asks them in
order and the first that takes the question answers it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from rag.answer import Evidence, Frame
from rag.query import QueryPlan
from rag.types import Filters, Passage


@dataclass
class Asked:
    """An understood question and what retrieval found for it."""

    qplan: QueryPlan
    qvec: np.ndarray
    #: The asker's filters.
    filters: Filters | None
    #: The committees the question names (or a follow-up names, or its words resolve to).
    named: list[str]
    #: The one committee a question about one committee was narrowed to (else empty).
    scope: list[str]
    #: The reranked passages of the (possibly narrowed) search.
    retrieved: list[Passage]


@dataclass
class Gathered:
    """A strategy's evidence, and what the composer states around it."""

    kind: str
    evidence: list[Evidence]
    frame: Frame
    #: Committees ranked next after a list's members (what an official checks next).
    runners_up: list[Passage] = field(default_factory=list)
    #: Whether the passages cited lead the retrieved list: true for answers built from every
    #: committee's texts, whose evidence is not the search's top passages.
    cited_first: bool = True


@runtime_checkable
class Strategy(Protocol):
    """One way of answering. ``gather`` returns None for a question the strategy does not take
    (the dispatcher then asks the next one)."""

    def gather(self, asked: Asked) -> Gathered | None: ...
