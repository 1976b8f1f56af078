"""Admin: upload, delete, reindex documents and set their visibility (admin token or an admin's session)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, File, Form, HTTPException, UploadFile

from api.deps import ComponentsDep, SettingsDep, require_admin
from api.responses import ADMIN, BAD_BODY, JSON_BODY, NOT_FOUND, REF, UNAVAILABLE, error
from api.routes.documents import DocId
from api.schemas import DeleteResult, ReindexResult, UploadResult, Visibility, VisibilityResult, VisibilityUpdate
from ingest.loaders import SUPPORTED_SUFFIXES
from ingest.pipeline import doc_id_for, expand_paths
from radslag import library
from radslag.library import DocumentError, uploads_dir

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["admin"], dependencies=[Depends(require_admin)], responses=ADMIN)
STATUS: dict[str, int] = {"unsupported": 415, "empty": 422, "too_large": 413, "unreadable": 422, "not_found": 404}


def _http(exc: DocumentError) -> HTTPException:
    return HTTPException(STATUS[exc.problem], exc.message)


@router.post(
    "/documents",
    response_model=UploadResult,
    status_code=201,
    summary=f"Upload and index one document ({', '.join(SUPPORTED_SUFFIXES)})",
    responses={
        413: error("File too large."),
        415: error("Unsupported file type."),
        422: {
            "description": "Empty or unreadable file (nothing was indexed), or an invalid form.",
            "content": {
                "application/json": {
                    "schema": {"anyOf": [{"$ref": REF.format(model=m)} for m in ("ErrorDetail", "HTTPValidationError")]}
                }
            },
        },
    }
    | BAD_BODY
    | UNAVAILABLE,
)
def upload_document(
    settings: SettingsDep,
    components: ComponentsDep,
    file: UploadFile = File(...),
    visibility: Visibility = Form("internal", description="public: citizens see it too; internal: officials only."),
) -> UploadResult:
    try:
        result = library.add_document(settings, components, file.filename or "", file.file, visibility)
    except DocumentError as exc:
        raise _http(exc) from exc
    return UploadResult(
        doc_id=result.doc_id, source=result.source, status=result.status, chunks=result.chunks, committees=result.committees
    )


@router.delete(
    "/documents/{doc_id}",
    response_model=DeleteResult,
    summary="Remove a document and its passages from the index",
    responses=NOT_FOUND | UNAVAILABLE,
)
def delete_document(settings: SettingsDep, components: ComponentsDep, doc_id: str = DocId) -> DeleteResult:
    try:
        n = library.delete_document(settings, components, doc_id)
    except DocumentError as exc:
        raise _http(exc) from exc
    return DeleteResult(doc_id=doc_id, chunks_deleted=n)


@router.patch(
    "/documents/{doc_id}",
    response_model=VisibilityResult,
    summary="Set a document's visibility (public: citizens see it too; internal: officials only)",
    responses=NOT_FOUND | JSON_BODY | UNAVAILABLE,
)
def set_visibility(body: VisibilityUpdate, components: ComponentsDep, doc_id: str = DocId) -> VisibilityResult:
    try:
        n = library.set_visibility(components, doc_id, body.visibility)
    except DocumentError as exc:
        raise _http(exc) from exc
    return VisibilityResult(doc_id=doc_id, visibility=body.visibility, chunks=n)


@router.post(
    "/reindex",
    response_model=ReindexResult,
    summary="Re-ingest the corpus folder and uploads (changed files only)",
    responses=UNAVAILABLE,
)
def reindex(settings: SettingsDep, components: ComponentsDep) -> ReindexResult:
    with library.writing(settings):
        report = components.ingestor.ingest([settings.corpus_dir] if settings.corpus_dir.exists() else [])
        # Uploads keep the visibility they were given (internal when the index no longer knows them).
        for upload in expand_paths([uploads_dir(settings)] if uploads_dir(settings).exists() else []):
            record = components.documents.get(doc_id_for(upload)) or {}
            more = components.ingestor.ingest([upload], visibility=str(record.get("visibility", "internal")))
            report.files.extend(more.files)
    return ReindexResult(report=report.as_dict(), chunks=components.store.count())
