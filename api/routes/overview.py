"""The remiss overview: every committee's stance on one measure or topic, with citations."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.exceptions import RequestValidationError

from api.auth import VisibilityDep
from api.deps import ComponentsDep, SettingsDep
from api.responses import RATE_LIMITED, UNAVAILABLE
from api.schemas import check_length, scoped_filters
from rag.overview_report import MeasureOut, OverviewReport, csv_text, markdown, measures_out, to_report, xlsx_bytes

router = APIRouter(prefix="/api", tags=["overview"])

Measure = Annotated[
    str | None, Query(pattern=r"^\d+(\.\d+){1,3}$", description="A measure number, e.g. 4.3.2.", examples=["4.3.2"])
]
Topic = Annotated[
    str | None, Query(min_length=1, max_length=2000, description="A free-text proposal, e.g. 'facilitatorer samordnas centralt'.")
]
DocId = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.-]{1,100}$", description="The compilation (default: the one with most committees).")]
Lang = Annotated[Literal["sv", "en"], Query(description="Language of the stance labels and export headings.")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _query(measure: str | None, topic: str | None, max_chars: int) -> str:
    if bool(measure) == bool(topic and topic.strip()):
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("query", "measure"), "msg": "give exactly one of measure or topic", "input": None}]
        )
    if topic:
        check_length(topic, max_chars, ("query", "topic"))
    return measure or (topic or "").strip()


def _overview(components: ComponentsDep, visibility: list[str] | None, query: str, doc_id: str | None, lang: str) -> OverviewReport:
    return to_report(components.pipeline.overview(query, scoped_filters(None, visibility), doc_id), lang)


@router.get(
    "/overview",
    response_model=OverviewReport,
    summary="Every committee's stance on a measure or a topic, each with its deciding sentences and citation",
    responses=RATE_LIMITED | UNAVAILABLE,
)
def overview(
    components: ComponentsDep, settings: SettingsDep, visibility: VisibilityDep,
    measure: Measure = None, topic: Topic = None, doc_id: DocId = None, lang: Lang = "sv",
) -> OverviewReport:
    return _overview(components, visibility, _query(measure, topic, settings.api.max_question_chars), doc_id, lang)


@router.get(
    "/overview/export",
    summary="The overview as a file to paste into the remissammanställning: Markdown, CSV or XLSX",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {}, "text/csv": {}, XLSX: {}}}} | RATE_LIMITED | UNAVAILABLE,
)
def export(
    components: ComponentsDep, settings: SettingsDep, visibility: VisibilityDep,
    measure: Measure = None, topic: Topic = None, doc_id: DocId = None, lang: Lang = "sv",
    format: Annotated[Literal["md", "csv", "xlsx"], Query(description="File format.")] = "md",  # noqa: A002
) -> Response:
    report = _overview(components, visibility, _query(measure, topic, settings.api.max_question_chars), doc_id, lang)
    name = f"remiss-{report.measure or 'overview'}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "xlsx":
        return Response(xlsx_bytes(report, lang), media_type=XLSX, headers=headers)
    if format == "csv":
        return Response(csv_text(report, lang), media_type="text/csv; charset=utf-8", headers=headers)
    return Response(markdown(report, lang), media_type="text/markdown; charset=utf-8", headers=headers)


@router.get(
    "/measures",
    response_model=list[MeasureOut],
    summary="The measures the compilation's replies discuss, with the committees naming each",
    responses=UNAVAILABLE,
)
def measures(components: ComponentsDep, visibility: VisibilityDep) -> list[MeasureOut]:
    return measures_out(components.pipeline.measures(scoped_filters(None, visibility)))
