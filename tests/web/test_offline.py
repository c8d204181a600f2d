"""The installed app without a network: the shell opens, says "Offline", and keeps a message
until the connection returns."""

from __future__ import annotations

import re

from playwright.sync_api import BrowserContext, Page, expect

from tests.web.conftest import sign_in
from tests.web.pages import create_project, last_reply, new_thread, send, wait_until_written


class TestOffline:
    def test_queues_a_message_and_sends_it_when_back_online(
        self, page: Page, context: BrowserContext
    ) -> None:
        sign_in(page)
        # The service worker has cached the app shell once it controls the page.
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        create_project(page, "Site visit")
        new_thread(page)

        context.set_offline(True)
        expect(page.get_by_role("status").filter(has_text="Offline")).to_be_visible()
        send(page, "Capture the refund questions from the meeting")
        you = page.get_by_role("article", name="You").last
        expect(you).to_contain_text("Queued")

        page.reload()  # opens from the service worker's cache
        expect(page.get_by_role("status").filter(has_text="Offline")).to_be_visible()
        expect(page.get_by_role("link", name="BA Assistant")).to_be_visible()

        context.set_offline(False)
        expect(page.get_by_role("status").filter(has_text="Offline")).to_be_hidden()
        you = page.get_by_role("article", name="You").last
        expect(you).to_contain_text("Capture the refund questions from the meeting")
        expect(you).not_to_contain_text("Queued")
        expect(last_reply(page)).to_contain_text(re.compile("Offline assistant", re.I))
        wait_until_written(page)
        # Sent once: after a reload the conversation holds it once.
        page.reload()
        expect(page.get_by_role("article", name="You")).to_have_count(1)
