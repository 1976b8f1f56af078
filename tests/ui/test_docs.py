"""/docs and /redoc render their operations in a real browser with every outside request blocked.

An offline city network is simulated in the browser: any request to a host that is not
loopback is recorded and aborted. The pages must still render the API's operations, and must
not even have tried to reach another host (a CDN script, a font, a favicon, a validator badge,
ReDoc's logo) — neither over the network nor as a request the page's CSP had to stop.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.api.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture
def offline_page(page):  # type: ignore[no-untyped-def]
    """``page`` with outside network blocked; ``page.outside`` lists every outside URL it tried."""
    outside: list[str] = []

    def route(r) -> None:  # type: ignore[no-untyped-def]
        if is_loopback(r.request.url):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort("internetdisconnected")

    page.context.route("**/*", route)
    # Also from the request log: a request the router never sees (e.g. a WebSocket) still counts.
    page.on("request", lambda req: None if is_loopback(req.url) or req.url in outside else outside.append(req.url))
    # A request the Content-Security-Policy blocks never reaches the network, but was still attempted.
    page.add_init_script("window.__cspViolations = []; document.addEventListener('securitypolicyviolation',"
                         " e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));")
    page.outside = outside
    return page


def csp_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.evaluate("window.__cspViolations")


def loaded_stylesheets(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The href of every stylesheet that actually loaded (its rules are readable)."""
    return page.evaluate(
        "[...document.styleSheets].filter(s => s.href && s.cssRules.length > 0).map(s => s.href)"
    )


def test_swagger_ui_renders_offline(offline_page, ui_server: LiveServer, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    page = offline_page
    page.goto(f"{ui_server.url}/docs")
    ask = page.locator(".opblock", has=page.locator('.opblock-summary-path[data-path="/api/ask"]'))
    ask.first.wait_for()
    assert "/api/ask" in ask.first.inner_text()
    assert "post" in ask.first.get_attribute("class")
    paths = page.locator(".opblock-summary-path").evaluate_all("els => els.map(e => e.dataset.path)")
    assert {"/api/ask", "/v1/chat/completions", "/api/documents"} <= set(paths)
    assert any(href.endswith("/docs-assets/swagger-ui.css") for href in loaded_stylesheets(page))
    # Opening an operation shows its request body schema: the OpenAPI document was read, not just listed.
    ask.first.locator(".opblock-summary").click()
    ask.first.locator(".opblock-body").wait_for()
    page.screenshot(path=str(artifacts_dir / "docs-swagger-offline.png"), full_page=False)
    assert page.outside == []
    assert csp_violations(page) == []


def test_redoc_renders_offline(offline_page, ui_server: LiveServer, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    page = offline_page
    page.goto(f"{ui_server.url}/redoc")
    operation = page.locator('[data-section-id^="operation/"]')
    operation.first.wait_for()
    assert operation.count() > 5
    page.get_by_text("/api/ask", exact=True).first.wait_for(state="attached")
    # The sidebar (and its credit, whose logo would come from Redocly's CDN) has rendered too.
    page.get_by_text("API docs by Redocly").wait_for()
    page.screenshot(path=str(artifacts_dir / "docs-redoc-offline.png"), full_page=False)
    assert page.outside == []
    assert csp_violations(page) == []


def test_no_page_names_an_outside_asset(ui_server: LiveServer) -> None:
    """The HTML itself points only at the app's own assets (FastAPI's defaults name a CDN)."""
    import httpx

    for path in ("/docs", "/redoc"):
        response = httpx.get(f"{ui_server.url}{path}", timeout=30)
        assert "/docs-assets/" in response.text, path
        assert "http://" not in response.text and "https://" not in response.text, path
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "img-src 'self' data:" in policy, path
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"):
        response = httpx.get(f"{ui_server.url}/docs-assets/{asset}", timeout=30)
        assert response.status_code == 200 and len(response.content) > 1000, asset
    redoc = httpx.get(f"{ui_server.url}/docs-assets/redoc.standalone.js", timeout=30)
    assert b"cdn.redoc.ly" not in redoc.content
    cached = httpx.get(redoc.url, headers={"If-None-Match": redoc.headers["etag"]}, timeout=30)
    assert cached.status_code == 304
