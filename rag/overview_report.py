"""The remiss overview as data and as exports (shared by the API, the workspace and the CLI).

:class:`OverviewReport` is the response of ``GET /api/overview``; Markdown, CSV and XLSX are
what an official pastes into the city's remissammanställning. Document text (quotes,
committee names) is data: the Markdown export escapes what Markdown or HTML would interpret.
"""

from __future__ import annotations

import csv
import io

from pydantic import BaseModel, Field

from rag.markup import md_literal
from rag.overview import STANCES, MeasureInfo, Overview
from rag.types import Citation, passage_to_citation

STANCE_LABELS = {
    "sv": {
        "positive": "positiv", "positive_conditions": "positiv med villkor", "negative": "tveksam / negativ",
        "mentions": "nämner utan ställningstagande", "not_addressed": "behandlar inte", "reply_missing": "svar saknas",
    },
    "en": {
        "positive": "positive", "positive_conditions": "positive with conditions", "negative": "doubtful / negative",
        "mentions": "mentions without a position", "not_addressed": "not addressed", "reply_missing": "reply missing",
    },
}  # fmt: skip
_HEAD = {
    "sv": ("Nämnd", "Grupp", "Ställningstagande", "Säkerhet", "Avgörande meningar", "Källa"),
    "en": ("Committee", "Group", "Stance", "Confidence", "Deciding sentences", "Source"),
}


class OverviewRowOut(BaseModel):
    committee: str
    group: str = Field(description="The compilation's group heading, e.g. 'Stadsdelsförvaltningar'.")
    stance: str = Field(description="One of: " + ", ".join(STANCES))
    stance_label: str = Field(description="The stance in words, in the requested language.")
    confidence: float = Field(ge=0, le=1, description="The deciding models' joint probability for this row.")
    sentences: list[str] = Field(default_factory=list, description="The one or two sentences that decide the stance, verbatim.")
    citation: Citation | None = Field(default=None, description="The passage the sentences come from.")


class OverviewReport(BaseModel):
    query: str = Field(description="The measure number or topic asked for.")
    measure: str | None = Field(description="The measure number, when the query is one.")
    measure_text: str = Field(description="The measure as the documents word it ('' for a topic).")
    doc_id: str = Field(description="The compilation the overview covers.")
    title: str
    counts: dict[str, int] = Field(description="Rows per stance.")
    rows: list[OverviewRowOut]


class MeasureOut(BaseModel):
    measure: str
    text: str = Field(description="The measure as the documents word it ('' when no reply quotes it).")
    committees: list[str] = Field(description="Committees whose reply names the measure's number.")


def to_report(overview: Overview, language: str = "sv") -> OverviewReport:
    labels = STANCE_LABELS["en" if language == "en" else "sv"]
    rows = []
    for n, r in enumerate(overview.rows, start=1):
        ev = r.evidence
        rows.append(OverviewRowOut(
            committee=r.committee, group=r.group, stance=r.stance, stance_label=labels[r.stance],
            confidence=min(max(r.confidence, 0.0), 1.0), sentences=list(ev.sentences) if ev else [],
            citation=passage_to_citation(n, ev.passage) if ev else None,
        ))
    return OverviewReport(
        query=overview.query, measure=overview.measure, measure_text=overview.measure_text, doc_id=overview.doc_id,
        title=overview.title, counts=overview.counts(), rows=rows,
    )


def measures_out(measures: list[MeasureInfo]) -> list[MeasureOut]:
    return [MeasureOut(measure=m.measure, text=m.text, committees=m.committees) for m in measures]


def _source(row: OverviewRowOut, language: str) -> str:
    c = row.citation
    if c is None:
        return ""
    page = f", {'p.' if language == 'en' else 's.'} {c.page}" if c.page is not None else ""
    return f"{c.source} — {c.section_path}{page}"


def _cells(report: OverviewReport, language: str) -> list[list[str]]:
    # The stance is worded in the export's language, not the one the report was built in: the
    # workspace exports an overview again after its language is switched.
    labels = STANCE_LABELS["en" if language == "en" else "sv"]
    return [
        [r.committee, r.group, labels[r.stance], f"{r.confidence:.2f}", " ".join(r.sentences), _source(r, language)]
        for r in report.rows
    ]


def md_text(text: str) -> str:
    """Document text as literal Markdown on one line: no emphasis, link, image, table cell or HTML tag."""
    return md_literal(" ".join(str(text).split()))


def markdown(report: OverviewReport, language: str = "sv") -> str:
    en = language == "en"
    head = _HEAD["en" if en else "sv"]
    title = report.measure or report.query
    lines = [f"## {'Remiss overview' if en else 'Remissammanställning'}: {md_text(title)}", ""]
    if report.measure_text:
        lines += [f"*{md_text(report.measure_text)}*", ""]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in _cells(report, language):
        lines.append("| " + " | ".join(md_text(c) for c in row) + " |")
    labels = STANCE_LABELS["en" if en else "sv"]
    lines += ["", ", ".join(f"{labels[s]}: {n}" for s, n in report.counts.items() if n)]
    return "\n".join(lines) + "\n"


def csv_text(report: OverviewReport, language: str = "sv") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(_HEAD["en" if language == "en" else "sv"])
    writer.writerows(_cells(report, language))
    return buf.getvalue()


def xlsx_bytes(report: OverviewReport, language: str = "sv") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = (report.measure or "overview")[:31]
    ws.append(list(_HEAD["en" if language == "en" else "sv"]))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r, row in enumerate(_cells(report, language), start=2):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            cell.data_type = "s"  # a document's text starting with "=" stays text, never a formula
    for col, width in zip("ABCDEF", (26, 22, 24, 10, 90, 50), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2):
        row[4].alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
