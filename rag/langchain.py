"""Rådslag as LangChain parts: a ``BaseRetriever`` and the answer path as a ``Runnable``.

Both are what the project itself uses (``/api/search`` retrieves through
:class:`RadslagRetriever`; ``radslag ask`` and the evaluation runner answer through
:func:`answer_runnable`), so a LangChain user composes the same code paths, e.g.::

    chain = components.langchain_retriever | RunnableLambda(format_docs)
    answer = components.answer_chain.invoke({"question": "…", "filters": {"committee": ["Farsta"]}})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, Required, TypedDict

from langchain.messages import AIMessage, HumanMessage
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.messages import BaseMessage, convert_to_messages
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda

from rag.hybrid import HybridRetriever
from rag.types import Answer, ChatTurn, Filters, Passage, Retrieved

FilterLike = Filters | Mapping[str, Any] | None
# A turn: Rådslag's ChatTurn, a LangChain message, ("human", "…") or {"role": "user", "content": "…"}.
TurnLike = ChatTurn | BaseMessage | tuple[str, str] | Mapping[str, Any]


def to_filters(value: FilterLike) -> Filters | None:
    if value is None or isinstance(value, Filters):
        return value
    return Filters.model_validate(dict(value))


def narrow(base: Filters | None, extra: Filters | None) -> Filters | None:
    """``extra`` applied on top of ``base``; visibility can only be narrowed, never widened
    (a retriever made for citizens stays public-only whatever a call asks for)."""
    if base is None or extra is None:
        return extra if base is None else base
    update = {k: v for k, v in extra.model_dump().items() if v is not None and k != "visibility"}
    merged = base.model_copy(update=update)
    if extra.visibility is not None:
        allowed = extra.visibility if base.visibility is None else [v for v in base.visibility if v in extra.visibility]
        merged = merged.model_copy(update={"visibility": allowed})
    return merged


def passage_metadata(p: Passage) -> dict[str, Any]:
    """What a citation needs, under the names of the answer contract."""
    return {
        "chunk_id": p.id,
        "doc_id": p.doc_id,
        "source": str(p.meta.get("source", "")),
        "title": str(p.meta.get("title", "")),
        "committee": p.committee,
        "section_path": str(p.meta.get("section_path", "")),
        "page": p.page,
        "char_start": p.meta.get("char_start"),
        "char_end": p.meta.get("char_end"),
        "score": round(float(p.score), 6),
    }


def document_to_retrieved(doc: Document) -> Retrieved:
    m = doc.metadata
    return Retrieved(
        chunk_id=m["chunk_id"], doc_id=m["doc_id"], source=m["source"], committee=m["committee"],
        section_path=m["section_path"], page=m["page"], text=doc.page_content, score=m["score"],
    )


class RadslagRetriever(BaseRetriever):
    """Rådslag's hybrid retrieval (dense e5 + Swedish BM25, fused by RRF) as a LangChain retriever.

    ``invoke(query)`` returns the top ``k`` passages as ``Document``s whose metadata carries
    ``doc_id``, ``committee``, ``section_path``, ``page``, ``chunk_id``, ``score`` (the fused
    score) and the citation's other fields. ``filters`` (committee, document, pages,
    visibility) restrict every call; ``invoke(query, filters=…, k=…)`` narrows one call further.
    """

    hybrid: HybridRetriever
    k: int = 10
    filters: Filters | None = None

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        filters: FilterLike = None,
        k: int | None = None,
    ) -> list[Document]:
        scope = narrow(self.filters, to_filters(filters))
        if scope is not None and scope.visibility is not None and not scope.visibility:
            return []  # nothing visible (an empty list would otherwise mean "no restriction")
        qvec = self.hybrid.embed_query(query)
        passages = self.hybrid.retrieve(query, qvec, k or self.k, scope)
        return [Document(page_content=p.text, metadata=passage_metadata(p), id=p.id) for p in passages]


class AskInput(TypedDict, total=False):
    """The answer Runnable's input (a plain string is taken as the question)."""

    question: Required[str]
    history: Sequence[TurnLike] | None
    filters: FilterLike
    id: str | None


class Asks(Protocol):
    def ask(
        self,
        question: str,
        history: list[ChatTurn] | None = None,
        filters: Filters | None = None,
        id: str | None = None,  # noqa: A002 - the answer contract's name
    ) -> Answer: ...


def to_turns(history: Sequence[TurnLike] | None) -> list[ChatTurn] | None:
    """Rådslag's turns from any message-like history; system and tool messages are skipped."""
    if not history:
        return None
    turns = []
    for item in history:
        if isinstance(item, ChatTurn):
            turns.append(item)
            continue
        msg = convert_to_messages([item])[0]  # type: ignore[list-item]
        if isinstance(msg, HumanMessage | AIMessage):
            turns.append(ChatTurn("user" if isinstance(msg, HumanMessage) else "assistant", msg.text))
    return turns or None


def answer_runnable(asker: Asks, name: str = "radslag") -> Runnable[AskInput | str, Answer]:
    """The answer path as a Runnable: ``{"question", "history", "filters", "id"}`` → ``Answer``.

    ``invoke`` gives exactly what ``asker.ask`` gives (the same call, with the history and
    filters converted); ``batch`` and LCEL composition come from LangChain.
    """

    def answer(value: AskInput | str) -> Answer:
        data: AskInput = {"question": value} if isinstance(value, str) else value
        return asker.ask(data["question"], to_turns(data.get("history")), to_filters(data.get("filters")), id=data.get("id"))

    return RunnableLambda(answer, name=name)
