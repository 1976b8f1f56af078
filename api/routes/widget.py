"""The citizen widget: a self-contained page (/widget), its embed script and a passage view."""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from api.auth import VisibilityDep
from api.catalog import chunk_at, document, passage_context
from api.deps import ComponentsDep, SettingsDep
from api.responses import UNAVAILABLE
from api.routes.documents import DocId
from radslag.settings import Settings

router = APIRouter(tags=["widget"])
STATIC = Path(__file__).resolve().parents[2] / "ui" / "static"


@lru_cache
def _static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def security_headers(settings: Settings) -> dict[str, str]:
    ancestors = " ".join(settings.api.allowed_origins) or "*"
    csp = (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        f"form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cache-Control": "no-cache",
    }


def _asset(name: str, media_type: str, settings: Settings) -> Response:
    return Response(_static(name), media_type=media_type, headers=security_headers(settings))


@router.get("/widget", response_class=HTMLResponse, summary="The citizen question widget (embed it in an iframe)")
def widget_page(settings: SettingsDep) -> Response:
    return _asset("widget.html", "text/html; charset=utf-8", settings)


@router.get("/widget/app.js", include_in_schema=False)
def widget_app(settings: SettingsDep) -> Response:
    return _asset("widget-app.js", "text/javascript; charset=utf-8", settings)


@router.get("/widget/widget.css", include_in_schema=False)
def widget_css(settings: SettingsDep) -> Response:
    return _asset("widget.css", "text/css; charset=utf-8", settings)


@router.get(
    "/widget.js",
    summary="Embed script: <script src=\".../widget.js\" async></script> injects the widget iframe",
    response_class=Response,
    responses={200: {"description": "JavaScript.", "content": {"text/javascript": {"schema": {"type": "string"}}}}},
)
def widget_embed(settings: SettingsDep) -> Response:
    headers = {**security_headers(settings), "Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"}
    return Response(_static("embed.js"), media_type="text/javascript; charset=utf-8", headers=headers)


PASSAGE_TEXT = {
    "sv": ("Källa", "Dokument", "Nämnd", "Sida", "Det markerade stycket är det som svaret hänvisar till.", "Dokumentet finns inte."),
    "en": ("Source", "Document", "Committee", "Page", "The highlighted passage is what the answer refers to.", "No such document."),
}


@router.get(
    "/passage/{doc_id}",
    response_class=HTMLResponse,
    summary="A cited passage in its context, highlighted",
    responses={404: {"description": "No such document (or not visible to the caller): an HTML page saying so.",
                     "content": {"text/html": {"schema": {"type": "string"}}}}}
    | UNAVAILABLE,
)
def passage_page(
    settings: SettingsDep,
    components: ComponentsDep,
    visibility: VisibilityDep,
    doc_id: str = DocId,
    start: int = Query(0, ge=0),
    end: int = Query(0, ge=0),
    n: int | None = Query(None, ge=0, le=1000),
    lang: str = Query("sv", pattern="^(sv|en)$"),
) -> Response:
    t = PASSAGE_TEXT[lang]
    doc = document(components, doc_id, visibility)
    headers = security_headers(settings)
    if doc is None:
        body = f"<main class='widget'><h1>{t[5]}</h1></main>"
        return HTMLResponse(_page(lang, t[0], body), status_code=404, headers=headers)
    before, passage, after = passage_context(doc["text"], start, end)
    located = chunk_at(components, doc_id, start, end)
    committees = str(located.get("committee") or doc.get("committee") or "")
    page = located.get("page")
    title = doc["title"] or doc["source"]
    meta = f"<p><strong>{t[1]}:</strong> {html.escape(title)}</p>"
    if committees:
        meta += f"<p><strong>{t[2]}:</strong> {html.escape(committees)}</p>"
    if isinstance(page, int) and page >= 0:
        meta += f"<p><strong>{t[3]}:</strong> {page}</p>"
    heading = f"{t[0]} [{n}]" if n is not None else t[0]
    body = (
        f"<main class='widget'><h1>{html.escape(heading)}</h1>{meta}<p class='hint'>{t[4]}</p>"
        f"<div class='context'>{html.escape(before)}<mark>{html.escape(passage)}</mark>{html.escape(after)}</div></main>"
    )
    return HTMLResponse(_page(lang, heading, body), headers=headers)


def _page(lang: str, title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)} – Rådslag</title><link rel='stylesheet' href='../widget/widget.css'></head>"
        f"<body>{body}</body></html>"
    )
