"""The analyst's whole workflow in a real browser, on a phone and on a desktop."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.documents.sample_files import pdf
from tests.web.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.web.pages import (
    create_project,
    last_reply,
    new_thread,
    recorded_lengths,
    reply_progress,
    reply_text,
    send,
    upload,
    wait_until_written,
    watch_reply_lengths,
)

POLICY = (
    "# Refund policy\n\nCustomers may request a refund within 30 days of delivery. "
    "Refunds go back to the original payment method within five working days.\n"
)
WAREHOUSE = (
    "Warehouse returns: parcels are inspected on arrival. "
    "Damaged goods are photographed and the courier is notified within 48 hours."
)


@pytest.fixture
def documents(tmp_path: Path) -> tuple[Path, Path]:
    markdown = tmp_path / "refund-policy.md"
    markdown.write_text(POLICY, encoding="utf-8")
    paper = tmp_path / "warehouse-returns.pdf"
    paper.write_bytes(pdf(WAREHOUSE))
    return markdown, paper


def accessible(page: Page) -> None:
    assert serious_accessibility_violations(page) == []


class TestWorkflow:
    def test_sign_in_to_sign_out(
        self, page: Page, viewport: str, documents: tuple[Path, Path]
    ) -> None:
        page.goto("/")
        expect(page).to_have_url(re.compile(r"/sign-in"))
        expect(page.get_by_role("button", name="Continue as local user")).to_be_visible()
        accessible(page)
        screenshot(page, "sign-in", viewport)
        sign_in(page)
        accessible(page)

        create_project(page, "Checkout redesign", "Refunds and returns for the web shop")
        upload(page, *documents)
        page.get_by_role("searchbox", name="Search documents").fill("courier")
        results = page.get_by_role("list", name="Search results")
        expect(results).to_contain_text("warehouse-returns.pdf")
        expect(results.locator("mark").first).to_have_text(re.compile("courier", re.I))
        accessible(page)
        screenshot(page, "project", viewport)

        page.get_by_role("link", name="Projects").first.click()
        expect(page.get_by_text("2 documents")).to_be_visible()
        screenshot(page, "projects", viewport)
        page.get_by_role("link", name="Checkout redesign").first.click()

        new_thread(page)
        watch_reply_lengths(page)
        send(page, "Please write a user story for refunds within the refund window")
        reply = last_reply(page)
        # Never silence: a line under the conversation says what the reply is doing.
        expect(reply_progress(page)).to_have_text(re.compile(r"\w.*…$"))
        expect(reply).to_contain_text("Searched documents for")
        sources = reply.get_by_role("list", name="Passages found").first
        expect(sources).to_contain_text(re.compile(r"refund-policy\.md · passages? \d"))
        artifact = reply.get_by_role("link", name=re.compile("Open artifact"))
        expect(artifact).to_be_visible()
        wait_until_written(page)
        expect(reply_progress(page)).to_have_text("The reply is complete.")
        lengths = recorded_lengths(page)
        final = len(reply.inner_text())
        partial = [n for n in lengths if 0 < n < final]
        assert len(set(partial)) >= 5, f"the reply did not arrive bit by bit: {lengths}"
        assert reply.inner_text().count("Offline assistant") == 1
        accessible(page)
        screenshot(page, "thread", viewport)

        # Reload in the middle of a reply: it resumes and completes, with nothing twice.
        send(page, "What edge cases should we check for refunds after the refund window?")
        expect(page.get_by_role("button", name="Stop")).to_be_visible()
        page.wait_for_function(
            """() => {
                const all = document.querySelectorAll('article[aria-label="Assistant"]');
                return all.length >= 2 && all[all.length - 1].innerText.length > 200;
            }""",
            timeout=15_000,
        )
        page.reload()
        # Still being written after the reload: what follows is a resumed stream.
        expect(page.get_by_role("button", name="Stop")).to_be_visible()
        wait_until_written(page)
        resumed = reply_text(page)
        assert resumed.count("Offline assistant") == 1, resumed
        page.reload()
        wait_until_written(page)
        assert reply_text(page) == resumed

        # The artifact: open, edit (a new version), history.
        page.get_by_role("link", name=re.compile("Open artifact")).first.click()
        expect(page.get_by_text("Version 1", exact=True).first).to_be_visible()
        accessible(page)
        screenshot(page, "artifact", viewport)
        page.get_by_role("button", name="Edit").click()
        page.get_by_label("Title").fill("Refunds within the window")
        page.get_by_role("textbox", name="Content").fill(
            "## Story\n\nAs a customer I want a refund within 30 days.\n\n| Given | Then |\n"
            "|---|---|\n| day 29 | refund |\n"
        )
        if viewport == "phone":
            page.get_by_role("tab", name="Preview").click()
        expect(page.get_by_role("region", name="Preview").get_by_role("table")).to_be_visible()
        accessible(page)
        screenshot(page, "artifact-edit", viewport)
        page.get_by_role("button", name="Save new version").click()
        expect(page.get_by_role("heading", name="Refunds within the window")).to_be_visible()
        expect(page.get_by_text("Version 2", exact=True).first).to_be_visible()
        history = page.get_by_role("region", name="Version history")
        history.get_by_role("button", name="Version 1").click()
        expect(page.get_by_text("You are reading an earlier version")).to_be_visible()

        # The account menu: usage, then sign out.
        page.get_by_role("button", name="Account").click()
        expect(page.get_by_text("This month")).to_be_visible()
        accessible(page)
        screenshot(page, "account-menu", viewport)
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("button", name="Continue as local user")).to_be_visible()
        page.goto("/projects")
        expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fprojects"))
