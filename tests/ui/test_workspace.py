"""The officials' workspace (/ui) in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]
QUESTION = "Vilka nämnder vill att facilitatorer samordnas centralt?"


def test_ask_see_sources_open_passage(signed_in_page, ui_server: LiveServer, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    page = signed_in_page
    page.locator("#rs-question textarea").fill(QUESTION)
    page.locator("#rs-send").click()
    first_source = page.locator("#rs-sources label").first
    first_source.wait_for()
    chat = page.locator("#rs-chat").inner_text()
    assert QUESTION in chat and "[1]" in chat
    first_source.click()
    mark = page.locator("#rs-passage mark")
    mark.wait_for()
    assert mark.inner_text().strip()
    export = page.locator("#rs-export").inner_text()
    assert "[1]" in export or "1." in export
    page.screenshot(path=str(artifacts_dir / "ui-workspace-answer.png"), full_page=True)

    # A follow-up keeps the conversation (history goes to rag/ as ChatTurns).
    page.locator("#rs-question textarea").fill("Och vad säger Södermalm om lokalt inflytande?")
    page.locator("#rs-send").click()
    page.wait_for_function("document.querySelectorAll('#rs-chat .message-row, #rs-chat [data-testid=\"bot\"]').length >= 2")

    # English labels on request.
    page.get_by_label("English").check()
    page.get_by_role("button", name="New conversation").wait_for()
    page.screenshot(path=str(artifacts_dir / "ui-workspace-english.png"), full_page=True)


def test_filter_dropdowns_are_filled(signed_in_page, ui_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page = signed_in_page
    page.get_by_text("Avgränsa").click()
    page.locator("#rs-committees input").click()
    options = page.get_by_role("option")
    options.first.wait_for()
    assert options.count() >= 10
