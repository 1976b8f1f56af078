"""Security basics: admin token handling, CORS allow-list, widget headers."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.api.live import ADMIN_TOKEN, ALLOWED_ORIGIN, LiveServer


def test_admin_token_checks_and_never_logged(live: LiveServer, caplog: pytest.LogCaptureFixture) -> None:
    wrong = ADMIN_TOKEN[:-1] + "X"  # same length, differs in the last byte
    caplog.set_level(logging.DEBUG)
    with httpx.Client(base_url=live.url, timeout=60) as c:
        statuses = [
            c.post("/api/reindex", headers={"Authorization": f"Bearer {t}"}).status_code
            for t in (wrong, ADMIN_TOKEN[:4], ADMIN_TOKEN + "extra", "x")
        ]
        assert statuses[:3] == [403, 403, 403] and statuses[3] == 403
        assert c.post("/api/reindex", headers={"Authorization": "Bearer"}).status_code == 401
        assert c.delete("/api/documents/nope", headers={"Authorization": f"Bearer {wrong}"}).status_code == 403
        ok = c.delete("/api/documents/nope", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert ok.status_code == 404  # the right token passes the check
        for r in (ok,):
            assert ADMIN_TOKEN not in r.text
    logged = caplog.text + "".join(str(rec.args) for rec in caplog.records)
    assert ADMIN_TOKEN not in logged and wrong not in logged


def test_cors_allow_list(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url, timeout=30) as c:
        pre = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
        allowed = c.options("/api/ask", headers={"Origin": ALLOWED_ORIGIN, **pre})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
        other = c.options("/api/ask", headers={"Origin": "https://evil.example", **pre})
        assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
        simple = c.get("/api/committees", headers={"Origin": "https://evil.example"})
        assert simple.status_code == 200 and "access-control-allow-origin" not in simple.headers
        simple_ok = c.get("/api/committees", headers={"Origin": ALLOWED_ORIGIN})
        assert simple_ok.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


def test_widget_security_headers(live: LiveServer) -> None:
    r = httpx.get(f"{live.url}/widget", timeout=30)
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and f"frame-ancestors {ALLOWED_ORIGIN}" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
