"""What is indexed: documents (with cleaned text for highlighting) and committees."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Path

from api import catalog
from api.auth import VisibilityDep
from api.deps import ComponentsDep
from api.responses import NOT_FOUND, UNAVAILABLE
from api.schemas import CommitteeInfo, DocumentDetail, DocumentInfo

router = APIRouter(prefix="/api", tags=["documents"])
DocId = Path(pattern=r"^[A-Za-z0-9_.-]{1,100}$", description="A document id, as in citations' doc_id.")


@router.get("/documents", response_model=list[DocumentInfo], summary="Indexed documents", responses=UNAVAILABLE)
def list_documents(components: ComponentsDep, visibility: VisibilityDep) -> list[DocumentInfo]:
    return [DocumentInfo(**d) for d in catalog.documents(components, visibility)]


@router.get(
    "/documents/{doc_id}",
    response_model=DocumentDetail,
    summary="One document: metadata and cleaned text (citations' char_start/char_end index into `text`)",
    responses=NOT_FOUND | UNAVAILABLE,
)
def get_document(components: ComponentsDep, visibility: VisibilityDep, doc_id: str = DocId) -> DocumentDetail:
    doc = catalog.document(components, doc_id, visibility)
    if doc is None:
        raise HTTPException(404, f"no document {doc_id!r}")
    return DocumentDetail(**doc)


@router.get(
    "/committees", response_model=list[CommitteeInfo], summary="Committees with indexed passages", responses=UNAVAILABLE
)
def list_committees(components: ComponentsDep, visibility: VisibilityDep) -> list[CommitteeInfo]:
    return [CommitteeInfo(**c) for c in catalog.committees(components, visibility)]
