"""Check an uploaded file before anything is written to disk or to the index.

:func:`validate_upload` decides by *content*, not by the name the client sent: a PDF must
start like a PDF and stay under a page limit, a DOCX must be a zip holding
``word/document.xml`` that does not inflate into a zip bomb, and text must decode (UTF-8 or
Windows-1252) without NUL bytes. It returns a file name that is safe to write under the
upload folder, or raises :class:`UploadRejected` whose ``status`` maps onto HTTP
(413 too large, 415 unsupported type, 422 unreadable).
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile

from ingest.loaders import SUPPORTED_SUFFIXES

# A .docx of a few hundred pages inflates to a few MB; anything far beyond is a bomb.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100.0
MAX_ZIP_MEMBERS = 5000
MAX_NAME_CHARS = 120

_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._\-åäöÅÄÖéÉüÜ]+")
_TEXT_SUFFIXES = (".txt", ".md", ".html", ".htm")


class UploadRejected(ValueError):
    """An upload that must not be stored; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def safe_filename(filename: str) -> str:
    """The last path component, reduced to letters (incl. Swedish), digits, ``.``, ``_``, ``-``.

    Directory parts (``../``, ``C:\\``), control characters and leading dots are dropped, so the
    result can be joined to an upload folder without escaping it. Never empty.
    """
    name = unicodedata.normalize("NFC", filename or "")
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE_CHARS.sub("_", name.replace(" ", "_"))
    name = re.sub(r"_+", "_", name)
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = stem.strip("._-") or "upload"
    suffix = suffix.strip("._-")[:10]
    stem = stem[: MAX_NAME_CHARS - len(suffix) - 1]
    return f"{stem}.{suffix}" if suffix else stem


def _check_pdf(data: bytes, max_pages: int) -> None:
    if not data.lstrip()[:5] == b"%PDF-":
        raise UploadRejected("the file is named .pdf but its content is not a PDF", 415)
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UploadRejected("the PDF is password-protected", 422)
        pages = len(reader.pages)
    except UploadRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AssertionError) as exc:
        raise UploadRejected(f"the PDF cannot be read ({exc})", 422) from exc
    if pages == 0:
        raise UploadRejected("the PDF has no pages", 422)
    if pages > max_pages:
        raise UploadRejected(f"the PDF has {pages} pages; the limit is {max_pages}", 413)


def _check_docx(data: bytes) -> None:
    if not data.startswith(b"PK\x03\x04"):
        raise UploadRejected("the file is named .docx but its content is not a Word document", 415)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UploadRejected(f"the Word document cannot be read ({exc})", 422) from exc
    if "word/document.xml" not in {m.filename for m in members}:
        raise UploadRejected("the zip file is not a Word document (no word/document.xml)", 415)
    if len(members) > MAX_ZIP_MEMBERS:
        raise UploadRejected(f"the Word document has too many parts ({len(members)})", 413)
    # Sizes come from the zip directory; a forged directory fails python-docx's own reads.
    total = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise UploadRejected(f"the Word document unpacks to {total // 2**20} MB; the limit is {MAX_UNCOMPRESSED_BYTES // 2**20} MB", 413)
    for m in members:
        if m.file_size > 1_000_000 and m.file_size / max(m.compress_size, 1) > MAX_COMPRESSION_RATIO:
            raise UploadRejected(f"the Word document is compressed suspiciously well ({m.filename}); refusing a possible zip bomb", 413)
    if total > 1_000_000 and total / max(packed, 1) > MAX_COMPRESSION_RATIO:
        raise UploadRejected("the Word document is compressed suspiciously well; refusing a possible zip bomb", 413)


def _check_text(data: bytes) -> None:
    if data.lstrip()[:5] == b"%PDF-" or data.startswith(b"PK\x03\x04"):
        raise UploadRejected("the content is a PDF or zip file, not text; use the right file suffix", 415)
    if b"\x00" in data:
        raise UploadRejected("the file contains NUL bytes: it is binary, not text", 422)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            data.decode(encoding)
            return
        except UnicodeDecodeError:
            continue
    raise UploadRejected("the text is neither UTF-8 nor Windows-1252", 422)


def validate_upload(filename: str, data: bytes, max_bytes: int, max_pages: int = 500) -> str:
    """Return a safe file name for ``data`` or raise :class:`UploadRejected`.

    Nothing is written; call this before storing the upload.
    """
    if len(data) > max_bytes:
        raise UploadRejected(f"the file is {len(data)} bytes; the limit is {max_bytes} bytes", 413)
    name = safe_filename(filename)
    suffix = "." + name.rpartition(".")[2].lower() if "." in name else ""
    if suffix not in SUPPORTED_SUFFIXES:
        allowed = ", ".join(SUPPORTED_SUFFIXES)
        raise UploadRejected(f"unsupported file type {suffix or '(none)'}; allowed: {allowed}", 415)
    if not data.strip():
        raise UploadRejected("the file is empty", 422)
    if suffix == ".pdf":
        _check_pdf(data, max_pages)
    elif suffix == ".docx":
        _check_docx(data)
    elif suffix in _TEXT_SUFFIXES:
        _check_text(data)
    return name
