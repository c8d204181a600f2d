"""Exporting an artifact from the browser: one download per format, named by the server."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.web.conftest import sign_in
from tests.web.pages import create_project, new_thread, send, wait_until_written

# Menu item, file extension, and what the file holds: the magic bytes of a binary format, or
# text that shows it is the artifact in that format.
FORMATS = [
    ("Markdown", ".md", None, "{title}"),
    ("PDF", ".pdf", b"%PDF-", None),
    ("Word", ".docx", b"PK\x03\x04", None),
    ("Gherkin", ".feature", None, "Scenario"),
    ("CSV", ".csv", None, ","),
]


class TestExport:
    def test_every_format_downloads(self, page: Page, tmp_path: Path) -> None:
        sign_in(page)
        create_project(page, "Refunds")
        new_thread(page)
        send(page, "Write a user story for partial refunds")
        wait_until_written(page)
        page.get_by_role("link", name=re.compile("Open artifact")).first.click()
        expect(page.get_by_role("button", name="Export")).to_be_visible()
        title = page.get_by_role("heading", level=1).inner_text()

        for label, extension, magic, words in FORMATS:
            page.get_by_role("button", name="Export").click()
            with page.expect_download() as info:
                page.get_by_role("button", name=label, exact=True).click()
            download = info.value
            assert download.suggested_filename.endswith(extension), download.suggested_filename
            saved = tmp_path / download.suggested_filename
            download.save_as(saved)
            content = saved.read_bytes()
            if magic is not None:
                assert content.startswith(magic), (label, content[:40])
            else:
                text = content.decode("utf-8-sig")
                assert words.format(title=title).lower() in text.lower(), (label, text[:200])
