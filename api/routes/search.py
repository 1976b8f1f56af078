"""Passages without an answer: Rådslag's hybrid retrieval through its LangChain retriever."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import VisibilityDep
from api.deps import ComponentsDep, SettingsDep
from api.responses import JSON_BODY, RATE_LIMITED, UNAVAILABLE
from api.schemas import SearchRequest, SearchResponse, check_length, scoped_filters
from rag.langchain import document_to_retrieved

router = APIRouter(prefix="/api", tags=["ask"])


@router.post(
    "/search",
    response_model=SearchResponse,
    summary="Retrieve the passages that best match a query (hybrid dense + BM25), without an answer",
    responses=JSON_BODY | RATE_LIMITED | UNAVAILABLE,
)
def search(body: SearchRequest, settings: SettingsDep, components: ComponentsDep, visibility: VisibilityDep) -> SearchResponse:
    check_length(body.query, settings.api.max_question_chars, ("body", "query"))
    filters = scoped_filters(body.filters, visibility)
    docs = components.langchain_retriever.invoke(body.query, filters=filters, k=body.k)
    return SearchResponse(query=body.query, passages=[document_to_retrieved(d) for d in docs])
