"""Structure detection on the real corpus, checked against the cleaned text independently."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.chunk import Chunk, chunk_document
from ingest.clean import CleanText, clean_text
from ingest.loaders import load
from ingest.structure import DocStructure, detect_structure


def _parse(path: Path) -> tuple[CleanText, DocStructure]:
    clean = clean_text(load(path).text)
    return clean, detect_structure(clean.text)


@pytest.fixture(scope="module")
def compilation(corpus_dir: Path, embedder) -> tuple[CleanText, DocStructure, list[Chunk]]:  # type: ignore[no-untyped-def]
    path = next(corpus_dir.glob("004_*.txt"))
    clean, structure = _parse(path)
    chunks = chunk_document(path.stem, path.name, clean, structure, embedder.count_tokens)
    return clean, structure, chunks


def _heading_offsets(text: str, names: list[str]) -> list[tuple[str, int]]:
    """Where each committee's own heading line stands, found by plain text search in order."""
    out: list[tuple[str, int]] = []
    pos = 0
    for name in names:
        m = re.compile(rf"^{re.escape(name)}$", re.MULTILINE).search(text, pos)
        assert m, f"no heading line for {name!r} after offset {pos}"
        out.append((name, m.start()))
        pos = m.end()
    return out


def test_compilation_has_every_committee(compilation) -> None:  # type: ignore[no-untyped-def]
    _, structure, _ = compilation
    assert structure.is_compilation
    committees = structure.committees
    assert len(committees) >= 29, committees
    assert len(set(committees)) == len(committees)
    for expected in ("Arbetsmarknadsförvaltningen", "Stadsbyggnadskontoret", "Överförmyndarförvaltningen",
                     "Hässelby-Vällingby", "Enskede-Årsta-Vantör", "Norrmalm", "Östermalm"):
        assert expected in committees
    # Group headings organise replies; they are not committees.
    assert "Fackförvaltningar" not in committees and "Stadsdelsförvaltningar" not in committees


def test_group_headings_lead_section_paths(compilation) -> None:  # type: ignore[no-untyped-def]
    _, structure, chunks = compilation
    by_committee = {c.committee: c.section_path for c in chunks}
    assert by_committee["Arbetsmarknadsförvaltningen"].startswith("Fackförvaltningar > Arbetsmarknadsförvaltningen")
    assert by_committee["Norrmalm"].startswith("Stadsdelsförvaltningar > Norrmalm")


def test_each_chunk_sits_inside_its_committees_reply(compilation) -> None:  # type: ignore[no-untyped-def]
    clean, structure, chunks = compilation
    headings = _heading_offsets(clean.text, structure.committees)
    bounds = {name: (start, headings[i + 1][1] if i + 1 < len(headings) else len(clean.text))
              for i, (name, start) in enumerate(headings)}
    first_heading = headings[0][1]
    for chunk in chunks:
        if chunk.char_start < first_heading:
            assert chunk.committee == "", (chunk.committee, chunk.text[:80])  # the introduction
            continue
        assert chunk.committee in bounds, chunk.committee
        lo, hi = bounds[chunk.committee]
        assert lo <= chunk.char_start and chunk.char_end <= hi, (chunk.committee, chunk.char_start, chunk.char_end, lo, hi)
    assert {c.committee for c in chunks if c.committee} == set(structure.committees)


def test_missing_replies_flagged_and_kept(compilation) -> None:  # type: ignore[no-untyped-def]
    _, _, chunks = compilation
    missing = {c.committee: c for c in chunks if c.reply_missing}
    for name in ("Fastighetskontoret", "Valnämnden", "Kungsholmen", "Spånga-Tensta", "Socialförvaltningen"):
        assert name in missing, sorted(missing)
        chunk = missing[name]
        assert "saknas" in chunk.text
        assert len(chunk.text) < 120
    # A committee that did reply is not flagged.
    assert not any(c.reply_missing for c in chunks if c.committee in ("Arbetsmarknadsförvaltningen", "Norrmalm"))
    assert 5 <= len(missing) <= 15


def test_measure_numbers_detected(compilation) -> None:  # type: ignore[no-untyped-def]
    _, structure, chunks = compilation
    measures = {s.measure for s in structure.sections if s.measure}
    assert {"4.3.2", "4.1.1", "1.1"} <= measures
    with_432 = [c for c in chunks if c.measure == "4.3.2"]
    assert with_432 and all("4.3.2" in c.section_path for c in with_432)
    assert any(re.match(r"^4\.3\.2\b", c.text) or "\n4.3.2" in c.text for c in with_432)


