"""Document text is text: a document carrying HTML and Markdown payloads, uploaded and cited,
is shown literally in every view and creates no element, request or script.

Views: the workspace's chat, source list, passage view and Markdown export; the widget's
answer, source list and passage page. Every request of the browser context is logged.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from markdown_it import MarkdownIt
from playwright.sync_api import expect

from rag.markup import md_unescape
from tests.api.live import ADMIN_TOKEN, LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOST = "198.51.100.7"  # TEST-NET-2: never a real server
TITLE = f"Testnämndens yttrande <img src=http://{HOST}/t.png> om bildlänkar"
IMG = "<img src=x onerror=alert(1)>"
MD_IMG = f"![bild](http://{HOST}/x.png)"
MD_LINK = f"[länk](http://{HOST}/l)"
A_TAG = f'<a href="http://{HOST}/a">en länk</a>'
TEXT = (
    f"{TITLE}\n\n"
    f"Testnämnden anser att {IMG} och {MD_IMG} är bra. "
    f"Testnämnden vill också se {MD_LINK} och {A_TAG} i zebrafinkprojektet.\n"
)
PAYLOADS = [TITLE, IMG, MD_IMG, MD_LINK, A_TAG]
QUESTION = "Vad anser Testnämnden?"


@pytest.fixture
def payload_doc(ui_server: LiveServer) -> Iterator[str]:
    """The document, uploaded as public through the admin API; removed afterwards (shared index)."""
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=ui_server.url, timeout=120) as c:
        files = {"file": ("testnamnden-payload.txt", TEXT.encode(), "text/plain")}
        r = c.post("/api/documents", files=files, data={"visibility": "public"}, headers=headers)
        assert r.status_code == 201, r.text
        doc_id = r.json()["doc_id"]
        try:
            yield doc_id
        finally:
            c.delete(f"/api/documents/{doc_id}", headers=headers)


def watch(page) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    """Every request the page's context makes, and every dialog (alert) a script opens."""
    requests: list[str] = []
    dialogs: list[str] = []
    page.context.on("request", lambda r: requests.append(r.url))
    page.context.on("page", lambda p: p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss())))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return requests, dialogs


def no_elements(locator) -> None:  # type: ignore[no-untyped-def]
    """No image, link, frame or script inside ``locator`` (the document made none)."""
    assert locator.locator("img, a, iframe, script, object, embed").count() == 0


def test_workspace_shows_document_text_literally(signed_in_page, payload_doc: str, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    page = signed_in_page
    requests, dialogs = watch(page)
    page.locator("#rs-question textarea").fill(QUESTION)
    page.locator("#rs-question textarea").press("Enter")
    sources = page.locator("#rs-sources label")
    expect(sources.filter(has_text=TITLE)).to_have_count(1, timeout=30_000)  # an answer under a loaded CI machine

    bot = page.locator("#rs-chat [data-testid='bot']").last
    shown = bot.inner_text()
    assert all(p in shown for p in (IMG, MD_IMG, MD_LINK, A_TAG)), shown
    no_elements(page.locator("#rs-chat .message-content"))

    sources.filter(has_text=TITLE).click()
    passage = page.locator("#rs-passage")
    passage.locator("mark").wait_for()
    assert all(p in passage.inner_text() for p in PAYLOADS)
    no_elements(passage)

    export = page.locator("#rs-export textarea").input_value()
    assert all(md_unescape(export).count(p) >= 1 for p in PAYLOADS)
    # Rendered as CommonMark (raw HTML allowed), the export holds no tag, image or link.
    rendered = MarkdownIt("commonmark").render(export)
    assert "<img" not in rendered and "<a " not in rendered, rendered
    page.screenshot(path=str(artifacts_dir / "ui-document-text.png"), full_page=True)

    assert [u for u in requests if HOST in u] == [] and dialogs == []


def test_widget_shows_document_text_literally(page, ui_server: LiveServer, payload_doc: str) -> None:  # type: ignore[no-untyped-def]
    requests, dialogs = watch(page)
    page.goto(f"{ui_server.url}/widget")
    page.get_by_label("Din fråga").fill(QUESTION)
    with page.expect_response("**/api/ask/stream"):
        page.get_by_label("Din fråga").press("Enter")
    expect(page.locator("#status")).to_have_text("Svaret är klart.")
    answer = page.locator("#answer").inner_text()
    assert all(p in answer for p in (IMG, MD_IMG, MD_LINK, A_TAG)), answer
    no_elements(page.locator("#answer"))
    link = page.locator("a.source-link").filter(has_text=TITLE)
    expect(link).to_have_count(1)
    no_elements(page.locator("#sources li").filter(has_text=TITLE).locator("a.source-link"))

    with page.expect_popup() as popup:
        link.click()
    passage = popup.value
    passage.wait_for_load_state()
    main = passage.locator("main")
    assert all(p in main.inner_text() for p in PAYLOADS)
    no_elements(main)

    assert [u for u in requests if HOST in u] == [] and dialogs == []
