"""Upload validation: decided by content, before anything is written."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.validate import UploadRejected, safe_filename, validate_upload

MB = 1024 * 1024
SWEDISH = "Förvaltningen samverkar kring trygghetsskapande åtgärder i Hässelby-Vällingby.\n"


def _pdf(pages: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for i in range(pages):
        c.drawString(72, 720, f"Sida {i + 1}: åtgärder för ökad jämlikhet")
        c.showPage()
    c.save()
    return buf.getvalue()


def _docx() -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading("Handlingsplan mot rasism", level=1)
    doc.add_paragraph("Stadsdelsnämnden överlämnar detta tjänsteutlåtande.")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _reject(filename: str, data: bytes, status: int, max_bytes: int = 5 * MB, **kw: int) -> UploadRejected:
    with pytest.raises(UploadRejected) as info:
        validate_upload(filename, data, max_bytes, **kw)
    assert info.value.status == status, str(info.value)
    assert str(info.value)  # a message a person can read
    return info.value


def test_accepts_real_files_of_each_type() -> None:
    assert validate_upload("rapport.pdf", _pdf(2), 5 * MB) == "rapport.pdf"
    assert validate_upload("plan.docx", _docx(), 5 * MB) == "plan.docx"
    assert validate_upload("svar.txt", SWEDISH.encode("utf-8"), MB) == "svar.txt"
    assert validate_upload("svar.txt", SWEDISH.encode("cp1252"), MB) == "svar.txt"
    assert validate_upload("sida.html", b"<html><body><h2>Rubrik</h2></body></html>", MB) == "sida.html"
    assert validate_upload("notes.md", "# Åtgärder\n\ntext".encode(), MB) == "notes.md"


def test_rejection_is_a_value_error() -> None:
    assert issubclass(UploadRejected, ValueError)


def test_oversize_is_413_before_parsing() -> None:
    err = _reject("big.txt", b"a" * (MB + 1), 413, max_bytes=MB)
    assert "limit" in str(err)


def test_pdf_page_limit() -> None:
    _reject("long.pdf", _pdf(3), 413, max_pages=2)
    assert validate_upload("long.pdf", _pdf(2), 5 * MB, max_pages=2) == "long.pdf"


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("virus.exe", b"MZ\x90\x00"),
        ("archive.zip", b"PK\x03\x04"),
        ("noext", SWEDISH.encode()),
        ("fake.pdf", b"just some text pretending to be a pdf"),
        ("fake.docx", SWEDISH.encode()),
        ("pdf-inside.txt", b"%PDF-1.7\nnot text at all"),
    ],
)
def test_wrong_type_or_magic_is_415(filename: str, data: bytes) -> None:
    _reject(filename, data, 415)


def test_zip_without_word_document_is_415() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hej")
    _reject("fake.docx", buf.getvalue(), 415)


def test_zip_bomb_is_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
        # 300 MB of zeros deflate to ~300 kB: over both the size and the ratio limits.
        with zf.open("word/media/bomb.bin", "w", force_zip64=True) as member:
            block = bytes(MB)
            for _ in range(300):
                member.write(block)
    data = buf.getvalue()
    assert len(data) < 2 * MB
    err = _reject("bomb.docx", data, 413)
    assert "MB" in str(err) or "zip bomb" in str(err)


def test_high_ratio_member_is_refused_even_under_total_limit() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("word/document.xml", "<w:document/>")
        zf.writestr("word/media/zeros.bin", bytes(20 * MB))
    err = _reject("ratio.docx", buf.getvalue(), 413)
    assert "zip bomb" in str(err)


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x01\x02binary\x00",  # NUL bytes
        b"text with a NUL\x00 in the middle",
        b"\x81\x8d\x8f\x90\x9d",  # undefined in cp1252, invalid UTF-8
    ],
)
def test_unreadable_text_is_422(data: bytes) -> None:
    _reject("notes.txt", data, 422)


def test_corrupt_pdf_and_empty_file_are_422() -> None:
    _reject("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage", 422)
    _reject("empty.txt", b"", 422)
    _reject("blank.txt", b"   \n\n ", 422)


@pytest.mark.parametrize(
    ("given_name", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\system32\\x.pdf", "x.pdf"),
        ("/abs/path/Svar från nämnden.docx", "Svar_från_nämnden.docx"),
        ("..hidden.md", "hidden.md"),
        ("a\x00b\x1f\nc.txt", "abc.txt"),
        ("Hässelby-Vällingby_2011.txt", "Hässelby-Vällingby_2011.txt"),
        ("rapport<script>.html", "rapport_script.html"),
        ("....txt", "upload.txt"),
        ("", "upload"),
        ("..", "upload"),
    ],
)
def test_safe_filename(given_name: str, expected: str) -> None:
    assert safe_filename(given_name) == expected


def test_path_traversal_upload_gets_a_plain_name() -> None:
    name = validate_upload("../../../tmp/evil.txt", SWEDISH.encode(), MB)
    assert name == "evil.txt"
    assert Path("/uploads", name).resolve().parent == Path("/uploads").resolve()


@given(st.text(max_size=200))
def test_safe_filename_never_escapes(name: str) -> None:
    safe = safe_filename(name)
    assert safe
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert not safe.startswith(".")
    assert safe not in (".", "..")
    assert len(safe) <= 131
    assert all(ch.isalnum() or ch in "._-" for ch in safe)
