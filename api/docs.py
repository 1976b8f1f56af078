"""Swagger UI (/docs) and ReDoc (/redoc) with their JavaScript and CSS served by the app itself.

FastAPI's default pages load Swagger UI, ReDoc, a favicon and Google Fonts from CDNs, so on an
offline city network /docs is a blank page. This follows FastAPI's "Self-hosting JavaScript and
CSS for docs": the app is created with ``docs_url=None, redoc_url=None`` and these routes render
the same pages pointing at local copies. The copies come from the ``fastapi-offline`` wheel
(Swagger UI 5 and ReDoc 2 bundles, pinned in constraints.txt), so upgrading them is a version
bump, not hand-vendored files in this repository.

ReDoc 2.5's sidebar always shows Redocly's logo from ``cdn.redoc.ly`` (no option turns it off),
so the ReDoc bundle is served with that one address blanked: the image then fails without a
request and ReDoc hides it (the "API docs by Redocly" credit stays). Both pages also carry a
Content-Security-Policy that allows only the app's own origin (plus the pages' own inline
scripts, by hash), so a request a future bundle might add stays in the browser too.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from functools import lru_cache
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

log = logging.getLogger(__name__)

ASSETS_PATH = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")
# validatorUrl=None: Swagger UI would otherwise ask validator.swagger.io to badge a non-local spec.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}
REDOC_LOGO = b'"https://cdn.redoc.ly/redoc/logo-mini.svg"'
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
# styled-components (ReDoc) injects <style> elements, hence 'unsafe-inline' for styles only;
# ReDoc's search runs in a worker created from a blob: URL.
CSP = (
    "default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)


def same_origin_only(page: HTMLResponse) -> HTMLResponse:
    """``page`` with a policy that lets the browser load nothing but this origin and its own inline scripts."""
    body = bytes(page.body).decode("utf-8")
    hashes = "".join(
        " 'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"
        for script in INLINE_SCRIPT.findall(body)
    )
    page.headers["Content-Security-Policy"] = CSP.format(hashes=hashes)
    page.headers["X-Content-Type-Options"] = "nosniff"
    page.headers["Referrer-Policy"] = "same-origin"
    return page


@lru_cache(maxsize=1)
def redoc_bundle() -> tuple[bytes, str]:
    """The ReDoc bundle with its one outside address (the sidebar logo) blanked, and its ETag."""
    bundle = (ASSETS_DIR / "redoc.standalone.js").read_bytes()
    if bundle.count(REDOC_LOGO) != 1:  # a new ReDoc: the CSP still blocks it; tests/ui/test_docs.py will say
        log.warning("ReDoc bundle: expected its logo address once, found it %d times", bundle.count(REDOC_LOGO))
    bundle = bundle.replace(REDOC_LOGO, b'""')
    return bundle, '"' + hashlib.sha256(bundle).hexdigest()[:32] + '"'


def install_docs(app: FastAPI, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Mount the bundled assets and add the two documentation pages (not part of the schema)."""
    missing = [name for name in ASSETS if not (ASSETS_DIR / name).is_file()]
    if missing:  # a broken install would otherwise show a blank page only in a browser
        raise RuntimeError(f"fastapi-offline is missing its docs assets {missing} in {ASSETS_DIR}")
    assert app.openapi_url, "the docs pages need the OpenAPI document"
    openapi_url, oauth2_redirect_url = app.openapi_url, f"{docs_url}/oauth2-redirect"

    # Declared before the mount, so this route answers for the bundle instead of the file as shipped.
    @app.get(f"{ASSETS_PATH}/redoc.standalone.js", include_in_schema=False)
    async def redoc_js(request: Request) -> Response:
        bundle, etag = redoc_bundle()
        headers = {"ETag": etag, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(bundle, media_type="text/javascript; charset=utf-8", headers=headers)

    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")  # behind a proxy prefix the assets move with it
        return same_origin_only(get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} – Swagger UI",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            oauth2_redirect_url=f"{root}{oauth2_redirect_url}",
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        ))

    @app.get(oauth2_redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return same_origin_only(get_swagger_ui_oauth2_redirect_html())

    @app.get(redoc_url, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return same_origin_only(get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} – ReDoc",
            redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        ))
