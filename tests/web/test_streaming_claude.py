"""A reply from Claude (the wire-level fake) streams in with its tool call shown inline."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from tests.agent.conftest import claude_settings
from tests.conftest import make_app
from tests.fakes.llm_servers import FakeAnthropic, HttpError, Reply, text, tool
from tests.web.conftest import sign_in
from tests.web.pages import (
    create_project,
    last_reply,
    new_thread,
    recorded_lengths,
    send,
    upload,
    wait_until_written,
    watch_reply_lengths,
)

ANSWER = (
    "The policy gives customers **30 days** from delivery to ask for a refund. "
    "Before we write the story: who may approve a refund after the window closes, and "
    "does a partial refund restart the clock? "
) * 3


@pytest.fixture
def claude() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def web_app(web_dist: Path, data_dir: Path, claude: FakeAnthropic) -> Iterator[FastAPI]:
    application = make_app(claude_settings(claude, data_dir, ai_request_timeout_seconds=10.0))
    yield application
    application.state.db.dispose()


class TestClaudeReply:
    def test_streams_with_the_tool_call_inline(
        self, page: Page, claude: FakeAnthropic, tmp_path: Path
    ) -> None:
        policy = tmp_path / "refund-policy.md"
        policy.write_text("Refund window: customers may ask within 30 days of delivery.\n")
        sign_in(page)
        create_project(page, "Refunds")
        upload(page, policy)
        new_thread(page)
        claude.enqueue(
            Reply(tool("DocumentSearch", {"query": "refund window", "max_results": 3})),
            Reply(text(ANSWER, chunks_per_second=40)),
        )
        watch_reply_lengths(page)
        send(page, "How long is the refund window?")

        reply = last_reply(page)
        expect(reply).to_contain_text(re.compile(r"Search(ing|ed) documents for “refund window”"))
        expect(reply).to_contain_text("Searched documents for “refund window” — Found 1 passage")
        wait_until_written(page)
        expect(reply.get_by_text("30 days", exact=True).first).to_be_visible()
        lengths = recorded_lengths(page)
        final = len(reply.inner_text())
        assert len({n for n in lengths if 0 < n < final}) >= 5, lengths
        assert reply.inner_text().count("who may approve a refund") == 3

    def test_stop_keeps_the_words_so_far(self, page: Page, claude: FakeAnthropic) -> None:
        sign_in(page)
        create_project(page, "Refunds")
        new_thread(page)
        claude.enqueue(Reply(text(ANSWER * 4, chunks_per_second=10)))
        send(page, "Tell me about refunds")
        reply = last_reply(page)
        expect(reply).to_contain_text("30 days")
        page.get_by_role("button", name="Stop").click()
        expect(reply).to_contain_text("Stopped")
        expect(page.get_by_role("button", name="Stop")).to_be_hidden()
        kept = reply.inner_text()
        assert "The policy gives customers" in kept
        page.reload()
        expect(last_reply(page)).to_contain_text("The policy gives customers")
        expect(last_reply(page)).to_contain_text("Stopped")

    def test_a_failed_reply_can_be_retried(self, page: Page, claude: FakeAnthropic) -> None:
        sign_in(page)
        create_project(page, "Refunds")
        new_thread(page)
        # The fake serves this module's tests in turn: a late request of an earlier test (a
        # thread's title, say) must not take one of these errors or the answer after them.
        claude.clear()
        claude.enqueue(*[HttpError(500)] * 12)  # the reply's three attempts fail, whatever else
        send(page, "Are you there?")
        reply = last_reply(page)
        expect(reply).to_contain_text("The AI service failed to answer", timeout=30_000)
        claude.clear()
        answer, claude.default_reply = claude.default_reply, Reply(text("Yes, here now."))
        try:
            reply.get_by_role("button", name="Retry").click()
            expect(last_reply(page)).to_contain_text("Yes, here now.", timeout=30_000)
        finally:
            claude.default_reply = answer
