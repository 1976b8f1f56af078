"""Issue 8: internal documents never reach the public; officials sign in to see them."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from openai import OpenAI

from tests.access.conftest import ADMIN, OFFICIAL, SECRET_DOC, SECRET_MARKERS, Deployment
from tests.api.live import ADMIN_TOKEN

QUESTIONS = ("Vad är Projekt Blåvingen?", "Vilka nämnder nämner Blåvingen?")


def _assert_clean(text: str, where: str) -> None:
    low = text.lower()
    for marker in SECRET_MARKERS:
        assert marker.lower() not in low, f"{marker!r} leaked through {where}: {text[:500]}"


def _login(c: httpx.Client, who: tuple[str, str]) -> str:
    r = c.post("/api/auth/login", json={"username": who[0], "password": who[1]})
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def _public_leaks(c: httpx.Client, url: str) -> None:
    """Every public way in: none may return the internal document's text or id."""
    for q in QUESTIONS:
        r = c.post("/api/ask", json={"question": q})
        assert r.status_code == 200
        _assert_clean(r.text, f"/api/ask {q!r}")
        r = c.post("/api/ask", json={"question": q, "filters": {"doc_id": [SECRET_DOC]}})
        assert r.status_code == 200
        _assert_clean(r.text, "/api/ask with a doc_id filter")
        for filters in (None, {"doc_id": [SECRET_DOC]}):
            r = c.post("/api/search", json={"query": q, "filters": filters})
            assert r.status_code == 200
            _assert_clean(r.text, f"/api/search with filters {filters}")
        with c.stream("POST", "/api/ask/stream", json={"question": q}) as s:
            assert s.status_code == 200
            _assert_clean(s.read().decode(), "/api/ask/stream")
        body = {"model": "radslag", "messages": [{"role": "user", "content": q}]}
        r = c.post("/v1/chat/completions", json=body)
        assert r.status_code == 200
        _assert_clean(r.text, "/v1/chat/completions")
        with c.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as s:
            _assert_clean(s.read().decode(), "/v1/chat/completions stream")
    client = OpenAI(base_url=f"{url}/v1", api_key="none", timeout=120)
    done = client.chat.completions.create(model="radslag", messages=[{"role": "user", "content": QUESTIONS[0]}])
    _assert_clean(done.model_dump_json(), "openai client")
    for path in ("/api/documents", "/api/committees"):
        r = c.get(path)
        assert r.status_code == 200
        _assert_clean(r.text, path)
    assert c.get(f"/api/documents/{SECRET_DOC}").status_code == 404
    assert c.get(f"/passage/{SECRET_DOC}?start=0&end=40").status_code == 404
    # Bad or expired credentials are no better than none.
    bad = {"Authorization": "Bearer eyJ1IjoiYW5uYSJ9.forged"}
    assert c.get(f"/api/documents/{SECRET_DOC}", headers=bad).status_code == 404
    _assert_clean(c.post("/api/ask", json={"question": QUESTIONS[0]}, headers=bad).text, "forged token")


@pytest.mark.parametrize("kind", ["embedded", "served"])
def test_public_never_sees_internal_documents(kind: str, request: pytest.FixtureRequest) -> None:
    dep: Deployment = request.getfixturevalue(kind)
    with httpx.Client(base_url=dep.url, timeout=120) as c:
        _public_leaks(c, dep.url)
        # The public documents are still there for the public.
        docs = c.get("/api/documents").json()
        assert len(docs) == 2 and all(d["visibility"] == "public" for d in docs)
        # An official sees the internal document, with a citation.
        token = _login(c, OFFICIAL)
        auth = {"Authorization": f"Bearer {token}"}
        answer = c.post("/api/ask", json={"question": QUESTIONS[0]}, headers=auth).json()
        assert not answer["refused"], answer["answer"]
        cited = [x for x in answer["citations"] if x["doc_id"] == SECRET_DOC]
        assert cited and "7781" in cited[0]["text"]
        assert "[" in answer["answer"]
        assert c.get(f"/api/documents/{SECRET_DOC}", headers=auth).status_code == 200
        found = c.post("/api/search", json={"query": QUESTIONS[0]}, headers=auth).json()["passages"]
        assert any(p["doc_id"] == SECRET_DOC and "7781" in p["text"] for p in found)


