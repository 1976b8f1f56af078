"""The workspace's feedback, saved conversations and admin tab in a real browser, over a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe

from api.app import create_app
from radslag.components import Components
from radslag.feedback_cli import export_candidates
from radslag.settings import Settings
from tests.api.live import ADMIN_TOKEN, LiveServer, api_settings
from tests.conftest import ROOT
from tests.ui.conftest import settled, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]
QUESTION = "Vad säger Arbetsmarknadsnämnden om sommarjobb?"
ADMIN = ("ui-admin", "ui-admin-password-1")
INDEX_PARTS = ("embedder", "client", "store", "documents", "ingestor", "retriever", "pipeline")


def restartable(components: Components) -> Components:
    """A new composition root on the same data_dir: its own database engine (opened from the file),
    the session's index parts (so a "restart" does not rebuild the lexical index)."""
    fresh = Components(components.settings)
    for part in INDEX_PARTS:
        fresh.__dict__[part] = getattr(components, part)
    return fresh


def ask(page, question: str) -> None:  # type: ignore[no-untyped-def]
    before = page.locator("#rs-chat [data-testid='bot']").count()
    page.locator("#rs-question textarea").fill(question)
    page.locator("#rs-send").click()
    page.wait_for_function(
        f"document.querySelectorAll('#rs-chat [data-testid=\"bot\"]').length > {before}"
        " && document.querySelectorAll('#rs-sources label').length > 0"
    )


def serious(page, *parts: str) -> list[str]:  # type: ignore[no-untyped-def]
    """axe's serious/critical violations inside ``parts`` (the parts this feature adds to the page)."""
    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
    settled(page)
    results = Axe().run(page, context={"include": [[p] for p in parts]}, options={"runOnly": {"type": "tag", "values": tags}})
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture(scope="module")
def admin_user(settings: Settings) -> tuple[str, str]:
    from radslag.users import UserStore, users_path

    UserStore(users_path(settings)).add(*ADMIN, role="admin", rounds=4, replace=True)
    return ADMIN


