"""Adding, removing and re-labelling documents: one service for the admin API and the workspace's admin tab.

Uploads are staged under ``data_dir/staging/<random>`` and moved to ``data_dir/uploads`` only
once indexed, so a failed upload never replaces an earlier good file. One writer at a time
(:func:`writing`): across threads, and across the processes that share ``data_dir`` — the
replicas of one deployment and a ``radslag ingest`` run beside them.
"""

from __future__ import annotations

import fcntl
import logging
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Literal

from ingest.loaders import SUPPORTED_SUFFIXES
from ingest.pipeline import FileResult, Progress
from radslag.components import Components
from radslag.settings import Settings

log = logging.getLogger(__name__)
_thread_lock = threading.Lock()
WRITER_LOCK = ".writer.lock"


@contextmanager
def writing(settings: Settings) -> Iterator[None]:
    """Hold the index's one writer place. Replicas share ``data_dir`` (a shared volume), so a
    thread lock alone let two replicas interleave an upload and a delete of one document, or
    two versions of one file: each step is safe in Chroma, their interleaving is not (each
    writer upserts its chunks, then deletes the document's chunks it did not write — the
    other's). An exclusive ``flock`` on ``data_dir/.writer.lock`` orders them; the
    snapshot's own lock (:mod:`rag.snapshot`) only orders its publishing."""
    with _thread_lock:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with open(settings.data_dir / WRITER_LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

Problem = Literal["unsupported", "empty", "too_large", "unreadable", "not_found"]


class DocumentError(Exception):
    def __init__(self, problem: Problem, message: str) -> None:
        super().__init__(message)
        self.problem, self.message = problem, message


def uploads_dir(settings: Settings) -> Path:
    return settings.data_dir / "uploads"


def safe_name(filename: str) -> str:
    """A file name that cannot escape the uploads folder or surprise a shell."""
    name = Path(filename.replace("\\", "/")).name
    stem, suffix = Path(name).stem, Path(name).suffix.lower()
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", stem).strip("._")[:100] or "document"
    return stem + suffix


def _copy(source: BinaryIO, target: Path, limit: int) -> int:
    size = 0
    with target.open("wb") as out:
        while chunk := source.read(1 << 20):
            size += len(chunk)
            if size > limit:
                raise DocumentError("too_large", f"file larger than {limit // (1 << 20)} MB")
            out.write(chunk)
    return size


def add_document(
    settings: Settings,
    components: Components,
    filename: str,
    source: BinaryIO,
    visibility: str = "internal",
    progress: Progress | None = None,
) -> FileResult:
    """Index one uploaded file; raises :class:`DocumentError` when nothing could be indexed."""
    name = safe_name(filename or "")
    suffix = Path(name).suffix
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError("unsupported", f"unsupported file type {suffix or '(none)'}: use one of {', '.join(SUPPORTED_SUFFIXES)}")
    staging = settings.data_dir / "staging" / uuid.uuid4().hex
    staging.mkdir(parents=True)
    try:
        path = staging / name
        if _copy(source, path, settings.api.max_upload_mb << 20) == 0:
            raise DocumentError("empty", f"{name}: empty file")
        with writing(settings):
            uploads_dir(settings).mkdir(parents=True, exist_ok=True)
            result = components.ingestor.ingest([path], visibility=visibility, progress=progress).files[0]
            if result.status == "skipped":
                raise DocumentError("unreadable", result.reason or f"{name}: could not be read")
            if result.status == "unchanged":  # same file again: apply the visibility asked for now
                components.ingestor.set_visibility(result.doc_id, visibility)
            path.replace(uploads_dir(settings) / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("uploaded %s as %s (%s, %d chunks)", name, result.doc_id, result.status, result.chunks)
    return result


def delete_document(settings: Settings, components: Components, doc_id: str) -> int:
    """Remove a document, its passages and its uploaded file; returns the passages deleted."""
    with writing(settings):
        record = components.documents.get(doc_id)
        if record is None:
            raise DocumentError("not_found", f"no document {doc_id!r}")
        n = components.ingestor.delete(doc_id)
        uploaded = uploads_dir(settings) / safe_name(str(record.get("source", "")))
        if record.get("source") and uploaded.is_file():
            uploaded.unlink()  # or a reindex would bring it back
    log.info("deleted %s (%d chunks)", doc_id, n)
    return n


def set_visibility(components: Components, doc_id: str, visibility: str) -> int:
    """Returns the passages changed."""
    with writing(components.settings):
        n = components.ingestor.set_visibility(doc_id, visibility)
    if n < 0:
        raise DocumentError("not_found", f"no document {doc_id!r}")
    log.info("visibility of %s set to %s (%d chunks)", doc_id, visibility, n)
    return n
