"""The citizen widget in a real browser, with axe-core accessibility checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.api.live import LiveServer
from tests.ui.conftest import HostPage, settled

pytestmark = [pytest.mark.browser, pytest.mark.slow]
QUESTION = "Vilka nämnder vill att facilitatorer samordnas centralt?"


def serious(page) -> list[str]:  # type: ignore[no-untyped-def]
    settled(page)
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}})
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_widget_ask_answer_and_source(page, ui_server: LiveServer, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{ui_server.url}/widget")
    assert page.locator("html").get_attribute("lang") == "sv"
    assert serious(page) == []
    # Keyboard only: focus the question, type, press Enter.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "question"
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    link = page.locator("a.source-link").first
    link.wait_for()
    assert page.locator("#answer").inner_text().strip()
    assert "[1]" in link.inner_text()
    assert serious(page) == []
    page.screenshot(path=str(artifacts_dir / "widget-answer.png"), full_page=True)

    with page.expect_popup() as popup:
        link.click()
    passage = popup.value
    passage.wait_for_load_state()
    assert passage.locator("mark").inner_text().strip()
    assert serious(passage) == []
    passage.screenshot(path=str(artifacts_dir / "widget-passage.png"), full_page=True)


def test_widget_english_toggle_and_empty_question(page, ui_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{ui_server.url}/widget")
    page.get_by_role("button", name="In English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="Ask").click()
    error = page.locator("#question-error")
    error.wait_for()
    assert "question" in error.inner_text().lower()
    assert page.get_by_label("Your question").get_attribute("aria-invalid") == "true"
    assert serious(page) == []


def test_widget_embed_script(page, ui_server: LiveServer, host_page: HostPage, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    host = f"<!doctype html><html lang='en'><head><title>Host</title></head><body><main><h1>City portal</h1><script src='{ui_server.url}/widget.js' data-lang='en'></script></main></body></html>"
    host_page.html = host.encode()
    page.goto(f"{host_page.origin}/")
    frame = page.frame_locator("iframe[title*='Rådslag']")
    frame.get_by_label("Your question").wait_for()
    page.screenshot(path=str(artifacts_dir / "widget-embedded.png"), full_page=True)


def test_widget_follow_up_carries_the_conversation(page, ui_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    asked: list[dict] = []
    page.on("request", lambda r: asked.append(json.loads(r.post_data or "{}")) if r.url.endswith("/api/ask/stream") else None)
    page.goto(f"{ui_server.url}/widget")
    box = page.get_by_label("Din fråga")
    box.fill(QUESTION)
    with page.expect_response("**/api/ask/stream"):
        box.press("Enter")
    expect(page.locator("#status")).to_have_text("Svaret är klart.")
    box.fill("Och vad säger Norrmalm?")
    with page.expect_response("**/api/ask/stream"):
        box.press("Enter")
    expect(page.locator("#status")).to_have_text("Svaret är klart.")

    # The follow-up went with the first turn and is answered about Norrmalm on that subject
    # (asked alone, "Och vad säger Norrmalm?" quotes Norrmalm on something else).
    assert asked[0]["history"] == []
    assert [t["role"] for t in asked[1]["history"]] == ["user", "assistant"]
    assert asked[1]["history"][0]["content"] == QUESTION
    sources = page.locator("a.source-link")
    assert sources.count() >= 1 and all("Norrmalm" in s for s in sources.all_inner_texts())
    assert "facilitatorer" in page.locator("#answer").inner_text()
    assert serious(page) == []

    # Starting over forgets the conversation.
    page.get_by_role("button", name="Ny fråga från början").click()
    box.fill(QUESTION)
    with page.expect_response("**/api/ask/stream"):
        box.press("Enter")
    assert asked[2]["history"] == []


def test_widget_history_is_bounded(page, ui_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    asked: list[dict] = []
    page.on("request", lambda r: asked.append(json.loads(r.post_data or "{}")) if r.url.endswith("/api/ask/stream") else None)
    page.goto(f"{ui_server.url}/widget")
    box = page.get_by_label("Din fråga")
    for q in ["Vilka nämnder saknar svar?", "Och Farsta?", "Och Norrmalm?", "Och Södermalm?", "Och Skarpnäck?"]:
        box.fill(q)
        with page.expect_response("**/api/ask/stream"):
            box.press("Enter")
        expect(page.locator("#status")).to_have_text("Svaret är klart.")
    assert [len(a["history"]) for a in asked] == [0, 2, 4, 6, 6]
    assert asked[-1]["history"][0]["content"] == "Och Farsta?"