def test_feedback_listed_exported_and_conversation_survives_restart(  # type: ignore[no-untyped-def]
    page, settings: Settings, components: Components, official: tuple[str, str], tmp_path: Path, artifacts_dir: Path
) -> None:
    app_settings = api_settings(settings)
    first = restartable(components)
    server = LiveServer(create_app(app_settings, first)).start()
    try:
        sign_in(page, server.url, official)
        assert not page.get_by_role("tab", name="Administrera").is_visible()  # officials get no upload
        ask(page, QUESTION)
        bot = page.locator("#rs-chat [data-testid='bot']").last
        bot.hover()
        page.locator("#rs-chat").get_by_role("button", name="Ogilla").last.click()  # Gradio's Swedish label
        page.locator("#rs-feedback-comment textarea").fill("Svaret nämner fel förvaltning.")
        page.locator("#rs-feedback-save").click()
        page.get_by_text("Kommentaren är sparad.").wait_for()
        page.get_by_text("Sparade samtal").click()
        assert serious(page, "#rs-chat", "#rs-feedback", "#rs-saved") == []
        page.screenshot(path=str(artifacts_dir / "ui-feedback.png"), full_page=True)

        listed = httpx.get(f"{server.url}/api/feedback", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()
        item = next(i for i in listed["items"] if i["comment"] == "Svaret nämner fel förvaltning.")
        assert item["verdict"] == "wrong" and item["question"] == QUESTION and item["user"] == official[0]
        assert item["citations"] and item["answer"].strip()
        assert httpx.get(f"{server.url}/api/feedback").status_code == 401
    finally:
        server.stop()
        first.database.dispose()

    out = tmp_path / "candidates.jsonl"
    env = {**os.environ, "RADSLAG_DATA_DIR": str(settings.data_dir)}
    cmd = [sys.executable, "-m", "radslag.cli", "feedback", "export", "--out", str(out), "--verdict", "wrong"]
    assert subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=120).returncode == 0
    exported = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    candidate = next(c for c in exported if c["comment"] == "Svaret nämner fel förvaltning.")
    assert candidate["question"] == QUESTION and candidate["evidence"][0]["quote"] and candidate["verdict"] == "wrong"
    assert export_candidates(settings, tmp_path / "again.jsonl") >= 1

    # A new app instance on the same data_dir: sign in again and reopen the conversation.
    server = LiveServer(create_app(app_settings, restartable(components))).start()
    page.context.clear_cookies()  # a new sign-in, as after closing the browser
    try:
        sign_in(page, server.url, official)
        page.get_by_text("Sparade samtal").click()
        page.locator("#rs-conversations input").click()
        page.get_by_role("option", name=QUESTION[:40]).first.click()
        page.locator("#rs-open-conversation").click()
        page.locator("#rs-sources label").first.wait_for()
        chat = page.locator("#rs-chat").inner_text()
        assert QUESTION in chat and "[1]" in chat
        # The verdict given before the restart shows on its answer; clicked again, it is
        # withdrawn from the store (not a second verdict added beside it).
        page.locator("#rs-chat [data-testid='bot']").last.hover()
        given = page.locator("#rs-chat").get_by_role("button", name="Disliked", exact=True)  # Gradio's label of a chosen thumb
        given.first.wait_for()
        assert page.locator("#rs-chat").get_by_role("button", name="Liked", exact=True).count() == 0
        given.first.click()
        page.get_by_text("Ditt omdöme om svar 1 är borttaget.").wait_for()
        listed = httpx.get(f"{server.url}/api/feedback", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()
        assert not any(i["comment"] == "Svaret nämner fel förvaltning." for i in listed["items"])
    finally:
        server.stop()


def test_admin_uploads_a_document_and_finds_it(page, ui_server: LiveServer, admin_user: tuple[str, str], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    phrase = "Kolibriprojektet"
    name = f"kolibri-{uuid.uuid4().hex[:8]}.txt"
    upload = tmp_path / name
    upload.write_text(
        f"{phrase} i Skärholmen\n\n{phrase} är ett försök där Skärholmens bibliotek lånar ut fågelholkar till "
        f"förskolor varje höst. Inom {phrase} räknar barnen kolibrier och rapporterar till förvaltningen.\n",
        encoding="utf-8",
    )
    sign_in(page, ui_server.url, admin_user)
    page.get_by_role("tab", name="Administrera").click()
    page.locator("#rs-admin-files input[type=file]").set_input_files(str(upload))
    page.locator("#rs-admin-upload").click()
    page.get_by_text("1 indexerade").wait_for()
    assert name in page.locator("#rs-admin-report").inner_text()
    assert serious(page, "#rs-admin-tab") == []
    # In English the tab's labels follow; the ingest report keeps its rows.
    page.get_by_label("English").check()
    page.get_by_role("tab", name="Administer").wait_for()
    page.get_by_role("button", name="Upload and index").wait_for()
    page.get_by_role("heading", name="Upload documents").wait_for()
    page.wait_for_function("document.querySelector('#rs-admin-report')?.innerText.includes('File')")
    assert name in page.locator("#rs-admin-report").inner_text()
    page.wait_for_function("document.querySelector('#rs-admin-docs')?.innerText.includes('Visibility')")
    page.get_by_label("Svenska").check()
    page.get_by_role("tab", name="Administrera").wait_for()
    doc_id = name.removesuffix(".txt")
    try:
        page.get_by_role("tab", name="Fråga").click()
        time.sleep(2.5)  # the lexical index snapshot refreshes every 2 s
        ask(page, f"Vad är {phrase}?")
        sources = page.locator("#rs-sources").inner_text()
        assert name in sources or phrase in sources, sources
        assert phrase in page.locator("#rs-chat [data-testid='bot']").last.inner_text()
    finally:
        page.get_by_role("tab", name="Administrera").click()
        page.locator("#rs-admin-doc input").click()
        page.get_by_role("option", name=doc_id).first.click()
        page.locator("#rs-admin-delete").click()
        page.get_by_text(f"{doc_id} är borttaget").wait_for()
    assert doc_id not in page.locator("#rs-admin-docs").inner_text()
