"""Turn files into raw text with page numbers where the format has pages.

Each loader returns a :class:`LoadedDoc`. PDFs keep real page numbers; plain-text files
carry page markers in their text (PDF extraction artefacts) that ``clean`` resolves. DOCX
and HTML tables become one text line per row, in document order (see ``tables``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.tables import Cell, flat, table_lines

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


def _docx_header_rows(table: Any) -> int:
    """Leading rows marked "repeat as header row"; else the first row, as a reader assumes."""
    from docx.oxml.ns import qn

    marked = 0
    for row in table.rows:
        # python-docx has no property for w:tblHeader; the XML is its documented escape hatch.
        flags = row._tr.xpath("./w:trPr/w:tblHeader")
        if not flags or str(flags[0].get(qn("w:val"), "true")).lower() in ("0", "false", "off"):
            break
        marked += 1
    return marked or (1 if len(table.rows) > 1 else 0)


def _docx_cell_text(cell: Any) -> str:
    from docx.table import Table

    parts: list[str] = []
    for block in cell.iter_inner_content():
        parts.extend(_docx_table_lines(block) if isinstance(block, Table) else [block.text])
    return "\n".join(parts)


def _docx_table_lines(table: Any) -> list[str]:
    rows: list[list[Cell]] = []
    for row in table.rows:
        cells = [Cell("", colspan=row.grid_cols_before)] if row.grid_cols_before else []
        # A cell spanning columns is repeated in ``row.cells`` once per column it covers; a
        # vertically merged cell appears (with its text) in every row it covers.
        grid = row.cells
        i = 0
        while i < len(grid):
            cell = grid[i]
            cells.append(Cell(_docx_cell_text(cell), colspan=cell.grid_span))
            i += max(cell.grid_span, 1)
        rows.append(cells)
    return table_lines(rows, _docx_header_rows(table))


def load_docx(path: Path) -> LoadedDoc:
    import zipfile

    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = Document(str(path))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise LoadError(f"{path.name}: unreadable DOCX ({exc})") from exc
    lines: list[str] = []
    for block in document.iter_inner_content():  # paragraphs and tables in body order
        if isinstance(block, Table):
            # Blank lines around a table keep its rows one paragraph, apart from the prose.
            lines.extend(["", *_docx_table_lines(block), ""])
        elif block.style is not None and block.style.name.lower().startswith(("heading", "rubrik")):
            # Blank lines around headings let structure detection see them as headings.
            lines.extend(["", block.text, ""])
        else:
            lines.append(block.text)
    title = document.core_properties.title or None
    return LoadedDoc(path.name, [(None, "\n".join(lines))], title)


_HTML_BLOCKS = ["p", "div", "li", "ul", "ol", "tr", "td", "th", "table", "section", "article", "blockquote", "pre", "dd", "dt"]


def _span(cell: Any, attr: str) -> int:
    try:
        return max(int(str(cell.get(attr, "1")).strip()), 1)
    except ValueError:
        return 1


def _html_table_lines(table: Any) -> list[str]:
    """Rows of one table (nested ones already replaced by text); <caption> first."""
    rows: list[list[Cell]] = []
    header_rows, leading = 0, True
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table:
            continue
        cells = [
            Cell(td.get_text(), header=td.name == "th", colspan=_span(td, "colspan"), rowspan=_span(td, "rowspan"))
            for td in tr.find_all(["td", "th"], recursive=False)
        ]
        if not cells:
            continue
        is_header = tr.parent.name == "thead" or all(c.header for c in cells)
        leading = leading and is_header
        header_rows += leading
        rows.append(cells)
    if not header_rows and len(rows) > 1 and not any(c.header for row in rows for c in row):
        header_rows = 1  # no <th> at all: the first row is the header, as a reader assumes
    caption = table.find("caption", recursive=False)
    head = [flat(caption.get_text())] if caption and flat(caption.get_text()) else []
    return head + table_lines(rows, header_rows)


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
    # Innermost first: a nested table becomes text before the cell that holds it is read.
    for table in reversed(soup.find_all("table")):
        table.replace_with("\n\n" + "\n".join(_html_table_lines(table)) + "\n\n")
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
