"""Rate limit, body size limit, disabled admin, and the widget's pages and headers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from api.app import create_app
from radslag.components import Components
from radslag.settings import Settings
from tests.api.live import ALLOWED_ORIGIN, LiveServer, api_settings


@pytest.fixture(scope="module")
def strict_server(settings: Settings, components: Components) -> Iterator[LiveServer]:
    """A second app instance: 3 questions per minute, admin disabled (no token)."""
    server = LiveServer(create_app(api_settings(settings, rate_limit_per_minute=3, admin_token=None), components))
    yield server.start()
    server.stop()


def test_rate_limit_429_with_retry_after(strict_server: LiveServer) -> None:
    with httpx.Client(base_url=strict_server.url, timeout=120) as c:
        statuses = [c.post("/api/ask", json={"question": "Vad är Järvalyftet?"}).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        limited = c.post("/api/ask", json={"question": "Vad är Järvalyftet?"})
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert "too many" in limited.json()["detail"].lower()
        chat = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "Vad är Järvalyftet?"}]})
        assert chat.status_code == 429  # the same client, the same budget
        assert chat.json()["error"]["code"] == "rate_limit_exceeded"  # in OpenAI's shape on /v1
        assert c.get("/v1/models").status_code == 200  # listing the model is not a question
        assert c.get("/healthz").status_code == 200  # not rate limited
        assert c.get("/api/documents").status_code == 200


def test_admin_disabled_without_token(strict_server: LiveServer) -> None:
    with httpx.Client(base_url=strict_server.url, timeout=30) as c:
        r = c.post("/api/reindex", headers={"Authorization": "Bearer anything"})
        assert r.status_code == 403 and "admin disabled" in r.json()["detail"]


def test_body_too_large_413(client: httpx.Client) -> None:
    r = client.post("/api/ask", content=b'{"question": "' + b"a" * (2 << 20) + b'"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_body_too_large_without_content_length(client: httpx.Client) -> None:
    def body() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(40):
            yield b"a" * 65536
        yield b'"}'

    r = client.post("/api/ask", content=body(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_widget_page_and_headers(client: httpx.Client) -> None:
    r = client.get("/widget")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="sv">' in r.text and 'aria-live="polite"' in r.text
    csp = r.headers["content-security-policy"]
    assert f"frame-ancestors {ALLOWED_ORIGIN}" in csp and "script-src 'self'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"]
    for asset in ("/widget/app.js", "/widget/widget.css"):
        assert client.get(asset).status_code == 200
    embed = client.get("/widget.js")
    assert embed.headers["content-type"].startswith("text/javascript")
    assert "iframe" in embed.text and "widget?lang=" in embed.text


def test_passage_page_highlights(client: httpx.Client) -> None:
    answer = client.post("/api/ask", json={"question": "Vilka nämnder vill att facilitatorer samordnas centralt?"}).json()
    c = answer["citations"][0]
    r = client.get(f"/passage/{c['doc_id']}", params={"start": c["char_start"], "end": c["char_end"], "n": c["n"]})
    assert r.status_code == 200 and "<mark>" in r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    assert client.get("/passage/nope", params={"start": 0, "end": 5}).status_code == 404
