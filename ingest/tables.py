"""Tables as text: one line per row, each cell labelled with its column header.

A table read cell by cell ("Farsta", "positiv", "Kungsholmen", …) loses what a value means
as soon as a chunk or a quote holds only part of it. So every data row becomes one line that
carries its own headers — ``Nämnd: Farsta; Ställningstagande: positiv.`` — and any row can be
retrieved, quoted or cited on its own.

The loaders (DOCX, HTML) turn their format's rows into :class:`Cell` lists; everything about
spans, headers and empty cells is decided here, once for both formats:

- a cell spanning several columns is written once per row (across all columns: a group
  title, written bare); one spanning several rows is repeated in each of them, so each row
  line stays self-contained;
- a column's header is its text in the header rows (several header rows are joined with
  " – "); an empty cell is left out, and a cell without a header is written bare;
- without column headers, a row that opens with a header cell (HTML ``<th>``) is a label:
  ``Diarienummer: SDN 2024/123.``;
- each row ends with a full stop (unless it already ends a sentence): the answer engine splits
  sentences at full stops, not at line breaks, and one row is one statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPACES = re.compile(r"\s+")
_ENDS_SENTENCE = re.compile(r"[.!?:]$")
MAX_COLSPAN = 1000  # the HTML standard's own limit; a file cannot make the grid explode


@dataclass
class Cell:
    """One cell as the source gives it (before spans are laid out on the grid)."""

    text: str
    header: bool = False  # marked as a header cell by the format (HTML <th>)
    colspan: int = 1
    rowspan: int = 1


@dataclass
class _Slot:
    origin: int  # index of the source cell: a spanned cell fills several slots
    cell: Cell


def flat(text: str) -> str:
    """A cell's text on one line: paragraph breaks inside a cell are not row breaks."""
    return _SPACES.sub(" ", text).strip()


def _grid(rows: list[list[Cell]]) -> list[list[_Slot | None]]:
    """Lay cells out on a column grid, honouring col- and rowspans (the HTML table model)."""
    taken: dict[tuple[int, int], _Slot] = {}
    origin = 0
    for r, row in enumerate(rows):
        col = 0
        for cell in row:
            while (r, col) in taken:
                col += 1
            slot = _Slot(origin, cell)
            origin += 1
            colspan = min(max(cell.colspan, 1), MAX_COLSPAN)
            for dr in range(min(max(cell.rowspan, 1), len(rows) - r)):
                for dc in range(colspan):
                    taken.setdefault((r + dr, col + dc), slot)
            col += colspan
    width = max((c for _, c in taken), default=-1) + 1
    return [[taken.get((r, c)) for c in range(width)] for r in range(len(rows))]


def _column_headers(grid: list[list[_Slot | None]], header_rows: int) -> list[str]:
    headers: list[str] = []
    for c in range(len(grid[0]) if grid else 0):
        parts: list[str] = []
        for row in grid[:header_rows]:
            slot = row[c]
            text = flat(slot.cell.text) if slot else ""
            if text and text not in parts:  # a header spanning two header rows counts once
                parts.append(text)
        headers.append(" – ".join(parts))
    return headers


def _row_line(slots: list[_Slot | None], headers: list[str], label_first: bool) -> str:
    parts: list[str] = []
    seen: set[int] = set()
    for c, slot in enumerate(slots):
        if slot is None or slot.origin in seen:
            continue
        seen.add(slot.origin)
        text = flat(slot.cell.text)
        if not text:
            continue
        if len(slots) > 1 and all(s is slot for s in slots):  # across the whole row: a group title
            parts.append(text)
            continue
        # A cell spanning columns gets every distinct header it sits under.
        end = c
        while end < len(slots) and slots[end] is slot:
            end += 1
        label = " / ".join(dict.fromkeys(h for h in headers[c:end] if h))
        parts.append(f"{label}: {text}" if label and label != text else text)
    if not parts:
        return ""
    line = f"{parts[0]}: {'; '.join(parts[1:])}" if label_first and len(parts) > 1 else "; ".join(parts)
    return line if _ENDS_SENTENCE.search(line) else line + "."


def table_lines(rows: list[list[Cell]], header_rows: int) -> list[str]:
    """Text lines for a table: one per non-empty data row, headers attached to its cells.

    ``header_rows`` is how many leading rows are column headers (0: none). A table of a
    single cell (a framed text box in Word) gives its text unchanged.
    """
    rows = [row for row in rows if row]
    if not rows:
        return []
    if len(rows) == 1 and len(rows[0]) == 1:
        return [line.strip() for line in rows[0][0].text.split("\n") if line.strip()]
    grid = _grid(rows)
    header_rows = min(header_rows, len(grid))
    headers = _column_headers(grid, header_rows)
    lines: list[str] = []
    for slots in grid[header_rows:]:
        first = next((s for s in slots if s is not None), None)
        label_first = not any(headers) and first is not None and first.cell.header
        line = _row_line(slots, headers, label_first)
        if line:
            lines.append(line)
    if not lines and header_rows:  # a table that is all header: keep its words
        lines = ["; ".join(h for h in headers if h) + "."] if any(headers) else []
    return lines
