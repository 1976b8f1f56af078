"""Health, readiness, document and committee endpoints over real HTTP."""

from __future__ import annotations

import httpx

from tests.api.live import ALLOWED_ORIGIN


def test_healthz(client: httpx.Client) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readyz_reports_store_and_model(client: httpx.Client) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ready" and body["store"] and body["model"]
    assert body["chunks"] > 0
    assert body["limit_store"] is None  # counted in-process: no shared store to wait for


def test_documents_list_and_detail(client: httpx.Client) -> None:
    docs = client.get("/api/documents").json()
    assert len(docs) >= 5
    compilation = next(d for d in docs if d["doc_id"].startswith("004_"))
    assert len(compilation["committees"]) >= 10  # the compilation of committee replies
    detail = client.get(f"/api/documents/{compilation['doc_id']}")
    assert detail.status_code == 200
    assert len(detail.json()["text"]) > 10_000
    assert client.get("/api/documents/no_such_doc").status_code == 404
    assert client.get("/api/documents/..%2F..%2Fetc").status_code in (404, 422)


def test_committees(client: httpx.Client) -> None:
    committees = client.get("/api/committees").json()
    names = {c["name"] for c in committees}
    assert len(names) >= 10
    assert all(c["doc_ids"] and c["chunks"] > 0 for c in committees)


def test_openapi_lists_the_endpoints(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/ask", "/api/ask/stream", "/v1/chat/completions", "/v1/models", "/api/documents",
                 "/api/documents/{doc_id}", "/api/committees", "/api/reindex", "/healthz", "/readyz"):
        assert path in paths, path
    assert "post" in paths["/api/documents"] and "delete" in paths["/api/documents/{doc_id}"]


def test_cors_allow_list(client: httpx.Client) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    ok = client.options("/api/ask", headers={"Origin": ALLOWED_ORIGIN, **preflight})
    assert ok.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN
    other = client.options("/api/ask", headers={"Origin": "http://evil.example", **preflight})
    assert "access-control-allow-origin" not in other.headers
