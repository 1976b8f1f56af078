"""Turn files into raw text with page numbers where the format has pages.

Each loader returns a :class:`LoadedDoc`. PDFs keep real page numbers; plain-text files
carry page markers in their text (PDF extraction artefacts) that ``clean`` resolves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")


class LoadError(ValueError):
    """A file could not be read as a document; the message says why."""


@dataclass
class LoadedDoc:
    source: str
    pages: list[tuple[int | None, str]]  # (page number or None, text)
    title_hint: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(t for _, t in self.pages)


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:4096]:
        raise LoadError(f"{name}: looks binary (NUL bytes), not text")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LoadError(f"{name}: not valid UTF-8 or Windows-1252 text")


def load_text(path: Path) -> LoadedDoc:
    return LoadedDoc(path.name, [(None, _decode(path.read_bytes(), path.name))])


def load_markdown(path: Path) -> LoadedDoc:
    text = _decode(path.read_bytes(), path.name)
    # Markdown headings become plain heading lines, which structure detection reads.
    text = re.sub(r"^#{1,6}\s*", "", text, flags=re.MULTILINE)
    first = re.search(r"^\S.*$", text, flags=re.MULTILINE)
    return LoadedDoc(path.name, [(None, text)], first.group(0).strip() if first else None)


def load_pdf(path: Path) -> LoadedDoc:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [(i + 1, page.extract_text() or "") for i, page in enumerate(reader.pages)]
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise LoadError(f"{path.name}: unreadable PDF ({exc})") from exc
    title = None
    try:
        title = (reader.metadata or {}).get("/Title")
    except (PdfReadError, ValueError):
        title = None
    return LoadedDoc(path.name, pages, str(title) if title else None)


def load_docx(path: Path) -> LoadedDoc:
    import zipfile

    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = Document(str(path))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise LoadError(f"{path.name}: unreadable DOCX ({exc})") from exc
    lines: list[str] = []
    for para in document.paragraphs:
        # Blank lines around headings let structure detection see them as headings.
        if para.style is not None and para.style.name.lower().startswith(("heading", "rubrik")):
            lines.extend(["", para.text, ""])
        else:
            lines.append(para.text)
    title = document.core_properties.title or None
    return LoadedDoc(path.name, [(None, "\n".join(lines))], title)


_HTML_BLOCKS = ["p", "div", "li", "ul", "ol", "tr", "td", "th", "table", "section", "article", "blockquote", "pre", "dd", "dt"]


def load_html(path: Path) -> LoadedDoc:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(path.read_bytes(), path.name), "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript"]):
        tag.decompose()
    for heading in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"]):
        heading.insert_before("\n\n")
        heading.insert_after("\n\n")
    # Line breaks only around block elements: inline tags (<b>, <a>) stay inside their
    # sentence, where a newline would make "polisen" in "med <b>polisen</b> kring" a heading.
    for block in soup.find_all(_HTML_BLOCKS):
        block.insert_before("\n")
        block.insert_after("\n")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    title = soup.title.get_text(strip=True) if soup.title else None
    body = soup.body or soup
    return LoadedDoc(path.name, [(None, body.get_text())], title)


LOADERS: dict[str, Callable[[Path], LoadedDoc]] = {
    ".txt": load_text,
    ".md": load_markdown,
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".html": load_html,
    ".htm": load_html,
}


def load(path: Path) -> LoadedDoc:
    """Load one file; raise :class:`LoadError` with a reason when it cannot be used."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(f"{path.name}: unsupported file type {path.suffix or '(none)'}")
    if path.stat().st_size == 0:
        raise LoadError(f"{path.name}: empty file")
    doc = loader(path)
    if not doc.text.strip():
        raise LoadError(f"{path.name}: no extractable text")
    return doc