@pytest.mark.parametrize(
    ("prefix", "issuer"),
    [("000_", "Hässelby-Vällingby"), ("001_", "Hässelby-Vällingby"), ("002_", "Hässelby-Vällingby"),
     ("003_", "Hägersten-Älvsjö")],
)
def test_single_committee_documents_get_their_issuer(corpus_dir: Path, embedder, prefix: str, issuer: str) -> None:  # type: ignore[no-untyped-def]
    path = next(corpus_dir.glob(f"{prefix}*.txt"))
    clean, structure = _parse(path)
    assert not structure.is_compilation
    assert structure.committee == issuer
    assert structure.title and len(structure.title) > 10
    chunks = chunk_document(path.stem, path.name, clean, structure, embedder.count_tokens)
    assert chunks and {c.committee for c in chunks} == {issuer}


SYNTHETIC = """Sammanställning av remissvar om lokala trygghetsinsatser

Nämnderna har lämnat synpunkter på förslaget om lokala trygghetsinsatser. Här följer svaren i sin helhet.

Specialförvaltningar

Parkeringsförvaltningen

Förvaltningen ser positivt på förslaget och vill samordna insatserna med övriga aktörer. Förvaltningen bedömer att kostnaderna ryms inom budget.

2.1 Åtgärd: Inrätta lokala trygghetsråd
Förvaltningen tillstyrker åtgärden men vill att ansvaret ligger hos stadsdelarna.

Vattenkontoret

Kontoret har inga invändningar mot förslaget. Kontoret vill dock betona vikten av samverkan med fastighetsägare.

Biblioteksnämnden

Skrivelse saknas.

Stadsdelsnämnder

Norrviken

Stadsdelsförvaltningen i Norrviken arbetar redan med trygghetsvandringar. Förvaltningen vill att arbetet utvecklas vidare.

Lillsjö-Berga

Förvaltningen anser att fältassistenter bör samordnas centralt. Det skulle ge bättre förutsättningar för uppföljning.

Ekudden

Förvaltningen tillstyrker förslaget i sin helhet och vill bidra med lokaler.
"""


def test_synthetic_compilation_with_unknown_names() -> None:
    """Made-up bodies and districts: detection rests on shape, not on a list of names."""
    clean = clean_text(SYNTHETIC)
    structure = detect_structure(clean.text)
    assert structure.is_compilation
    assert structure.committees == [
        "Parkeringsförvaltningen", "Vattenkontoret", "Biblioteksnämnden", "Norrviken", "Lillsjö-Berga", "Ekudden",
    ]
    by_committee = {s.committee: s for s in structure.sections if s.committee}
    assert by_committee["Biblioteksnämnden"].reply_missing
    assert not by_committee["Vattenkontoret"].reply_missing
    assert by_committee["Lillsjö-Berga"].path[:2] == ["Stadsdelsnämnder", "Lillsjö-Berga"]
    assert any(s.measure == "2.1" and s.committee == "Parkeringsförvaltningen" for s in structure.sections)
    for s in structure.sections:
        if s.committee:
            body = clean.text[s.start : s.end]
            others = [c for c in structure.committees if c != s.committee]
            assert not any(re.search(rf"^{re.escape(o)}$", body, re.MULTILINE) for o in others)


def test_single_reply_is_not_a_compilation() -> None:
    text = clean_text(
        "Till\n\nNorrviken stadsdelsnämnd\n\nYttrande över förslaget om trygghetsinsatser\n\n"
        "Förslag till beslut\n\nStadsdelsnämnden överlämnar tjänsteutlåtandet som svar på remissen.\n\n"
        "Bakgrund\n\nNorrviken är en stadsdel med stor inflyttning. Norrviken har många unga invånare.\n"
    ).text
    structure = detect_structure(text)
    assert not structure.is_compilation
    assert structure.committee == "Norrviken"


def test_a_capital_heading_over_two_lines_is_one_section() -> None:
    text = (
        "SAMMANFATTNING OCH INRIKTNING FÖR PÅGÅENDE OCH\n\nPLANERADE INSATSER\n\n"
        "Stadsdelsförvaltningen ska genom samverkan verka för en tryggare stadsdel.\n\n"
        "BAKGRUND\n\nBefolkningen beräknas öka under de kommande åren.\n"
    )
    structure = detect_structure(text)
    paths = [" > ".join(s.path) for s in structure.sections]
    assert "SAMMANFATTNING OCH INRIKTNING FÖR PÅGÅENDE OCH PLANERADE INSATSER" in paths
    assert "BAKGRUND" in paths
