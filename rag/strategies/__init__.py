"""Answer strategies: one module each, one protocol (:class:`Strategy`).

The dispatcher is :class:`rag.pipeline.RagPipeline`: it asks the strategies in order, and the
first whose ``gather`` takes the question (by the plan's learned kind and the committees it
names) answers it; the direct strategy takes whatever is left.
"""

from rag.strategies.base import Asked, Gathered, Strategy
from rag.strategies.committees import CommitteesStrategy
from rag.strategies.compare import CompareStrategy
from rag.strategies.direct import DirectPolicy, DirectStrategy
from rag.strategies.measures import MeasuresStrategy
from rag.strategies.missing import MissingRepliesStrategy
from rag.strategies.replies import RepliesStrategy
from rag.strategies.reply_count import ReplyCountStrategy
from rag.strategies.reply_exists import ReplyExistsStrategy

__all__ = [
    "Asked",
    "CommitteesStrategy",
    "CompareStrategy",
    "DirectPolicy",
    "DirectStrategy",
    "Gathered",
    "MeasuresStrategy",
    "MissingRepliesStrategy",
    "RepliesStrategy",
    "ReplyCountStrategy",
    "ReplyExistsStrategy",
    "Strategy",
]
