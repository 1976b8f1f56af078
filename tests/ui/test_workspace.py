"""The officials' workspace (/ui) in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.auth import COOKIE
from tests.api.live import LiveServer
from tests.ui.test_widget import serious

pytestmark = [pytest.mark.browser, pytest.mark.slow]
QUESTION = "Vilka nämnder vill att facilitatorer samordnas centralt?"


def test_ask_see_sources_open_passage(signed_in_page, ui_server: LiveServer, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    page = signed_in_page
    box = page.locator("#rs-question textarea")
    # Shift+Enter makes a new line and sends nothing; Enter sends.
    box.click()
    page.keyboard.type("Vilka nämnder")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("nämner KTH?")
    assert box.input_value() == "Vilka nämnder\nnämner KTH?"
    assert page.locator("#rs-chat [data-testid='user']").count() == 0
    box.fill(QUESTION)
    box.press("Enter")
    first_source = page.locator("#rs-sources label").first
    first_source.wait_for()
    assert box.input_value() == ""
    chat = page.locator("#rs-chat").inner_text()
    assert QUESTION in chat and "[1]" in chat
    first_source.click()
    mark = page.locator("#rs-passage mark")
    mark.wait_for()
    assert mark.inner_text().strip()
    export = page.locator("#rs-export textarea").input_value()
    assert export.startswith("**Fråga:**") and "[1]" in export
    assert serious(page) == []
    page.screenshot(path=str(artifacts_dir / "ui-workspace-answer.png"), full_page=True)

    # A follow-up keeps the conversation (history goes to rag/ as ChatTurns).
    box.fill("Och vad säger Södermalm om lokalt inflytande?")
    box.press("Enter")
    page.locator("#rs-chat [data-testid='bot']").nth(1).wait_for()

    # English labels on request.
    page.get_by_label("English").check()
    page.get_by_role("button", name="New conversation").wait_for()
    page.get_by_role("button", name="Sign out").wait_for()
    page.screenshot(path=str(artifacts_dir / "ui-workspace-english.png"), full_page=True)


def test_sign_out(signed_in_page, ui_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page = signed_in_page
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/login")
    assert page.get_by_role("heading", name="Logga in på Rådslag").is_visible()
    assert serious(page) == []
    # The session is gone: the workspace sends the browser back to sign-in.
    page.goto(f"{ui_server.url}/ui/")
    page.wait_for_url("**/login")
    assert not [c for c in page.context.cookies() if c["name"] == COOKIE]


def test_filter_dropdowns_are_filled(signed_in_page, ui_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page = signed_in_page
    page.get_by_text("Avgränsa").click()
    page.locator("#rs-committees input").click()
    options = page.get_by_role("option")
    options.first.wait_for()
    assert options.count() >= 10