def test_official_session_cookie_and_me(embedded: Deployment) -> None:
    with httpx.Client(base_url=embedded.url, timeout=120) as c:
        assert c.get("/api/auth/me").json() == {"username": "", "role": "public"}
        r = c.post("/api/auth/login", json={"username": OFFICIAL[0], "password": OFFICIAL[1]})
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=" in cookie
        assert c.get("/api/auth/me").json() == {"username": "anna", "role": "official"}  # the cookie
        ids = {d["doc_id"] for d in c.get("/api/documents").json()}
        assert SECRET_DOC in ids
        detail = c.get(f"/api/documents/{SECRET_DOC}").json()
        assert detail["visibility"] == "internal" and "7781" in detail["text"]
        stream = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": QUESTIONS[0]}]})
        assert SECRET_DOC in {x["doc_id"] for x in stream.json()["citations"]}
        assert c.post("/api/auth/logout").status_code == 204
        assert c.get(f"/api/documents/{SECRET_DOC}").status_code == 404


def test_workspace_requires_sign_in(embedded: Deployment) -> None:
    with httpx.Client(base_url=embedded.url, timeout=120) as c:
        for path in ("/ui", "/ui/", "/ui/gradio_api/info", "/ui/config"):
            r = c.get(path)
            assert r.status_code == 303 and r.headers["location"] == "/login", path
        page = c.get("/login")
        assert page.status_code == 200 and 'lang="sv"' in page.text
        assert '<label for="username">' in page.text and '<label for="password">' in page.text
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert c.get("/login.js").status_code == 200
        assert c.get("/widget").status_code == 200  # the citizen widget stays open
        _login(c, OFFICIAL)
        assert c.get("/ui/").status_code == 200


def test_roles_upload_patch_delete(embedded: Deployment) -> None:
    doc = "kvarnen_plan"
    files = {"file": (f"{doc}.txt", "Kvarnen 5512 byggs om av Stadsledningskontoret under 2026.\n" * 3, "text/plain")}
    with httpx.Client(base_url=embedded.url, timeout=120) as c:
        official = {"Authorization": f"Bearer {_login(c, OFFICIAL)}"}
        admin = {"Authorization": f"Bearer {_login(c, ADMIN)}"}
        c.cookies.clear()
        assert c.post("/api/documents", files=files, headers=official).status_code == 403
        up = c.post("/api/documents", files=files, headers=admin)
        assert up.status_code == 201, up.text
        assert c.get(f"/api/documents/{doc}").status_code == 404  # uploads are internal by default
        assert c.get(f"/api/documents/{doc}", headers=official).status_code == 200
        assert c.patch(f"/api/documents/{doc}", json={"visibility": "public"}, headers=official).status_code == 403
        assert c.patch(f"/api/documents/{doc}", json={"visibility": "public"}).status_code == 401
        assert c.patch(f"/api/documents/{doc}", json={"visibility": "secret"}, headers=admin).status_code == 422
        assert c.patch("/api/documents/no_such_doc", json={"visibility": "public"}, headers=admin).status_code == 404
        r = c.patch(f"/api/documents/{doc}", json={"visibility": "public"}, headers=admin)
        assert r.status_code == 200 and r.json()["chunks"] >= 1
        meta = embedded.components.store.metadatas_for_doc(doc)
        assert meta and all(m["visibility"] == "public" for m in meta)
        assert c.get(f"/api/documents/{doc}").json()["visibility"] == "public"
        deadline = time.monotonic() + 10  # the lexical snapshot refreshes within a few seconds
        while True:
            answer = c.post("/api/ask", json={"question": "Vad händer med Kvarnen 5512?"}).json()
            if doc in {x["doc_id"] for x in answer["citations"]} or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert doc in {x["doc_id"] for x in answer["citations"]}, answer
        # Back to internal, with the static admin token (still an admin credential).
        token = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        assert c.patch(f"/api/documents/{doc}", json={"visibility": "internal"}, headers=token).status_code == 200
        assert c.get(f"/api/documents/{doc}").status_code == 404
        assert c.delete(f"/api/documents/{doc}", headers=official).status_code == 403
        assert c.delete(f"/api/documents/{doc}").status_code == 401
        assert c.delete(f"/api/documents/{doc}", headers=admin).status_code == 200
        assert c.get(f"/api/documents/{doc}", headers=official).status_code == 404


def test_wrong_password_401_then_429(embedded: Deployment) -> None:
    """Runs last in this module: it blocks sign-ins from 127.0.0.1 for a minute."""
    with httpx.Client(base_url=embedded.url, timeout=60) as c:
        statuses = [c.post("/api/auth/login", json={"username": "anna", "password": f"fel-{i}"}).status_code for i in range(5)]
        assert statuses == [401] * 5
        assert c.post("/api/auth/login", json={"username": "nobody", "password": "x"}).status_code == 429
        blocked = c.post("/api/auth/login", json={"username": OFFICIAL[0], "password": OFFICIAL[1]})
        assert blocked.status_code == 429 and 1 <= int(blocked.headers["retry-after"]) <= 60
        assert "set-cookie" not in blocked.headers
        assert json.loads(blocked.text)["detail"].startswith("Too many")
