"""DOCX and HTML tables become text rows with their headers, and reach the index in order.

The files are real: a .docx written by python-docx (as Word would store merged cells and
repeated header rows) and an .html file, ingested by the real Ingestor into Chroma on tmp_path.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ingest.loaders import load
from radslag.components import Components
from rag.types import Filters
from tests.ingest.conftest import copy_docs

BEFORE = "Stadsdelsförvaltningen har sammanställt nämndernas svar på remissen om trygghetsarbete."
AFTER = "Förvaltningen föreslår att nämnden godkänner sammanställningen och överlämnar den till kommunstyrelsen."
ROWS = [
    ("Nämnd", "Ställningstagande", "Synpunkt"),
    ("Farsta", "Tillstyrker", "Fältassistenterna bör samordnas med fritidsgårdarna."),
    ("Bromma", "Avstyrker", "Kostnaden för kameraövervakning vid Brommaplan bedöms vara för hög."),
    ("Kungsholmen", "", "Avstår från att yttra sig."),
]
FARSTA = "Nämnd: Farsta; Ställningstagande: Tillstyrker; Synpunkt: Fältassistenterna bör samordnas med fritidsgårdarna."
BROMMA = (
    "Nämnd: Bromma; Ställningstagande: Avstyrker; "
    "Synpunkt: Kostnaden för kameraövervakning vid Brommaplan bedöms vara för hög."
)
KUNGSHOLMEN = "Nämnd: Kungsholmen; Synpunkt: Avstår från att yttra sig."  # the empty cell is left out


def _mark_header_row(row) -> None:  # type: ignore[no-untyped-def]
    """What Word writes for "Repeat as header row at the top of each page"."""
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def make_docx(path: Path) -> Path:
    """Paragraph, table, paragraph — the table between them in the body."""
    from docx import Document

    document = Document()
    document.core_properties.title = "Sammanställning av remissvar"
    document.add_paragraph(BEFORE)
    table = document.add_table(rows=len(ROWS), cols=3)
    for r, values in enumerate(ROWS):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    document.add_paragraph(AFTER)
    document.save(str(path))
    return path


def make_html(path: Path) -> Path:
    path.write_text(
        "<!doctype html><html><head><title>Budget per stadsdel</title></head><body>"
        "<p>Tabellen visar nämndernas budget för fältassistenter.</p>"
        "<table><caption>Budget för fältassistenter</caption>"
        "<thead><tr><th rowspan='2'>Nämnd</th><th colspan='2'>Budget (mnkr)</th></tr>"
        "<tr><th>2024</th><th>2025</th></tr></thead>"
        "<tbody><tr><th scope='row'>Skärholmen</th><td>4,2</td><td><b>4,8</b></td></tr>"
        "<tr><td>Rinkeby-Kista</td><td></td><td>6,1</td></tr>"
        "<tr><td colspan='3'>Innerstaden</td></tr>"
        "<tr><td>Södermalm</td><td rowspan='2'>3,0</td><td>3,1</td></tr>"
        "<tr><td>Östermalm</td><td>2,9</td></tr></tbody></table>"
        "<p>Budgeten fastställs av kommunfullmäktige i november.</p>"
        "</body></html>",
        encoding="utf-8",
    )
    return path


HTML_ROWS = [
    "Budget för fältassistenter",
    "Nämnd: Skärholmen; Budget (mnkr) – 2024: 4,2; Budget (mnkr) – 2025: 4,8.",
    "Nämnd: Rinkeby-Kista; Budget (mnkr) – 2025: 6,1.",
    "Innerstaden.",  # a cell across the whole row is a group title, not a value of every column
    "Nämnd: Södermalm; Budget (mnkr) – 2024: 3,0; Budget (mnkr) – 2025: 3,1.",
    "Nämnd: Östermalm; Budget (mnkr) – 2024: 3,0; Budget (mnkr) – 2025: 2,9.",  # rowspan repeats
]


def _in_order(text: str, parts: list[str]) -> None:
    positions = [text.find(p) for p in parts]
    assert -1 not in positions, [p for p, at in zip(parts, positions, strict=True) if at < 0]
    assert positions == sorted(positions), positions


# -- loaders ------------------------------------------------------------------------------


def test_docx_table_rows_sit_between_the_paragraphs(tmp_path: Path) -> None:
    doc = load(make_docx(tmp_path / "svar.docx"))
    lines = [ln for ln in doc.text.split("\n") if ln.strip()]
    assert lines == [BEFORE, FARSTA, BROMMA, KUNGSHOLMEN, AFTER]


def test_docx_merged_cells_and_marked_header_rows(tmp_path: Path) -> None:
    from docx import Document

    document = Document()
    table = document.add_table(rows=5, cols=3)
    # Merging joins the cells' paragraphs, so cells are merged first and then written.
    table.cell(0, 1).merge(table.cell(0, 2))  # "Kostnad" spans both year columns
    table.cell(0, 0).merge(table.cell(1, 0))  # "Område" spans both header rows
    table.cell(2, 0).merge(table.cell(3, 0))  # one area for two rows: it labels both
    table.cell(4, 1).merge(table.cell(4, 2))  # an empty merged cell
    values = {
        (0, 0): "Område", (0, 1): "Kostnad", (1, 1): "2024", (1, 2): "2025",
        (2, 0): "Trygghet", (2, 1): "1,5", (2, 2): "1,7", (3, 1): "2,0", (3, 2): "2,2", (4, 0): "Totalt",
    }
    for (r, c), value in values.items():
        table.cell(r, c).text = value
    _mark_header_row(table.rows[0])
    _mark_header_row(table.rows[1])
    path = tmp_path / "kostnader.docx"
    document.save(str(path))

    lines = [ln for ln in load(path).text.split("\n") if ln.strip()]
    assert lines == [
        "Område: Trygghet; Kostnad – 2024: 1,5; Kostnad – 2025: 1,7.",
        "Område: Trygghet; Kostnad – 2024: 2,0; Kostnad – 2025: 2,2.",
        "Område: Totalt.",
    ]


def test_docx_single_row_and_single_cell_tables(tmp_path: Path) -> None:
    from docx import Document

    document = Document()
    row = document.add_table(rows=1, cols=2)
    row.cell(0, 0).text, row.cell(0, 1).text = "Diarienummer", "SDN 2024/123"
    box = document.add_table(rows=1, cols=1)  # a framed text box
    box.cell(0, 0).text = "Sammanfattning"
    box.cell(0, 0).add_paragraph("Nämnden ställer sig bakom förslaget.")
    path = tmp_path / "ruta.docx"
    document.save(str(path))
    lines = [ln for ln in load(path).text.split("\n") if ln.strip()]
    assert lines == ["Diarienummer; SDN 2024/123.", "Sammanfattning", "Nämnden ställer sig bakom förslaget."]


def test_html_table_rows_with_headers_spans_and_caption(tmp_path: Path) -> None:
    doc = load(make_html(tmp_path / "budget.html"))
    lines = [ln for ln in doc.text.split("\n") if ln.strip()]
    assert lines == [
        "Tabellen visar nämndernas budget för fältassistenter.",
        *HTML_ROWS,
        "Budgeten fastställs av kommunfullmäktige i november.",
    ]


def test_html_tables_without_th_and_with_row_labels(tmp_path: Path) -> None:
    path = tmp_path / "fakta.html"
    path.write_text(
        "<table><tr><td>Nämnd</td><td>Svar</td></tr><tr><td>Farsta</td><td>Ja</td></tr></table>"
        "<table><tr><th>Diarienummer</th><td>SDN 2024/123</td></tr>"
        "<tr><th>Handläggare</th><td>Anna Berg</td></tr></table>"
        "<table><tr><th>Åtgärder</th></tr><tr><td>Fler fältassistenter</td></tr></table>"
        "<table><tr><td>Yttre</td><td><table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table></td></tr></table>",
        encoding="utf-8",
    )
    lines = [ln for ln in load(path).text.split("\n") if ln.strip()]
    assert lines == [
        "Nämnd: Farsta; Svar: Ja.",  # no <th>: the first row is the header
        "Diarienummer: SDN 2024/123.",  # a <th> opening a row labels it
        "Handläggare: Anna Berg.",
        "Åtgärder: Fler fältassistenter.",  # one column: its header still labels the rows
        "Yttre; A: 1; B: 2.",  # a one-row outer table (no header) holding a nested table
    ]


def test_html_hostile_spans_and_empty_tables(tmp_path: Path) -> None:
    """Spans a file cannot use to blow up the grid; tables with nothing in them vanish."""
    path = tmp_path / "konstig.html"
    path.write_text(
        "<p>Inledning.</p><table></table><table><tr><td> </td><td></td></tr></table>"
        "<table><tr><th>Nämnd</th><th>Svar</th></tr>"
        "<tr><td rowspan='99999999'>Farsta</td><td colspan='99999999'>Ja</td></tr>"
        "<tr><td colspan='x'>Ja</td></tr></table><p>Slut.</p>",
        encoding="utf-8",
    )
    lines = [ln for ln in load(path).text.split("\n") if ln.strip()]
    assert lines == ["Inledning.", "Nämnd: Farsta; Svar: Ja.", "Nämnd: Farsta; Svar: Ja.", "Slut."]


# -- through the real ingest and retrieval ---------------------------------------------------


def _stored_text(comps: Components, doc_id: str) -> str:
    chunks = sorted(comps.store.iter_chunks(where={"doc_id": doc_id}), key=lambda c: c.metadata["chunk_index"])
    return "\n".join(c.text for c in chunks)


def test_tables_are_indexed_in_order_and_retrieved(
    fresh_components: Callable[..., Components], corpus_dir: Path, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    copy_docs(corpus_dir, docs, "000_", "002_", "003_")  # other documents to compete with
    make_docx(docs / "remissvar.docx")
    make_html(docs / "budget.html")
    comps = fresh_components()
    report = comps.ingestor.ingest([docs])
    assert not [f for f in report.files if f.status != "indexed"], report.as_dict()

    _in_order(_stored_text(comps, "remissvar"), [BEFORE, FARSTA, BROMMA, KUNGSHOLMEN, AFTER])
    _in_order(_stored_text(comps, "budget"), HTML_ROWS)

    # A question about one cell finds the row that holds it, headers and all.
    for question, row in (
        ("Vilket ställningstagande har Bromma till kameraövervakningen?", BROMMA),
        ("Hur stor är Östermalms budget för fältassistenter 2025?", HTML_ROWS[-1]),
    ):
        qvec = comps.retriever.embed_query(question)
        top = comps.retriever.retrieve(question, qvec, 3)
        assert any(row in p.text for p in top), (question, [p.text[:80] for p in top])

    # ...and the answer path cites it.
    answer = comps.pipeline.ask("Vilket ställningstagande har Bromma till kameraövervakningen?", filters=Filters(doc_id=["remissvar"]))
    assert not answer.refused, answer.answer
    assert BROMMA in answer.answer  # quoted whole: the value with its headers
    assert any(BROMMA in c.text for c in answer.citations)
