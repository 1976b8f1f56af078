"""Rådslag through LangChain's own interfaces: Embeddings, BaseRetriever in LCEL, the answer Runnable."""

from __future__ import annotations

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from rag.types import Answer, ChatTurn, Filters

FACILITATORS = "Vilka nämnder vill att facilitatorer samordnas centralt?"
CITATION_KEYS = {"chunk_id", "doc_id", "source", "committee", "section_path", "page", "score"}


def format_docs(docs: list[Document]) -> str:
    """The classic RAG-tutorial step: passages as numbered, attributed context."""
    return "\n\n".join(
        f"[{n}] {d.metadata['committee'] or '-'} · {d.metadata['section_path']} ({d.metadata['doc_id']}, s. {d.metadata['page']})\n"
        f"{d.page_content}"
        for n, d in enumerate(docs, start=1)
    )


def _comparable(answer: Answer) -> dict:
    return answer.model_dump(exclude={"latency_s", "timings"})


def test_embedder_meets_the_embeddings_contract(embedder) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(embedder, Embeddings)
    query = embedder.embed_query("Hur används musik i integrationsarbetet?")
    assert type(query) is list and len(query) == embedder.dim
    assert all(type(x) is float for x in query)
    docs = embedder.embed_documents(["Musik används som verktyg.", "Budgeten är 7781 tusen kronor."])
    assert type(docs) is list and len(docs) == 2
    assert all(type(v) is list and len(v) == embedder.dim and all(type(x) is float for x in v) for v in docs)
    # Same vectors as the numpy path rag/ uses, normalised; query and passage prompts differ.
    vector = embedder.embed_query_vector("Hur används musik i integrationsarbetet?")
    assert isinstance(vector, np.ndarray) and vector.dtype == np.float32
    assert np.allclose(query, vector) and abs(np.linalg.norm(query) - 1.0) < 1e-3
    assert not np.allclose(embedder.embed_documents(["Hur används musik i integrationsarbetet?"])[0], query)
    assert embedder.embed_documents([]) == []


def test_lcel_chain_over_the_retriever_gives_cited_passages(components) -> None:  # type: ignore[no-untyped-def]
    retriever = components.langchain_retriever
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke(FACILITATORS)
    assert 0 < len(docs) <= components.settings.retrieval.top_k
    known = {doc_id for doc_id, _ in components.documents.all()}
    for d in docs:
        assert d.metadata.keys() >= CITATION_KEYS
        assert d.id == d.metadata["chunk_id"] and d.metadata["doc_id"] in known
    assert any(d.metadata["committee"] for d in docs)
    assert [d.metadata["score"] for d in docs] == sorted((d.metadata["score"] for d in docs), reverse=True)
    assert any("facilitator" in d.page_content.lower() for d in docs)

    prompt = ChatPromptTemplate.from_messages(
        [("system", "Svara bara utifrån källorna och ange [n].\n\n{context}"), ("human", "{question}")]
    )
    chain = {"context": retriever | RunnableLambda(format_docs), "question": RunnablePassthrough()} | prompt
    messages = chain.invoke(FACILITATORS).to_messages()
    context = messages[0].content
    assert messages[1].content == FACILITATORS
    first = docs[0]
    assert f"[1] {first.metadata['committee'] or '-'} · {first.metadata['section_path']} ({first.metadata['doc_id']}" in context
    assert first.page_content in context


def test_retriever_honours_filters_and_visibility(components) -> None:  # type: ignore[no-untyped-def]
    retriever = components.langchain_retriever
    committee = next(d.metadata["committee"] for d in retriever.invoke(FACILITATORS) if d.metadata["committee"])
    scoped = retriever.invoke(FACILITATORS, filters={"committee": [committee]}, k=3)
    assert scoped and len(scoped) <= 3 and {d.metadata["committee"] for d in scoped} == {committee}
    # The session index is all public: a public-only retriever still finds; an internal-only finds nothing.
    public = retriever.model_copy(update={"filters": Filters(visibility=["public"])})
    assert [d.id for d in public.invoke(FACILITATORS)] == [d.id for d in retriever.invoke(FACILITATORS)]
    internal = retriever.model_copy(update={"filters": Filters(visibility=["internal"])})
    assert internal.invoke(FACILITATORS) == []
    # A call can narrow the retriever's visibility, never widen it.
    assert public.invoke(FACILITATORS, filters=Filters(visibility=["internal"])) == []
    assert public.invoke(FACILITATORS, filters={"visibility": ["public", "internal"]})


def test_answer_runnable_is_the_pipeline(components, pipeline) -> None:  # type: ignore[no-untyped-def]
    chain = components.answer_chain
    assert isinstance(chain, Runnable)
    assert _comparable(chain.invoke(FACILITATORS)) == _comparable(pipeline.ask(FACILITATORS))

    turns = [
        ChatTurn("user", "Vilka community centers finns redan i Enskede-Årsta-Vantör?"),
        ChatTurn("assistant", "Rågsveds CC och Östberga CC [1]"),
    ]
    expected = pipeline.ask("och i Rinkeby-Kista?", history=turns, id="f1")
    assert any(c.committee == "Rinkeby-Kista" for c in expected.citations)
    as_messages = [HumanMessage(turns[0].content), AIMessage(turns[1].content)]
    as_dicts = [{"role": t.role, "content": t.content} for t in turns]
    for history in (turns, as_messages, as_dicts):
        got = chain.invoke({"question": "och i Rinkeby-Kista?", "history": history, "id": "f1"})
        assert _comparable(got) == _comparable(expected)

    question = "Vad säger Farsta om samverkan?"
    filtered = chain.invoke({"question": question, "filters": {"committee": ["Farsta"]}})
    assert _comparable(filtered) == _comparable(pipeline.ask(question, filters=Filters(committee=["Farsta"])))
    assert all(c.committee == "Farsta" for c in filtered.citations)
