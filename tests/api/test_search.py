"""/api/search over real HTTP: passages from the LangChain retriever, with citation fields."""

from __future__ import annotations

import httpx

QUERY = "facilitatorer samordnas centralt"


def test_search_returns_attributed_passages(client: httpx.Client) -> None:
    r = client.post("/api/search", json={"query": QUERY, "k": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["query"] == QUERY and 0 < len(body["passages"]) <= 5
    scores = [p["score"] for p in body["passages"]]
    assert scores == sorted(scores, reverse=True)
    assert any("facilitator" in p["text"].lower() for p in body["passages"])
    for p in body["passages"]:
        doc = client.get(f"/api/documents/{p['doc_id']}")
        assert doc.status_code == 200 and p["source"] == doc.json()["source"]
    committee = next(p["committee"] for p in body["passages"] if p["committee"])
    scoped = client.post("/api/search", json={"query": QUERY, "filters": {"committee": [committee]}}).json()
    assert scoped["passages"] and {p["committee"] for p in scoped["passages"]} == {committee}


def test_search_validates_its_input(client: httpx.Client) -> None:
    assert client.post("/api/search", json={"query": "  "}).status_code == 422
    assert client.post("/api/search", json={"query": QUERY, "k": 0}).status_code == 422
    assert client.post("/api/search", json={"query": "x" * 5000}).status_code == 422
    assert client.post("/api/search", json={"query": QUERY, "filters": {"visibility": ["internal"]}}).status_code == 422
