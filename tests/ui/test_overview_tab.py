"""The workspace's remiss overview tab in a real browser, with axe-core."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.api.live import LiveServer
from tests.ui.test_widget import serious

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_overview_tab_table_filter_open_row(signed_in_page, ui_server: LiveServer, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    page = signed_in_page
    page.get_by_role("tab", name="Remissöversikt").click()
    page.locator("#rs-ov-query textarea, #rs-ov-query input").first.fill("4.3.2")
    page.locator("#rs-ov-run").click()
    table = page.locator("#rs-ov-table table")
    table.wait_for()
    page.wait_for_function("document.querySelectorAll('#rs-ov-table tbody tr').length === 31")
    assert "facilitatorer" in table.locator("caption").inner_text()
    assert page.locator("#rs-ov-table td[data-stance='reply_missing']").count() == 10
    assert "| Nämnd |" in page.locator("#rs-ov-export textarea").input_value()

    # Filter by stance: only the missing replies remain.
    page.locator("#rs-ov-stances").get_by_label("svar saknas").check()
    page.wait_for_function("document.querySelectorAll('#rs-ov-table tbody tr').length === 10")

    # Open a committee's deciding passage in context.
    first = page.locator("#rs-ov-open label").first
    first.wait_for()
    first.click()
    mark = page.locator("#rs-ov-passage mark")
    mark.wait_for()
    assert mark.inner_text().strip()
    page.screenshot(path=str(artifacts_dir / "ui-overview.png"), full_page=True)
    assert serious(page) == []

    # The workspace switched to English: the tab's labels and its table follow, the filter holds.
    page.get_by_label("English").check()
    page.get_by_role("tab", name="Remiss overview").wait_for()
    page.get_by_role("button", name="Show overview").wait_for()
    page.wait_for_function("document.querySelector('#rs-ov-table thead')?.innerText.includes('Committee')")
    assert page.locator("#rs-ov-stances").get_by_label("reply missing").is_checked()
    assert page.locator("#rs-ov-table tbody tr").count() == 10
    assert page.locator("#rs-ov-table td[data-stance='reply_missing']").first.inner_text() == "reply missing"
    rows = page.locator("#rs-ov-open").inner_text()  # the passages to open, by committee and stance
    assert "Open a committee's deciding passage" in rows and "— positive" in rows and "— positiv\n" not in rows + "\n"
    # The exports follow too: the Markdown and the Excel file are written again in English.
    page.wait_for_function("document.querySelector('#rs-ov-export textarea')?.value.includes('| Committee |')")
    export = page.locator("#rs-ov-export textarea").input_value()
    assert "reply missing" in export and "svar saknas" not in export
    with page.expect_download() as download:
        page.get_by_role("button", name="Excel file").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert sheet["A1"].value == "Committee"
    assert sum(row[2] == "reply missing" for row in sheet.iter_rows(min_row=2, values_only=True)) == 10
    assert serious(page) == []
