"""Admin: upload, delete, reindex documents and set their visibility (admin token or an admin's session)."""

from __future__ import annotations

import logging
import re
import shutil
import threading
import uuid
from pathlib import Path as FsPath

from fastapi import APIRouter, Depends, File, Form, HTTPException, UploadFile

from api.deps import ComponentsDep, SettingsDep, require_admin
from api.responses import ADMIN, BAD_BODY, JSON_BODY, NOT_FOUND, REF, UNAVAILABLE, error
from api.routes.documents import DocId
from api.schemas import DeleteResult, ReindexResult, UploadResult, Visibility, VisibilityResult, VisibilityUpdate
from ingest.loaders import SUPPORTED_SUFFIXES
from ingest.pipeline import doc_id_for, expand_paths
from radslag.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["admin"], dependencies=[Depends(require_admin)], responses=ADMIN)
_write_lock = threading.Lock()  # one index writer at a time in this process


def uploads_dir(settings: Settings) -> FsPath:
    return settings.data_dir / "uploads"


def safe_name(filename: str) -> str:
    """A file name that cannot escape the uploads folder or surprise a shell."""
    name = FsPath(filename.replace("\\", "/")).name
    stem, suffix = FsPath(name).stem, FsPath(name).suffix.lower()
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", stem).strip("._")[:100] or "document"
    return stem + suffix


def _save(upload: UploadFile, target: FsPath, limit: int) -> int:
    size = 0
    with target.open("wb") as out:
        while chunk := upload.file.read(1 << 20):
            size += len(chunk)
            if size > limit:
                raise HTTPException(413, f"file larger than {limit // (1 << 20)} MB")
            out.write(chunk)
    return size


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
    name = safe_name(file.filename or "")
    suffix = FsPath(name).suffix
    if suffix not in SUPPORTED_SUFFIXES:
        raise HTTPException(
            415,
            f"unsupported file type {suffix or '(none)'}: use one of {', '.join(SUPPORTED_SUFFIXES)}",
        )
    # Stage under a unique folder: a failed upload never replaces an earlier good file.
    staging = settings.data_dir / "staging" / uuid.uuid4().hex
    staging.mkdir(parents=True)
    try:
        path = staging / name
        if _save(file, path, settings.api.max_upload_mb << 20) == 0:
            raise HTTPException(422, f"{name}: empty file")
        with _write_lock:
            uploads_dir(settings).mkdir(parents=True, exist_ok=True)
            report = components.ingestor.ingest([path], visibility=visibility)
            result = report.files[0]
            if result.status == "skipped":
                raise HTTPException(422, result.reason or f"{name}: could not be read")
            if result.status == "unchanged":  # same file again: apply the visibility asked for now
                components.ingestor.set_visibility(result.doc_id, visibility)
            path.replace(uploads_dir(settings) / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("uploaded %s as %s (%s, %d chunks)", name, result.doc_id, result.status, result.chunks)
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
    with _write_lock:
        record = components.documents.get(doc_id)
        if record is None:
            raise HTTPException(404, f"no document {doc_id!r}")
        n = components.ingestor.delete(doc_id)
        uploaded = uploads_dir(settings) / safe_name(str(record.get("source", "")))
        if record.get("source") and uploaded.is_file():
            uploaded.unlink()  # or a reindex would bring it back
    return DeleteResult(doc_id=doc_id, chunks_deleted=n)


@router.patch(
    "/documents/{doc_id}",
    response_model=VisibilityResult,
    summary="Set a document's visibility (public: citizens see it too; internal: officials only)",
    responses=NOT_FOUND | JSON_BODY | UNAVAILABLE,
)
def set_visibility(body: VisibilityUpdate, components: ComponentsDep, doc_id: str = DocId) -> VisibilityResult:
    with _write_lock:
        n = components.ingestor.set_visibility(doc_id, body.visibility)
    if n < 0:
        raise HTTPException(404, f"no document {doc_id!r}")
    log.info("visibility of %s set to %s (%d chunks)", doc_id, body.visibility, n)
    return VisibilityResult(doc_id=doc_id, visibility=body.visibility, chunks=n)


@router.post(
    "/reindex",
    response_model=ReindexResult,
    summary="Re-ingest the corpus folder and uploads (changed files only)",
    responses=UNAVAILABLE,
)
def reindex(settings: SettingsDep, components: ComponentsDep) -> ReindexResult:
    with _write_lock:
        report = components.ingestor.ingest([settings.corpus_dir] if settings.corpus_dir.exists() else [])
        # Uploads keep the visibility they were given (internal when the index no longer knows them).
        for upload in expand_paths([uploads_dir(settings)] if uploads_dir(settings).exists() else []):
            record = components.documents.get(doc_id_for(upload)) or {}
            more = components.ingestor.ingest([upload], visibility=str(record.get("visibility", "internal")))
            report.files.extend(more.files)
    return ReindexResult(report=report.as_dict(), chunks=components.store.count())
