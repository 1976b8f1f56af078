"""Admin endpoints: auth, upload → answerable without restart → delete, and bad uploads."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from radslag.settings import Settings

PHRASE = "Zebrafinkprojektet"
DOC_TEXT = (
    f"{PHRASE} i Vällingby\n\n"
    f"{PHRASE} är ett försök där Vällingby bibliotek lånar ut fågelholkar till skolklasser varje vår. "
    f"Under {PHRASE} räknar eleverna zebrafinkar och rapporterar till stadsdelsförvaltningen.\n"
)


def chunks(client: httpx.Client) -> int:
    return int(client.get("/readyz").json()["chunks"])


def ask_until(client: httpx.Client, question: str, predicate, timeout: float = 15.0) -> dict:  # type: ignore[no-untyped-def]
    """The index snapshot refreshes within seconds; ask until ``predicate(answer)`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        answer = client.post("/api/ask", json={"question": question}).json()
        if predicate(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.5)


def test_auth_missing_and_wrong_token(client: httpx.Client) -> None:
    files = {"file": ("x.txt", b"hej", "text/plain")}
    missing = client.post("/api/documents", files=files)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    wrong = client.post("/api/documents", files=files, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    assert client.delete("/api/documents/000_7755f59f240816d8").status_code == 401
    assert client.post("/api/reindex", headers={"Authorization": "Bearer nope"}).status_code == 403


def test_upload_answer_delete(client: httpx.Client, admin_headers: dict[str, str]) -> None:
    before = chunks(client)
    name = f"zebrafink-{uuid.uuid4().hex[:8]}.txt"
    doc_id = name.removesuffix(".txt")
    files = {"file": (name, DOC_TEXT.encode(), "text/plain")}
    # Uploads are internal unless marked public; the questions below come from the public.
    r = client.post("/api/documents", files=files, data={"visibility": "public"}, headers=admin_headers)
    assert r.status_code == 201, r.text
    assert r.json()["doc_id"] == doc_id and r.json()["chunks"] >= 1
    try:
        assert chunks(client) > before
        question = f"Vad är {PHRASE}?"
        answer = ask_until(client, question, lambda a: any(c["doc_id"] == doc_id for c in a["citations"]))
        assert any(c["doc_id"] == doc_id for c in answer["citations"]), answer
        assert PHRASE in answer["answer"]
        assert client.get(f"/api/documents/{doc_id}").json()["text"].startswith(PHRASE)
    finally:
        d = client.delete(f"/api/documents/{doc_id}", headers=admin_headers)
    assert d.status_code == 200 and d.json()["chunks_deleted"] >= 1
    assert chunks(client) == before
    assert client.get(f"/api/documents/{doc_id}").status_code == 404
    answer = ask_until(client, question, lambda a: all(c["doc_id"] != doc_id for c in a["citations"]))
    assert all(c["doc_id"] != doc_id for c in answer["citations"])
    assert client.delete(f"/api/documents/{doc_id}", headers=admin_headers).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "status", "message"),
    [
        ("virus.exe", b"MZ\x90\x00", 415, "unsupported file type"),
        ("notes", b"no suffix", 415, "unsupported file type"),
        ("empty.txt", b"", 422, "empty"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog", 422, "PDF"),
        ("binary.txt", b"\x00\x01\x02" * 100, 422, "binary"),
        ("big.txt", b"a" * (1_100_000), 413, "larger than"),
        ("huge.txt", b"a" * (3 << 20), 413, "too large"),
    ],
)
def test_bad_uploads_leave_the_index_untouched(
    client: httpx.Client, admin_headers: dict[str, str], settings: Settings,
    name: str, content: bytes, status: int, message: str,
) -> None:
    before, docs_before = chunks(client), len(client.get("/api/documents").json())
    r = client.post("/api/documents", files={"file": (name, content, "application/octet-stream")}, headers=admin_headers)
    assert r.status_code == status, r.text
    assert message.lower() in r.json()["detail"].lower()
    assert chunks(client) == before
    assert len(client.get("/api/documents").json()) == docs_before
    leftovers = [p for p in settings.data_dir.joinpath("uploads").rglob("*") if p.is_file()]
    leftovers += [p for p in settings.data_dir.joinpath("staging").rglob("*") if p.is_file()]
    assert not leftovers, leftovers


def test_reindex_changes_nothing_when_current(client: httpx.Client, admin_headers: dict[str, str]) -> None:
    before = chunks(client)
    r = client.post("/api/reindex", headers=admin_headers)
    assert r.status_code == 200, r.text
    report = r.json()["report"]
    assert report["indexed"] == 0 and report["unchanged"] >= 5 and not report["skipped"]
    assert r.json()["chunks"] == before
