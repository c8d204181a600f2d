"""Projects and the account: dialogs keep focus and close on Escape, deleting asks first, a
refused upload says why beside the file, a signed-out visitor comes back to the page they
asked for, and deleting the account leaves nothing behind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.web.conftest import serious_accessibility_violations, sign_in
from tests.web.pages import create_project


class TestProjects:
    def test_rename_and_delete_with_the_keyboard(self, page: Page) -> None:
        sign_in(page)
        page.get_by_role("button", name="New project").focus()
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog", name="New project")
        expect(dialog.get_by_label("Name")).to_be_focused()
        page.keyboard.type("Loyalty scheme")
        for _ in range(6):  # Tab cycles inside the dialog, never behind it
            page.keyboard.press("Tab")
            assert dialog.evaluate("(d) => d.contains(document.activeElement)")
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(page.get_by_role("button", name="New project")).to_be_focused()

        create_project(page, "Loyalty scheme", "Points for repeat customers")
        page.get_by_role("link", name="← Projects").click()
        page.get_by_role("button", name="Rename Loyalty scheme").click()
        rename = page.get_by_role("dialog", name="Rename project")
        rename.get_by_label("Name").fill("Loyalty programme")
        rename.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", name="Loyalty programme")).to_be_visible()

        page.get_by_role("button", name="Delete Loyalty programme").click()
        confirm = page.get_by_role("dialog", name=re.compile("Delete “Loyalty programme”"))
        expect(confirm).to_contain_text("cannot be undone")
        page.emulate_media(color_scheme="dark")
        assert serious_accessibility_violations(page) == []
        page.keyboard.press("Escape")
        expect(confirm).to_be_hidden()
        expect(page.get_by_role("heading", name="Loyalty programme")).to_be_visible()
        page.get_by_role("button", name="Delete Loyalty programme").click()
        confirm.get_by_role("button", name="Delete project").click()
        expect(page.get_by_text("No projects yet")).to_be_visible()

    def test_signing_in_again_returns_to_the_page(self, page: Page) -> None:
        sign_in(page)
        create_project(page, "Warehouse returns")
        project_url = page.url
        page.get_by_role("button", name="Account").click()
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("button", name="Continue as local user")).to_be_visible()

        page.goto(project_url)
        expect(page).to_have_url(re.compile(r"/sign-in\?next="))
        page.get_by_role("button", name="Continue as local user").click()
        expect(page).to_have_url(project_url)
        expect(page.get_by_role("heading", name="Warehouse returns", level=1)).to_be_visible()

    def test_a_file_the_server_refuses_says_why_beside_it(self, page: Page, tmp_path: Path) -> None:
        notes = tmp_path / "notes.md"
        notes.write_text("Meeting notes: refunds need approval above 100 euros.\n")
        tool = tmp_path / "installer.exe"
        tool.write_bytes(b"MZ" + bytes(64))
        sign_in(page)
        create_project(page, "Uploads")
        page.locator("input[type=file]").set_input_files([str(notes), str(tool)])
        uploads = page.get_by_role("list", name="Uploads")
        expect(uploads.get_by_role("listitem").filter(has_text="notes.md")).to_contain_text(
            "Uploaded"
        )
        refused = uploads.get_by_role("listitem").filter(has_text="installer.exe")
        expect(refused).to_contain_text("Failed")
        expect(refused.get_by_role("alert")).not_to_be_empty()
        expect(page.get_by_role("list", name="Documents")).not_to_contain_text("installer.exe")

    def test_deleting_a_document_asks_first(self, page: Page, tmp_path: Path) -> None:
        notes = tmp_path / "notes.md"
        notes.write_text("Meeting notes: refunds need approval above 100 euros.\n")
        sign_in(page)
        create_project(page, "Tidy up")
        page.locator("input[type=file]").set_input_files([str(notes)])
        documents = page.get_by_role("list", name="Documents")
        expect(documents).to_contain_text("notes.md")
        page.get_by_role("button", name="Delete notes.md").click()
        confirm = page.get_by_role("dialog", name="Delete “notes.md”?")
        expect(confirm).to_be_visible()
        page.keyboard.press("Escape")
        expect(confirm).to_be_hidden()
        expect(documents).to_contain_text("notes.md")  # Escape deletes nothing
        page.get_by_role("button", name="Delete notes.md").click()
        confirm.get_by_role("button", name="Delete document").click()
        expect(confirm).to_be_hidden()
        expect(documents).not_to_contain_text("notes.md")

    def test_deleting_the_account_removes_everything(self, page: Page) -> None:
        sign_in(page)
        create_project(page, "Short-lived")
        page.get_by_role("button", name="Account").click()
        page.get_by_role("button", name="Delete account").click()
        confirm = page.get_by_role("dialog", name="Delete your account?")
        # Escape closes the dialog and leaves the menu open, with focus where it was.
        page.keyboard.press("Escape")
        expect(confirm).to_be_hidden()
        expect(page.get_by_role("button", name="Delete account")).to_be_focused()
        page.get_by_role("button", name="Delete account").click()
        confirm.get_by_role("button", name="Delete account").click()
        expect(page.get_by_role("button", name="Continue as local user")).to_be_visible()
        sign_in(page)  # the same local user, created afresh
        expect(page.get_by_text("No projects yet")).to_be_visible()


class TestReturnAfterSignIn:
    @pytest.mark.parametrize(
        "next_page",
        ["//evil.example/", "/%5Cevil.example/", "/%09/evil.example/", "https://evil.example/"],
    )
    def test_a_return_address_elsewhere_is_ignored(
        self, page: Page, server: LiveServer, next_page: str
    ) -> None:
        page.goto(f"/sign-in?next={next_page}")
        page.get_by_role("button", name="Continue as local user").click()
        expect(page.get_by_role("heading", name="Projects", level=1)).to_be_visible()
        assert page.url == f"{server.url}/projects"
