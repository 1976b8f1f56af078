"""Real parsing of each supported format, with fixture files generated here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.loaders import LoadError, load
from radslag.components import Components

PAGE1 = [
    "Handlingsplan mot rasism och diskriminering",
    "Stadsdelsnämnden i Älvsjö överlämnar detta tjänsteutlåtande.",
    "Förvaltningen vill öka kunskapen om rasism bland medarbetare.",
]
PAGE2 = [
    "Åtgärder för ökad jämlikhet",
    "Fältassistenter bör samordnas centralt för att nå ungdomar.",
    "Föräldrastöd erbjuds på flera språk i hela stadsdelsområdet.",
]


def _make_pdf(path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    font = "Helvetica"
    for candidate in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        if Path(candidate).exists():
            pdfmetrics.registerFont(TTFont("DejaVu", candidate))
            font = "DejaVu"
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setTitle("Handlingsplan mot rasism")
    for lines in (PAGE1, PAGE2):
        c.setFont(font, 12)
        y = 760
        for line in lines:
            c.drawString(72, y, line)
            y -= 40
        c.showPage()
    c.save()


def test_pdf_keeps_pages(tmp_path: Path) -> None:
    path = tmp_path / "plan.pdf"
    _make_pdf(path)
    doc = load(path)
    assert [p for p, _ in doc.pages] == [1, 2]
    assert "Förvaltningen vill öka kunskapen" in doc.pages[0][1]
    assert "Fältassistenter bör samordnas centralt" in doc.pages[1][1]
    assert doc.title_hint == "Handlingsplan mot rasism"


def test_pdf_pages_reach_chunk_metadata(fresh_components: Callable[..., Components], tmp_path: Path) -> None:
    path = tmp_path / "plan.pdf"
    _make_pdf(path)
    comps = fresh_components()
    report = comps.ingestor.ingest([path])
    assert report.files[0].status == "indexed", report.as_dict()
    chunks = list(comps.store.iter_chunks(where={"doc_id": "plan"}))
    text = "\n".join(c.text for c in chunks)
    assert "Förvaltningen vill öka kunskapen om rasism" in text
    assert "Föräldrastöd erbjuds på flera språk" in text
    assert "Sida 1" not in text and "Sida 2" not in text  # the loader's page markers are cleaned away
    pages = {c.metadata["page"] for c in chunks}
    assert pages == {1, 2} or (len(chunks) == 1 and pages == {1})
    page_of = {line: c.metadata["page"] for c in chunks for line in c.text.split("\n")}
    if len(chunks) > 1:
        assert page_of.get(PAGE2[1]) == 2


def test_docx_with_heading(tmp_path: Path) -> None:
    from docx import Document

    document = Document()
    document.core_properties.title = "Yttrande över handlingsplan"
    document.add_heading("Förvaltningens synpunkter", level=1)
    document.add_paragraph("Förvaltningen ställer sig bakom förslaget om samordnade fältassistenter.")
    document.add_heading("Ekonomiska konsekvenser", level=2)
    document.add_paragraph("Åtgärderna ryms inom nämndens budget för år 2025.")
    path = tmp_path / "yttrande.docx"
    document.save(str(path))

    doc = load(path)
    assert doc.title_hint == "Yttrande över handlingsplan"
    assert "Förvaltningens synpunkter\n\n" in doc.text
    assert "Åtgärderna ryms inom nämndens budget" in doc.text

    from ingest.clean import clean_text
    from ingest.structure import detect_structure

    structure = detect_structure(clean_text(doc.text).text)
    paths = [" > ".join(s.path) for s in structure.sections]
    assert any(p.endswith("Ekonomiska konsekvenser") for p in paths), paths


def test_html_drops_script_and_keeps_headings(tmp_path: Path) -> None:
    path = tmp_path / "sida.html"
    path.write_text(
        "<!doctype html><html><head><title>Trygghet i Vällingby</title>"
        "<script>var secret = 'tracking-code';</script><style>p {color: red}</style></head><body>"
        "<nav>Meny Hem Kontakt</nav>"
        "<h2>Bakgrund</h2><p>Förvaltningen samverkar med <b>polisen</b> kring trygghetsvandringar.</p>"
        "<h2>Förslag</h2><p>Nämnden föreslår fler fältassistenter.</p>"
        "<script>alert('x')</script></body></html>",
        encoding="utf-8",
    )
    doc = load(path)
    assert doc.title_hint == "Trygghet i Vällingby"
    assert "tracking-code" not in doc.text and "alert" not in doc.text and "color" not in doc.text
    assert "Meny" not in doc.text
    assert "polisen" in doc.text and "fler fältassistenter" in doc.text
    from ingest.clean import clean_text

    cleaned = clean_text(doc.text).text
    assert cleaned.startswith("Bakgrund\n\n") and "\n\nFörslag\n\n" in cleaned
    assert "Förvaltningen samverkar med polisen kring trygghetsvandringar." in cleaned  # inline tags stay inline


def test_markdown_headings(tmp_path: Path) -> None:
    path = tmp_path / "anteckningar.md"
    path.write_text("# Åtgärdsplan\n\n## Bakgrund\n\nText om **samverkan** i Älvsjö.\n", encoding="utf-8")
    doc = load(path)
    assert doc.title_hint == "Åtgärdsplan"
    assert "#" not in doc.text
    assert "Bakgrund" in doc.text


def test_cp1252_text_decodes(tmp_path: Path) -> None:
    path = tmp_path / "gammal.txt"
    path.write_bytes("Hässelby-Vällingby stadsdelsnämnd – förslag till åtgärder”".encode("cp1252"))
    assert load(path).text == "Hässelby-Vällingby stadsdelsnämnd – förslag till åtgärder”"


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffÖstermalm".encode())
    assert load(path).text == "Östermalm"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("nul.txt", b"abc\x00def", "binary"),
        ("blank.md", b"   \n\n", "no extractable text"),
        ("sheet.xlsx", b"PK", "unsupported"),
        ("broken.pdf", b"%PDF-1.4 garbage", "PDF"),
        ("broken.docx", b"PK\x03\x04garbage", "DOCX"),
    ],
)
def test_unreadable_files_raise_load_error(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(LoadError, match=reason):
        load(path)
