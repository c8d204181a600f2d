"""What a person does on each screen, in the words they see there."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect


def create_project(page: Page, name: str, description: str = "") -> None:
    page.get_by_role("button", name="New project").click()
    dialog = page.get_by_role("dialog", name="New project")
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_label("Description").fill(description)
    dialog.get_by_role("button", name="Create").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("link", name=name).first.click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()


def upload(page: Page, *files: Path) -> None:
    page.locator("input[type=file]").set_input_files([str(path) for path in files])
    uploads = page.get_by_role("list", name="Uploads")
    for path in files:
        expect(uploads.get_by_role("listitem").filter(has_text=path.name)).to_contain_text(
            "Uploaded"
        )
    documents = page.get_by_role("list", name="Documents")
    for path in files:
        expect(documents).to_contain_text(path.name)


def new_thread(page: Page) -> None:
    page.get_by_role("button", name="New thread").click()
    expect(page).to_have_url(re.compile(r"/threads/[0-9a-f-]{36}$"))
    expect(page.get_by_role("textbox", name="Message")).to_be_visible()


def send(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def replies(page: Page) -> Locator:
    return page.get_by_role("article", name="Assistant")


def last_reply(page: Page) -> Locator:
    return replies(page).last


def reply_progress(page: Page) -> Locator:
    """The line under the conversation that says what the reply is doing ("Thinking…"), a
    polite live region; empty when no reply is being written."""
    return page.get_by_role("status", name="Assistant activity")


def reply_text(page: Page) -> str:
    """The written words of the newest reply (without tool activity and artifact cards)."""
    written = last_reply(page).locator(".markdown")
    expect(written.first).to_be_visible()
    return "\n".join(written.all_inner_texts())


def watch_reply_lengths(page: Page) -> None:
    """Records, in the page, the length of the newest reply's text each time it changes."""
    page.evaluate(
        """() => {
            window.__lengths = [];
            const record = () => {
                const all = document.querySelectorAll('article[aria-label="Assistant"]');
                const last = all[all.length - 1];
                const length = last ? last.innerText.length : 0;
                if (window.__lengths.at(-1) !== length) window.__lengths.push(length);
            };
            new MutationObserver(record).observe(document.body,
                {subtree: true, childList: true, characterData: true});
        }"""
    )


def recorded_lengths(page: Page) -> list[int]:
    lengths: list[int] = page.evaluate("window.__lengths")
    return lengths


def wait_until_written(page: Page, timeout: float = 30_000) -> None:
    expect(last_reply(page)).to_have_attribute("aria-busy", "false", timeout=timeout)
    expect(page.get_by_role("button", name="Stop")).to_be_hidden()
