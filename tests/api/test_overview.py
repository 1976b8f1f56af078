"""GET /api/overview, its exports and the measures list, over real HTTP."""

from __future__ import annotations

import io

import httpx


def test_overview_by_measure(client: httpx.Client) -> None:
    r = client.get("/api/overview", params={"measure": "4.3.2"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["measure"] == "4.3.2" and "facilitatorer" in body["measure_text"]
    assert len(body["rows"]) == 31 and body["counts"]["reply_missing"] == 10
    cited = [row for row in body["rows"] if row["citation"]]
    assert cited and all(row["citation"]["committee"] == row["committee"] for row in cited)
    assert all(row["stance_label"] for row in body["rows"])


def test_overview_by_topic_in_english(client: httpx.Client) -> None:
    r = client.get("/api/overview", params={"topic": "facilitatorer samordnas centralt", "lang": "en"})
    assert r.status_code == 200
    labels = {row["stance_label"] for row in r.json()["rows"]}
    assert "reply missing" in labels


def test_bad_overview_requests(client: httpx.Client) -> None:
    assert client.get("/api/overview").status_code == 422  # neither
    assert client.get("/api/overview", params={"measure": "4.3.2", "topic": "x"}).status_code == 422  # both
    assert client.get("/api/overview", params={"measure": "fyra"}).status_code == 422
    assert client.get("/api/overview", params={"topic": "x" * 5000}).status_code == 422
    assert client.get("/api/overview/export", params={"measure": "4.3.2", "format": "pdf"}).status_code == 422


def test_exports(client: httpx.Client) -> None:
    md = client.get("/api/overview/export", params={"measure": "4.3.2"})
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert "| Nämnd |" in md.text
    xlsx = client.get("/api/overview/export", params={"measure": "4.3.2", "format": "xlsx"})
    assert xlsx.status_code == 200 and "remiss-4.3.2.xlsx" in xlsx.headers["content-disposition"]
    from openpyxl import load_workbook

    assert load_workbook(io.BytesIO(xlsx.content)).active.max_row == 32


def test_measures_list(client: httpx.Client) -> None:
    measures = client.get("/api/measures").json()
    found = {m["measure"]: m for m in measures}
    assert "4.3.2" in found and len(found["4.3.2"]["committees"]) >= 5


def test_openapi_documents_the_overview(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/overview" in paths and "/api/measures" in paths
    params = {p["name"] for p in paths["/api/overview"]["get"]["parameters"]}
    assert {"measure", "topic", "doc_id", "lang"} <= params
