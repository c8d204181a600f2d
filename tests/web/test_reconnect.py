"""A reply whose connection drops part-way: "Reconnecting…", then it resumes after the last
event received (Last-Event-ID) and completes with nothing missing and nothing twice."""

from __future__ import annotations

from playwright.sync_api import Page, Route, expect

from tests.web.conftest import sign_in
from tests.web.pages import create_project, new_thread, reply_text, send, wait_until_written

KEPT_EVENTS = 12


class TestReconnect:
    def test_resumes_after_the_last_event_received(self, page: Page) -> None:
        sign_in(page)
        create_project(page, "Refunds")
        new_thread(page)
        resumed_from: list[str | None] = []

        def cut_the_first_connection(route: Route) -> None:
            if resumed_from or route.request.headers.get("last-event-id"):
                resumed_from.append(route.request.headers.get("last-event-id"))
                route.continue_()
                return
            # The whole reply arrives, but only its first events reach the page: the
            # connection ends as a dropped one would, before `complete`.
            events = route.fetch().text().split("\n\n")
            kept = [event for event in events if not event.startswith(":")][:KEPT_EVENTS]
            assert not any("event: complete" in event for event in kept)
            route.fulfill(
                status=200,
                headers={"Content-Type": "text/event-stream"},
                body="\n\n".join(kept) + "\n\n",
            )

        page.route("**/api/threads/*/stream?*", cut_the_first_connection)
        send(page, "What questions should we ask about refunds?")
        expect(page.get_by_role("status").filter(has_text="Reconnecting")).to_be_visible()
        wait_until_written(page)
        expect(page.get_by_role("status").filter(has_text="Reconnecting")).to_be_hidden()
        assert resumed_from[0] == str(KEPT_EVENTS)
        streamed = reply_text(page)

        page.unroute("**/api/threads/*/stream?*")
        page.reload()
        wait_until_written(page)
        assert reply_text(page) == streamed
        assert streamed.count("Offline assistant") == 1
