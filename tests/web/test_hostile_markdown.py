"""Markdown written to attack the reader does nothing and fetches nothing."""

from __future__ import annotations

import re

from playwright.sync_api import Dialog, Page, Request, expect

from tests.web.conftest import sign_in
from tests.web.pages import create_project, new_thread, send, wait_until_written

HOSTILE = """# Notes

<script>window.__pwned = "script"</script>

<img src="x" onerror="window.__pwned = 'img'">

[Open the report](javascript:window.__pwned='link')

![tracking pixel](https://tracker.invalid/pixel.png)

[Policy](https://example.com/policy)
"""


def watch(page: Page) -> tuple[list[str], list[str]]:
    """Requests leaving our server, and dialogs opened."""
    own = page.url.split("/", 3)[:3]
    outside: list[str] = []
    dialogs: list[str] = []

    def on_request(request: Request) -> None:
        if request.url.split("/", 3)[:3] != own and not request.url.startswith(("data:", "blob:")):
            outside.append(request.url)

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("request", on_request)
    page.on("dialog", on_dialog)
    return outside, dialogs


def check_harmless(page: Page, region: str) -> None:
    content = page.locator(region).last
    expect(content.get_by_role("link", name="Policy")).to_have_attribute(
        "rel", "noopener noreferrer"
    )
    expect(content.get_by_role("link", name="Policy")).to_have_attribute("target", "_blank")
    expect(content.get_by_text("Image: tracking pixel")).to_be_visible()
    assert content.locator("script, img, iframe").count() == 0
    trap = content.get_by_text("Open the report")
    assert trap.get_attribute("href") in (None, "")
    trap.click()
    assert page.evaluate("window.__pwned") is None


class TestHostileMarkdown:
    def test_in_a_message_and_in_an_artifact(self, page: Page) -> None:
        sign_in(page)
        outside, dialogs = watch(page)
        create_project(page, "Security review")
        new_thread(page)
        send(page, HOSTILE)
        check_harmless(page, 'article[aria-label="You"] .markdown')
        wait_until_written(page)

        send(page, "Write a user story for refunds")
        wait_until_written(page)
        page.get_by_role("link", name=re.compile("Open artifact")).last.click()
        page.get_by_role("button", name="Edit").click()
        page.get_by_role("textbox", name="Content").fill(HOSTILE)
        page.get_by_role("button", name="Save new version").click()
        expect(page.get_by_text("Version 2", exact=True).first).to_be_visible()
        check_harmless(page, ".artifact-body .markdown")

        assert outside == []
        assert dialogs == []
