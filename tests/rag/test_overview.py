"""The remiss overview over the real index: structure, learned stances, exports."""

from __future__ import annotations

import io

import pytest

from eval.bank import load
from rag.overview import STANCES, measure_of
from rag.overview_report import csv_text, markdown, md_text, to_report, xlsx_bytes
from rag.types import Filters
from tests.eval.test_stance_gold import STANCE

MISSING = {
    "Fastighetskontoret", "Kyrkogårdsförvaltningen", "Revisionskontoret", "Serviceförvaltningen", "Socialförvaltningen",
    "Valnämnden", "Äldreförvaltningen", "Överförmyndarförvaltningen", "Kungsholmen", "Spånga-Tensta",
}  # fmt: skip


@pytest.fixture(scope="module")
def measure_overview(pipeline):  # type: ignore[no-untyped-def]
    return pipeline.overview("4.3.2")


def test_measure_or_topic() -> None:
    assert measure_of("4.3.2") == "4.3.2"
    assert measure_of(" åtgärd 6.4.4 ") == "6.4.4"
    assert measure_of("facilitatorer samordnas centralt") is None
    assert measure_of("4.3.2 och 4.3.1") is None


def test_every_committee_once_missing_replies_from_metadata(measure_overview) -> None:  # type: ignore[no-untyped-def]
    names = [r.committee for r in measure_overview.rows]
    assert len(names) == len(set(names)) == 31
    assert {r.committee for r in measure_overview.rows if r.stance == "reply_missing"} == MISSING
    assert "facilitatorer" in measure_overview.measure_text
    assert all(r.stance in STANCES and 0.0 <= r.confidence <= 1.0 for r in measure_overview.rows)


def test_addressed_rows_cite_their_deciding_sentences(measure_overview) -> None:  # type: ignore[no-untyped-def]
    addressed = [r for r in measure_overview.rows if r.stance not in ("not_addressed", "reply_missing")]
    assert addressed
    for r in addressed:
        assert r.evidence is not None and 1 <= len(r.evidence.sentences) <= 2
        assert r.evidence.passage.committee == r.committee
        text = " ".join(r.evidence.passage.text.split())
        assert all(" ".join(s.split()) in text for s in r.evidence.sentences)
    assert all(r.evidence is None for r in measure_overview.rows if r.stance in ("not_addressed", "reply_missing"))


def test_addressed_committees_match_the_gold_set(measure_overview) -> None:  # type: ignore[no-untyped-def]
    """Every committee whose reply discusses the facilitators (4.3.2, per the verified gold set)
    gets a stance; every other reply is not addressed."""
    gold = {r["committee"]: r["stance"] for r in load(STANCE) if r["measure"] == "4.3.2"}
    got = {r.committee: r.stance for r in measure_overview.rows}
    addressed = {c for c, s in gold.items() if s not in ("not_addressed", "reply_missing")}
    assert {c for c, s in got.items() if s not in ("not_addressed", "reply_missing")} == addressed


def test_topic_overview_central_coordination(pipeline) -> None:  # type: ignore[no-untyped-def]
    rows = {r.committee: r for r in pipeline.overview("facilitatorer samordnas centralt").rows}
    for name in ("Hässelby-Vällingby", "Norrmalm", "Södermalm"):
        assert rows[name].stance.startswith("positive"), (name, rows[name].stance)
        assert rows[name].evidence is not None


def test_visibility_filters_the_overview(pipeline) -> None:  # type: ignore[no-untyped-def]
    hidden = pipeline.overview("4.3.2", Filters(visibility=["no-such-visibility"]))
    assert hidden.rows == []
    assert pipeline.measures(Filters(visibility=["no-such-visibility"])) == []


def test_measures_view(pipeline) -> None:  # type: ignore[no-untyped-def]
    measures = {m.measure: m for m in pipeline.measures()}
    assert "4.3.2" in measures and len(measures["4.3.2"].committees) >= 5
    assert measures["4.3.2"].text.startswith("Utred möjligheten")


def test_exports_keep_document_text_literal(measure_overview) -> None:  # type: ignore[no-untyped-def]
    report = to_report(measure_overview, "en")
    md = markdown(report, "en")
    assert md.count("\n| ") == 32  # header + one row per committee
    assert "reply missing" in md and "Remiss overview" in md
    assert md_text("<img src=x onerror=alert(1)> ![a](http://x/y.png) | cell") == (
        "\\<img src=x onerror=alert\\(1\\)\\> \\!\\[a\\]\\(http\\://x/y.png\\) \\| cell"
    )
    rows = csv_text(report, "en").splitlines()
    assert rows[0].startswith("Committee,") and len(rows) >= 32

    from openpyxl import load_workbook

    report.rows[0].sentences = ["=HYPERLINK(\"http://x\")"]
    sheet = load_workbook(io.BytesIO(xlsx_bytes(report, "sv"))).active
    assert sheet.max_row == 32 and sheet["A1"].value == "Nämnd"
    assert sheet["E2"].value == "=HYPERLINK(\"http://x\")" and sheet["E2"].data_type == "s"


def test_exports_speak_the_language_asked_not_the_one_built_in(measure_overview) -> None:  # type: ignore[no-untyped-def]
    # The workspace builds an overview in one language and exports it again after a switch.
    built_sv = to_report(measure_overview, "sv")
    md = markdown(built_sv, "en")
    assert "| Committee |" in md and "reply missing" in md
    assert "svar saknas" not in md and ", s. " not in md
    cited = [r for r in built_sv.rows if r.citation is not None and r.citation.page is not None]
    if cited:
        assert f", p. {cited[0].citation.page}" in md
    rows = csv_text(built_sv, "en").splitlines()
    assert sum("reply missing" in r for r in rows) == len(MISSING)
    built_en = to_report(measure_overview, "en")
    assert markdown(built_en, "sv") == markdown(built_sv, "sv")
